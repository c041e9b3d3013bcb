package dev.xray.qmp;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.ConnectionResetSocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link QmpTransport} over a unix domain socket, using junixsocket. */
final class UnixSocketTransport implements QmpTransport {

  private static final Logger LOG = LoggerFactory.getLogger(UnixSocketTransport.class);

  private final AFUNIXSocket socket;
  private final Path path;
  private final OutputStream output;

  private UnixSocketTransport(AFUNIXSocket socket, Path path) throws IOException {
    this.socket = socket;
    this.path = path;
    this.output = socket.getOutputStream();
  }

  /**
   * Connects to the unix socket at {@code path}.
   *
   * @throws QmpConnectException if the path is not a valid socket address, does not exist, or
   *     nothing accepts connections on it
   */
  static UnixSocketTransport connect(Path path, Duration timeout) throws QmpConnectException {
    AFUNIXSocketAddress address = address(path);
    AFUNIXSocket socket = null;
    try {
      socket = AFUNIXSocket.newInstance();
      socket.connect(address, timeoutMillis(timeout));
      return new UnixSocketTransport(socket, path);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new QmpConnectException(path, connectFailureMessage(path, e), e);
    }
  }

  @Override
  public InputStream input() throws IOException {
    return new ResetAsEndOfStream(socket.getInputStream());
  }

  @Override
  public void write(byte[] message) throws IOException {
    output.write(message);
    output.flush();
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }

  @Override
  public String describe() {
    return path.toString();
  }

  private static AFUNIXSocketAddress address(Path path) throws QmpConnectException {
    try {
      return AFUNIXSocketAddress.of(path);
    } catch (SocketException e) {
      // Linux limits a socket path to 107 bytes and macOS to 103.
      throw new QmpConnectException(
          path,
          "invalid unix socket path " + path + " (" + e.getMessage()
              + "); use a shorter path, such as one under /tmp",
          e);
    }
  }

  private static String connectFailureMessage(Path path, IOException e) {
    if (!Files.exists(path)) {
      return "QMP socket "
          + path
          + " does not exist; check that QEMU is running with -qmp unix:"
          + path
          + ",server=on,wait=off";
    }
    return "cannot connect to QMP socket " + path + ": " + e.getMessage();
  }

  private static int timeoutMillis(Duration timeout) {
    long millis = Math.max(1, timeout.toMillis());
    return (int) Math.min(Integer.MAX_VALUE, millis);
  }

  /** Turns junixsocket's reset exception into {@link QmpTransport.PeerResetException}. */
  private static final class ResetAsEndOfStream extends FilterInputStream {

    ResetAsEndOfStream(InputStream input) {
      super(input);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (ConnectionResetSocketException e) {
        throw new PeerResetException(e);
      }
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      try {
        return super.read(buffer, offset, length);
      } catch (ConnectionResetSocketException e) {
        throw new PeerResetException(e);
      }
    }
  }

  private static void closeQuietly(AFUNIXSocket socket) {
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("ignored an error while closing the socket", e);
    }
  }
}
