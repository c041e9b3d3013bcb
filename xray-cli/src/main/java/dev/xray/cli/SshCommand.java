package dev.xray.cli;

import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        "ssh connects to the VM's forwarded port on 127.0.0.1, as the user and with the key of",
        "the VM's cloud-init seed. The guest's host key is recorded in the VM's own known_hosts",
        "on first use, never in ~/.ssh, because VMs made from one base may share that key."})
final class SshCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Parameters(index = "0", paramLabel = "NAME", description = "the VM")
  String name;

  @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "0..*",
      description = "a command to run in the guest instead of a login shell (after --)")
  List<String> command = new ArrayList<>();

  @Option(names = {"-l", "--user"}, paramLabel = "USER", description = "the user to log in as "
      + "(default: the seed's user, else ssh's own default, your local user name)")
  String user;

  @Option(names = {"-i", "--identity"}, paramLabel = "FILE",
      description = "the private key file to use (default: the seed's key without .pub)")
  String identity;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Vm vm = parent.xray().vms().get(name);
    VmSpec vmSpec = vm.spec();
    if (vmSpec.sshPort().isEmpty()) {
      throw new ErrorHandler.UsageException("VM '" + name + "' has no SSH forward; create it "
          + "with --ssh-port PORT or --ssh-key FILE.pub");
    }
    if (!vm.status().isAlive()) {
      throw new IllegalStateException("VM '" + name + "' is not running; start it with 'xray "
          + "start " + name + " --wait-ssh'");
    }
    String key = identity;
    if (key == null && vmSpec.sshIdentity().isPresent()) {
      Path privateKey = vmSpec.sshIdentity().get();
      if (!Files.isRegularFile(privateKey)) {
        throw new IllegalStateException("the private key " + privateKey + " of VM '" + name
            + "' is missing (its seed authorizes " + vmSpec.sshKey().get() + "); restore it, "
            + "or pass -i FILE");
      }
      key = privateKey.toString();
    }
    String login = user != null ? user : vmSpec.sshUser().orElse(null);
    List<String> args = sshCommand(name, vmSpec.sshPort().getAsInt(),
        vm.directory().resolve("known_hosts"), login, key, command);
    Process process;
    try {
      process = new ProcessBuilder(args).inheritIO().start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run ssh: " + e.getMessage() + "; install the "
          + "OpenSSH client (apt-get install openssh-client)", e);
    }
    return process.waitFor();
  }

  /**
   * Returns the ssh command line. Host keys go to {@code knownHosts} under the alias
   * {@code vmName}, so a new SSH port of the VM keeps its entry; {@code accept-new} records the
   * first key and rejects a changed one. With a key, IdentitiesOnly keeps ssh from offering the
   * agent's other keys first, which could exhaust the server's MaxAuthTries.
   */
  static List<String> sshCommand(String vmName, int port, Path knownHosts, String user,
      String identity, List<String> command) {
    List<String> args = new ArrayList<>(List.of("ssh", "-p", Integer.toString(port),
        "-o", "HostKeyAlias=" + vmName,
        "-o", "StrictHostKeyChecking=accept-new",
        // Quoted because ssh splits this option's value at spaces into several files.
        "-o", "UserKnownHostsFile=\"" + knownHosts + "\"",
        "-o", "GlobalKnownHostsFile=/dev/null",
        // Debian's ssh_config hashes host names, which would hide the VM's name in its own file.
        "-o", "HashKnownHosts=no",
        "-o", "LogLevel=ERROR"));
    if (user != null) {
      args.addAll(List.of("-l", user));
    }
    if (identity != null) {
      args.addAll(List.of("-i", identity, "-o", "IdentitiesOnly=yes"));
    }
    args.add("127.0.0.1");
    args.addAll(command);
    return args;
  }
}
