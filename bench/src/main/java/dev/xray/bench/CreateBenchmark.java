package dev.xray.bench;

import dev.xray.api.Architecture;
import dev.xray.core.internal.Firmware;
import dev.xray.core.internal.QemuBinaries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Measures creating a VM on a base image: xray's library and CLI beside a bare
 * {@code qemu-img create} of the same overlay (the floor) and a full copy of the base with
 * {@code cp}, for the tiny test guest (64 MiB virtual) and a 4 GiB base filled with data. Writes a
 * Markdown section to the file named by the first argument.
 */
public final class CreateBenchmark {
  /** Rounds after the warm-up round; each has one run of each kind of create but the CLI's. */
  private static final int ROUNDS = 15;
  private static final int CLI_RUNS = 5;
  private static final int SMALL_COPY_RUNS = 10;
  private static final int LARGE_COPY_RUNS = 3;
  private static final String LARGE_BASE = "large";
  /** The UEFI firmware xray picks for x86_64 VMs on this host; its variable store is copied. */
  private static final Firmware.FirmwareFiles FIRMWARE = Firmware.find(Architecture.X86_64,
      QemuBinaries.searchPathProgram(Architecture.X86_64));
  private static final int LARGE_BASE_GIB = 4;
  /** The target: a library create at most this many times the bare qemu-img create. */
  private static final double TARGET_FLOOR_RATIO = 2;
  /** The target: a library create at least this many times faster than copying the 4 GiB base. */
  private static final double TARGET_COPY_SPEEDUP = 50;

  private CreateBenchmark() {}

