package dev.xray.qmp;

import java.time.Duration;

/**
 * Thrown when something the client waits for does not arrive in time: the greeting, a reply, an
 * event, or the end of a job. The message names what was awaited and for how long.
 *
 * <p>A timed-out call leaves the connection open and usable. If the reply arrives later, the
 * client drops it, so it never reaches another call.
 */
public class QmpTimeoutException extends QmpException {

  /** The awaited step, such as a command's reply or the greeting. */
  private final String awaited;
  /** The timeout that ran out. */
  private final Duration timeout;

  /**
   * Creates an exception.
   *
   * @param message the full message, naming what was awaited, the timeout and the socket
   * @param awaited a short description of what was awaited, such as "reply to 'query-status'"
   * @param timeout how long the client waited
   */
  public QmpTimeoutException(String message, String awaited, Duration timeout) {
    super(message);
    this.awaited = awaited;
    this.timeout = timeout;
  }

  /**
   * Returns a short description of what the client waited for.
   *
   * @return for example "QMP greeting" or "reply to 'query-status'"
   */
  public String awaited() {
    return awaited;
  }

  /**
   * Returns how long the client waited before giving up.
   *
   * @return the timeout that expired
   */
  public Duration timeout() {
    return timeout;
  }
}
