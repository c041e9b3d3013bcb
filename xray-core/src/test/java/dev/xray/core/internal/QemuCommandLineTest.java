package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.Display;
import dev.xray.api.VmSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class QemuCommandLineTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Firmware.FirmwareFiles OVMF = new Firmware.FirmwareFiles(
      Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd"), "raw",
      Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), "raw", "test");
  private static final Firmware.FirmwareFiles HOMEBREW_EDK2 = new Firmware.FirmwareFiles(
      Path.of("/opt/homebrew/share/qemu/edk2-aarch64-code.fd"), "raw",
      Path.of("/opt/homebrew/share/qemu/edk2-arm-vars.fd"), "raw", "test");

  private static VmSpec.Builder web() {
    return VmSpec.builder("web").base("debian");
  }

  /** Returns the arguments that follow each occurrence of {@code option}. */
  private static List<String> values(List<String> args, String option) {
    List<String> values = new ArrayList<>();
    for (int i = 0; i < args.size() - 1; i++) {
      if (args.get(i).equals(option)) {
        values.add(args.get(i + 1));
      }
    }
    return values;
  }

  @Test
  void linuxX86TcgWithoutSsh() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/home/ada/.xray/vms/web"));
    VmSpec spec = web().architecture(Architecture.X86_64).build();

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"), spec,
        Accelerator.TCG, Display.NONE, OVMF, files);

    assertThat(args).containsExactly(
        "/usr/bin/qemu-system-x86_64",
        "-name", "guest=web,debug-threads=on",
        "-nodefaults", "-no-user-config",
        "-machine", "q35,pflash0=firmware-code,pflash1=firmware-vars",
        "-accel", "tcg",
        "-cpu", "max",
        "-m", "2048",
        "-smp", "2",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"firmware-code\","
            + "\"filename\":\"/usr/share/OVMF/OVMF_CODE_4M.fd\",\"read-only\":true}",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"firmware-vars-file\","
            + "\"filename\":\"/home/ada/.xray/vms/web/vars.qcow2\"}",
        "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"firmware-vars\","
            + "\"file\":\"firmware-vars-file\"}",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"disk0-file\","
            + "\"filename\":\"/home/ada/.xray/vms/web/disk.qcow2\"}",
        "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":\"disk0-file\"}",
        "-device", "virtio-blk-pci,drive=disk0,id=disk0-device,bootindex=1",
        "-netdev", "user,id=net0",
        "-device", "virtio-net-pci,netdev=net0,romfile=",
        "-chardev", "socket,id=serial0,path=/home/ada/.xray/vms/web/console.sock,server=on,"
            + "wait=off,logfile=/home/ada/.xray/vms/web/serial.log",
        "-serial", "chardev:serial0",
        "-chardev", "socket,id=monitor,path=/home/ada/.xray/vms/web/qmp.sock,server=on,wait=off",
        "-mon", "chardev=monitor,mode=control",
        "-chardev", "socket,id=events,path=/home/ada/.xray/vms/web/events.sock,"
            + "server=on,wait=off",
        "-mon", "chardev=events,mode=control",
        "-display", "none",
        "-pidfile", "/home/ada/.xray/vms/web/pid",
        "-D", "/home/ada/.xray/vms/web/qemu.log",
        "-daemonize",
        "-S");
  }

  @Test
  void linuxX86KvmWithSshAndSdl() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/srv/xray/vms/db"));
    VmSpec spec = VmSpec.builder("db").base("debian").memory(4096).cpus(4).sshPort(2222)
        .architecture(Architecture.X86_64).build();

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"), spec,
        Accelerator.KVM, Display.SDL, OVMF, files);

    assertThat(args).containsExactly(
        "/usr/bin/qemu-system-x86_64",
        "-name", "guest=db,debug-threads=on",
        "-nodefaults", "-no-user-config",
        "-machine", "q35,pflash0=firmware-code,pflash1=firmware-vars",
        "-accel", "kvm",
        "-cpu", "host",
        "-m", "4096",
        "-smp", "4",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"firmware-code\","
            + "\"filename\":\"/usr/share/OVMF/OVMF_CODE_4M.fd\",\"read-only\":true}",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"firmware-vars-file\","
            + "\"filename\":\"/srv/xray/vms/db/vars.qcow2\"}",
        "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"firmware-vars\","
            + "\"file\":\"firmware-vars-file\"}",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"disk0-file\","
            + "\"filename\":\"/srv/xray/vms/db/disk.qcow2\"}",
        "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":\"disk0-file\"}",
        "-device", "virtio-blk-pci,drive=disk0,id=disk0-device,bootindex=1",
        "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22",
        "-device", "virtio-net-pci,netdev=net0,romfile=",
        "-chardev", "socket,id=serial0,path=/srv/xray/vms/db/console.sock,server=on,"
            + "wait=off,logfile=/srv/xray/vms/db/serial.log",
        "-serial", "chardev:serial0",
        "-chardev", "socket,id=monitor,path=/srv/xray/vms/db/qmp.sock,server=on,wait=off",
        "-mon", "chardev=monitor,mode=control",
        "-chardev", "socket,id=events,path=/srv/xray/vms/db/events.sock,server=on,wait=off",
        "-mon", "chardev=events,mode=control",
        "-device", "virtio-gpu-pci",
        "-device", "qemu-xhci",
        "-device", "usb-kbd",
        "-device", "usb-tablet",
        "-display", "sdl",
        "-pidfile", "/srv/xray/vms/db/pid",
        "-D", "/srv/xray/vms/db/qemu.log",
        "-daemonize",
        "-S");
  }

  @Test
  void macosHvfWithHomebrewFirmware() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/Users/ada/.xray/vms/web"));
    VmSpec spec = web().memory(8192).cpus(8).architecture(Architecture.AARCH64).build();

    List<String> args = QemuCommandLine.build(Path.of("/opt/homebrew/bin/qemu-system-aarch64"),
        spec, Accelerator.HVF, Display.COCOA, HOMEBREW_EDK2, files);

    assertThat(args).containsExactly(
        "/opt/homebrew/bin/qemu-system-aarch64",
        "-name", "guest=web,debug-threads=on",
        "-nodefaults", "-no-user-config",
        "-machine", "virt,gic-version=max,pflash0=firmware-code,pflash1=firmware-vars",
        "-accel", "hvf",
        "-cpu", "host",
        "-m", "8192",
        "-smp", "8",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"firmware-code\","
            + "\"filename\":\"/opt/homebrew/share/qemu/edk2-aarch64-code.fd\","
            + "\"read-only\":true}",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"firmware-vars-file\","
            + "\"filename\":\"/Users/ada/.xray/vms/web/vars.qcow2\"}",
        "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"firmware-vars\","
            + "\"file\":\"firmware-vars-file\"}",
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"disk0-file\","
            + "\"filename\":\"/Users/ada/.xray/vms/web/disk.qcow2\"}",
        "-blockdev", "{\"driver\":\"qcow2\",\"node-name\":\"disk0\",\"file\":\"disk0-file\"}",
        "-device", "virtio-blk-pci,drive=disk0,id=disk0-device,bootindex=1",
        "-netdev", "user,id=net0",
        "-device", "virtio-net-pci,netdev=net0,romfile=",
        "-chardev", "socket,id=serial0,path=/Users/ada/.xray/vms/web/console.sock,server=on,"
            + "wait=off,logfile=/Users/ada/.xray/vms/web/serial.log",
        "-serial", "chardev:serial0",
        "-chardev", "socket,id=monitor,path=/Users/ada/.xray/vms/web/qmp.sock,server=on,"
            + "wait=off",
        "-mon", "chardev=monitor,mode=control",
        "-chardev", "socket,id=events,path=/Users/ada/.xray/vms/web/events.sock,server=on,"
            + "wait=off",
        "-mon", "chardev=events,mode=control",
        "-device", "virtio-gpu-pci",
        "-device", "qemu-xhci",
        "-device", "usb-kbd",
        "-device", "usb-tablet",
        "-display", "cocoa",
        "-pidfile", "/Users/ada/.xray/vms/web/pid",
        "-D", "/Users/ada/.xray/vms/web/qemu.log",
        "-daemonize",
        "-S");
  }

  @Test
  void aarch64GuestUnderTcgUsesCortexA57() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/x/vms/web"));
    VmSpec spec = web().architecture(Architecture.AARCH64).build();

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-aarch64"), spec,
        Accelerator.TCG, Display.NONE, HOMEBREW_EDK2, files);

    assertThat(values(args, "-cpu")).containsExactly("cortex-a57");
    assertThat(values(args, "-accel")).containsExactly("tcg");
    assertThat(values(args, "-machine")).singleElement().asString().startsWith("virt,");
  }

  @Test
  void aarch64GuestUnderKvmUsesHostCpu() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/x/vms/web"));
    VmSpec spec = web().architecture(Architecture.AARCH64).build();

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-aarch64"), spec,
        Accelerator.KVM, Display.NONE, HOMEBREW_EDK2, files);

    assertThat(values(args, "-cpu")).containsExactly("host");
  }

  @Test
  void commasInPathsAreDoubledInChardevOptions() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/tmp/a,b/vms/web"));

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"),
        web().architecture(Architecture.X86_64).build(), Accelerator.TCG, Display.NONE, OVMF,
        files);

    assertThat(values(args, "-chardev")).containsExactly(
        "socket,id=serial0,path=/tmp/a,,b/vms/web/console.sock,server=on,wait=off,"
            + "logfile=/tmp/a,,b/vms/web/serial.log",
        "socket,id=monitor,path=/tmp/a,,b/vms/web/qmp.sock,server=on,wait=off",
        "socket,id=events,path=/tmp/a,,b/vms/web/events.sock,server=on,wait=off");
  }

  @Test
  void commasInPathsStayInBlockdevJson() throws IOException {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/tmp/a,b/vms/web"));
    Firmware.FirmwareFiles firmware = new Firmware.FirmwareFiles(Path.of("/fw,1/code.fd"),
        "raw", Path.of("/fw,1/vars.fd"), "raw", "test");

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"),
        web().architecture(Architecture.X86_64).build(), Accelerator.TCG, Display.NONE,
        firmware, files);

    List<String> filenames = new ArrayList<>();
    for (String blockdev : values(args, "-blockdev")) {
      JsonNode node = JSON.readTree(blockdev);
      if (node.has("filename")) {
        filenames.add(node.get("filename").asText());
      }
    }
    assertThat(filenames).containsExactly("/fw,1/code.fd", "/tmp/a,b/vms/web/vars.qcow2",
        "/tmp/a,b/vms/web/disk.qcow2");
    assertThat(values(args, "-pidfile")).containsExactly("/tmp/a,b/vms/web/pid");
    assertThat(values(args, "-D")).containsExactly("/tmp/a,b/vms/web/qemu.log");
  }

  @Test
  void quotesInPathsAreJsonEscaped() throws IOException {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/tmp/we\"ird\\dir/vms/web"));

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"),
        web().architecture(Architecture.X86_64).build(), Accelerator.TCG, Display.NONE, OVMF,
        files);

    JsonNode disk = JSON.readTree(values(args, "-blockdev").get(3));
    assertThat(disk.get("filename").asText()).isEqualTo("/tmp/we\"ird\\dir/vms/web/disk.qcow2");
  }

  @Test
  void qcow2FirmwareCodeGetsFormatNode() throws IOException {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/x/vms/web"));
    Firmware.FirmwareFiles firmware = new Firmware.FirmwareFiles(
        Path.of("/usr/share/edk2/ovmf/OVMF_CODE.qcow2"), "qcow2",
        Path.of("/usr/share/edk2/ovmf/OVMF_VARS.qcow2"), "qcow2", "test");

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"),
        web().architecture(Architecture.X86_64).build(), Accelerator.TCG, Display.NONE,
        firmware, files);

    List<String> blockdevs = values(args, "-blockdev");
    assertThat(blockdevs).hasSize(6);
    JsonNode codeFile = JSON.readTree(blockdevs.get(0));
    JsonNode code = JSON.readTree(blockdevs.get(1));
    assertThat(codeFile.get("driver").asText()).isEqualTo("file");
    assertThat(codeFile.get("node-name").asText()).isEqualTo("firmware-code-file");
    assertThat(codeFile.get("read-only").asBoolean()).isTrue();
    assertThat(code.get("driver").asText()).isEqualTo("qcow2");
    assertThat(code.get("node-name").asText()).isEqualTo("firmware-code");
    assertThat(code.get("file").asText()).isEqualTo("firmware-code-file");
    assertThat(code.get("read-only").asBoolean()).isTrue();
  }

  @Test
  void writableNodesAreNotReadOnly() throws IOException {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/x/vms/web"));

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"),
        web().architecture(Architecture.X86_64).build(), Accelerator.TCG, Display.NONE, OVMF,
        files);

    List<String> blockdevs = values(args, "-blockdev");
    for (String blockdev : blockdevs.subList(1, blockdevs.size())) {
      assertThat(JSON.readTree(blockdev).has("read-only")).as(blockdev).isFalse();
    }
  }

  @Test
  void seedImageIsReadOnlyScsiCd() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/home/ada/.xray/vms/web"));
    VmSpec spec = web().architecture(Architecture.X86_64).build();

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"), spec,
        Accelerator.TCG, Display.NONE, OVMF, files, java.util.Optional.empty(),
        java.util.Optional.of(files.seedImage()));

    int diskDevice = args.indexOf("virtio-blk-pci,drive=disk0,id=disk0-device,bootindex=1");
    assertThat(diskDevice).as("disk device").isPositive();
    assertThat(args.subList(diskDevice + 1, diskDevice + 9)).containsExactly(
        "-blockdev", "{\"driver\":\"file\",\"node-name\":\"seed-file\","
            + "\"filename\":\"/home/ada/.xray/vms/web/seed.iso\",\"read-only\":true}",
        "-blockdev", "{\"driver\":\"raw\",\"node-name\":\"seed\",\"file\":\"seed-file\","
            + "\"read-only\":true}",
        "-device", "virtio-scsi-pci,id=scsi0",
        "-device", "scsi-cd,bus=scsi0.0,drive=seed");
  }

  @Test
  void noSeedImageMeansNoScsiController() {
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(Path.of("/home/ada/.xray/vms/web"));
    VmSpec spec = web().build();

    List<String> args = QemuCommandLine.build(Path.of("/usr/bin/qemu-system-x86_64"), spec,
        Accelerator.TCG, Display.NONE, OVMF, files);

    assertThat(String.join(" ", args)).doesNotContain("scsi", "seed");
  }

  @Test
  void seedIsNotASnapshotNode() {
    assertThat(QemuCommandLine.snapshotNodes()).doesNotContain(QemuCommandLine.SEED_NODE);
  }

  @Test
  void snapshotNodesAreDiskThenVars() {
    assertThat(QemuCommandLine.snapshotNodes()).containsExactly("disk0", "firmware-vars");
  }

  @Test
  void escapeDoublesEveryComma() {
    assertThat(QemuCommandLine.escape(Path.of("/a,b,,c"))).isEqualTo("/a,,b,,,,c");
    assertThat(QemuCommandLine.escape(Path.of("/plain"))).isEqualTo("/plain");
  }
}
