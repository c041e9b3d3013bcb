package dev.xray.core.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Checks that an SSH server responds on a port of 127.0.0.1. RFC 4253 section 4.2: the server sends
 * its version line, starting with {@code SSH-}, and may send other lines before it; a line is at
 * most 255 bytes.
 */
final class SshBanner {
  private static final int CONNECT_MILLIS = 1000;
  /** How long to wait for the version line: a guest under TCG may be slow to fork sshd. */
  private static final int READ_MILLIS = 3000;
  /** How many bytes of other lines to read before giving up. */
  private static final int MAX_BYTES = 8 * 1024;

  private SshBanner() {}

  /** Returns whether a connection to {@code port} receives an {@code SSH-} version line. */
  static boolean answers(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), CONNECT_MILLIS);
      socket.setSoTimeout(READ_MILLIS);
      InputStream in = socket.getInputStream();
      StringBuilder lineStart = new StringBuilder();
      for (int count = 0; count < MAX_BYTES; count++) {
        int b = in.read();
        if (b < 0) {
          return false;
        }
        if (b == '\n') {
          lineStart.setLength(0);
        } else if (lineStart.length() < 4) {
          lineStart.append((char) b);
          if (lineStart.toString().equals("SSH-")) {
            return true;
          }
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }
}
