package dev.xray.qmp;

import java.io.IOException;

/**
 * Root of the checked exceptions that the QMP client throws.
 *
 * <p>It extends {@link IOException} because every failure comes from talking to QEMU over a
 * socket, so callers that already handle I/O errors handle these too. Each subclass is named for
 * the condition and carries the data needed to act on it:
 *
 * <pre>
 * IOException
 *  └─ QmpException                      root: catch this to handle every QMP failure
 *      ├─ QmpConnectException            the socket cannot be opened or negotiation failed
 *      ├─ QmpProtocolException           the server broke the protocol: no or bad greeting,
 *      │                                 invalid JSON, a reply of the wrong shape
 *      ├─ QmpCommandException            the server replied to a command with an error
 *      │   └─ QmpJobException            a background job (snapshot-save, ...) ended in error
 *      ├─ QmpConnectionClosedException   the connection closed before the reply or event came
 *      ├─ QmpTimeoutException            a greeting, reply, job or event did not come in time
 *      └─ QmpInterruptedException        the waiting thread was interrupted
 * </pre>
 *
 * <p>All of them are thrown on the caller's thread, with the caller's stack trace, even when the
 * reader thread detected the failure.
 */
public class QmpException extends IOException {

  /**
   * Creates an exception with a message and no cause.
   *
   * @param message what failed, and where
   */
  public QmpException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what failed, and where
   * @param cause the underlying failure, or {@code null}
   */
  public QmpException(String message, Throwable cause) {
    super(message, cause);
  }
}
