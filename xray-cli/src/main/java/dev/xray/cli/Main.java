package dev.xray.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;

/** The {@code xray} command's entry point. */
public final class Main {
  private Main() {}

  /**
   * Runs one xray command and exits the JVM with its exit code.
   *
   * @param args the command line, for example {@code list --json}
   */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * Runs one xray command with the process's standard streams and returns its exit code: 0 for
   * success, 1 for a failure, 2 for a usage error.
   *
   * @param args the command line, for example {@code list --json}
   * @return the exit code
   */
  public static int run(String... args) {
    boolean verbose = Arrays.stream(args).anyMatch(arg -> arg.equals("--verbose")
        || arg.equals("-v"));
    configureLogging(verbose);
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    CommandLine commandLine = newCommandLine(out, err, verbose, subcommandName(args));
    return commandLine.execute(args);
  }

  /** Builds the whole command tree writing to {@code out} and {@code err}. */
  static CommandLine newCommandLine(PrintWriter out, PrintWriter err, boolean verbose) {
    return newCommandLine(out, err, verbose, null);
  }

  /**
   * Builds the command tree with only the subcommand {@code name} when that names one, or with
   * every subcommand otherwise, so that the usage help and the "unknown command" suggestions
   * still see them all.
   */
  static CommandLine newCommandLine(PrintWriter out, PrintWriter err, boolean verbose,
      String name) {
    CommandLine commandLine = new CommandLine(new XrayCommand());
    Class<?> only = name == null ? null : XrayCommand.SUBCOMMANDS.get(name);
    if (only != null) {
      commandLine.addSubcommand(name, only);
    } else {
      XrayCommand.SUBCOMMANDS.forEach(commandLine::addSubcommand);
    }
    // These settings reach only the subcommands that exist when they are made.
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setCaseInsensitiveEnumValuesAllowed(true);
    commandLine.setExecutionExceptionHandler(new ErrorHandler(verbose));
    commandLine.setParameterExceptionHandler(ErrorHandler::handleParameterException);
    return commandLine;
  }

  /**
   * Returns the first argument that is not an option, or null. The top-level command's options
   * take no values, so that argument is the subcommand's name.
   */
  static String subcommandName(String... args) {
    for (String arg : args) {
      if (arg.equals("--")) {
        return null;
      }
      if (!arg.startsWith("-")) {
        return arg;
      }
    }
    return null;
  }

  /**
   * Sets up slf4j-simple before the first logger exists: warnings only, as one line on stderr,
   * or everything down to DEBUG, including the QMP wire log, with {@code --verbose}.
   */
  static void configureLogging(boolean verbose) {
    setDefault("org.slf4j.simpleLogger.logFile", "System.err");
    setDefault("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "warn");
    setDefault("org.slf4j.simpleLogger.showThreadName", "false");
    setDefault("org.slf4j.simpleLogger.showShortLogName", verbose ? "true" : "false");
    setDefault("org.slf4j.simpleLogger.showLogName", "false");
    setDefault("org.slf4j.simpleLogger.showDateTime", verbose ? "true" : "false");
    if (verbose) {
      // slf4j-simple builds a SimpleDateFormat whenever a format is set, shown or not, and
      // that loads the locale data, about 30 ms in a class-load trace on a 2-core machine.
      setDefault("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
