package dev.xray.api;

import java.util.List;

/**
 * Raised when QEMU fails: it exits during start-up, its monitor returns an error, or a snapshot job
 * fails. The message contains QEMU's own error text where there is one.
 */
public class QemuException extends XrayException {
  /** The last lines of QEMU's stderr or log file, oldest first. */
  private final List<String> logTail;

  /**
   * Creates the exception with the end of QEMU's log.
   *
   * @param message what failed, with QEMU's own error text where there is one
   * @param logTail the last lines of QEMU's stderr or log file, oldest first
   * @param cause the underlying exception, or null
   */
  public QemuException(String message, List<String> logTail, Throwable cause) {
    super(message, cause);
    this.logTail = List.copyOf(logTail);
  }

  /**
   * Creates the exception without log lines.
   *
   * @param message what failed, with QEMU's own error text where there is one
   * @param cause the underlying exception, or null
   */
  public QemuException(String message, Throwable cause) {
    this(message, List.of(), cause);
  }

  /**
   * Creates the exception without log lines or cause.
   *
   * @param message what failed, with QEMU's own error text where there is one
   */
  public QemuException(String message) {
    this(message, List.of(), null);
  }

  /**
   * Returns the last lines of QEMU's stderr or log file.
   *
   * @return the lines, oldest first; empty when there were none
   */
  public List<String> logTail() {
    return logTail;
  }
}
