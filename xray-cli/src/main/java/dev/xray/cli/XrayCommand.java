package dev.xray.cli;

import dev.xray.api.Xray;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
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
    footer = {"", "Run 'xray demo' to see the whole workflow on a tiny test guest."})
final class XrayCommand implements java.util.concurrent.Callable<Integer> {
  /**
   * The subcommands by name, in the order of the usage help. They are not in the
   * {@code @Command} annotation because picocli builds the model of every listed command by
   * reflection before it parses anything, which costs more than a short command's own work. So
   * {@link Main} adds only the requested command. Each key is its class's {@code @Command} name.
   */
  static final Map<String, Class<?>> SUBCOMMANDS = subcommands(
      BaseCommand.class, "base",
      CreateCommand.class, "create",
      StartCommand.class, "start",
      StopCommand.class, "stop",
      ListCommand.class, "list",
      InfoCommand.class, "info",
      SnapshotCommand.class, "snapshot",
      RemoveCommand.class, "remove",
      ConsoleCommand.class, "console",
      LogsCommand.class, "logs",
      SshCommand.class, "ssh",
      CompletionCommand.class, "completion",
      CompletionCommand.Names.class, "__complete",
      TrainCommand.class, "__train",
      DemoCommand.class, "demo");

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

  private static Map<String, Class<?>> subcommands(Object... classesAndNames) {
    Map<String, Class<?>> byName = new LinkedHashMap<>();
    for (int i = 0; i < classesAndNames.length; i += 2) {
      byName.put((String) classesAndNames[i + 1], (Class<?>) classesAndNames[i]);
    }
    return Collections.unmodifiableMap(byName);
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
