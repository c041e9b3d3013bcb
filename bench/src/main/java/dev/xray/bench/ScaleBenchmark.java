package dev.xray.bench;

import dev.xray.api.Vm;
import dev.xray.api.VmStatus;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * Measures how xray's listing scales with the number of VMs in a home folder, stopped and
 * running, and how fast one process creates many VMs from one thread and from several. Writes a
 * Markdown section to the file named by the first argument.
 */
public final class ScaleBenchmark {
  private static final int[] STOPPED_COUNTS = {10, 100, 1000};
  private static final int BOOTED_COUNT = 4;
  private static final int PAUSED_COUNT = 20;
  private static final int BATCH_SIZE = 100;
  private static final int BATCH_RUNS = 3;
  private static final int THREADS = 8;
  private static final int LIBRARY_RUNS = 30;
  private static final int CLI_RUNS = 5;
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern READY = Pattern.compile(Pattern.quote(TinyGuest.READY_LINE));
  /** The target: at most this many ms of listing per stopped VM. */
  private static final double TARGET_MILLIS_PER_VM = 2;
  /**
   * The bound for linear growth: the cost per VM added from 100 to 1000 VMs at most this many
   * times the cost per VM added from 10 to 100.
   */
  private static final double LINEAR_SLOPE_RATIO = 1.5;

  private ScaleBenchmark() {}

  /** The listing figures at one number of VMs. */
  private record Level(String label, int count, Stats library, Stats cliList, Stats cliInfo) {}

