package dev.xray.bench;

import dev.xray.api.Vm;
import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Measures starting a stopped tiny-guest VM: xray's {@code start()} beside QEMU run by hand with
 * the very command line xray used (read from {@code /proc/PID/cmdline}), both until the monitor
 * responds and the vCPUs run, and until the guest prints its ready line. Writes a Markdown
 * section to the file named by the first argument.
 */
public final class StartBenchmark {
  private static final int MONITOR_RUNS = 8;
  private static final int READY_RUNS = 3;
  private static final int KILL_RUNS = 3;
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);
  private static final Pattern READY = Pattern.compile(Pattern.quote(TinyGuest.READY_LINE));
  private static final long POLL_MILLIS = 5;
  /** The target: start() at most this many ms slower than QEMU's own -daemonize return. */
  private static final double TARGET_OVERHEAD_MILLIS = 50;

  private StartBenchmark() {}

  /** The times of one start by hand, in ms from spawning QEMU. */
  private record HandStart(double daemonized, double monitorReady, double guestReady) {}

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args.length > 0 ? args[0] : "start.md");
    try (BenchHome home = BenchHome.create("start")) {
      home.importTinyBase();
      Vm vm = home.xray().vms().create(BenchHome.spec("start", BenchHome.TINY_BASE,
          TinyGuest.MEMORY_MIB));
      // The warm-up start loads xray's classes and yields the command line to replay.
      vm.start();
      List<String> command = commandLine(vm);
      BenchHome.kill(vm);
      startByHand(vm, command, false);

      List<Double> xrayMonitor = new ArrayList<>();
      List<Double> handDaemonized = new ArrayList<>();
      List<Double> handMonitor = new ArrayList<>();
      for (int run = 0; run < MONITOR_RUNS; run++) {
        xrayMonitor.add(Commands.millis(vm::start));
        BenchHome.kill(vm);
        HandStart hand = startByHand(vm, command, false);
        handDaemonized.add(hand.daemonized());
        handMonitor.add(hand.monitorReady());
      }
      List<Double> xrayGuest = new ArrayList<>();
      List<Double> handGuest = new ArrayList<>();
      for (int run = 0; run < READY_RUNS; run++) {
        xrayGuest.add(Commands.millis(() -> {
          vm.start();
          vm.awaitSerialLine(READY, BOOT_TIMEOUT);
        }));
        BenchHome.kill(vm);
        handGuest.add(startByHand(vm, command, true).guestReady());
      }
      List<Double> xrayKill = new ArrayList<>();
      List<Double> handKill = new ArrayList<>();
      for (int run = 0; run < KILL_RUNS; run++) {
        vm.start();
        xrayKill.add(Commands.millis(vm::kill));
        vm.start();
        handKill.add(Commands.millis(() -> BenchHome.kill(vm)));
      }
      String report = report(Stats.of(xrayMonitor), Stats.of(handDaemonized),
          Stats.of(handMonitor), Stats.of(xrayGuest), Stats.of(handGuest), Stats.of(xrayKill),
          Stats.of(handKill));
      Files.writeString(output, report);
      System.out.println(report);
    }
  }

  /** Returns the argv of the VM's running QEMU. */
  private static List<String> commandLine(Vm vm) throws IOException {
    long pid = Long.parseLong(Files.readString(vm.directory().resolve("pid")).strip());
    byte[] bytes = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
    return List.of(new String(bytes, StandardCharsets.UTF_8).split("\0"));
  }

  /**
   * Runs {@code command} in the VM's folder as xray does, connects to the monitor, sends
   * {@code cont}, and, with {@code untilReady}, polls serial.log every {@value #POLL_MILLIS} ms
   * for the ready line. Kills that QEMU before returning. The VM must be stopped.
   */
  private static HandStart startByHand(Vm vm, List<String> command, boolean untilReady)
      throws Exception {
    Path folder = vm.directory();
    Path serialLog = folder.resolve("serial.log");
    // xray deletes both logs before each start, so a ready line read later is from this boot.
    Files.deleteIfExists(serialLog);
    Files.deleteIfExists(folder.resolve("qemu.log"));
    Path stderr = folder.resolve("hand-start.stderr");
    try {
      long start = System.nanoTime();
      Process qemu = new ProcessBuilder(command).directory(folder.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(stderr.toFile())
          .start();
      int exitCode = qemu.waitFor();
      double daemonized = millisSince(start);
      if (exitCode != 0) {
        throw new IOException("QEMU started by hand exited with " + exitCode + ": "
            + Files.readString(stderr).strip());
      }
      try (BareMonitor monitor = new BareMonitor(folder.resolve("qmp.sock"))) {
        monitor.execute("{\"execute\":\"cont\"}");
      }
      double monitorReady = millisSince(start);
      double guestReady = Double.NaN;
      if (untilReady) {
        awaitReadyLine(serialLog);
        guestReady = millisSince(start);
      }
      return new HandStart(daemonized, monitorReady, guestReady);
    } finally {
      Files.deleteIfExists(stderr);
      BenchHome.kill(vm);
    }
  }

  private static void awaitReadyLine(Path serialLog) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        // ISO-8859-1 maps every byte, so firmware output that is not UTF-8 cannot fail the read.
        String text = new String(Files.readAllBytes(serialLog), StandardCharsets.ISO_8859_1);
        if (text.contains(TinyGuest.READY_LINE)) {
          return;
        }
      } catch (NoSuchFileException e) {
        // QEMU creates the log when the guest first writes to the serial port.
      }
      Thread.sleep(POLL_MILLIS);
    }
    throw new IOException("the guest started by hand printed no " + TinyGuest.READY_LINE
        + " within " + BOOT_TIMEOUT.toSeconds() + " s; see " + serialLog);
  }

  private static double millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e6;
  }

  private static String report(Stats xrayMonitor, Stats handDaemonized, Stats handMonitor,
      Stats xrayGuest, Stats handGuest, Stats xrayKill, Stats handKill) {
    StringBuilder md = new StringBuilder();
    md.append("## Start a VM\n\n");
    md.append(String.format(Locale.ROOT, "Wall time to start a stopped tiny-guest VM (%d MiB, "
        + "1 vCPU, TCG), in ms: median (min–max). xray: `vm.start()`, which returns when QMP "
        + "responds and the vCPUs run, and `start()` followed by `awaitSerialLine` for %s. By "
        + "hand: the same QEMU command line that xray ran (read from `/proc/PID/cmdline`), "
        + "spawned in the VM's folder until `-daemonize` returns, then a bare QMP client that "
        + "connects and sends `cont`, then polling serial.log every %d ms for %s. Each start "
        + "is from a stopped VM and is killed afterwards, untimed. xray and hand runs alternate, "
        + "%d runs each to the monitor and %d to the ready line, after one warm-up each. Kill, "
        + "%d runs each of a VM started a moment before: xray's `vm.kill()`, beside SIGKILL by "
        + "hand, then polling `/proc/PID` every 5 ms until every thread of QEMU has exited, "
        + "then `vm.kill()` to delete the pid file and sockets.%n%n",
        TinyGuest.MEMORY_MIB, TinyGuest.READY_LINE, POLL_MILLIS, TinyGuest.READY_LINE,
        MONITOR_RUNS, READY_RUNS, KILL_RUNS));
    md.append("| until | xray | by hand | xray − by hand, medians |\n");
    md.append("| --- | --- | --- | --- |\n");
    md.append("| QEMU's `-daemonize` returns | – | ").append(handDaemonized.format(1))
        .append(" | – |\n");
    md.append("| monitor responds, vCPUs run | ").append(xrayMonitor.format(1)).append(" | ")
        .append(handMonitor.format(1)).append(" | ")
        .append(String.format(Locale.ROOT, "%.1f", xrayMonitor.median() - handMonitor.median()))
        .append(" |\n");
    md.append("| guest prints ").append(TinyGuest.READY_LINE).append(" | ")
        .append(xrayGuest.format(0)).append(" | ").append(handGuest.format(0)).append(" | ")
        .append(String.format(Locale.ROOT, "%.0f", xrayGuest.median() - handGuest.median()))
        .append(" |\n");
    md.append("| kill of the running VM returns | ").append(xrayKill.format(1)).append(" | ")
        .append(handKill.format(1)).append(" | ")
        .append(String.format(Locale.ROOT, "%.1f", xrayKill.median() - handKill.median()))
        .append(" |\n\n");
    double overhead = xrayMonitor.median() - handDaemonized.median();
    md.append(String.format(Locale.ROOT, "Target: `start()` within %.0f ms of QEMU's own "
        + "`-daemonize` return: %s (%.1f ms more).%n%n", TARGET_OVERHEAD_MILLIS,
        overhead <= TARGET_OVERHEAD_MILLIS ? "met" : "not met", overhead));
    return md.toString();
  }
}
