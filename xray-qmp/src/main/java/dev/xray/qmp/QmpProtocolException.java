package dev.xray.qmp;

/**
 * Thrown when the server does not follow the QMP protocol: no greeting before it closed the
 * connection, a greeting without the {@code QMP} member, bytes that are not valid JSON, or a
 * reply whose content does not have the documented shape.
 *
 * <p>Invalid JSON closes the connection, because the client can no longer find where the next
 * message starts. A reply of the wrong shape to a typed call (such as {@link
 * QmpClient#queryStatus()}) fails only that call.
 */
public class QmpProtocolException extends QmpException {

  /**
   * Creates an exception with a message and no cause.
   *
   * @param message what the server sent and what was expected
   */
  public QmpProtocolException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what the server sent and what was expected
   * @param cause the parser error, or {@code null}
   */
  public QmpProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
