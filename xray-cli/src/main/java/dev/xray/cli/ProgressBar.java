package dev.xray.cli;

import dev.xray.api.ProgressListener;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Function;

/**
 * A one-line progress bar on stderr, drawn only when xray talks to a terminal, so that piped
 * output never contains it.
 */
final class ProgressBar implements ProgressListener, AutoCloseable {
  private static final int WIDTH = 30;

  private final String label;
  private final PrintStream err;
  private final boolean enabled;
  private boolean drawn;
  private boolean counted;

  ProgressBar(String label) {
    this(label, System.err, Terminal.isInteractive());
  }

  ProgressBar(String label, PrintStream err, boolean enabled) {
    this.label = label;
    this.err = err;
    this.enabled = enabled;
  }

  @Override
  public synchronized void progress(long done, long total) {
    if (!enabled || total <= 0) {
      return;
    }
    counted = true;
    int filled = (int) (WIDTH * done / total);
    err.printf(Locale.ROOT, "\r%s [%s%s] %3d%% %s / %s", label, "#".repeat(filled),
        " ".repeat(WIDTH - filled), 100 * done / total, Output.bytes(done), Output.bytes(total));
    err.flush();
    drawn = true;
  }

  /** Draws an elapsed-time line until the work reports a byte count, if it ever does. */
  synchronized void elapsed(long nanos) {
    if (!enabled || counted) {
      return;
    }
    err.printf(Locale.ROOT, "\r%s ... %s", label, Output.seconds(nanos));
    err.flush();
    drawn = true;
  }

  /**
   * Runs {@code work} while a terminal shows {@code label} and the elapsed time, which gives way
   * to a bar once the work reports bytes to the listener it is given. A snapshot save or load
   * counts bytes only on Linux, from the QEMU process's I/O counters, because QEMU's monitor
   * reports no byte count for those jobs.
   */
  static <T> T whileRunning(String label, Function<ProgressListener, T> work) {
    try (ProgressBar bar = new ProgressBar(label)) {
      if (!bar.enabled) {
        return work.apply(ProgressListener.NONE);
      }
      long startNanos = System.nanoTime();
      Thread ticker = new Thread(() -> {
        try {
          while (true) {
            Thread.sleep(200);
            bar.elapsed(System.nanoTime() - startNanos);
          }
        } catch (InterruptedException e) {
          // The work finished.
        }
      }, "xray-progress");
      ticker.setDaemon(true);
      ticker.start();
      try {
        return work.apply(bar);
      } finally {
        ticker.interrupt();
        try {
          ticker.join(1000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  @Override
  public synchronized void close() {
    if (drawn) {
      // Clear the line so the result line that follows starts clean.
      err.print("\r\u001b[2K");
      err.flush();
    }
  }
}
