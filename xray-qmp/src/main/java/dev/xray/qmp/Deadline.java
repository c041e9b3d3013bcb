package dev.xray.qmp;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/** A point in time, measured on {@link System#nanoTime()}, by which a wait must end. */
final class Deadline {

  private final Duration timeout;
  private final long endNanos;

  private Deadline(Duration timeout) {
    this.timeout = timeout;
    this.endNanos = System.nanoTime() + saturatedNanos(timeout);
  }

  /**
   * Starts a deadline that ends {@code timeout} from now.
   *
   * @throws IllegalArgumentException if {@code timeout} is zero or negative
   */
  static Deadline after(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return new Deadline(timeout);
  }

  /** Returns the nanoseconds left, or 0 once the deadline has passed. */
  long remainingNanos() {
    return Math.max(0, endNanos - System.nanoTime());
  }

  /** Returns the full timeout this deadline was started with, for error messages. */
  Duration timeout() {
    return timeout;
  }

  /** Formats a duration for messages: "200 ms", "5 s", "1.5 s". */
  static String describe(Duration duration) {
    long millis = duration.toMillis();
    if (millis < 1000) {
      return millis + " ms";
    }
    if (millis % 1000 == 0) {
      return millis / 1000 + " s";
    }
    String seconds = String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    return seconds.replaceAll("0+$", "") + " s";
  }

  private static long saturatedNanos(Duration timeout) {
    try {
      return timeout.toNanos();
    } catch (ArithmeticException tooLong) {
      return Long.MAX_VALUE / 2;
    }
  }
}
