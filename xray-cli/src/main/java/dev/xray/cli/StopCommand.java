package dev.xray.cli;

import dev.xray.api.Vm;
import dev.xray.api.VmStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray stop}: press the ACPI power button, or kill with --force. */
@Command(name = "stop", mixinStandardHelpOptions = true,
    description = "Stop a VM: press its ACPI power button and wait for the guest to power off.")
final class StopCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "the VM to stop")
  String name;

  @Option(names = "--force", description = "kill QEMU at once instead of asking the guest")
  boolean force;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
      description = "how long to wait for the guest to power off, in seconds "
          + "(default: ${DEFAULT-VALUE})")
  long timeoutSeconds;

  @Override
  public Integer call() {
    if (timeoutSeconds < 1) {
      throw new IllegalArgumentException("--timeout must be at least 1 second: "
          + timeoutSeconds);
    }
    Vm vm = parent.xray().vms().get(name);
    PrintWriter out = spec.commandLine().getOut();
    VmStatus status = vm.status();
    if (!status.isAlive()) {
      vm.kill();
      out.printf("VM %s is not running (%s)%n", name, status.label());
      return 0;
    }
    long startNanos = System.nanoTime();
    if (force) {
      vm.kill();
      out.printf("Killed VM %s%n", name);
    } else {
      vm.stop(Duration.ofSeconds(timeoutSeconds));
      out.printf("Stopped VM %s in %s%n", name, Output.seconds(System.nanoTime() - startNanos));
    }
    return 0;
  }
}
