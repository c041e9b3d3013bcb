package dev.xray.qmp;

/**
 * The reason a connection closed. The first reason recorded wins, and it decides which exception
 * the calls and event streams still waiting receive.
 */
final class CloseReason {

  /** The kinds of close, each mapped to one exception type. */
  enum Kind {
    /** {@link QmpClient#close()} was called, or {@code quit} was acknowledged. */
    CALLER,
    /** The server closed its end of the socket. */
    PEER,
    /** Reading from or writing to the socket failed. */
    IO_FAILED,
    /** The server sent bytes that are not valid JSON, or a greeting that is not QMP. */
    PROTOCOL
  }

  private final Kind kind;
  private final String socket;
  private final String detail;
  private final Throwable cause;

  private CloseReason(Kind kind, String socket, String detail, Throwable cause) {
    this.kind = kind;
    this.socket = socket;
    this.detail = detail;
    this.cause = cause;
  }

  static CloseReason caller(String socket) {
    return new CloseReason(Kind.CALLER, socket, null, null);
  }

  static CloseReason peer(String socket, String detail) {
    return new CloseReason(Kind.PEER, socket, detail, null);
  }

  static CloseReason ioFailed(String socket, String operation, Throwable cause) {
    return new CloseReason(Kind.IO_FAILED, socket, operation + " failed: " + cause, cause);
  }

  /**
   * Records a protocol violation.
   *
   * @param detail a clause naming the violation, such as "the server sent invalid JSON: ..."
   */
  static CloseReason protocol(String socket, String detail, Throwable cause) {
    return new CloseReason(Kind.PROTOCOL, socket, detail, cause);
  }

  Kind kind() {
    return kind;
  }

  Throwable cause() {
    return cause;
  }

  /** Returns a short clause for log lines and messages, such as "closed by the server". */
  String summary() {
    switch (kind) {
      case CALLER:
        return "closed by the caller";
      case PEER:
        return detail == null ? "closed by the server" : "closed by the server " + detail;
      default:
        return "closed because " + detail;
    }
  }

  /**
   * Builds the exception for a call or stream that was waiting when the connection closed.
   *
   * @param awaited what was awaited, such as "the reply to 'query-status' (id xray-3)"
   * @param pendingCommand the command that was sent, or {@code null} for event streams
   */
  QmpException failure(String awaited, String pendingCommand) {
    String message =
        "connection to " + socket + " was " + summary() + " while waiting for " + awaited;
    if (kind == Kind.PROTOCOL) {
      return new QmpProtocolException(message, cause);
    }
    return new QmpConnectionClosedException(message, pendingCommand, cause);
  }

  /** Builds the exception for a call made after the connection closed. */
  QmpConnectionClosedException notOpen(String command) {
    return new QmpConnectionClosedException(
        "cannot send '" + command + "': the connection to " + socket + " was " + summary(),
        null,
        cause);
  }
}
