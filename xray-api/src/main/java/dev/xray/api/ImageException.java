package dev.xray.api;

import java.util.List;

/**
 * Raised when a disk image is unusable (missing, not qcow2, corrupt) or when {@code qemu-img}
 * fails. For a failed {@code qemu-img} run it carries the command line, exit code and the end of
 * its stderr.
 */
public class ImageException extends XrayException {
  private final List<String> command;
  private final int exitCode;
  private final String stderr;

  public ImageException(String message, List<String> command, int exitCode, String stderr) {
    super(message);
    this.command = List.copyOf(command);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }

  public ImageException(String message) {
    this(message, List.of(), -1, "");
  }

  /** The {@code qemu-img} command line that failed; empty when no command was run. */
  public List<String> command() {
    return command;
  }

  /** The exit code of the failed command, or -1 when no command was run. */
  public int exitCode() {
    return exitCode;
  }

  /** The end of the failed command's stderr, at most a few kilobytes; empty when none. */
  public String stderr() {
    return stderr;
  }
}
