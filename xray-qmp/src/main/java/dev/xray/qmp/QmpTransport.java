package dev.xray.qmp;

import java.io.IOException;
import java.io.InputStream;

/**
 * A byte stream to a QMP server. The session reads from it on one thread and writes whole
 * messages under its own lock, so implementations need no locking of their own.
 */
interface QmpTransport {

  /** Returns the stream of bytes from the server. */
  InputStream input() throws IOException;

  /** Writes one complete message and flushes it. */
  void write(byte[] message) throws IOException;

  /** Closes the connection, which also ends a blocked read. Idempotent and never throws. */
  void close();

  /** Returns where the transport is connected to, for messages, such as the socket path. */
  String describe();

  /**
   * Thrown by a read when the server reset the connection, which the session treats like the
   * end of the stream: QEMU that exits with unread input on its socket resets the connection.
   */
  final class PeerResetException extends IOException {

    PeerResetException(IOException cause) {
      super("connection reset by the server", cause);
    }
  }
}
