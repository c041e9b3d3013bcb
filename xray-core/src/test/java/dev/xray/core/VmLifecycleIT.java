package dev.xray.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.api.AlreadyExistsException;
import dev.xray.api.ImageException;
import dev.xray.api.InvalidStateException;
import dev.xray.api.NotFoundException;
import dev.xray.api.QemuException;
import dev.xray.api.SerialConsole;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.Xray;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The VM lifecycle through the library API, on the real test guest under QEMU. */
@RequiresQemu
class VmLifecycleIT {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);
  private static final Pattern READY = Pattern.compile(TinyGuest.READY_LINE);

  @TempDir
  Path temp;

  private Xray xray;
  private String baseChecksum;

  @BeforeEach
  void importBase() throws IOException {
    xray = Xray.open(temp.resolve("home"));
    xray.bases().importImage(TestGuest.image(), "tiny", false);
    baseChecksum = Sha256.of(xray.bases().get("tiny").path());
  }

  @AfterEach
  void killEverything() throws IOException {
    for (Vm vm : xray.vms().list()) {
      vm.kill();
      assertThat(vm.status()).isEqualTo(VmStatus.STOPPED);
    }
    assertThat(Sha256.of(xray.bases().get("tiny").path())).isEqualTo(baseChecksum);
  }

  private Vm createVm(String name) {
    return xray.vms().create(VmSpec.builder(name).base("tiny").memory(TinyGuest.MEMORY_MIB)
        .cpus(1).build());
  }

  @Test
  void liveSnapshotRestoresMemory() {
    Vm vm = createVm("live");
    vm.start();
    assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    vm.awaitSerialLine(READY, BOOT);
    try (SerialConsole console = vm.openConsole()) {
      TinyGuest.runCommand(console, "echo before > /tmp/marker", COMMAND);
      SnapshotInfo snapshot = vm.snapshots().create("ready");
      assertThat(snapshot.live()).isTrue();
      assertThat(snapshot.vmStateSize()).isGreaterThan(1_000_000);

      String changed = TinyGuest.runCommand(console, "echo after > /tmp/marker; cat /tmp/marker",
          COMMAND);
      assertThat(changed.strip()).isEqualTo("after");
      vm.snapshots().revert("ready");
      assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
      assertThat(TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip())
          .isEqualTo("before");
    }
    vm.stop(Duration.ofSeconds(30));
    assertThat(vm.status()).isEqualTo(VmStatus.STOPPED);
    assertThat(vm.directory().resolve("serial.log")).content()
        .contains("GUEST-POWERBUTTON: powering off");
    assertThat(vm.directory().resolve("pid")).doesNotExist();
  }

  @Test
  void stoppedRevertOfLiveSnapshotResumesWithoutBooting() throws IOException {
    Vm vm = createVm("resume");
    vm.start();
    vm.awaitSerialLine(READY, BOOT);
    try (SerialConsole console = vm.openConsole()) {
      TinyGuest.runCommand(console, "echo saved > /tmp/marker", COMMAND);
      vm.snapshots().create("saved");
      TinyGuest.runCommand(console, "echo later > /tmp/marker", COMMAND);
    }
    vm.stop(Duration.ofSeconds(30));
    assertThat(vm.snapshots().list()).singleElement()
        .satisfies(snapshot -> assertThat(snapshot.revertible()).isTrue());

    vm.snapshots().revert("saved");
    vm.start();
    try (SerialConsole console = vm.openConsole()) {
      assertThat(TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip())
          .isEqualTo("saved");
    }
    assertThat(Files.readString(vm.directory().resolve("serial.log")))
        .doesNotContain(TinyGuest.READY_LINE);
  }

  @Test
  void diskOnlySnapshotCannotBeLoadedWhileRunning() {
    Vm vm = createVm("diskonly");
    vm.snapshots().create("offline");
    vm.start();
    assertThat(vm.snapshots().list()).singleElement()
        .satisfies(snapshot -> assertThat(snapshot.revertible()).isFalse());
    assertThatThrownBy(() -> vm.snapshots().revert("offline"))
        .isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("disk-only")
        .hasMessageContaining("stop the VM first");
    assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    assertThatThrownBy(() -> vm.snapshots().create("offline"))
        .isInstanceOf(AlreadyExistsException.class);
    vm.snapshots().delete("offline");
    assertThat(vm.snapshots().list()).isEmpty();
  }

  @Test
  void runningVmIsNotRemovedAndItsBaseStays() {
    Vm vm = createVm("busy");
    vm.start();
    assertThatThrownBy(vm::start).isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("already running");
    assertThatThrownBy(vm::remove).isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("is running");
    assertThatThrownBy(() -> xray.bases().remove("tiny"))
        .isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("busy");
    vm.kill();
    vm.remove();
    assertThat(xray.vms().list()).isEmpty();
    assertThat(temp.resolve("home/vms/busy")).doesNotExist();
  }

  @Test
  void startReportsQemuErrorAndLeavesNoProcess() throws IOException {
    Vm vm = createVm("broken");
    Files.writeString(vm.directory().resolve("vars.qcow2"), "not a qcow2 image");
    assertThatThrownBy(vm::start).isInstanceOf(QemuException.class)
        .hasMessageContaining("QEMU failed to start VM 'broken'")
        .hasMessageContaining("qcow2");
    assertThat(vm.status()).isEqualTo(VmStatus.STOPPED);
    assertThat(vm.directory().resolve("pid")).doesNotExist();
    assertThat(vm.directory().resolve("qmp.sock")).doesNotExist();
  }

  @Test
  void badInputChangesNothing() throws IOException {
    Path notAnImage = temp.resolve("notes.txt");
    Files.writeString(notAnImage, "not a disk image\n".repeat(100));
    assertThatThrownBy(() -> xray.bases().importImage(temp.resolve("missing.qcow2"), "x", false))
        .isInstanceOf(ImageException.class).hasMessageContaining("not found");
    assertThatThrownBy(() -> xray.bases().importImage(notAnImage, "x", false))
        .isInstanceOf(ImageException.class).hasMessageContaining("not a qcow2 image");
    assertThatThrownBy(() -> createVm("../escape")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VmSpec.builder("ok").memory(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memory");
    assertThatThrownBy(() -> VmSpec.builder("ok").cpus(-1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpus");
    assertThatThrownBy(() -> xray.vms().create(VmSpec.builder("vm").base("nope").build()))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("nope");
    createVm("vm");
    assertThatThrownBy(() -> createVm("vm")).isInstanceOf(AlreadyExistsException.class);
    assertThatThrownBy(() -> xray.vms().get("vm").snapshots().revert("none"))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("none");
    try (var entries = Files.list(temp.resolve("home/vms"))) {
      assertThat(entries.map(path -> path.getFileName().toString()).toList())
          .isEqualTo(List.of("vm"));
    }
    assertThat(xray.bases().list()).extracting(base -> base.name()).containsExactly("tiny");
  }
}
