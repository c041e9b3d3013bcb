package dev.xray.cli;

import dev.xray.api.XrayException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns exceptions into one line on stderr and an exit code: 1 for a failed operation, 2 for a
 * usage error (bad option or argument). {@code --verbose} adds the stack trace.
 */
final class ErrorHandler implements IExecutionExceptionHandler {
  static final int FAILURE = 1;
  static final int USAGE = 2;

  private final boolean verbose;

  ErrorHandler(boolean verbose) {
    this.verbose = verbose;
  }

  @Override
  public int handleExecutionException(Exception e, CommandLine commandLine,
      ParseResult parseResult) {
    PrintWriter err = commandLine.getErr();
    if (verbose) {
      e.printStackTrace(err);
    }
    if (e instanceof UsageException || e instanceof IllegalArgumentException) {
      err.println("xray: " + e.getMessage());
      return USAGE;
    }
    if (e instanceof XrayException || e instanceof IllegalStateException) {
      err.println("xray: " + e.getMessage());
      return FAILURE;
    }
    err.println("xray: unexpected error: " + e + (verbose ? "" : " (run with --verbose for "
        + "the stack trace)"));
    return FAILURE;
  }

  static int handleParameterException(ParameterException e, String[] args) {
    CommandLine commandLine = e.getCommandLine();
    PrintWriter err = commandLine.getErr();
    err.println("xray: " + e.getMessage() + " (see '"
        + commandLine.getCommandSpec().qualifiedName() + " --help')");
    return USAGE;
  }

  /** A usage error found after parsing, such as a missing option that a prompt would give. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }
}
