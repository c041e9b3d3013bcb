package dev.xray.api;

/** Raised when something xray waits for (a guest power-off, a serial line, a lock) times out. */
public class XrayTimeoutException extends XrayException {
  /**
   * Creates the exception.
   *
   * @param message what was awaited, for how long
   */
  public XrayTimeoutException(String message) {
    super(message);
  }

  /**
   * Creates the exception with the exception that caused it.
   *
   * @param message what was awaited, for how long
   * @param cause the underlying exception
   */
  public XrayTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
