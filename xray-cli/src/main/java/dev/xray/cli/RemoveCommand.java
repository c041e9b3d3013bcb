package dev.xray.cli;

import dev.xray.api.Vm;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray remove}: delete a VM and its overlay. */
@Command(name = "remove", mixinStandardHelpOptions = true,
    description = "Remove a VM: its overlay, snapshots and configuration. Asks first.")
final class RemoveCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "the VM to remove")
  String name;

  @Option(names = "--force", description = "do not ask, and kill the VM first if it runs")
  boolean force;

  @Override
  public Integer call() {
    Vm vm = parent.xray().vms().get(name);
    PrintWriter out = spec.commandLine().getOut();
    if (!force) {
      if (vm.status().isAlive()) {
        throw new IllegalStateException("VM '" + name + "' is running; stop it with 'xray stop "
            + name + "', or remove it with 'xray remove " + name + " --force'");
      }
      if (!Terminal.isInteractive()) {
        throw new ErrorHandler.UsageException("removing VM '" + name + "' needs confirmation, "
            + "and stdin is not a terminal; use --force");
      }
      int snapshots = vm.snapshots().list().size();
      if (!Terminal.confirm(out, "Remove VM " + name + " with its disk and " + snapshots
          + " snapshot" + (snapshots == 1 ? "" : "s") + "?")) {
        out.println("Kept VM " + name);
        return ErrorHandler.FAILURE;
      }
    } else {
      vm.kill();
    }
    vm.remove();
    out.printf("Removed VM %s%n", name);
    return 0;
  }
}
