package dev.xray.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.api.EphemeralVm;
import dev.xray.api.InvalidStateException;
import dev.xray.api.SerialConsole;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.VmTemplate;
import dev.xray.api.Xray;
import dev.xray.api.XrayTimeoutException;
import dev.xray.core.testing.QemuCondition;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * VMs with a cloud-init NoCloud seed on the real test guest: the seed's files as the guest reads
 * them, live and stopped snapshots and warm clones with the seed attached, and the SSH wait.
 */
@RequiresQemu
class CloudInitSeedIT {
  private static final Duration BOOT = Duration.ofSeconds(180);
  private static final Duration COMMAND = Duration.ofSeconds(20);
  private static final Pattern READY = Pattern.compile(TinyGuest.READY_LINE);
  private static final String PUBLIC_KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3ojN0hP4mHKgXSjpEI2W4fhdL9g9kk0oEqTrMW3Dbb test@xray";

  @TempDir
  Path temp;

  private Xray xray;
  private Path publicKey;

  @BeforeEach
  void importBase() throws IOException {
    xray = Xray.open(temp.resolve("home"));
    xray.bases().importImage(TestGuest.image(), "tiny", true);
    publicKey = temp.resolve("id_ed25519.pub");
    Files.writeString(publicKey, PUBLIC_KEY + "\n");
  }

  @AfterEach
  void killEverything() {
    for (Vm vm : xray.vms().list()) {
      vm.kill();
    }
  }

  private VmSpec.Builder spec(String name) {
    return VmSpec.builder(name).base("tiny").memory(TinyGuest.MEMORY_MIB).cpus(1);
  }

