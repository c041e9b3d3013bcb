package dev.xray.bench;

import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures the wall time of short xray commands, which is mostly JVM start-up: with the launcher
 * as it is, without its class data sharing archive, and with an archive written by
 * {@code xray list}, beside {@code qemu-img --version} as the floor of a native process. Writes
 * a Markdown section to the file named by the first argument.
 */
public final class CliStartupBenchmark {
  private static final int RUNS = 10;
  private static final int VM_COUNT = 20;
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

  /** The figures of one variant: --version, list of an empty home, list of 20 VMs. */
  private record Figures(Stats version, Stats listEmpty, Stats listMany) {}

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args.length > 0 ? args[0] : "cli-startup.md");
    try (BenchHome empty = BenchHome.create("cli-empty");
        BenchHome many = BenchHome.create("cli-many")) {
      many.importTinyBase();
      for (int index = 0; index < VM_COUNT; index++) {
        many.xray().vms().create(BenchHome.spec(String.format(Locale.ROOT, "vm-%02d", index),
            BenchHome.TINY_BASE, TinyGuest.MEMORY_MIB));
      }
      // A dynamic class data sharing archive of the classes that one 'xray list' of 20 VMs
      // loads, written with the launcher's own archive turned off, because JDK 17 cannot write
      // a dynamic archive on top of another one. JDK 17 leaves out classes older than Java 6,
      // such as picocli's (class file version 49), and logs "Pre JDK 6 class not supported by
      // CDS" for each.
      Path archive = many.path().resolve("xray-list.jsa");
      Cli.forHome(many.path()).with("XRAY_CDS", "0")
          .with("XRAY_JAVA_OPTS", "-XX:ArchiveClassesAtExit=" + archive).time("list");
      List<Variant> variants = List.of(
          new Variant("launcher as it is", Map.of()),
          new Variant("`XRAY_CDS=0`", Map.of("XRAY_CDS", "0")),
          new Variant("`XRAY_CDS=0`, archive of `xray list`", Map.of("XRAY_CDS", "0",
              "XRAY_JAVA_OPTS", "-XX:SharedArchiveFile=" + archive)));
      List<TimedCommand> commands = new ArrayList<>();
      for (Variant variant : variants) {
        Cli onEmpty = variant.apply(Cli.forHome(empty.path()));
        Cli onMany = variant.apply(Cli.forHome(many.path()));
        commands.add(() -> onEmpty.time("--version"));
        commands.add(() -> onEmpty.time("list"));
        commands.add(() -> onMany.time("list"));
      }
      commands.add(() -> Commands.time("qemu-img", "--version"));
      List<Stats> cells = measureInTurn(commands);
      List<Figures> figures = new ArrayList<>();
      for (int index = 0; index < variants.size(); index++) {
        figures.add(new Figures(cells.get(3 * index), cells.get(3 * index + 1),
            cells.get(3 * index + 2)));
      }
      Stats qemuImg = cells.get(cells.size() - 1);
      String report = report(variants, figures, qemuImg,
          launcherOptions(Cli.forHome(empty.path()).launcher()));
      Files.writeString(output, report);
      System.out.println(report);
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

  private static String report(List<Variant> variants, List<Figures> figures, Stats qemuImg,
      String launcherOptions) {
    StringBuilder md = new StringBuilder();
    md.append("## CLI start-up\n\n");
    md.append(String.format(Locale.ROOT, "Wall time of one short command, in ms: median "
        + "(min–max) of %d runs after one warm-up, each a new process spawned from Java. The "
        + "commands take turns, one run of each per round. `xray --version` also runs "
        + "`qemu-system-x86_64 --version`. The launcher starts the JVM with `%s`. Unless "
        + "`XRAY_CDS=0`, it also maps a class data sharing archive of xray's classes that its "
        + "first run writes in the background under `$XDG_CACHE_HOME/xray/cds`; here that "
        + "archive was written before the first timed run. The last column maps instead an "
        + "archive written by one `xray list` of %d VMs with `-XX:ArchiveClassesAtExit`, passed "
        + "in `XRAY_JAVA_OPTS`. Both archives lack picocli's classes, because JDK 17 does not "
        + "archive classes compiled for Java 5.%n%n", RUNS, launcherOptions, VM_COUNT));
    md.append("| command |");
    for (Variant variant : variants) {
      md.append(' ').append(variant.label()).append(" |");
    }
    md.append('\n').append("| ---".repeat(variants.size() + 1)).append(" |\n");
    appendRow(md, "`xray --version`", figures.stream().map(Figures::version).toList());
    appendRow(md, "`xray list`, no VMs", figures.stream().map(Figures::listEmpty).toList());
    appendRow(md, "`xray list`, " + VM_COUNT + " stopped VMs",
        figures.stream().map(Figures::listMany).toList());
    md.append("| `qemu-img --version` (floor) | ").append(qemuImg.format(1))
        .append(" | –".repeat(variants.size() - 1)).append(" |\n\n");
    double asIs = figures.get(0).listMany().median();
    double best = figures.stream().mapToDouble(f -> f.listMany().median()).min().orElse(asIs);
    md.append(String.format(Locale.ROOT, "Target: `xray list` of %d VMs under %.0f ms: %s with "
        + "the launcher as it is (%.0f ms), %s with the fastest variant above (%.0f ms).%n%n",
        VM_COUNT, TARGET_LIST_MILLIS, asIs < TARGET_LIST_MILLIS ? "met" : "not met", asIs,
        best < TARGET_LIST_MILLIS ? "met" : "not met", best));
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

  private static void appendRow(StringBuilder md, String label, List<Stats> cells) {
    md.append("| ").append(label).append(" |");
    for (Stats cell : cells) {
      md.append(' ').append(cell.format(0)).append(" |");
    }
    md.append('\n');
  }
}
