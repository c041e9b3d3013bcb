package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many {@code xray} processes at once on one home folder: creates that race for names, starts
 * that race for one VM, {@code list} during a live snapshot, and {@code list} against a QEMU
 * that is stopped with SIGSTOP, so its monitor never responds.
 */
@RequiresQemu
class ReliabilityConcurrencyIT {
  private static final ReliabilityFigures FIGURES =
      new ReliabilityFigures(ReliabilityConcurrencyIT.class);
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(30);
  private static final int DISTINCT_CREATES = 24;
  private static final int SAME_NAME_CREATES = 8;
  private static final int PARALLEL_LISTS = 8;
  private static final int START_RACES = 3;

  @TempDir
  Path temp;

  private ReliabilityCli xray;
  private Path home;
  private String baseChecksum;

  @BeforeEach
  void importBase() throws Exception {
    home = temp.resolve("home");
    Path outputs = Files.createDirectories(temp.resolve("outputs"));
    xray = new ReliabilityCli(home, outputs);
    xray.succeed("base", "import", TestGuest.image().toString(), "--name", "tiny");
    baseChecksum = Sha256.of(home.resolve("bases/tiny.qcow2"));
  }

  @AfterEach
  void killVms() throws Exception {
    if (Files.isDirectory(home)) {
      Xray.open(home).vms().list().forEach(Vm::kill);
    }
  }

  private void assertHomeConsistent(String context) throws IOException {
    ReliabilityHome.assertConsistent(home, context, Map.of("tiny", baseChecksum));
    assertThat(ReliabilityHome.inspect(home).leftovers()).as("leftovers after %s", context)
        .isEmpty();
  }

  @Test
  void parallelCreatesKeepOneVmPerName() throws Exception {
    List<ReliabilityCli.Started> distinct = new ArrayList<>();
    List<ReliabilityCli.Started> sameName = new ArrayList<>();
    List<ReliabilityCli.Started> lists = new ArrayList<>();
    for (int i = 0; i < DISTINCT_CREATES; i++) {
      distinct.add(xray.spawn("create", "vm" + i, "--base", "tiny", "--memory", "256"));
      if (i % 3 == 0 && sameName.size() < SAME_NAME_CREATES) {
        sameName.add(xray.spawn("create", "shared", "--base", "tiny", "--memory", "256"));
      }
      if (i % 3 == 1 && lists.size() < PARALLEL_LISTS) {
        lists.add(xray.spawn("list"));
      }
    }
    while (sameName.size() < SAME_NAME_CREATES) {
      sameName.add(xray.spawn("create", "shared", "--base", "tiny", "--memory", "256"));
    }
    while (lists.size() < PARALLEL_LISTS) {
      lists.add(xray.spawn("list"));
    }
    List<ReliabilityCli.Started> all = new ArrayList<>(distinct);
    all.addAll(sameName);
    all.addAll(lists);
    long aliveAtOnce = all.stream().filter(ReliabilityCli.Started::isAlive).count();

    for (ReliabilityCli.Started started : distinct) {
      ReliabilityCli.Run run = started.await();
      assertThat(run.exitCode()).as("exit code of %s", run).isZero();
      assertThat(run.stdout()).as("stdout of %s", run).contains("Created VM");
    }
    int created = 0;
    int rejected = 0;
    for (ReliabilityCli.Started started : sameName) {
      ReliabilityCli.Run run = started.await();
      if (run.exitCode() == 0) {
        created++;
        continue;
      }
      assertThat(run.exitCode()).as("exit code of %s", run).isEqualTo(1);
      assertThat(run.errorLines()).as("error lines of %s", run).singleElement().asString()
          .contains("VM 'shared' already exists");
      rejected++;
    }
    assertThat(created).as("creates of 'shared' that succeeded").isEqualTo(1);
    assertThat(rejected).as("creates of 'shared' rejected").isEqualTo(SAME_NAME_CREATES - 1);
    for (ReliabilityCli.Started started : lists) {
      ReliabilityCli.Run run = started.await();
      assertThat(run.exitCode()).as("exit code of %s", run).isZero();
    }

    ReliabilityCli.Run list = xray.succeed("list", "--json");
    for (int i = 0; i < DISTINCT_CREATES; i++) {
      assertThat(list.stdout()).contains("\"name\" : \"vm" + i + "\"");
    }
    assertThat(list.stdout().split("\"name\"", -1)).as("VMs listed").hasSize(DISTINCT_CREATES + 2);
    assertHomeConsistent("parallel creates");
    FIGURES.put("parallel processes on one home", all.size());
    FIGURES.put("parallel processes alive at once", aliveAtOnce);
    FIGURES.put("duplicate creates rejected with 'already exists'", rejected);
  }

