package dev.xray.qmp;

import java.nio.file.Path;

/**
 * Thrown when a connection to a QMP socket cannot be established: the socket file is missing,
 * nothing listens on it, the path is too long for a unix socket, or capability negotiation was
 * rejected. The message names the socket path, and the cause (when there is one) is the
 * underlying error.
 *
 * <p>A server that accepts the connection but never sends its greeting causes a {@link
 * QmpTimeoutException} instead, and a greeting that is not valid QMP causes a {@link
 * QmpProtocolException}.
 */
public class QmpConnectException extends QmpException {

  private final transient Path socket;

  /**
   * Creates an exception for a socket that could not be connected to.
   *
   * @param socket the unix socket path the client tried
   * @param message what failed; should name the path
   * @param cause the underlying error, or {@code null}
   */
  public QmpConnectException(Path socket, String message, Throwable cause) {
    super(message, cause);
    this.socket = socket;
  }

  /**
   * Returns the unix socket path the client tried to connect to.
   *
   * @return the socket path
   */
  public Path socket() {
    return socket;
  }
}