  /** Returns QEMU's command line of a running VM, from /proc. */
  private static String qemuCommandLine(Vm vm) throws IOException {
    long pid = vm.info().pid().orElseThrow();
    return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")),
        StandardCharsets.UTF_8).replace('\0', ' ');
  }

  @Test
  void createWritesSeedAndPicksSshPort() throws IOException {
    Vm vm = xray.vms().create(spec("seeded").sshKey(publicKey).build());

    Path seed = vm.directory().resolve("seed.iso");
    assertThat(seed).isRegularFile();
    assertThat(Files.size(seed) % 2048).as("seed size in whole sectors").isZero();
    assertThat(vm.spec().sshPort()).as("SSH port picked at create").isPresent();
    assertThat(vm.spec().sshUser()).hasValue(VmSpec.DEFAULT_SSH_USER);
    assertThat(vm.spec().sshKey()).hasValue(publicKey);
    String config = Files.readString(vm.directory().resolve("vm.toml"));
    assertThat(config).contains("seed_image = \"seed.iso\"", "ssh_port_auto = true",
        "ssh_user = \"xray\"", "ssh_key = \"" + publicKey + "\"");
    String image = new String(Files.readAllBytes(seed), StandardCharsets.ISO_8859_1);
    assertThat(image).contains("local-hostname: seeded", PUBLIC_KEY,
        "sudo: \"ALL=(ALL) NOPASSWD:ALL\"");

    vm.remove();
    assertThat(seed).doesNotExist();
  }

  @Test
  void takenPickedPortMovesAtStart() throws IOException {
    Vm vm = xray.vms().create(spec("mover").sshKey(publicKey).build());
    int picked = vm.spec().sshPort().getAsInt();

    try (ServerSocket squatter = new ServerSocket(picked, 1, InetAddress.getLoopbackAddress())) {
      vm.start();
    }

    int moved = vm.spec().sshPort().getAsInt();
    assertThat(moved).as("SSH port after the start").isNotEqualTo(picked);
    assertThat(qemuCommandLine(vm)).contains("hostfwd=tcp:127.0.0.1:" + moved + "-:22");
    assertThat(Files.readString(vm.directory().resolve("vm.toml")))
        .contains("ssh_port = " + moved, "ssh_port_auto = true");
  }

  @Test
  void seedSurvivesLiveAndStoppedSnapshots() throws IOException {
    Vm vm = xray.vms().create(spec("snap").sshKey(publicKey).build());
    vm.start();
    assertThat(qemuCommandLine(vm)).contains("virtio-scsi-pci,id=scsi0",
        "scsi-cd,bus=scsi0.0,drive=seed", "\"node-name\":\"seed\"");
    vm.awaitSerialLine(READY, BOOT);

    try (SerialConsole console = vm.openConsole()) {
      TinyGuest.runCommand(console, "echo before > /tmp/marker", COMMAND);
      SnapshotInfo snapshot = vm.snapshots().create("ready");
      assertThat(snapshot.live()).isTrue();
      TinyGuest.runCommand(console, "echo after > /tmp/marker", COMMAND);
      vm.snapshots().revert("ready");
    }
    assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    try (SerialConsole console = vm.openConsole()) {
      assertThat(TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip())
          .isEqualTo("before");
    }

    vm.kill();
    SnapshotInfo stopped = vm.snapshots().create("stopped");
    assertThat(stopped.live()).isFalse();
    vm.snapshots().revert("stopped");
    vm.start();
    vm.awaitSerialLine(READY, BOOT);
    assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
  }

  @Test
  void warmCloneOfSeededTemplateRuns() throws IOException {
    try (VmTemplate template = xray.vms().createTemplate(spec("tmpl").sshKey(publicKey).build(),
        warm -> warm.awaitSerialLine(READY, BOOT))) {
      try (EphemeralVm clone = template.startClone("clone")) {
        assertThat(clone.status()).isEqualTo(VmStatus.RUNNING);
        assertThat(clone.directory().resolve("seed.iso")).isRegularFile();
        assertThat(clone.spec().sshPort()).isPresent();
        assertThat(clone.spec().sshPort()).isNotEqualTo(xray.vms().get("tmpl").spec().sshPort());
        try (SerialConsole console = clone.openConsole()) {
          assertThat(TinyGuest.runCommand(console, "echo cloned", COMMAND).strip())
              .isEqualTo("cloned");
        }
      }
    }
  }

  @Test
  void guestReadsSeedFilesAndStartsSsh() throws Exception {
    QemuCondition.assumeProgram("isoinfo", "genisoimage");
    Vm vm = xray.vms().create(spec("reader").sshKey(publicKey).build());
    vm.start();

    vm.awaitSerialLine(Pattern.compile("SEED-DONE"), BOOT);
    Map<String, String> expected = seedChecksums(vm.directory().resolve("seed.iso"));
    String serial = Files.readString(vm.directory().resolve("serial.log"));
    Map<String, String> reported = new LinkedHashMap<>();
    Matcher line = Pattern.compile("(?m)^SEED-FILE (\\S+) (\\d+) ([0-9a-f]{64})\\r?$")
        .matcher(serial);
    while (line.find()) {
      reported.put(line.group(1), line.group(2) + " " + line.group(3));
    }
    assertThat(reported).as("SEED-FILE lines of %s", serial).isEqualTo(expected);
    String hostName = vm.awaitSerialLine(Pattern.compile("^SEED-HOSTNAME "), BOOT);
    assertThat(hostName.strip()).isEqualTo("SEED-HOSTNAME reader");
    vm.awaitSerialLine(Pattern.compile("SSHD-STARTED 22"), BOOT);

    assertThat(vm.awaitSsh(BOOT)).isEqualTo(vm.spec().sshPort().getAsInt());
  }

  @Test
  void awaitSshTimesOutNamingPort() throws IOException {
    Path userData = temp.resolve("user-data");
    Files.writeString(userData, "#cloud-config\nhostname: quiet\n");
    Vm vm = xray.vms().create(spec("quiet").userData(userData).build());
    vm.start();
    vm.awaitSerialLine(READY, BOOT);
    int port = vm.spec().sshPort().getAsInt();

    assertThatThrownBy(() -> vm.awaitSsh(Duration.ofSeconds(5)))
        .isInstanceOf(XrayTimeoutException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("SSH- version line")
        .hasMessageContaining(TinyGuest.READY_LINE);
  }

  @Test
  void awaitSshWithoutForwardIsRejected() {
    Vm vm = xray.vms().create(spec("plain").build());

    assertThatThrownBy(() -> vm.awaitSsh(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no SSH forward");
  }

  @Test
  void awaitSshOfAStoppedVmIsRejected() throws IOException {
    Path userData = temp.resolve("user-data");
    Files.writeString(userData, "#cloud-config\nhostname: idle\n");
    Vm vm = xray.vms().create(spec("idle").userData(userData).build());

    assertThatThrownBy(() -> vm.awaitSsh(Duration.ofSeconds(1)))
        .isInstanceOf(InvalidStateException.class)
        .hasMessageContaining("VM 'idle' is stopped")
        .hasMessageContaining("start it first");
  }

  /** Returns "SIZE SHA256" of each file in the seed's Joliet root, read back by isoinfo. */
  private static Map<String, String> seedChecksums(Path seed) throws Exception {
    Map<String, String> checksums = new LinkedHashMap<>();
    for (String name : List.of("meta-data", "user-data")) {
      Process process = new ProcessBuilder("isoinfo", "-i", seed.toString(), "-J", "-x",
          "/" + name).start();
      byte[] content = process.getInputStream().readAllBytes();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(process.exitValue()).as("isoinfo exit code for %s", name).isZero();
      String sha256 = HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(content));
      checksums.put(name, content.length + " " + sha256);
    }
    return checksums;
  }
}