  @Test
  void simultaneousStartsRunOneQemu() throws Exception {
    xray.succeed("create", "racer", "--base", "tiny", "--memory", "256", "--cpus", "1");
    Path vmDirectory = home.resolve("vms/racer");
    for (int round = 0; round < START_RACES; round++) {
      ReliabilityCli.Started first = xray.spawn("start", "racer");
      ReliabilityCli.Started second = xray.spawn("start", "racer");
      List<ReliabilityCli.Run> runs = List.of(first.await(), second.await());
      assertThat(runs).as("starts of round %d", round)
          .filteredOn(run -> run.exitCode() == 0).singleElement()
          .satisfies(run -> assertThat(run.stdout()).contains("Started VM racer"));
      assertThat(runs).as("starts of round %d", round)
          .filteredOn(run -> run.exitCode() != 0).singleElement()
          .satisfies(run -> {
            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.errorLines()).singleElement().asString()
                .contains("VM 'racer' is already running");
          });
      assertThat(ReliabilityHost.qemuPidsOf(vmDirectory)).as("QEMU processes of round %d", round)
          .hasSize(1);
      assertThat(xray.succeed("list").stdout()).containsPattern("racer\\s+running");
      xray.succeed("stop", "racer", "--force");
      assertThat(ReliabilityHost.qemuPidsOf(vmDirectory)).isEmpty();
    }
    assertHomeConsistent("simultaneous starts");
    FIGURES.put("simultaneous start races, each with exactly one QEMU", START_RACES);
  }

  @Test
  void listDuringLiveSnapshotReturnsPromptly() throws Exception {
    // 1 GiB of guest RAM, 384 MiB of it random data in /dev/shm, makes a RAM state large enough
    // that saving it takes longer than a list.
    xray.succeed("create", "snap", "--base", "tiny", "--memory", "1024", "--cpus", "1");
    xray.succeed("start", "snap");
    Vm vm = Xray.open(home).vms().get("snap");
    vm.awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT);
    try (SerialConsole console = vm.openConsole()) {
      TinyGuest.runCommand(console, "dd if=/dev/urandom of=/dev/shm/fill0 bs=1M count=64"
          + " && for i in 1 2 3 4 5; do cp /dev/shm/fill0 /dev/shm/fill$i; done", BOOT);
    }
    long idleMillis = xray.succeed("list").millis();
    Path lockFile = home.resolve("vms/snap/lock");

    int attempts = 0;
    long listMillis = -1;
    long snapshotMillis = -1;
    while (listMillis < 0) {
      attempts++;
      assertThat(attempts).as("attempts to run list inside a snapshot").isLessThanOrEqualTo(5);
      ReliabilityCli.Started snapshot = xray.spawn("snapshot", "create", "snap",
          "during" + attempts);
      awaitLockTaken(lockFile, snapshot);
      ReliabilityCli.Run list = xray.run("list");
      boolean snapshotStillRunning = snapshot.isAlive();
      ReliabilityCli.Run snapshotRun = snapshot.await();
      assertThat(snapshotRun.exitCode()).as("exit code of %s", snapshotRun).isZero();
      assertThat(list.exitCode()).as("exit code of %s", list).isZero();
      assertThat(list.stdout()).as("stdout of %s", list).containsPattern("snap\\s+running");
      if (snapshotStillRunning) {
        listMillis = list.millis();
        snapshotMillis = snapshotRun.millis();
      }
    }
    assertThat(listMillis).as("list during a live snapshot, in ms (idle list: %d ms)",
        idleMillis).isLessThan(idleMillis + 1500);
    assertHomeConsistent("list during a live snapshot");
    FIGURES.put("list during a live snapshot, ms", listMillis);
    FIGURES.put("idle list, ms", idleMillis);
    FIGURES.put("live snapshot that list ran inside, ms", snapshotMillis);
  }

  /** Waits until another process holds the VM lock, which the snapshot takes first. */
  private static void awaitLockTaken(Path lockFile, ReliabilityCli.Started holder)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      assertThat(holder.isAlive()).as("%s still runs", "snapshot create").isTrue();
      try (dev.xray.core.internal.FileLocks.Held held = dev.xray.core.internal.FileLocks.acquire(
          lockFile, Duration.ZERO, "test")) {
        // Free: the snapshot has not taken the lock yet.
      } catch (dev.xray.api.XrayTimeoutException e) {
        return;
      }
      assertThat(System.nanoTime()).as("time until snapshot takes the VM lock")
          .isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void listReportsStoppedQemuAsUnresponsive() throws Exception {
    xray.succeed("create", "frozen", "--base", "tiny", "--memory", "256", "--cpus", "1");
    xray.succeed("start", "frozen");
    long pid = Long.parseLong(Files.readString(home.resolve("vms/frozen/pid")).strip());
    assertThat(ReliabilityHost.qemuPidsOf(home.resolve("vms/frozen"))).containsExactly(pid);
    ReliabilityHost.signal(pid, "STOP");
    long slowestMillis = 0;
    try {
      // Every status query that times out leaves its connection in QEMU's listen queue, so the
      // third and later queries meet a full backlog.
      for (int i = 0; i < 4; i++) {
        ReliabilityCli.Run list = xray.succeed("list");
        assertThat(list.stdout()).as("stdout of %s", list).containsPattern("frozen\\s+unresponsive");
        assertThat(list.millis()).as("duration of list %d, ms", i).isLessThan(8000);
        slowestMillis = Math.max(slowestMillis, list.millis());
      }
      ReliabilityCli.Run info = xray.succeed("info", "frozen");
      assertThat(info.stdout()).contains("unresponsive (pid " + pid + ")");
      assertThat(info.millis()).as("duration of info, ms").isLessThan(15000);
      xray.fail(1, "does not respond", "snapshot", "create", "frozen", "never");
      ReliabilityCli.Run kill = xray.succeed("stop", "frozen", "--force");
      assertThat(kill.stdout()).contains("Killed VM frozen");
      assertThat(ReliabilityHost.awaitExit(pid, Duration.ofSeconds(10))).isTrue();
    } finally {
      if (ReliabilityHost.isAlive(pid)) {
        ReliabilityHost.signal(pid, "CONT");
        ReliabilityHost.signal(pid, "KILL");
      }
    }
    assertThat(xray.succeed("list").stdout()).containsPattern("frozen\\s+stopped");
    assertHomeConsistent("a stopped QEMU");
    FIGURES.put("slowest list against a SIGSTOPped QEMU, ms", slowestMillis);
  }
}
