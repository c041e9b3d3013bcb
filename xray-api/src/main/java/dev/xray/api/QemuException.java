package dev.xray.api;

import java.util.List;

/**
 * Raised when QEMU fails: it exits during start-up, its monitor returns an error, or a snapshot job
 * fails. The message contains QEMU's own error text where there is one.
 */
public class QemuException extends XrayException {
  private final List<String> logTail;

  public QemuException(String message, List<String> logTail, Throwable cause) {
    super(message, cause);
    this.logTail = List.copyOf(logTail);
  }

  public QemuException(String message, Throwable cause) {
    this(message, List.of(), cause);
  }

  public QemuException(String message) {
    this(message, List.of(), null);
  }

  /** The last lines of QEMU's stderr or log file, oldest first; empty when there were none. */
  public List<String> logTail() {
    return logTail;
  }
}
