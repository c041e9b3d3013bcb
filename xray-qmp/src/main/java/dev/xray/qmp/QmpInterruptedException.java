package dev.xray.qmp;

/**
 * Thrown when a thread is interrupted while it waits for a reply, an event or the greeting.
 *
 * <p>The thread's interrupt status is set again before this is thrown. The connection stays
 * open, and a reply that arrives later for the abandoned call is dropped.
 */
public class QmpInterruptedException extends QmpException {

  /**
   * Creates an exception.
   *
   * @param message what the thread was waiting for
   * @param cause the {@link InterruptedException} that was caught
   */
  public QmpInterruptedException(String message, InterruptedException cause) {
    super(message, cause);
  }
}
