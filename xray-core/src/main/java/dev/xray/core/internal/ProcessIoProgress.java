package dev.xray.core.internal;

import dev.xray.api.ProgressListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports the bytes a process reads or writes, from Linux's {@code /proc/PID/io}, to a progress
 * listener while a QEMU job runs that the monitor cannot report on: during {@code snapshot-save}
 * and {@code snapshot-load}, the monitor reports no byte count for the job. The counters are
 * {@code rchar} and {@code wchar}, every byte that passed a read or write call, so they include
 * the few bytes of the monitor's own traffic. Where the file is missing or unreadable (macOS,
 * another user's process), the listener hears only {@link #finish()}.
 */
final class ProcessIoProgress implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProcessIoProgress.class);
  private static final Duration INTERVAL = Duration.ofMillis(250);

  /** The counter to follow: bytes read or bytes written. */
  enum Direction {
    READ("rchar:"),
    WRITE("wchar:");

    private final String field;

    Direction(String field) {
      this.field = field;
    }
  }

  private final Path counters;
  private final Direction direction;
  private final long total;
  private final ProgressListener listener;
  private final long baseline;
  private final Thread sampler;
  private final Object lock = new Object();
  private boolean finished;

  private ProcessIoProgress(Path counters, Direction direction, long total,
      ProgressListener listener, long baseline) {
    this.counters = counters;
    this.direction = direction;
    this.total = total;
    this.listener = listener;
    this.baseline = baseline;
    if (baseline < 0) {
      this.sampler = null;
      return;
    }
    this.sampler = new Thread(this::sample, "xray-io-progress");
    sampler.setDaemon(true);
    sampler.start();
  }

  /**
   * Starts following process {@code pid}: from now on, the bytes it reads or writes count toward
   * {@code total} bytes, which also caps the count.
   */
  static ProcessIoProgress start(long pid, Direction direction, long total,
      ProgressListener listener) {
    Path counters = Path.of("/proc", Long.toString(pid), "io");
    long baseline = listener == ProgressListener.NONE || total <= 0 ? -1
        : read(counters, direction);
    return new ProcessIoProgress(counters, direction, total, listener, baseline);
  }

  /** Stops the sampling and reports the whole {@code total} as done. */
  void finish() {
    stop();
    synchronized (lock) {
      if (total > 0) {
        listener.progress(total, total);
      }
    }
  }

  /** Stops the sampling without a final report, as when the job failed. */
  @Override
  public void close() {
    stop();
  }

  private void stop() {
    synchronized (lock) {
      finished = true;
    }
    if (sampler != null) {
      sampler.interrupt();
      try {
        sampler.join(INTERVAL.toMillis() * 4);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void sample() {
    try {
      while (true) {
        Thread.sleep(INTERVAL.toMillis());
        long now = read(counters, direction);
        if (now < 0) {
          return;
        }
        synchronized (lock) {
          if (finished) {
            return;
          }
          listener.progress(Math.min(Math.max(0, now - baseline), total), total);
        }
      }
    } catch (InterruptedException e) {
      // finish() or close() stopped the sampling.
    }
  }

  /** Returns the counter, or -1 when the file cannot be read or lacks it. */
  static long read(Path counters, Direction direction) {
    try {
      for (String line : Files.readAllLines(counters)) {
        if (line.startsWith(direction.field)) {
          return Long.parseLong(line.substring(direction.field.length()).strip());
        }
      }
      log.debug("{} has no {} line", counters, direction.field);
    } catch (IOException | NumberFormatException e) {
      log.debug("cannot read I/O counters from {}: {}", counters, e.toString());
    }
    return -1;
  }
}
