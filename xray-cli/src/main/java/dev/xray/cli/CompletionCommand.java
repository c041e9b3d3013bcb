package dev.xray.cli;

import dev.xray.api.BaseImage;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.XrayException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray completion}: print a shell completion script. */
@Command(name = "completion", mixinStandardHelpOptions = true,
    description = {"Print the shell completion script for bash or zsh.",
        "It completes commands, options, and the names of VMs, bases and snapshots. Load it:",
        "  bash: source <(xray completion bash)",
        "  zsh:  source <(xray completion zsh)"})
final class CompletionCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "SHELL", description = "bash or zsh")
  String shell;

  @Override
  public Integer call() throws IOException {
    String bash = resource("completion.bash");
    PrintWriter out = spec.commandLine().getOut();
    switch (shell) {
      case "bash":
        out.print(bash);
        break;
      case "zsh":
        // zsh runs bash completion functions through its bashcompinit layer.
        out.println("# zsh completion for xray; load it with: source <(xray completion zsh)");
        out.println("autoload -U +X bashcompinit && bashcompinit");
        out.print(bash);
        break;
      default:
        throw new ErrorHandler.UsageException("invalid shell '" + shell + "'; expected bash or "
            + "zsh");
    }
    out.flush();
    return 0;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = CompletionCommand.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the completion script " + name + " is missing from "
            + "the xray-cli jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** {@code xray __complete}: names for the completion script, one a line; hidden. */
  @Command(name = "__complete", hidden = true)
  static final class Names implements Callable<Integer> {
    @ParentCommand
    XrayCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "vms, bases or snapshots")
    String kind;

    @Parameters(index = "1", arity = "0..1", description = "the VM, for snapshots")
    String vm;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try {
        switch (kind) {
          case "vms":
            parent.xray().vms().list().stream().map(Vm::name).forEach(out::println);
            break;
          case "bases":
            parent.xray().bases().list().stream().map(BaseImage::name).forEach(out::println);
            break;
          case "snapshots":
            List<SnapshotInfo> snapshots = parent.xray().vms().get(vm).snapshots().list();
            snapshots.stream().map(SnapshotInfo::tag).forEach(out::println);
            break;
          default:
            return ErrorHandler.USAGE;
        }
      } catch (XrayException | IllegalArgumentException e) {
        // Completion prints nothing rather than an error in the middle of a command line.
        return ErrorHandler.FAILURE;
      }
      return 0;
    }
  }
}
