package dev.xray.bench;

import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures the wall time of short xray commands, which is mostly JVM start-up: with the launcher
 * as it is and without its class data sharing archive, beside {@code qemu-img --version} as the
 * floor of a native process. Writes a Markdown section to the file named by the first argument.
 */
public final class CliStartupBenchmark {
  private static final int RUNS = 10;
  private static final int VM_COUNT = 20;
  private static final int LARGE_VM_COUNT = 200;
  /** The target: {@code xray list} of {@value #VM_COUNT} stopped VMs in less than this, in ms. */
  private static final double TARGET_LIST_MILLIS = 250;

  private CliStartupBenchmark() {}

  /** One way of running the launcher: the environment variables set for it. */
  private record Variant(String label, Map<String, String> environment) {
    Cli apply(Cli cli) {
      Cli changed = cli;
      for (Map.Entry<String, String> variable : environment.entrySet()) {
        changed = changed.with(variable.getKey(), variable.getValue());
      }
      return changed;
    }
  }

  /** The rows of the table, in the order each variant's commands are added. */
  private static final List<String> ROWS = List.of("`xray --version`", "`xray list`, no VMs",
      "`xray list`, " + VM_COUNT + " stopped VMs", "`xray list`, " + LARGE_VM_COUNT
          + " stopped VMs", "`xray list`, 1 running VM", "`xray create NAME --base tiny`");

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args.length > 0 ? args[0] : "cli-startup.md");
    try (BenchHome empty = BenchHome.create("cli-empty");
        BenchHome many = BenchHome.create("cli-many");
        BenchHome large = BenchHome.create("cli-large");
        BenchHome creates = BenchHome.create("cli-create");
        BenchHome running = BenchHome.create("cli-running")) {
      many.importTinyBase();
      large.importTinyBase();
      creates.importTinyBase();
      createVms(many, VM_COUNT);
      createVms(large, LARGE_VM_COUNT);
      running.importTinyBase();
      createVms(running, 1);
      // Its status comes over QMP, the path of every running VM in a list.
      running.xray().vms().get("vm-000").start();
      List<Variant> variants = List.of(
          new Variant("launcher as it is", Map.of()),
          new Variant("`XRAY_CDS=0`", Map.of("XRAY_CDS", "0")));
      List<TimedCommand> commands = new ArrayList<>();
      AtomicInteger created = new AtomicInteger();
      for (Variant variant : variants) {
        Cli onEmpty = variant.apply(Cli.forHome(empty.path()));
        Cli onMany = variant.apply(Cli.forHome(many.path()));
        Cli onLarge = variant.apply(Cli.forHome(large.path()));
        Cli onCreates = variant.apply(Cli.forHome(creates.path()));
        commands.add(() -> onEmpty.time("--version"));
        commands.add(() -> onEmpty.time("list"));
        commands.add(() -> onMany.time("list"));
        commands.add(() -> onLarge.time("list"));
        Cli onRunning = variant.apply(Cli.forHome(running.path()));
        commands.add(() -> onRunning.time("list"));
        commands.add(() -> onCreates.time("create", "vm-" + created.incrementAndGet(),
            "--base", BenchHome.TINY_BASE));
      }
      commands.add(() -> Commands.time("qemu-img", "--version"));
      List<Stats> cells = measureInTurn(commands);
      Stats qemuImg = cells.get(cells.size() - 1);
      String report = report(variants, cells.subList(0, cells.size() - 1), qemuImg,
          launcherOptions(Cli.forHome(empty.path()).launcher()));
      Files.writeString(output, report);
      System.out.println(report);
    }
  }

  private static void createVms(BenchHome home, int count) {
    for (int index = 0; index < count; index++) {
      home.xray().vms().create(BenchHome.spec(String.format(Locale.ROOT, "vm-%03d", index),
          BenchHome.TINY_BASE, TinyGuest.MEMORY_MIB));
    }
  }

  /** A timed command that returns its own wall time in ms. */
  private interface TimedCommand {
    double run() throws Exception;
  }

  /**
   * Runs every command once per round, {@value #RUNS} rounds after a warm-up round, so that a
   * burst of load from other programs falls on all commands alike. Returns their figures in the
   * order given.
   */
  private static List<Stats> measureInTurn(List<TimedCommand> commands) throws Exception {
    List<List<Double>> samples = new ArrayList<>();
    for (int index = 0; index < commands.size(); index++) {
      samples.add(new ArrayList<>());
    }
    for (int round = 0; round <= RUNS; round++) {
      for (int index = 0; index < commands.size(); index++) {
        double millis = commands.get(index).run();
        if (round > 0) {
          samples.get(index).add(millis);
        }
      }
    }
    return samples.stream().map(Stats::of).toList();
  }

  /** {@code cells} has the figures of each variant's {@link #ROWS}, one variant after another. */
  private static String report(List<Variant> variants, List<Stats> cells, Stats qemuImg,
      String launcherOptions) {
    StringBuilder md = new StringBuilder();
    md.append("## CLI start-up\n\n");
    md.append(String.format(Locale.ROOT, "Wall time of one short command, in ms: median "
        + "(min–max) of %d runs after one warm-up, each a new process spawned from Java. The "
        + "commands take turns, one run of each per round. `xray --version` also runs "
        + "`qemu-system-x86_64 --version`; each `xray create` makes a new VM in a home of its "
        + "own. The launcher starts the JVM with `%s`. Unless `XRAY_CDS=0`, it also maps the "
        + "static class data sharing archive that its first run writes in the background under "
        + "`$XDG_CACHE_HOME/xray/cds`, from the classes one `xray list` loads; here that "
        + "archive was written before the first timed run.%n%n", RUNS, launcherOptions));
    md.append("| command |");
    for (Variant variant : variants) {
      md.append(' ').append(variant.label()).append(" |");
    }
    md.append('\n').append("| ---".repeat(variants.size() + 1)).append(" |\n");
    for (int row = 0; row < ROWS.size(); row++) {
      md.append("| ").append(ROWS.get(row)).append(" |");
      for (int variant = 0; variant < variants.size(); variant++) {
        md.append(' ').append(cells.get(variant * ROWS.size() + row).format(0)).append(" |");
      }
      md.append('\n');
    }
    md.append("| `qemu-img --version` (floor) | ").append(qemuImg.format(1))
        .append(" | –".repeat(variants.size() - 1)).append(" |\n\n");
    double asIs = cells.get(2).median();
    md.append(String.format(Locale.ROOT, "Target: `xray list` of %d VMs under %.0f ms: %s "
        + "(%.0f ms with the launcher as it is).%n%n", VM_COUNT, TARGET_LIST_MILLIS,
        asIs < TARGET_LIST_MILLIS ? "met" : "not met", asIs));
    return md.toString();
  }

  /**
   * Returns the JVM options that the launcher script assigns to {@code opts}, so the text
   * follows the launcher as built.
   */
  private static String launcherOptions(Path launcher) throws IOException {
    for (String line : Files.readAllLines(launcher)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("opts=\"") && trimmed.endsWith("\"")) {
        return trimmed.substring("opts=\"".length(), trimmed.length() - 1);
      }
    }
    return "the options in " + launcher;
  }
}
