package dev.xray.bench;

import dev.xray.qmp.QmpClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures {@code query-status} round trips per second against a real, paused QEMU: xray's
 * {@link QmpClient} from one thread and from several, beside {@link BareQmp}. Writes a Markdown
 * section to the file named by the first argument.
 */
public final class QmpRoundTrips {
  private static final int CALLS = 4000;
  private static final int RUNS = 7;
  private static final int THREADS = 4;

  private QmpRoundTrips() {}

  /** One way of making {@code calls} round trips. */
  private interface Loop {
    void run(int calls) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args.length > 0 ? args[0] : "qmp-roundtrips.md");
    Path folder = Files.createTempDirectory("xray-bench-qmp-");
    try (QemuFixture qemu = QemuFixture.start(folder)) {
      Stats clientSingle;
      Stats clientThreads;
      try (QmpClient qmp = QmpClient.connect(qemu.socket())) {
        Loop single = calls -> {
          for (int i = 0; i < calls; i++) {
            qmp.queryStatus();
          }
        };
        clientSingle = measure(single);
        clientThreads = measure(threaded(single));
      }
      Stats bareSingle;
      Stats bareThreads;
      try (BareQmp bare = new BareQmp(qemu.socket())) {
        Loop single = calls -> {
          for (int i = 0; i < calls; i++) {
            bare.queryStatus();
          }
        };
        bareSingle = measure(single);
        bareThreads = measure(threaded(single));
      }
      Files.writeString(output, report(clientSingle, clientThreads, bareSingle, bareThreads));
      System.out.println(Files.readString(output));
    } finally {
      Files.walk(folder).sorted((a, b) -> b.compareTo(a)).forEach(path -> path.toFile().delete());
    }
  }

  /** Splits {@code calls} over {@link #THREADS} threads that run {@code loop} at once. */
  private static Loop threaded(Loop loop) {
    return calls -> {
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      try {
        List<Future<Object>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          Callable<Object> task = () -> {
            loop.run(calls / THREADS);
            return null;
          };
          futures.add(pool.submit(task));
        }
        for (Future<Object> future : futures) {
          future.get();
        }
      } finally {
        pool.shutdown();
      }
    };
  }

  /** Returns round trips per second over {@link #RUNS} runs, after one warm-up run. */
  private static Stats measure(Loop loop) throws Exception {
    loop.run(CALLS);
    List<Double> rates = new ArrayList<>();
    for (int run = 0; run < RUNS; run++) {
      long start = System.nanoTime();
      loop.run(CALLS);
      rates.add(CALLS / ((System.nanoTime() - start) / 1e9));
    }
    return Stats.of(rates);
  }

  private static String report(Stats clientSingle, Stats clientThreads, Stats bareSingle,
      Stats bareThreads) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("## QMP round trips\n\n");
    md.append(String.format(Locale.ROOT, "`query-status` round trips per second against a paused "
        + "QEMU with no guest: median (min–max) of %d runs of %d calls, after one warm-up run. "
        + "The bare client is a blocking JDK socket with hand-written JSON that serializes its "
        + "callers; xray's client matches replies by id on a reader thread, so %d threads "
        + "pipeline their calls.%n%n", RUNS, CALLS, THREADS));
    md.append("| client | 1 thread | ").append(THREADS).append(" threads |\n");
    md.append("| --- | --- | --- |\n");
    md.append("| xray `QmpClient` | ").append(clientSingle.format(0)).append(" | ")
        .append(clientThreads.format(0)).append(" |\n");
    md.append("| bare socket | ").append(bareSingle.format(0)).append(" | ")
        .append(bareThreads.format(0)).append(" |\n");
    md.append(String.format(Locale.ROOT, "| bare / xray (target at most 1.5) | %.2f | %.2f |%n",
        bareSingle.median() / clientSingle.median(),
        bareThreads.median() / clientThreads.median()));
    return md.toString();
  }
}
