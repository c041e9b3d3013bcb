package dev.xray.cli;

import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code xray ssh}: ssh to a VM through its forwarded port on 127.0.0.1. */
@Command(name = "ssh", mixinStandardHelpOptions = true,
    description = {"Open an SSH session to the VM, or run COMMAND in it.",
        "ssh connects to the VM's forwarded port on 127.0.0.1. The VM's host key is not checked",
        "and not written to known_hosts, because VMs made from one base may share that key."})
final class SshCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Parameters(index = "0", paramLabel = "NAME", description = "the VM")
  String name;

  @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*",
      description = "a command to run in the guest instead of a login shell (after --)")
  List<String> command = new ArrayList<>();

  @Option(names = {"-l", "--user"}, paramLabel = "USER", description = "the user to log in as "
      + "(default: ssh's own default, your local user name)")
  String user;

  @Option(names = {"-i", "--identity"}, paramLabel = "FILE",
      description = "the private key file to use")
  String identity;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Vm vm = parent.xray().vms().get(name);
    VmSpec vmSpec = vm.spec();
    if (vmSpec.sshPort().isEmpty()) {
      throw new ErrorHandler.UsageException("VM '" + name + "' has no SSH port; create it with "
          + "--ssh-port PORT");
    }
    if (!vm.status().isAlive()) {
      throw new IllegalStateException("VM '" + name + "' is not running; start it with 'xray "
          + "start " + name + "'");
    }
    List<String> args = sshCommand(vmSpec.sshPort().getAsInt(), user, identity, command);
    Process process = new ProcessBuilder(args).inheritIO().start();
    return process.waitFor();
  }

  static List<String> sshCommand(int port, String user, String identity, List<String> command) {
    List<String> args = new ArrayList<>(List.of("ssh", "-p", Integer.toString(port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR"));
    if (user != null) {
      args.addAll(List.of("-l", user));
    }
    if (identity != null) {
      args.addAll(List.of("-i", identity));
    }
    args.add("127.0.0.1");
    args.addAll(command);
    return args;
  }
}
