package dev.xray.cli;

import dev.xray.api.Xray;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The top-level {@code xray} command. */
@Command(
    name = "xray",
    mixinStandardHelpOptions = true,
    versionProvider = XrayCommand.Version.class,
    description = {
        "Fast QEMU VM manager: qcow2 copy-on-write overlays on read-only base images, and",
        "snapshots of running VMs (with memory) and stopped ones (disk only).",
        "",
        "The home folder is $XRAY_HOME, or ~/.xray when it is unset."},
    subcommands = {
        BaseCommand.class,
        CreateCommand.class,
        StartCommand.class,
        StopCommand.class,
        ListCommand.class,
        InfoCommand.class,
        SnapshotCommand.class,
        RemoveCommand.class,
        ConsoleCommand.class,
        LogsCommand.class,
        SshCommand.class,
        CompletionCommand.class,
        CompletionCommand.Names.class,
        DemoCommand.class},
    footer = {"", "Run 'xray demo' to see the whole workflow on a tiny test guest."})
final class XrayCommand implements java.util.concurrent.Callable<Integer> {
  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
      description = "show log lines, QEMU command lines, QMP traffic and stack traces")
  boolean verbose;

  private Xray xray;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** Prints the usage to stderr and returns the usage-error code: a command is required. */
  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ErrorHandler.USAGE;
  }

  /** Opens the home folder on first use, so that --help and usage errors never touch it. */
  Xray xray() {
    if (xray == null) {
      xray = Xray.openDefault();
    }
    return xray;
  }

  /** Prints the xray version and the QEMU version found on this host. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"xray " + xrayVersion(), QemuVersion.describe()};
    }

    static String xrayVersion() {
      Properties properties = new Properties();
      try (InputStream in = XrayCommand.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          properties.load(in);
        }
      } catch (IOException e) {
        return "(unknown version)";
      }
      return properties.getProperty("version", "(unknown version)");
    }
  }
}
