package dev.xray.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.Xray;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Disk-only snapshots of a stopped VM, checked with qemu-img and qemu-io on its files. */
@RequiresQemu
class StoppedSnapshotsIT {
  @TempDir
  Path temp;

  @Test
  void createListRevertDeleteOnStoppedVm() throws Exception {
    Xray xray = Xray.open(temp.resolve("home"));
    xray.bases().importImage(TestGuest.image(), "tiny", false);
    String baseChecksum = Sha256.of(xray.bases().get("tiny").path());
    Vm vm = xray.vms().create(VmSpec.builder("offline").base("tiny").memory(256).build());
    Path disk = vm.directory().resolve("disk.qcow2");
    Path vars = vm.directory().resolve("vars.qcow2");

    // The scratch partition starts at 40 MiB; write a pattern there, snapshot, overwrite it.
    qemuIo(disk, "write -P 0xab 40M 64k");
    SnapshotInfo created = vm.snapshots().create("clean");
    assertThat(created.live()).isFalse();
    assertThat(created.vmStateSize()).isZero();
    assertThat(run("qemu-img", "snapshot", "-l", disk.toString())).contains("clean");
    assertThat(run("qemu-img", "snapshot", "-l", vars.toString())).contains("clean");
    qemuIo(disk, "write -P 0xcd 40M 64k");

    vm.snapshots().revert("clean");
    assertThat(qemuIo(disk, "read -P 0xab 40M 64k")).doesNotContain("Pattern verification");
    assertThat(vm.snapshots().list()).extracting(SnapshotInfo::tag).containsExactly("clean");

    vm.snapshots().create("second");
    vm.snapshots().delete("clean");
    assertThat(run("qemu-img", "snapshot", "-l", disk.toString())).doesNotContain("clean")
        .contains("second");
    assertThat(run("qemu-img", "snapshot", "-l", vars.toString())).doesNotContain("clean")
        .contains("second");
    assertThat(Sha256.of(xray.bases().get("tiny").path())).isEqualTo(baseChecksum);
    assertThat(run("qemu-img", "info", disk.toString()))
        .contains("backing file: ../../bases/tiny.qcow2")
        .contains("backing file format: qcow2");
  }

  private static String qemuIo(Path image, String command) throws Exception {
    return run("qemu-io", "-f", "qcow2", "-c", command, image.toString());
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("exit code of %s: %s", List.of(command), output).isZero();
    return output;
  }
}
