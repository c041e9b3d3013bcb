package dev.xray.bench;

import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmStatus;
import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Measures snapshots of the tiny guest through xray beside the same work done by hand: live
 * snapshots of a running, booted guest at two RAM sizes beside {@code snapshot-save} and
 * {@code snapshot-load} jobs sent over a bare QMP socket, and disk-only snapshots of a stopped VM
 * beside {@code qemu-img snapshot} on its overlay and variable store. Writes a Markdown section
 * to the file named by the first argument.
 */
public final class SnapshotBenchmark {
  private static final int LIVE_RUNS = 10;
  private static final int STOPPED_RUNS = 8;
  private static final int[] MEMORY_MIB = {TinyGuest.MEMORY_MIB, 1024};
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);
  private static final Pattern READY = Pattern.compile(Pattern.quote(TinyGuest.READY_LINE));
  private static final Pattern PROMPT = Pattern.compile(Pattern.quote(TinyGuest.PROMPT));
  /** The target: xray at most this many times the time of the same work by hand. */
  private static final double TARGET_RATIO = 1.1;

  private SnapshotBenchmark() {}

  /** The figures of one kind of snapshot: create and revert, by xray and by hand. */
  private record Figures(String label, boolean live, Stats xrayCreate, Stats handCreate,
      Stats xrayRevert, Stats handRevert) {}

  public static void main(String[] args) throws Exception {
    Path output = Path.of(args.length > 0 ? args[0] : "snapshots.md");
    List<Figures> figures = new ArrayList<>();
    try (BenchHome home = BenchHome.create("snap")) {
      home.importTinyBase();
      for (int memory : MEMORY_MIB) {
        Vm vm = home.xray().vms().create(BenchHome.spec("snap-" + memory, BenchHome.TINY_BASE,
            memory));
        vm.start();
        vm.awaitSerialLine(READY, BOOT_TIMEOUT);
        vm.awaitSerialLine(PROMPT, BOOT_TIMEOUT);
        figures.add(measureLive(vm, memory));
        if (memory == MEMORY_MIB[0]) {
          vm.stop(Duration.ofSeconds(60));
          figures.add(measureStopped(vm));
        } else {
          BenchHome.kill(vm);
        }
      }
    }
    String report = report(figures);
    Files.writeString(output, report);
    System.out.println(report);
  }

  /**
   * Alternates xray and hand runs of create then revert, after one warm-up of each. Each
   * snapshot gets a new tag and is deleted through xray after its revert, untimed. The hand
   * runs include connecting to the monitor, as xray's do.
   */
  private static Figures measureLive(Vm vm, int memory) throws Exception {
    Path socket = vm.directory().resolve("qmp.sock");
    List<Double> xrayCreate = new ArrayList<>();
    List<Double> handCreate = new ArrayList<>();
    List<Double> xrayRevert = new ArrayList<>();
    List<Double> handRevert = new ArrayList<>();
    for (int run = 0; run <= LIVE_RUNS; run++) {
      String xrayTag = "xray-" + run;
      double create = Commands.millis(() -> vm.snapshots().create(xrayTag));
      double revert = Commands.millis(() -> vm.snapshots().revert(xrayTag));
      vm.snapshots().delete(xrayTag);

      String handTag = "hand-" + run;
      double handSave = Commands.millis(() -> {
        try (BareMonitor monitor = new BareMonitor(socket)) {
          monitor.runSnapshotJob("snapshot-save", "save-" + handTag, handTag);
        }
      });
      requireLiveSnapshot(vm, handTag);
      double handLoad = Commands.millis(() -> {
        try (BareMonitor monitor = new BareMonitor(socket)) {
          monitor.runSnapshotJob("snapshot-load", "load-" + handTag, handTag);
        }
      });
      requireRunning(vm);
      vm.snapshots().delete(handTag);
      if (run > 0) {
        xrayCreate.add(create);
        xrayRevert.add(revert);
        handCreate.add(handSave);
        handRevert.add(handLoad);
      }
    }
    return new Figures("live, running guest, " + memory + " MiB RAM", true, Stats.of(xrayCreate),
        Stats.of(handCreate), Stats.of(xrayRevert), Stats.of(handRevert));
  }

  /** Like {@link #measureLive}, with {@code qemu-img snapshot -c} and {@code -a} by hand. */
  private static Figures measureStopped(Vm vm) throws Exception {
    Path disk = vm.directory().resolve("disk.qcow2");
    Path vars = vm.directory().resolve("vars.qcow2");
    List<Double> xrayCreate = new ArrayList<>();
    List<Double> handCreate = new ArrayList<>();
    List<Double> xrayRevert = new ArrayList<>();
    List<Double> handRevert = new ArrayList<>();
    for (int run = 0; run <= STOPPED_RUNS; run++) {
      String xrayTag = "disk-xray-" + run;
      double create = Commands.millis(() -> vm.snapshots().create(xrayTag));
      double revert = Commands.millis(() -> vm.snapshots().revert(xrayTag));
      vm.snapshots().delete(xrayTag);

      String handTag = "disk-hand-" + run;
      double handSnapshot = Commands.millis(() -> {
        Commands.time("qemu-img", "snapshot", "-c", handTag, disk.toString());
        Commands.time("qemu-img", "snapshot", "-c", handTag, vars.toString());
      });
      double handApply = Commands.millis(() -> {
        Commands.time("qemu-img", "snapshot", "-a", handTag, disk.toString());
        Commands.time("qemu-img", "snapshot", "-a", handTag, vars.toString());
      });
      vm.snapshots().delete(handTag);
      if (run > 0) {
        xrayCreate.add(create);
        xrayRevert.add(revert);
        handCreate.add(handSnapshot);
        handRevert.add(handApply);
      }
    }
    return new Figures("disk-only, stopped VM", false, Stats.of(xrayCreate), Stats.of(handCreate),
        Stats.of(xrayRevert), Stats.of(handRevert));
  }

  /** Checks, untimed, that the hand-sent job left a snapshot with RAM state. */
  private static void requireLiveSnapshot(Vm vm, String tag) throws IOException {
    boolean found = vm.snapshots().list().stream()
        .anyMatch(snapshot -> snapshot.tag().equals(tag) && snapshot.live());
    if (!found) {
      throw new IOException("the snapshot-save job sent by hand left no live snapshot '" + tag
          + "' on VM " + vm.name() + "; its snapshots: " + vm.snapshots().list().stream()
              .map(SnapshotInfo::tag).toList());
    }
  }

  /** Checks, untimed, that the guest runs after the hand-sent snapshot-load job. */
  private static void requireRunning(Vm vm) throws IOException {
    VmStatus status = vm.status();
    if (status != VmStatus.RUNNING) {
      throw new IOException("VM " + vm.name() + " is " + status.label() + " after the "
          + "snapshot-load job sent by hand");
    }
  }

  private static String report(List<Figures> figures) {
    StringBuilder md = new StringBuilder();
    md.append("## Snapshots\n\n");
    md.append(String.format(Locale.ROOT, "Wall time of one snapshot create and one revert of "
        + "the tiny guest (1 vCPU, TCG), in ms: median (min–max). Live: the guest has booted to "
        + "its shell; xray's `vm.snapshots().create(tag)` and `revert(tag)` beside a bare QMP "
        + "client that connects, sends `snapshot-save` or `snapshot-load` with `\"vmstate\": "
        + "\"disk0\", \"devices\": [\"disk0\", \"firmware-vars\"]`, waits for the job's "
        + "`JOB_STATUS_CHANGE` to `concluded` and sends `job-dismiss`; %d runs each. Disk-only: "
        + "the VM is stopped; xray beside `qemu-img snapshot -c` (create) or `-a` (revert) on "
        + "the overlay and then on the variable store; %d runs each. xray and hand runs "
        + "alternate after one warm-up of each, each run takes a new tag, and deleting it "
        + "afterwards is not timed.%n%n", LIVE_RUNS, STOPPED_RUNS));
    md.append("| snapshot | create, xray | create, by hand | revert, xray | revert, by hand "
        + "| xray / by hand, create | xray / by hand, revert |\n");
    md.append("| --- | --- | --- | --- | --- | --- | --- |\n");
    double worstLive = 0;
    double worstDisk = 0;
    for (Figures row : figures) {
      double createRatio = row.xrayCreate().median() / row.handCreate().median();
      double revertRatio = row.xrayRevert().median() / row.handRevert().median();
      md.append("| ").append(row.label()).append(" | ").append(row.xrayCreate().format(0))
          .append(" | ").append(row.handCreate().format(0)).append(" | ")
          .append(row.xrayRevert().format(0)).append(" | ").append(row.handRevert().format(0))
          .append(String.format(Locale.ROOT, " | %.2f | %.2f |%n", createRatio, revertRatio));
      double worst = Math.max(createRatio, revertRatio);
      if (row.live()) {
        worstLive = Math.max(worstLive, worst);
      } else {
        worstDisk = Math.max(worstDisk, worst);
      }
    }
    md.append(String.format(Locale.ROOT, "%nTarget: xray within %.1fx of the hand-sent job: "
        + "%s (%.2fx at worst over the live rows). The disk-only rows, held to the same %.1fx "
        + "of the `qemu-img` runs by hand: %s (%.2fx at worst).%n%n", TARGET_RATIO,
        worstLive <= TARGET_RATIO ? "met" : "not met", worstLive, TARGET_RATIO,
        worstDisk <= TARGET_RATIO ? "met" : "not met", worstDisk));
    return md.toString();
  }
}
