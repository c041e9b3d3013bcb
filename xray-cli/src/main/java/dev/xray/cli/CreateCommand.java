package dev.xray.cli;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.BaseImage;
import dev.xray.api.Display;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray create}: a new VM as a copy-on-write overlay on a base image. */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = "Create a VM as a copy-on-write overlay on a base image (no data is copied).")
final class CreateCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "name of the new VM")
  String name;

  @Option(names = "--base", paramLabel = "BASE", description = "base image to build on; without"
      + " it, a terminal shows a numbered list to pick from")
  String base;

  @Option(names = "--memory", paramLabel = "MiB", description = "guest memory in MiB "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "" + VmSpec.DEFAULT_MEMORY_MIB)
  int memory;

  @Option(names = "--cpus", paramLabel = "N", description = "number of vCPUs "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "" + VmSpec.DEFAULT_CPUS)
  int cpus;

  @Option(names = "--ssh-port", paramLabel = "PORT", description = "host port on 127.0.0.1 "
      + "forwarded to the guest's port 22 (default: none)")
  Integer sshPort;

  @Option(names = "--display", paramLabel = "KIND", description = "none, sdl, gtk or cocoa "
      + "(default: none)", defaultValue = "none")
  String display;

  @Option(names = "--accel", paramLabel = "ACCEL", description = "auto, kvm, hvf or tcg "
      + "(default: auto, or $XRAY_ACCEL)", defaultValue = "auto")
  String accel;

  @Option(names = "--arch", paramLabel = "ARCH", description = "guest architecture: x86_64 or "
      + "aarch64 (default: the host's)")
  String arch;

  @Override
  public Integer call() {
    checkRange("--memory", memory, VmSpec.MIN_MEMORY_MIB, VmSpec.MAX_MEMORY_MIB,
        " MiB (UEFI firmware needs at least " + VmSpec.MIN_MEMORY_MIB + " MiB)");
    checkRange("--cpus", cpus, 1, VmSpec.MAX_CPUS, "");
    if (sshPort != null) {
      checkRange("--ssh-port", sshPort, 1, 65535, "");
    }
    VmSpec.Builder builder = VmSpec.builder(name)
        .memory(memory)
        .cpus(cpus)
        .display(Display.parse(display))
        .accelerator(Accelerator.parse(accel));
    if (sshPort != null) {
      builder.sshPort(sshPort);
    }
    if (arch != null) {
      builder.architecture(Architecture.parse(arch));
    }
    builder.base(base != null ? base : pickBase());
    VmSpec vmSpec = builder.build();
    Vm vm = parent.xray().vms().create(vmSpec);
    PrintWriter out = spec.commandLine().getOut();
    out.printf("Created VM %s on base %s (%d MiB, %d vCPU%s%s)%n", vm.name(), vmSpec.base(),
        vmSpec.memoryMiB(), vmSpec.cpus(), vmSpec.cpus() == 1 ? "" : "s",
        vmSpec.sshPort().isPresent() ? ", ssh on 127.0.0.1:" + vmSpec.sshPort().getAsInt() : "");
    return 0;
  }

  private static void checkRange(String option, int value, int min, int max, String unit) {
    if (value < min || value > max) {
      throw new ErrorHandler.UsageException(option + " must be from " + min + " to " + max + unit
          + ": " + value);
    }
  }

  private String pickBase() {
    List<BaseImage> bases = parent.xray().bases().list();
    if (bases.isEmpty()) {
      throw new ErrorHandler.UsageException("no base images to create VM '" + name + "' from; "
          + "import one first with 'xray base import FILE --name NAME'");
    }
    String names = bases.stream().map(BaseImage::name).collect(Collectors.joining(", "));
    if (!Terminal.isInteractive()) {
      throw new ErrorHandler.UsageException("--base is required when stdin is not a terminal;"
          + " the bases are: " + names);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("Base images:");
    for (int i = 0; i < bases.size(); i++) {
      out.printf("  %d) %s%n", i + 1, bases.get(i).name());
    }
    String answer = Terminal.ask(out, "Pick a base by number or name [1-" + bases.size()
        + "]: ");
    if (answer == null) {
      throw new ErrorHandler.UsageException("no base was picked (end of input); use --base ("
          + names + ")");
    }
    String choice = answer.strip();
    for (BaseImage base : bases) {
      if (base.name().equals(choice)) {
        return choice;
      }
    }
    try {
      int number = Integer.parseInt(choice);
      if (number >= 1 && number <= bases.size()) {
        return bases.get(number - 1).name();
      }
    } catch (NumberFormatException e) {
      // Neither a base name nor a number, which the error below reports.
    }
    throw new ErrorHandler.UsageException("invalid choice: '" + answer + "'; expected a number "
        + "from 1 to " + bases.size() + ", or use --base (" + names + ")");
  }
}
