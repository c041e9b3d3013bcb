package dev.xray.qmp;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.ConnectionResetSocketException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link QmpTransport} over a unix domain socket, using junixsocket. */
final class UnixSocketTransport implements QmpTransport {

  private static final Logger LOG = LoggerFactory.getLogger(UnixSocketTransport.class);
  /** How long to wait before connecting again to a socket whose backlog is full, in ms. */
  private static final long BACKLOG_RETRY_MILLIS = 20;

  private final Socket socket;
  private final Path path;
  private final OutputStream output;

  private UnixSocketTransport(Socket socket, Path path) throws IOException {
    this.socket = socket;
    this.path = path;
    this.output = socket.getOutputStream();
  }

  /**
   * Connects to the unix socket at {@code path}, waiting at most {@code timeout} while its
   * listener's backlog is full.
   *
   * <p>A unix socket connect does not wait for the listener to accept: it succeeds while the
   * backlog has room, and blocks, or fails with EAGAIN when non-blocking, once it is full. The
   * backlog fills when the listener stops accepting, as a QEMU stopped with SIGSTOP or with a
   * hung main loop does: each earlier client that gave up stays queued. junixsocket 2.10 does
   * not apply a timeout to a blocking connect, so this one is non-blocking and retried until the
   * deadline.
   *
   * @throws QmpTimeoutException if the backlog stayed full for {@code timeout}
   * @throws QmpConnectException if the path is not a valid socket address, does not exist, or
   *     nothing listens on it
   */
  static UnixSocketTransport connect(Path path, Duration timeout) throws QmpException {
    AFUNIXSocketAddress address = address(path);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      AFUNIXSocketChannel channel = null;
      try {
        channel = AFUNIXSocketChannel.open();
        channel.configureBlocking(false);
        if (channel.connect(address)) {
          channel.configureBlocking(true);
          return new UnixSocketTransport(channel.socket(), path);
        }
      } catch (IOException e) {
        closeQuietly(channel);
        throw new QmpConnectException(path, connectFailureMessage(path, e), e);
      }
      // connect returned false: EAGAIN, the backlog is full. junixsocket then calls the
      // channel pending, but on a unix socket nothing completes it, so it is dropped.
      closeQuietly(channel);
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new QmpTimeoutException("QMP socket " + path + " accepted no connection within "
            + Math.max(1, timeout.toMillis()) + " ms: its backlog is full, so the process that "
            + "listens on it has stopped accepting", "connection", timeout);
      }
      try {
        Thread.sleep(Math.max(1, Math.min(BACKLOG_RETRY_MILLIS, left / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QmpInterruptedException("interrupted while connecting to " + path, e);
      }
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

  private static void closeQuietly(Closeable socket) {
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