  /** The figures of one base image. */
  private record BaseFigures(Stats qemuImg, Stats qemuImgPair, Stats library, Stats cli,
      Stats copy, long fileBytes) {}

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args.length > 0 ? args[0] : "create.md");
    try (BenchHome home = BenchHome.create("create")) {
      home.importTinyBase();
      Cli cli = Cli.forHome(home.path());
      BaseFigures small = measureBase(home, cli, BenchHome.TINY_BASE, SMALL_COPY_RUNS);
      Path largeImage = home.path().resolve("large-source.qcow2");
      makeLargeBase(largeImage);
      home.xray().bases().importImage(largeImage, LARGE_BASE, true);
      BaseFigures large = measureBase(home, cli, LARGE_BASE, LARGE_COPY_RUNS);
      String report = report(small, large);
      Files.writeString(output, report);
      System.out.println(report);
    }
  }

  /**
   * Writes a qcow2 image of {@value #LARGE_BASE_GIB} GiB whose every byte is 0xab, so a copy
   * has to move all of it. It is written in 1 GiB requests, because qemu-io 7.2 rejects a
   * write longer than 2147483136 bytes.
   */
  private static void makeLargeBase(Path image) throws IOException, InterruptedException {
    Commands.time("qemu-img", "create", "-q", "-f", "qcow2", image.toString(),
        LARGE_BASE_GIB + "G");
    List<String> command = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
    for (int gib = 0; gib < LARGE_BASE_GIB; gib++) {
      command.addAll(List.of("-c", "write -q -P 0xab " + gib + "G 1G"));
    }
    command.add(image.toString());
    Commands.time(command, Map.of(), null);
  }

  /**
   * Measures the creates on one base in rounds, one run of each kind per round, so that a burst
   * of load from other programs falls on all kinds alike. Round 0 is a warm-up, and the CLI
   * takes part only in the first {@value #CLI_RUNS} rounds after it. The copies run afterwards.
   */
  private static BaseFigures measureBase(BenchHome home, Cli cli, String base, int copyRuns)
      throws Exception {
    Path baseFile = home.path().resolve("bases").resolve(base + ".qcow2");
    List<Double> qemuImg = new ArrayList<>();
    List<Double> qemuImgPair = new ArrayList<>();
    List<Double> library = new ArrayList<>();
    List<Double> cliCreate = new ArrayList<>();
    for (int round = 0; round <= ROUNDS; round++) {
      double bare = timeQemuImg(home, base, round, false);
      double pair = timeQemuImg(home, base, round, true);
      double libraryMillis = timeLibrary(home, base, round);
      double command = round <= CLI_RUNS ? timeCli(home, cli, base, round) : Double.NaN;
      if (round > 0) {
        qemuImg.add(bare);
        qemuImgPair.add(pair);
        library.add(libraryMillis);
        if (round <= CLI_RUNS) {
          cliCreate.add(command);
        }
      }
    }
    Stats copy = measureCopy(home, baseFile, copyRuns);
    return new BaseFigures(Stats.of(qemuImg), Stats.of(qemuImgPair), Stats.of(library),
        Stats.of(cliCreate), copy, Files.size(baseFile));
  }

  /**
   * Times {@code qemu-img create} of an overlay in a folder of its own under {@code vms/}, with
   * the same relative backing path as xray's overlays, and with {@code withVars} also the
   * {@code qemu-img convert} of the UEFI variable store template to qcow2 that xray runs.
   * Deleting the folder is not timed.
   */
  private static double timeQemuImg(BenchHome home, String base, int round, boolean withVars)
      throws Exception {
    Path folder = Files.createDirectory(home.path().resolve("vms")
        .resolve(".bare-" + base + "-" + round + (withVars ? "-vars" : "")));
    double millis = Commands.time(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F",
        "qcow2", "-b", "../../bases/" + base + ".qcow2", "disk.qcow2"), Map.of(), folder);
    if (withVars) {
      millis += Commands.time(List.of("qemu-img", "convert", "-q", "-f", FIRMWARE.varsFormat(),
          "-O", "qcow2", FIRMWARE.varsTemplate().toString(), "vars.qcow2"), Map.of(), folder);
    }
    BenchHome.deleteRecursively(folder);
    return millis;
  }

  /** Times {@code vms().create()}; removing the VM is not timed. */
  private static double timeLibrary(BenchHome home, String base, int round) throws Exception {
    String name = "lib-" + base + "-" + round;
    double millis = Commands.millis(() -> home.xray().vms().create(
        BenchHome.spec(name, base, 256)));
    home.xray().vms().get(name).remove();
    return millis;
  }

  /** Times {@code xray create}; removing the VM is not timed. */
  private static double timeCli(BenchHome home, Cli cli, String base, int round)
      throws Exception {
    String name = "cli-" + base + "-" + round;
    double millis = cli.time("create", name, "--base", base, "--memory", "256", "--cpus", "1");
    home.xray().vms().get(name).remove();
    return millis;
  }

  /**
   * Times {@code cp --reflink=never} of the base file. The copy is flushed to disk with
   * {@code sync FILE} and deleted before the next run, both untimed, so no run pays for the
   * write-back of the one before.
   */
  private static Stats measureCopy(BenchHome home, Path baseFile, int runs) throws Exception {
    List<Double> samples = new ArrayList<>();
    Path copy = home.path().resolve("copy.qcow2");
    for (int run = 0; run < runs; run++) {
      samples.add(Commands.time("cp", "--reflink=never", baseFile.toString(), copy.toString()));
      Commands.time("sync", copy.toString());
      Files.delete(copy);
    }
    return Stats.of(samples);
  }

  private static String report(BaseFigures small, BaseFigures large) {
    StringBuilder md = new StringBuilder();
    md.append("## Create a VM\n\n");
    md.append(String.format(Locale.ROOT, "Wall time to create one VM on a base image, in ms: "
        + "median (min–max). Bases: the tiny test guest (64 MiB virtual, a %.0f MiB file) and "
        + "a %d GiB qcow2 image whose every byte was written (a %.0f MiB file). "
        + "Library: `vms().create()` in a warm JVM, %d runs; it runs `qemu-img create` for the "
        + "overlay and `qemu-img convert` for the UEFI variable store. CLI: `xray create NAME "
        + "--base BASE`, a new JVM each time, %d runs. Floor: `qemu-img create -f qcow2 -F "
        + "qcow2 -b ../../bases/BASE.qcow2 disk.qcow2`, %d runs. These take turns, one run of "
        + "each per round, after one warm-up round. Full copy, afterwards: `cp --reflink=never` "
        + "of the base file, the cost of a tool that keeps a copy of the image per VM (Lima's "
        + "documentation of its internal data structure lists the base image as `basedisk` in "
        + "each instance's folder), %d runs on the small base and %d on the large one. `cp` "
        + "returns once the data is in the page cache, and the write-back after it is not "
        + "timed. Removing each VM or copy is not timed.%n%n",
        small.fileBytes() / 1048576.0, LARGE_BASE_GIB, large.fileBytes() / 1048576.0,
        ROUNDS, CLI_RUNS, ROUNDS, SMALL_COPY_RUNS, LARGE_COPY_RUNS));

    md.append("| create | 64 MiB base | " + LARGE_BASE_GIB + " GiB base |\n");
    md.append("| --- | --- | --- |\n");
    row(md, "bare `qemu-img create` (floor)", small.qemuImg(), large.qemuImg());
    row(md, "bare `qemu-img create` + `qemu-img convert` of the variable store",
        small.qemuImgPair(), large.qemuImgPair());
    row(md, "xray library `vms().create()`", small.library(), large.library());
    row(md, "xray CLI `xray create`", small.cli(), large.cli());
    row(md, "full copy, `cp`", small.copy(), large.copy());

    md.append(String.format(Locale.ROOT, "| library / floor, medians | %.2f | %.2f |%n",
        small.library().median() / small.qemuImg().median(),
        large.library().median() / large.qemuImg().median()));
    double speedup = large.copy().median() / large.library().median();
    md.append(String.format(Locale.ROOT, "| full copy / library, medians | %.1f | %.1f |%n%n",
        small.copy().median() / small.library().median(), speedup));

    double worstRatio = Math.max(small.library().median() / small.qemuImg().median(),
        large.library().median() / large.qemuImg().median());
    md.append(String.format(Locale.ROOT, "Targets: library create within %.0fx of the bare "
        + "`qemu-img create`: %s (%.2fx at worst). At least %.0fx faster than a full copy of the "
        + "%d GiB base: %s (%.0fx).%n%n", TARGET_FLOOR_RATIO,
        worstRatio <= TARGET_FLOOR_RATIO ? "met" : "not met", worstRatio, TARGET_COPY_SPEEDUP,
        LARGE_BASE_GIB, speedup >= TARGET_COPY_SPEEDUP ? "met" : "not met", speedup));
    return md.toString();
  }

  private static void row(StringBuilder md, String label, Stats small, Stats large) {
    md.append("| ").append(label).append(" | ").append(small.format(1)).append(" | ")
        .append(large.format(1)).append(" |\n");
  }
}
