package dev.xray.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The floor a QMP client is measured against: a blocking JDK socket, hand-written JSON, one
 * request at a time, and a reply found by reading lines until one contains {@code "return"}.
 */
final class BareQmp implements AutoCloseable {
  private static final byte[] QUERY_STATUS =
      "{\"execute\":\"query-status\"}\n".getBytes(StandardCharsets.UTF_8);

  private final SocketChannel channel;
  private final BufferedReader in;
  private final OutputStream out;

  BareQmp(Path socket) throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
        StandardCharsets.UTF_8));
    out = Channels.newOutputStream(channel);
    in.readLine();
    out.write("{\"execute\":\"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8));
    awaitReturn();
  }

  /** Sends query-status and waits for its reply; callers serialize their calls. */
  synchronized void queryStatus() throws IOException {
    out.write(QUERY_STATUS);
    awaitReturn();
  }

  private void awaitReturn() throws IOException {
    String line;
    while ((line = in.readLine()) != null) {
      if (line.contains("\"return\"")) {
        return;
      }
    }
    throw new IOException("QEMU closed the monitor");
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
