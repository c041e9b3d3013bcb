package dev.xray.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.api.DiskImage;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.VmInfo;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray info}: a VM's configuration, disk chain and snapshots. */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Show a VM's configuration, status, disk chain and snapshots.")
final class InfoCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  /** How many lines of each log a crashed VM's info shows. */
  private static final int CRASH_LOG_LINES = 5;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "the VM to describe")
  String name;

  @Option(names = "--json", description = "print JSON instead of text")
  boolean json;

  @Override
  public Integer call() {
    VmInfo info = parent.xray().vms().get(name).info();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Output.json(out, toJson(info));
      return 0;
    }
    VmSpec vmSpec = info.spec();
    out.printf("Name:        %s%n", vmSpec.name());
    out.printf("Status:      %s%s%n", info.status().label(),
        info.pid().isPresent() ? " (pid " + info.pid().getAsLong() + ")" : "");
    out.printf("Base:        %s%n", vmSpec.base());
    out.printf("Memory:      %d MiB%n", vmSpec.memoryMiB());
    out.printf("CPUs:        %d%n", vmSpec.cpus());
    out.printf("SSH port:    %s%n", vmSpec.sshPort().isPresent()
        ? "127.0.0.1:" + vmSpec.sshPort().getAsInt() : "none");
    out.printf("Forwards:    %s%n", vmSpec.portForwards().isEmpty() ? "none"
        : vmSpec.portForwards().entrySet().stream()
            .map(forward -> "127.0.0.1:" + forward.getKey() + " -> " + forward.getValue())
            .collect(Collectors.joining(", ")));
    out.printf("Arch:        %s%n", vmSpec.architecture().qemuName());
    out.printf("Accelerator: %s%n", vmSpec.accelerator().qemuName());
    out.printf("Display:     %s%n", vmSpec.display().qemuName());
    out.printf("Seed:        %s%n", seedSummary(vmSpec));
    out.printf("Folder:      %s%n", info.directory());
    if (info.status() == VmStatus.CRASHED) {
      printCrashLogs(out, info);
    }
    out.println();
    out.println("Disk chain:");
    for (DiskImage image : info.diskChain()) {
      out.printf("  %s (%s, virtual %s, on disk %s)%s%n", image.path(), image.format(),
          Output.bytes(image.virtualSize()), Output.bytes(image.actualSize()),
          image.backingFile().map(file -> " -> " + file).orElse(""));
    }
    out.println();
    SnapshotCommand.printSnapshots(out, info.snapshots());
    return 0;
  }

  /** Shows why QEMU may have ended: the last lines of its own log and of the serial console. */
  private static void printCrashLogs(PrintWriter out, VmInfo info) {
    for (String log : List.of("qemu.log", "serial.log")) {
      List<String> lines = lastLines(info.directory().resolve(log), CRASH_LOG_LINES);
      if (lines.isEmpty()) {
        continue;
      }
      out.println();
      out.printf("Last lines of %s ('xray logs %s%s' prints all):%n", log, info.spec().name(),
          log.equals("qemu.log") ? " --qemu" : "");
      lines.forEach(line -> out.println("  " + line));
    }
  }

  /** Returns the last {@code count} non-blank lines of {@code file}; none if it is unreadable. */
  static List<String> lastLines(Path file, int count) {
    try {
      // Decoded leniently: a guest's serial output need not be valid UTF-8.
      List<String> lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8)
          .lines().map(String::strip).filter(line -> !line.isEmpty()).toList();
      return lines.subList(Math.max(0, lines.size() - count), lines.size());
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String seedSummary(VmSpec vmSpec) {
    if (!vmSpec.hasSeed()) {
      return "none";
    }
    String source = vmSpec.userData().map(file -> "user-data " + file)
        .orElseGet(() -> "key " + vmSpec.sshKey().orElseThrow());
    String user = vmSpec.sshUser().map(name -> "user " + name + ", ").orElse("");
    return "cloud-init, " + user + source;
  }

  static ObjectNode toJson(VmInfo info) {
    ObjectNode node = Output.Json.MAPPER.createObjectNode();
    VmSpec vmSpec = info.spec();
    node.put("name", vmSpec.name());
    node.put("status", info.status().label());
    if (info.pid().isPresent()) {
      node.put("pid", info.pid().getAsLong());
    } else {
      node.putNull("pid");
    }
    node.put("base", vmSpec.base());
    node.put("memory_mib", vmSpec.memoryMiB());
    node.put("cpus", vmSpec.cpus());
    if (vmSpec.sshPort().isPresent()) {
      node.put("ssh_port", vmSpec.sshPort().getAsInt());
    } else {
      node.putNull("ssh_port");
    }
    ObjectNode forwards = node.putObject("port_forwards");
    vmSpec.portForwards().forEach((host, guest) -> forwards.put(Integer.toString(host), guest));
    node.put("arch", vmSpec.architecture().qemuName());
    node.put("accel", vmSpec.accelerator().qemuName());
    node.put("display", vmSpec.display().qemuName());
    node.put("directory", info.directory().toString());
    if (vmSpec.hasSeed()) {
      ObjectNode seed = node.putObject("seed");
      seed.put("user", vmSpec.sshUser().orElse(null));
      seed.put("ssh_key", vmSpec.sshKey().map(Object::toString).orElse(null));
      seed.put("user_data", vmSpec.userData().map(Object::toString).orElse(null));
    } else {
      node.putNull("seed");
    }
    ArrayNode chain = node.putArray("disk_chain");
    for (DiskImage image : info.diskChain()) {
      ObjectNode disk = chain.addObject();
      disk.put("path", image.path().toString());
      disk.put("format", image.format());
      disk.put("virtual_size", image.virtualSize());
      disk.put("actual_size", image.actualSize());
      disk.put("backing_file", image.backingFile().orElse(null));
      disk.put("backing_format", image.backingFormat().orElse(null));
    }
    node.set("snapshots", SnapshotCommand.toJson(info.snapshots()));
    return node;
  }

}