  /** A home folder that contains the VMs of one level and nothing else. */
  private record LevelHome(String label, int count, VmStatus expected, BenchHome home, Cli cli) {
    static LevelHome of(String label, int count, VmStatus expected, BenchHome home)
        throws IOException, InterruptedException {
      return new LevelHome(label, count, expected, home, Cli.forHome(home.path()));
    }
  }

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args.length > 0 ? args[0] : "scale.md");
    List<Level> stopped;
    Stats createSingle;
    Stats createThreads;
    try (BenchHome small = BenchHome.create("scale-" + STOPPED_COUNTS[0]);
        BenchHome middle = BenchHome.create("scale-" + STOPPED_COUNTS[1]);
        BenchHome large = BenchHome.create("scale-" + STOPPED_COUNTS[2])) {
      List<BenchHome> homes = List.of(small, middle, large);
      for (BenchHome home : homes) {
        home.importTinyBase();
      }
      List<Double> single = new ArrayList<>();
      List<Double> threaded = new ArrayList<>();
      for (int run = 0; run < BATCH_RUNS; run++) {
        single.add(createBatch(small.xray(), "one" + run + "-", 0, BATCH_SIZE, 1));
        removeAll(small.xray());
        threaded.add(createBatch(small.xray(), "par" + run + "-", 0, BATCH_SIZE, THREADS));
        removeAll(small.xray());
      }
      createSingle = Stats.of(single);
      createThreads = Stats.of(threaded);
      List<LevelHome> levels = new ArrayList<>();
      for (int index = 0; index < homes.size(); index++) {
        int count = STOPPED_COUNTS[index];
        createBatch(homes.get(index).xray(), "vm-", 0, count, THREADS);
        levels.add(LevelHome.of(count + " stopped", count, VmStatus.STOPPED, homes.get(index)));
      }
      stopped = measureLevels(levels);
    }
    List<Level> running;
    try (BenchHome one = BenchHome.create("running-1");
        BenchHome few = BenchHome.create("running-" + BOOTED_COUNT);
        BenchHome paused = BenchHome.create("paused-" + PAUSED_COUNT)) {
      for (BenchHome home : List.of(one, few, paused)) {
        home.importTinyBase();
      }
      createBatch(one.xray(), "vm-", 0, 1, 1);
      createBatch(few.xray(), "vm-", 0, BOOTED_COUNT, 1);
      createBatch(paused.xray(), "vm-", 0, PAUSED_COUNT, 1);
      List<Vm> booted = new ArrayList<>(one.xray().vms().list());
      booted.addAll(few.xray().vms().list());
      bootAll(booted);
      for (Vm vm : paused.xray().vms().list()) {
        vm.start();
        try (BareMonitor monitor = new BareMonitor(vm.directory().resolve("qmp.sock"))) {
          monitor.execute("{\"execute\":\"stop\"}");
        }
      }
      running = measureLevels(List.of(
          LevelHome.of("1 running", 1, VmStatus.RUNNING, one),
          LevelHome.of(BOOTED_COUNT + " running", BOOTED_COUNT, VmStatus.RUNNING, few),
          LevelHome.of(PAUSED_COUNT + " started, vCPUs paused", PAUSED_COUNT, VmStatus.PAUSED,
              paused)));
    }
    String report = report(stopped, running, createSingle, createThreads);
    Files.writeString(output, report);
    System.out.println(report);
  }

  /**
   * Creates {@code count} stopped VMs named {@code prefix} and a 4-digit number from
   * {@code first} on, from {@code threads} threads, and returns the wall time in ms.
   */
  private static double createBatch(Xray xray, String prefix, int first, int count, int threads)
      throws Exception {
    AtomicInteger next = new AtomicInteger(first);
    int end = first + count;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long start = System.nanoTime();
      List<Future<Object>> futures = new ArrayList<>();
      for (int thread = 0; thread < threads; thread++) {
        futures.add(pool.submit(() -> {
          for (int index = next.getAndIncrement(); index < end; index = next.getAndIncrement()) {
            String name = String.format(Locale.ROOT, "%s%04d", prefix, index);
            xray.vms().create(BenchHome.spec(name, BenchHome.TINY_BASE, TinyGuest.MEMORY_MIB));
          }
          return null;
        }));
      }
      for (Future<Object> future : futures) {
        future.get();
      }
      return (System.nanoTime() - start) / 1e6;
    } finally {
      pool.shutdown();
    }
  }

  private static void removeAll(Xray xray) {
    for (Vm vm : xray.vms().list()) {
      vm.remove();
    }
  }

  /** Starts the VMs and waits until each guest has printed its ready line. */
  private static void bootAll(List<Vm> vms) {
    for (Vm vm : vms) {
      vm.start();
    }
    for (Vm vm : vms) {
      vm.awaitSerialLine(READY, BOOT_TIMEOUT);
    }
  }

  /**
   * Times, for every level, the library's {@code vms().list()} with {@code status()} of every
   * VM, {@code xray list} and {@code xray info} of the first VM. The levels take turns, one run
   * of each per round, so that a burst of load from other programs falls on all of them alike.
   * Round 0 is a warm-up.
   */
  private static List<Level> measureLevels(List<LevelHome> levels) throws Exception {
    int rounds = Math.max(LIBRARY_RUNS, CLI_RUNS);
    List<List<Double>> library = new ArrayList<>();
    List<List<Double>> list = new ArrayList<>();
    List<List<Double>> info = new ArrayList<>();
    for (int index = 0; index < levels.size(); index++) {
      library.add(new ArrayList<>());
      list.add(new ArrayList<>());
      info.add(new ArrayList<>());
    }
    for (int round = 0; round <= rounds; round++) {
      for (int index = 0; index < levels.size(); index++) {
        LevelHome level = levels.get(index);
        if (round <= LIBRARY_RUNS) {
          double millis = timeLibraryList(level);
          if (round > 0) {
            library.get(index).add(millis);
          }
        }
        if (round <= CLI_RUNS) {
          double listMillis = level.cli().time("list");
          double infoMillis = level.cli().time("info", "vm-0000");
          if (round > 0) {
            list.get(index).add(listMillis);
            info.get(index).add(infoMillis);
          }
        }
      }
    }
    List<Level> figures = new ArrayList<>();
    for (int index = 0; index < levels.size(); index++) {
      LevelHome level = levels.get(index);
      figures.add(new Level(level.label(), level.count(), Stats.of(library.get(index)),
          Stats.of(list.get(index)), Stats.of(info.get(index))));
    }
    return figures;
  }

  /** Times one library listing and checks, untimed, that every VM has the expected status. */
  private static double timeLibraryList(LevelHome level) throws IOException {
    Xray xray = level.home().xray();
    List<VmStatus> statuses = new ArrayList<>();
    long start = System.nanoTime();
    for (Vm vm : xray.vms().list()) {
      statuses.add(vm.status());
    }
    double millis = (System.nanoTime() - start) / 1e6;
    long matching = statuses.stream().filter(status -> status == level.expected()).count();
    if (matching != level.count()) {
      throw new IOException("expected " + level.count() + " VMs " + level.expected().label()
          + " in " + level.home().path() + ", found " + statuses);
    }
    return millis;
  }

  private static String report(List<Level> stopped, List<Level> running, Stats createSingle,
      Stats createThreads) {
    StringBuilder md = new StringBuilder();
    md.append("## Many VMs\n\n");
    md.append(String.format(Locale.ROOT, "Wall time to list the VMs of one home folder, in ms: "
        + "median (min–max). Library: `vms().list()` and `status()` of every VM in a warm JVM, "
        + "%d runs. CLI: `xray list` and `xray info NAME` of one VM, a new JVM each time, %d runs "
        + "each. Each row has a home folder of its own, and the rows take turns, one run of each "
        + "per round, after one warm-up round. Per VM: the library median divided by the "
        + "number of VMs. The VMs are tiny-guest VMs (%d MiB, 1 vCPU, TCG). Running: the guests "
        + "have booted to their shell. A boot takes about 6 s of one core under TCG (see the "
        + "start table), so booting 20 would take about a minute of both cores by that estimate, "
        + "and the table boots at most %d; the 20-VM row has %d QEMU processes started by "
        + "`start()` and then paused with QMP `stop`, whose status xray reads over QMP just as "
        + "for a running one.%n%n", LIBRARY_RUNS, CLI_RUNS, TinyGuest.MEMORY_MIB,
        BOOTED_COUNT, PAUSED_COUNT));
    md.append("| VMs | library list + status | per VM | `xray list` | `xray info NAME` |\n");
    md.append("| --- | --- | --- | --- | --- |\n");
    for (Level level : stopped) {
      row(md, level);
    }
    for (Level level : running) {
      row(md, level);
    }
    Level small = stopped.get(0);
    Level middle = stopped.get(1);
    Level large = stopped.get(2);
    double librarySlopeLow = slope(small.library(), middle.library(), small, middle);
    double librarySlopeHigh = slope(middle.library(), large.library(), middle, large);
    double libraryPerVm = slope(small.library(), large.library(), small, large);
    double cliPerVm = slope(small.cliList(), large.cliList(), small, large);
    md.append(String.format(Locale.ROOT, "%nCost per added stopped VM, from %d to %d VMs: "
        + "library %.3f ms, `xray list` %.3f ms. From %d to %d and from %d to %d VMs, library: "
        + "%.3f and %.3f ms.%n%n", small.count(), large.count(), libraryPerVm, cliPerVm,
        small.count(), middle.count(), middle.count(), large.count(), librarySlopeLow,
        librarySlopeHigh));
    boolean linear = librarySlopeHigh <= LINEAR_SLOPE_RATIO * Math.max(librarySlopeLow, 0.001);
    boolean cheap = Math.max(libraryPerVm, cliPerVm) <= TARGET_MILLIS_PER_VM;
    md.append(String.format(Locale.ROOT, "Target: list cost grows linearly (the cost per VM "
        + "added from %d to %d at most %.1fx that from %d to %d): %s. Under %.0f ms per stopped "
        + "VM, library and CLI: %s.%n%n", middle.count(), large.count(), LINEAR_SLOPE_RATIO,
        small.count(), middle.count(), linear ? "met" : "not met", TARGET_MILLIS_PER_VM,
        cheap ? "met" : "not met"));

    md.append(String.format(Locale.ROOT, "Creating %d stopped VMs in one process with "
        + "`vms().create()`, in ms for all of them: median (min–max) of %d runs each; removing "
        + "them between runs is not timed.%n%n", BATCH_SIZE, BATCH_RUNS));
    md.append("| threads | " + BATCH_SIZE + " creates | per VM |\n");
    md.append("| --- | --- | --- |\n");
    md.append("| 1 | ").append(createSingle.format(0)).append(String.format(Locale.ROOT,
        " | %.1f |%n", createSingle.median() / BATCH_SIZE));
    md.append("| ").append(THREADS).append(" | ").append(createThreads.format(0))
        .append(String.format(Locale.ROOT, " | %.1f |%n%n",
            createThreads.median() / BATCH_SIZE));
    return md.toString();
  }

  private static void row(StringBuilder md, Level level) {
    md.append("| ").append(level.label()).append(" | ").append(level.library().format(1))
        .append(String.format(Locale.ROOT, " | %.3f | ", level.library().median()
            / level.count()))
        .append(level.cliList().format(0)).append(" | ").append(level.cliInfo().format(0))
        .append(" |\n");
  }

  /** Returns the change of the medians per VM added between two levels. */
  private static double slope(Stats from, Stats to, Level fromLevel, Level toLevel) {
    return (to.median() - from.median()) / (toLevel.count() - fromLevel.count());
  }
}
