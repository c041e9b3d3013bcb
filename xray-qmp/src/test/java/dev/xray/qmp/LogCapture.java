package dev.xray.qmp;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Captures log lines written by slf4j-simple, which writes to whatever {@link System#err} is at
 * the time of each call. Lines are still passed on to the original stream. Tests in this module
 * run one at a time, so replacing {@code System.err} is safe here.
 */
final class LogCapture implements AutoCloseable {

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

  LogCapture() {
    OutputStream tee =
        new OutputStream() {
          @Override
          public void write(int b) {
            synchronized (captured) {
              captured.write(b);
            }
            original.write(b);
          }

          @Override
          public void write(byte[] bytes, int offset, int length) {
            synchronized (captured) {
              captured.write(bytes, offset, length);
            }
            original.write(bytes, offset, length);
          }
        };
    System.setErr(new PrintStream(tee, true, StandardCharsets.UTF_8));
  }

  /** Returns the lines captured so far. */
  List<String> lines() {
    String text;
    synchronized (captured) {
      text = captured.toString(StandardCharsets.UTF_8);
    }
    return text.lines().collect(Collectors.toList());
  }

  /** Returns the lines that contain every one of {@code parts}. */
  List<String> linesContaining(String... parts) {
    return lines().stream()
        .filter(line -> List.of(parts).stream().allMatch(line::contains))
        .collect(Collectors.toList());
  }

  /**
   * Waits until a line contains every one of {@code parts}, because the reader thread logs
   * asynchronously.
   *
   * @return the matching lines, empty if none appeared in time
   */
  List<String> awaitLinesContaining(Duration timeout, String... parts)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    List<String> matches = linesContaining(parts);
    while (matches.isEmpty() && System.nanoTime() < end) {
      Thread.sleep(10);
      matches = linesContaining(parts);
    }
    return matches;
  }

  @Override
  public void close() {
    System.setErr(original);
  }
}
