package dev.xray.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.xray.api.ProgressListener;
import dev.xray.api.QemuException;
import dev.xray.api.SerialConsole;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.Xray;
import dev.xray.api.XrayException;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots of a running guest: several tags, where the RAM state goes, and failures. */
@RequiresQemu
class SnapshotModelIT {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);

  @TempDir
  Path temp;

  private Vm bootedVm(Path home) {
    Xray xray = Xray.open(home);
    xray.bases().importImage(TestGuest.image(), "tiny", true);
    Vm vm = xray.vms().create(VmSpec.builder("vm").base("tiny").memory(TinyGuest.MEMORY_MIB)
        .cpus(1).build());
    vm.start();
    vm.awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT);
    return vm;
  }

  @Test
  void revertsBetweenSeveralSnapshotsAfterDeletingOne() throws Exception {
    Vm vm = bootedVm(temp.resolve("home"));
    try (SerialConsole console = vm.openConsole()) {
      for (String tag : List.of("one", "two", "three")) {
        TinyGuest.runCommand(console, "echo " + tag + " > /tmp/marker", COMMAND);
        vm.snapshots().create(tag);
      }
      TinyGuest.runCommand(console, "echo four > /tmp/marker", COMMAND);
      assertThat(vm.snapshots().list()).extracting(SnapshotInfo::tag)
          .containsExactly("one", "two", "three");

      vm.snapshots().revert("one");
      assertThat(marker(console)).isEqualTo("one");
      vm.snapshots().revert("three");
      assertThat(marker(console)).isEqualTo("three");
      vm.snapshots().delete("two");
      vm.snapshots().revert("one");
      assertThat(marker(console)).isEqualTo("one");
      vm.snapshots().revert("three");
      assertThat(marker(console)).isEqualTo("three");
    } finally {
      vm.kill();
    }
    assertThat(vm.snapshots().list()).extracting(SnapshotInfo::tag)
        .containsExactly("one", "three");
  }

  @Test
  void ramStateGoesIntoTheOverlayNotTheVarsFile() throws Exception {
    Vm vm = bootedVm(temp.resolve("home"));
    try {
      SnapshotInfo live = vm.snapshots().create("live");
      assertThat(live.vmStateSize()).isGreaterThan(1_000_000);
      String vars = run("qemu-img", "info", "-U", "--output=json",
          vm.directory().resolve("vars.qcow2").toString());
      assertThat(vars).contains("\"name\": \"live\"").contains("\"vm-state-size\": 0");
      String disk = run("qemu-img", "info", "-U", "--output=json",
          vm.directory().resolve("disk.qcow2").toString());
      assertThat(disk).contains("\"name\": \"live\"").doesNotContain("\"vm-state-size\": 0,");
    } finally {
      vm.kill();
    }
  }

  @Test
  void liveSaveAndLoadReportBytes() throws Exception {
    Vm vm = bootedVm(temp.resolve("home"));
    List<long[]> saved = new ArrayList<>();
    List<long[]> loaded = new ArrayList<>();
    try (SerialConsole console = vm.openConsole()) {
      // Random bytes in the guest's RAM make a state that zero-page skipping cannot shrink.
      TinyGuest.runCommand(console, "head -c 24000000 /dev/urandom > /tmp/fill", BOOT);

      SnapshotInfo live = vm.snapshots().create("live", false, recorder(saved));
      vm.snapshots().revert("live", recorder(loaded));

      long ramBytes = (long) TinyGuest.MEMORY_MIB << 20;
      assertThat(live.vmStateSize()).isGreaterThan(24_000_000);
      assertCounts(saved, ramBytes);
      assertCounts(loaded, live.vmStateSize());
      assertThat(TinyGuest.runCommand(console, "wc -c < /tmp/fill", COMMAND).strip())
          .isEqualTo("24000000");
    } finally {
      vm.kill();
    }
  }

  private static ProgressListener recorder(List<long[]> calls) {
    return (done, total) -> {
      synchronized (calls) {
        calls.add(new long[] {done, total});
      }
    };
  }

  /** Checks that the counts rise to {@code total} and end on it; the samples between vary. */
  private static void assertCounts(List<long[]> calls, long total) {
    synchronized (calls) {
      assertThat(calls).isNotEmpty();
      assertThat(calls.get(calls.size() - 1)).containsExactly(total, total);
      for (int i = 0; i < calls.size(); i++) {
        assertThat(calls.get(i)[1]).isEqualTo(total);
        assertThat(calls.get(i)[0]).isBetween(0L, total);
        if (i > 0) {
          assertThat(calls.get(i)[0]).isGreaterThanOrEqualTo(calls.get(i - 1)[0]);
        }
      }
    }
  }

  @Test
  void failedSnapshotOnFullFileSystemLeavesNothingAndVmRuns() throws Exception {
    assumeThat(System.getProperty("user.name")).as("mounting a tmpfs needs root")
        .isEqualTo("root");
    Path home = temp.resolve("small");
    Files.createDirectories(home);
    // 48 MiB fits the overlay, the vars and the logs, but not the guest's RAM state.
    run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", home.toString());
    Vm vm = null;
    try {
      vm = bootedVm(home);
      Vm running = vm;
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> running.snapshots().create("big"))
          .isInstanceOf(QemuException.class)
          .hasMessageContaining("keeps running");
      assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
      assertThat(vm.snapshots().list()).isEmpty();
      for (String file : List.of("disk.qcow2", "vars.qcow2")) {
        assertThat(run("qemu-img", "snapshot", "-U", "-l", vm.directory().resolve(file)
            .toString())).doesNotContain("big");
      }
      try (SerialConsole console = vm.openConsole()) {
        assertThat(TinyGuest.runCommand(console, "echo alive", COMMAND).strip())
            .isEqualTo("alive");
      }
    } finally {
      if (vm != null) {
        vm.kill();
      }
      run("umount", home.toString());
    }
  }

  @Test
  void failedLiveRevertLeavesVmPaused() throws Exception {
    Vm vm = bootedVm(temp.resolve("home"));
    try {
      vm.snapshots().create("small");
      vm.kill();
      // A state saved with 256 MiB of RAM cannot load into a VM that has 512 MiB: QEMU reverts
      // the disks, then fails on the RAM block's size.
      Path config = vm.directory().resolve("vm.toml");
      Files.writeString(config, Files.readString(config).replace(
          "memory = " + TinyGuest.MEMORY_MIB, "memory = " + 2 * TinyGuest.MEMORY_MIB));
      vm.start();
      vm.awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT);

      assertThatThrownBy(() -> vm.snapshots().revert("small"))
          .isInstanceOf(QemuException.class)
          .hasMessageContaining("revert of VM 'vm' to snapshot 'small' failed")
          .hasMessageContaining("qemu.log: ")
          .hasMessageContaining("the VM is left paused")
          .hasMessageContaining("'xray stop vm --force'");

      assertThat(vm.status()).isEqualTo(VmStatus.PAUSED);
      assertThat(vm.snapshots().list()).extracting(SnapshotInfo::tag).containsExactly("small");
    } finally {
      vm.kill();
    }
  }

  @Test
  void diskOnlyReplaceClearsPendingResume() throws Exception {
    Vm vm = bootedVm(temp.resolve("home"));
    Path config = vm.directory().resolve("vm.toml");
    try {
      vm.snapshots().create("state");
      vm.kill();
      vm.snapshots().revert("state");
      assertThat(Files.readString(config)).contains("resume_snapshot = \"state\"");

      SnapshotInfo replaced = vm.snapshots().create("state", true);

      assertThat(replaced.live()).isFalse();
      assertThat(Files.readString(config)).doesNotContain("resume_snapshot");
      vm.start();
      vm.awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT);
      assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    } finally {
      vm.kill();
    }
  }

  @Test
  void liveReplaceWithoutRoomKeepsOld() throws Exception {
    assumeThat(System.getProperty("user.name")).as("mounting a tmpfs needs root")
        .isEqualTo("root");
    Path home = temp.resolve("tight");
    Files.createDirectories(home);
    // Room for one RAM state of the idle guest, but less free space than its 256 MiB of RAM.
    run("mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", home.toString());
    Vm vm = null;
    try {
      vm = bootedVm(home);
      Vm running = vm;
      vm.snapshots().create("keep");
      assumeThat(Files.getFileStore(vm.directory()).getUsableSpace())
          .as("free space after the first snapshot").isLessThan(256L << 20);

      assertThatThrownBy(() -> running.snapshots().create("keep", true))
          .isInstanceOf(XrayException.class)
          .hasMessageContaining("cannot replace snapshot 'keep' of VM 'vm'")
          .hasMessageContaining("xray snapshot delete vm keep");

      assertThat(vm.snapshots().list()).extracting(SnapshotInfo::tag).containsExactly("keep");
      assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    } finally {
      if (vm != null) {
        vm.kill();
      }
      run("umount", home.toString());
    }
  }

  private static String marker(SerialConsole console) {
    return TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip();
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("exit code of %s: %s", List.of(command), output).isZero();
    return output;
  }
}
