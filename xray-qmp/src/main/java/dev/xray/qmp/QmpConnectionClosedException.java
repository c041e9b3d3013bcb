package dev.xray.qmp;

import java.util.Optional;

/**
 * Thrown when the connection is closed while a call waits for its reply or an event stream
 * waits for an event, and when a call is made on a client that is already closed.
 *
 * <p>The connection closes when the server closes its end (QEMU exits or drops the client), when
 * reading from or writing to the socket fails, or when {@link QmpClient#close()} is called. The
 * message names which of these happened and which command was waiting.
 */
public class QmpConnectionClosedException extends QmpException {

  /** The command that was waiting for its reply, or null when none was. */
  private final String pendingCommand;

  /**
   * Creates an exception.
   *
   * @param message why the connection closed and what was waiting
   * @param pendingCommand the command whose reply was awaited, or {@code null} when none was
   *     sent (a call on a closed client, or an event stream)
   * @param cause the read error that closed the connection, or {@code null}
   */
  public QmpConnectionClosedException(String message, String pendingCommand, Throwable cause) {
    super(message, cause);
    this.pendingCommand = pendingCommand;
  }

  /**
   * Returns the command that had been sent and was waiting for its reply when the connection
   * closed.
   *
   * @return the command name, or empty when no command had been sent
   */
  public Optional<String> pendingCommand() {
    return Optional.ofNullable(pendingCommand);
  }
}
