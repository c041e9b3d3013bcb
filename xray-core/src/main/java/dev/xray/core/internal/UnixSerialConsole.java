package dev.xray.core.internal;

import dev.xray.api.SerialConsole;
import dev.xray.api.XrayException;
import dev.xray.api.XrayTimeoutException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A {@link SerialConsole} over the VM's {@code console.sock}. */
final class UnixSerialConsole implements SerialConsole {
  private static final int READ_SLICE_MILLIS = 100;
  private static final Pattern LINE_END = Pattern.compile("\n");

  private final String vmName;
  private final AFUNIXSocket socket;
  private final InputStream in;
  private final OutputStream out;
  private final StringBuilder buffer = new StringBuilder();

  private UnixSerialConsole(String vmName, AFUNIXSocket socket) throws IOException {
    this.vmName = vmName;
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  static UnixSerialConsole connect(Path path, String vmName) {
    try {
      AFUNIXSocket socket = AFUNIXSocket.newInstance();
      socket.connect(AFUNIXSocketAddress.of(path));
      return new UnixSerialConsole(vmName, socket);
    } catch (IOException e) {
      throw new XrayException("cannot connect to the serial console of VM '" + vmName + "' at "
          + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void send(String text) {
    try {
      out.write(text.getBytes(StandardCharsets.UTF_8));
      out.flush();
    } catch (IOException e) {
      throw new XrayException("cannot write to the serial console of VM '" + vmName + "': "
          + e.getMessage(), e);
    }
  }

  @Override
  public String readUntil(Pattern pattern, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    byte[] chunk = new byte[8192];
    try {
      while (true) {
        Matcher matcher = pattern.matcher(buffer);
        if (matcher.find()) {
          String upToMatch = buffer.substring(0, matcher.end());
          buffer.delete(0, matcher.end());
          return SerialLog.clean(upToMatch);
        }
        if (System.nanoTime() > deadline) {
          throw new XrayTimeoutException("the serial console of VM '" + vmName
              + "' printed nothing matching /" + pattern + "/ within " + timeout.toMillis()
              + " ms; it printed: " + tail(SerialLog.clean(buffer.toString())));
        }
        socket.setSoTimeout(READ_SLICE_MILLIS);
        try {
          int count = in.read(chunk);
          if (count < 0) {
            throw new XrayException("the serial console of VM '" + vmName + "' closed; the VM "
                + "has stopped");
          }
          buffer.append(new String(chunk, 0, count, StandardCharsets.UTF_8));
        } catch (SocketTimeoutException e) {
          // No output in this slice; check the deadline and read again.
        }
      }
    } catch (IOException e) {
      throw new XrayException("cannot read the serial console of VM '" + vmName + "': "
          + e.getMessage(), e);
    }
  }

  @Override
  public String readLine(Duration timeout) {
    String line = readUntil(LINE_END, timeout);
    return line.substring(0, line.length() - (line.endsWith("\r\n") ? 2 : 1))
        .replace("\r", "");
  }

  @Override
  public InputStream inputStream() {
    return in;
  }

  @Override
  public OutputStream outputStream() {
    return out;
  }

  private static String tail(String text) {
    String trimmed = text.strip();
    return trimmed.length() <= 600 ? "'" + trimmed + "'"
        : "'..." + trimmed.substring(trimmed.length() - 600) + "'";
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing a socket that the VM already closed fails harmlessly.
    }
  }
}
