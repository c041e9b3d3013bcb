package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HomeLayoutTest {
  private final HomeLayout layout = new HomeLayout(Path.of("/home/ada/.xray"));

  @Test
  void homeIsAbsoluteAndNormalized() {
    HomeLayout relative = new HomeLayout(Path.of("a/../b/./home"));

    assertThat(relative.home().isAbsolute()).isTrue();
    assertThat(relative.home()).isEqualTo(Path.of("b/home").toAbsolutePath());
  }

  @Test
  void basesAndVmsLiveUnderHome() {
    assertThat(layout.basesDirectory()).isEqualTo(Path.of("/home/ada/.xray/bases"));
    assertThat(layout.vmsDirectory()).isEqualTo(Path.of("/home/ada/.xray/vms"));
    assertThat(layout.base("debian")).isEqualTo(Path.of("/home/ada/.xray/bases/debian.qcow2"));
    assertThat(layout.vmDirectory("web")).isEqualTo(Path.of("/home/ada/.xray/vms/web"));
  }

  @Test
  void vmFilesLiveInVmFolder() {
    HomeLayout.VmFiles files = layout.vmFiles("web");
    Path directory = Path.of("/home/ada/.xray/vms/web");

    assertThat(files.directory()).isEqualTo(directory);
    assertThat(files.config()).isEqualTo(directory.resolve("vm.toml"));
    assertThat(files.disk()).isEqualTo(directory.resolve("disk.qcow2"));
    assertThat(files.vars()).isEqualTo(directory.resolve("vars.qcow2"));
    assertThat(files.qmpSocket()).isEqualTo(directory.resolve("qmp.sock"));
    assertThat(files.consoleSocket()).isEqualTo(directory.resolve("console.sock"));
    assertThat(files.serialLog()).isEqualTo(directory.resolve("serial.log"));
    assertThat(files.qemuLog()).isEqualTo(directory.resolve("qemu.log"));
    assertThat(files.pidFile()).isEqualTo(directory.resolve("pid"));
    assertThat(files.lockFile()).isEqualTo(directory.resolve("lock"));
  }

  @Test
  void backingPathIsRelative() {
    assertThat(HomeLayout.backingPath("debian")).isEqualTo("../../bases/debian.qcow2");
  }

  @Test
  void backingPathFromVmFolderReachesBase() {
    Path overlayFolder = layout.vmFiles("web").disk().getParent();

    Path resolved = overlayFolder.resolve(HomeLayout.backingPath("debian")).normalize();

    assertThat(resolved).isEqualTo(layout.base("debian"));
  }

  @Test
  void backingPathStaysValidAfterMovingHome() {
    HomeLayout moved = new HomeLayout(Path.of("/mnt/backup/xray-copy"));
    Path overlayFolder = moved.vmFiles("web").disk().getParent();

    Path resolved = overlayFolder.resolve(HomeLayout.backingPath("debian")).normalize();

    assertThat(resolved).isEqualTo(moved.base("debian"));
  }
}
