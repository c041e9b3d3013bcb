package dev.xray.api;

/** Raised when something xray waits for (a guest power-off, a serial line, a lock) times out. */
public class XrayTimeoutException extends XrayException {
  public XrayTimeoutException(String message) {
    super(message);
  }

  public XrayTimeoutException(String message, Throwable cause) {
    super(message, cause);
  }
}
