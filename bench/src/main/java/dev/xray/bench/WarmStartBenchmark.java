package dev.xray.bench;

import dev.xray.api.Architecture;
import dev.xray.api.EphemeralVm;
import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmTemplate;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Measures the time per test of a fresh tiny-guest VM that is ready to take commands: a cold
 * boot (create, start, wait for {@link TinyGuest#READY_LINE}, one command) beside a warm start
 * from a template (start a clone, one command). Writes a Markdown section to the file named by
 * the first argument. Removing each VM after its run is not timed.
 */
public final class WarmStartBenchmark {
  private static final int RUNS = 5;
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern READY = Pattern.compile(Pattern.quote(TinyGuest.READY_LINE));
  private static final Pattern PROMPT = Pattern.compile(Pattern.quote(TinyGuest.PROMPT));
  /** The target: a warm start at least this many times faster than a cold boot. */
  private static final double TARGET_SPEEDUP = 5;
  /** The target: a warm start in less than this, in milliseconds. */
  private static final double TARGET_WARM_MILLIS = 1000;

  private WarmStartBenchmark() {}

  public static void main(String[] args) throws IOException {
    Path output = Path.of(args.length > 0 ? args[0] : "warm-start.md");
    Path image = TinyGuest.build(Architecture.X86_64);
    // A short folder under /tmp keeps the VMs' socket paths within the unix socket limit.
    Path home = Files.createTempDirectory(Path.of("/tmp"), "xray-bench-warm-");
    try {
      Xray xray = Xray.open(home);
      xray.bases().importImage(image, "tiny", true);
      List<Double> cold = new ArrayList<>();
      String accelerator = "unknown";
      for (int run = 0; run < RUNS; run++) {
        long startNanos = System.nanoTime();
        try (EphemeralVm vm = xray.vms().createEphemeral(spec("cold-" + run))) {
          vm.start();
          awaitReady(vm);
          runOneCommand(vm);
          cold.add(millisSince(startNanos));
          accelerator = accelerator(vm);
        }
      }
      long templateStartNanos = System.nanoTime();
      List<Double> warm = new ArrayList<>();
      double templateMillis;
      try (VmTemplate template = xray.vms().createTemplate(spec("template"),
          WarmStartBenchmark::awaitReady)) {
        templateMillis = millisSince(templateStartNanos);
        for (int run = 0; run < RUNS; run++) {
          long startNanos = System.nanoTime();
          try (EphemeralVm clone = template.startClone("warm-" + run)) {
            runOneCommand(clone);
            warm.add(millisSince(startNanos));
          }
        }
      }
      String report = report(Stats.of(cold), Stats.of(warm), templateMillis, accelerator);
      Files.writeString(output, report);
      System.out.println(report);
    } finally {
      deleteRecursively(home);
    }
  }

  private static VmSpec spec(String name) {
    return VmSpec.builder(name).base("tiny").memory(TinyGuest.MEMORY_MIB).cpus(1).build();
  }

  /**
   * Waits for the ready line, then for the shell's first prompt: a console opened before that
   * prompt reaches the serial port would take it for the end of the first command's output.
   */
  private static void awaitReady(Vm vm) {
    vm.awaitSerialLine(READY, BOOT_TIMEOUT);
    vm.awaitSerialLine(PROMPT, BOOT_TIMEOUT);
  }

  private static void runOneCommand(Vm vm) {
    try (SerialConsole console = vm.openConsole()) {
      String echoed = TinyGuest.runCommand(console, "echo ok", COMMAND_TIMEOUT).strip();
      if (!echoed.equals("ok")) {
        throw new IllegalStateException("VM " + vm.name() + " printed '" + echoed
            + "' for 'echo ok'");
      }
    }
  }

  private static double millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e6;
  }

  /** Returns the accelerator on QEMU's command line, read from /proc on Linux. */
  private static String accelerator(Vm vm) {
    long pid = vm.info().pid().orElse(-1);
    try {
      byte[] bytes = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
      List<String> argv = List.of(new String(bytes, StandardCharsets.UTF_8).split("\0"));
      int index = argv.indexOf("-accel");
      return index >= 0 && index + 1 < argv.size() ? argv.get(index + 1) : "unknown";
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String report(Stats cold, Stats warm, double templateMillis,
      String accelerator) {
    double speedup = cold.median() / warm.median();
    boolean fastEnough = speedup >= TARGET_SPEEDUP;
    boolean underLimit = warm.median() < TARGET_WARM_MILLIS;
    StringBuilder md = new StringBuilder();
    md.append("## Warm start versus cold boot\n\n");
    md.append(String.format(Locale.ROOT, "Time per test until a fresh tiny-guest VM (%d MiB, 1 "
        + "vCPU, accelerator %s) has run one command over its serial console: median (min–max) "
        + "of %d runs each. Cold: create, start, wait for %s and the first prompt, run `echo "
        + "ok`. Warm: start a clone of a template, run `echo ok`. Removing each VM afterwards is "
        + "not timed.%n%n",
        TinyGuest.MEMORY_MIB, accelerator, RUNS, TinyGuest.READY_LINE));
    md.append("| start | time per test, ms |\n");
    md.append("| --- | --- |\n");
    md.append("| cold boot | ").append(cold.format(0)).append(" |\n");
    md.append("| warm start (clone) | ").append(warm.format(0)).append(" |\n");
    md.append(String.format(Locale.ROOT, "| template creation, once per class (boot, wait, "
        + "freeze) | %.0f |%n", templateMillis));
    md.append(String.format(Locale.ROOT, "| cold / warm, medians | %.1f |%n%n", speedup));
    md.append(String.format(Locale.ROOT, "Target: warm at least %.0fx faster than cold, and under "
        + "%.0f ms. %s%n", TARGET_SPEEDUP, TARGET_WARM_MILLIS, verdict(fastEnough, underLimit,
        speedup, warm.median())));
    return md.toString();
  }

  private static String verdict(boolean fastEnough, boolean underLimit, double speedup,
      double warmMillis) {
    if (fastEnough && underLimit) {
      return "Met.";
    }
    List<String> misses = new ArrayList<>();
    if (!fastEnough) {
      misses.add(String.format(Locale.ROOT, "warm is only %.1fx faster", speedup));
    }
    if (!underLimit) {
      misses.add(String.format(Locale.ROOT, "warm takes %.0f ms", warmMillis));
    }
    return "Not met: " + String.join(" and ", misses) + ".";
  }

  private static void deleteRecursively(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }
}
