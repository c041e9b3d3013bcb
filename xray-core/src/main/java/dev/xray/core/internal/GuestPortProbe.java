package dev.xray.core.internal;

import dev.xray.qmp.QmpClient;
import dev.xray.qmp.QmpException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tells whether a guest port answers through a forward of QEMU's user network. That network
 * accepts every connection on the host side at once, and only then connects to the guest, so an
 * accepted connection proves nothing. The probe connects, then reads QEMU's connection table
 * ({@code info usernet}) until a connection to the guest port has reached a state that only an
 * answering guest leads to.
 */
final class GuestPortProbe {
  private static final int CONNECT_MILLIS = 1000;
  private static final long ESTABLISH_NANOS = 1_000_000_000L;
  /** TCP states that a connection reaches only after the guest accepted it. */
  private static final Set<String> ANSWERED_STATES = Set.of("ESTABLISHED", "CLOSE_WAIT",
      "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING", "LAST_ACK", "TIME_WAIT");

  private GuestPortProbe() {}

  /**
   * Returns whether a connection to {@code hostPort} reaches {@code guestPort} in the guest.
   *
   * @throws QmpException if the monitor fails
   */
  static boolean answers(QmpClient qmp, int hostPort, int guestPort) throws QmpException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", hostPort), CONNECT_MILLIS);
      // A row of the table: protocol[state], fd, source address, source port, destination
      // address, destination port, queues. QEMU 7.2 shows the forward's host port as source
      // port, so the rows of all connections to the guest port look alike.
      Pattern row = Pattern.compile("TCP\\[([A-Z_0-9]+)\\]\\s+\\d+\\s+\\S+\\s+\\d+\\s+\\S+\\s+"
          + guestPort + "\\b");
      long deadline = System.nanoTime() + ESTABLISH_NANOS;
      while (System.nanoTime() < deadline) {
        Matcher matcher = row.matcher(qmp.humanMonitorCommand("info usernet"));
        while (matcher.find()) {
          if (ANSWERED_STATES.contains(matcher.group(1))) {
            return true;
          }
        }
        Thread.sleep(50);
      }
      return false;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
