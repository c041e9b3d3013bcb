package dev.xray.cli;

import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import dev.xray.api.SerialConsole;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.Xray;
import dev.xray.api.XrayException;
import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code xray demo}: the whole workflow on the tiny test guest, in a temporary home folder that
 * is deleted at the end, so it never touches the user's VMs.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {"Run the whole workflow on a tiny test guest, in a temporary home.",
        "The guest is built from Debian packages. The steps: import, create, start, live",
        "snapshot, change the guest, revert, ACPI stop, remove.",
        "Everything happens in a temporary home folder that is deleted at the end."})
final class DemoCommand implements Callable<Integer> {
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
  private static final String VM = "demo";
  private static final String BASE = "tiny";

  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Option(names = "--keep", description = "keep the temporary home folder and print its path")
  boolean keep;

  private PrintWriter out;

  @Override
  public Integer call() throws IOException {
    out = spec.commandLine().getOut();
    Path image = step("Build or reuse the tiny test guest", this::buildGuest);
    out.printf("      image: %s%n", image);
    Path home = Files.createTempDirectory("xray-demo-");
    Xray xray = Xray.open(home);
    out.printf("      home:  %s%n", home);
    Vm vm = null;
    try {
      step("Import it as base '" + BASE + "'",
          () -> xray.bases().importImage(image, BASE, false));
      vm = step("Create VM '" + VM + "' (copy-on-write overlay)",
          () -> xray.vms().create(VmSpec.builder(VM).base(BASE).memory(TinyGuest.MEMORY_MIB)
              .cpus(1).build()));
      runWorkflow(vm);
      Vm stopped = vm;
      step("Remove VM '" + VM + "' and base '" + BASE + "'", () -> {
        stopped.remove();
        xray.bases().remove(BASE);
        return null;
      });
      vm = null;
      out.println("Demo finished: every step worked.");
      return 0;
    } finally {
      if (vm != null) {
        vm.kill();
      }
      if (keep) {
        out.printf("Kept the demo home folder: XRAY_HOME=%s%n", home);
      } else {
        deleteTree(home);
      }
    }
  }

  private void runWorkflow(Vm vm) {
    step("Start it (QEMU in the background)", () -> {
      vm.start();
      return null;
    });
    step("Wait for the guest's ready line", () -> vm.awaitSerialLine(
        Pattern.compile(Pattern.quote(TinyGuest.READY_LINE)), BOOT_TIMEOUT));
    try (SerialConsole console = vm.openConsole()) {
      step("Write 'before' to /tmp/marker in the guest",
          () -> TinyGuest.runCommand(console, "echo before > /tmp/marker", COMMAND_TIMEOUT));
      SnapshotInfo snapshot = step("Take live snapshot 'ready' (with memory)",
          () -> vm.snapshots().create("ready"));
      out.printf("      RAM state: %s%n", Output.bytes(snapshot.vmStateSize()));
      String changed = step("Change the guest: write 'after' to /tmp/marker",
          () -> TinyGuest.runCommand(console, "echo after > /tmp/marker; cat /tmp/marker",
              COMMAND_TIMEOUT));
      out.printf("      /tmp/marker: %s%n", changed.strip());
      step("Revert to snapshot 'ready'", () -> {
        vm.snapshots().revert("ready");
        return null;
      });
      String restored = step("Read /tmp/marker again",
          () -> TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND_TIMEOUT));
      out.printf("      /tmp/marker: %s%s%n", restored.strip(), restored.strip().equals("before")
          ? " (the change is undone)" : " (UNEXPECTED: the revert did not restore memory)");
      if (!restored.strip().equals("before")) {
        throw new XrayException("the revert did not restore the guest's memory: /tmp/marker "
            + "reads '" + restored.strip() + "'");
      }
    }
    step("Stop it through the ACPI power button", () -> {
      vm.stop(Duration.ofSeconds(30));
      return null;
    });
  }

  private Path buildGuest() {
    try {
      return TinyGuest.build(Architecture.host());
    } catch (HostException e) {
      throw new HostException(e.getMessage() + "\nThe demo needs a Debian or Ubuntu host with: "
          + "apt-get install qemu-system-x86 qemu-utils ovmf mtools dosfstools fdisk cpio "
          + "binutils. Elsewhere, import a cloud image instead: xray base import FILE --name "
          + "NAME", e);
    }
  }

  private <T> T step(String title, Supplier<T> action) {
    out.printf("  ... %s%n", title);
    out.flush();
    long startNanos = System.nanoTime();
    T result = action.get();
    out.printf("  ok  %s (%s)%n", title, Output.seconds(System.nanoTime() - startNanos));
    return result;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
