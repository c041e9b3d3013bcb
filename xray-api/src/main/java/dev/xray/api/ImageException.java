package dev.xray.api;

import java.util.List;

/**
 * Raised when a disk image is unusable (missing, not qcow2, corrupt) or when {@code qemu-img}
 * fails. For a failed {@code qemu-img} run it carries the command line, exit code and the end of
 * its stderr.
 */
public class ImageException extends XrayException {
  /** The command line that failed; empty when no command was run. */
  private final List<String> command;
  /** The command's exit code, or -1 when no command was run. */
  private final int exitCode;
  /** The end of the command's stderr. */
  private final String stderr;

  /**
   * Creates the exception for a failed {@code qemu-img} run.
   *
   * @param message what failed, on which image
   * @param command the command line that failed
   * @param exitCode the command's exit code
   * @param stderr the end of the command's stderr
   */
  public ImageException(String message, List<String> command, int exitCode, String stderr) {
    super(message);
    this.command = List.copyOf(command);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  /**
   * Creates the exception for an unusable image, when no command was run.
   *
   * @param message which image is unusable, and why
   */
  public ImageException(String message) {
    this(message, List.of(), -1, "");
  }

  /**
   * Returns the {@code qemu-img} command line that failed.
   *
   * @return the program and its arguments; empty when no command was run
   */
  public List<String> command() {
    return command;
  }

  /**
   * Returns the exit code of the failed command.
   *
   * @return the exit code, or -1 when no command was run
   */
  public int exitCode() {
    return exitCode;
  }

  /**
   * Returns the end of the failed command's stderr.
   *
   * @return at most a few kilobytes of text; empty when there was none
   */
  public String stderr() {
    return stderr;
  }
}
