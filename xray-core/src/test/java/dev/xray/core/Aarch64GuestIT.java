package dev.xray.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.SerialConsole;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.Xray;
import dev.xray.core.testing.QemuCondition;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The aarch64 test guest on QEMU's virt machine under TCG with AAVMF firmware, through the
 * library API: boot, live snapshot and revert, ACPI power-off.
 */
@RequiresQemu
class Aarch64GuestIT {
  private static final Logger log = LoggerFactory.getLogger(Aarch64GuestIT.class);
  // UEFI boot to the ready line took about 8 s with cortex-a57 under TCG (QEMU 7.2, 2-core host
  // without other VMs). The margin covers other QEMU tests that share the host.
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);
  private static final Duration STOP = Duration.ofSeconds(30);
  private static final Pattern READY = Pattern.compile(TinyGuest.READY_LINE);
  private static final List<String> PROGRAMS =
      List.of("qemu-system-aarch64", "aarch64-linux-gnu-objcopy");
  private static final Path AAVMF_CODE = Path.of("/usr/share/AAVMF/AAVMF_CODE.fd");
  private static final String INSTALL =
      "apt-get install qemu-system-arm qemu-efi-aarch64 binutils-aarch64-linux-gnu";

  @TempDir
  Path temp;

  private Xray xray;
  private String baseChecksum;

  @BeforeEach
  void importBase() throws IOException {
    requireAarch64Tools();
    long buildNanos = System.nanoTime();
    Path image = TinyGuest.build(Architecture.AARCH64);
    log.info("aarch64 guest image {} ({} bytes) after {} ms", image, Files.size(image),
        millisSince(buildNanos));
    xray = Xray.open(temp.resolve("home"));
    xray.bases().importImage(image, "tiny-arm", false);
    baseChecksum = Sha256.of(xray.bases().get("tiny-arm").path());
  }

  @AfterEach
  void killEverything() {
    if (xray == null) {
      return;
    }
    for (Vm vm : xray.vms().list()) {
      vm.kill();
      assertThat(vm.status()).isEqualTo(VmStatus.STOPPED);
    }
  }

  /**
   * Skips the test without the aarch64 tools, or fails when QEMU tests must run. It runs before
   * each test and not in a {@code @BeforeAll} method, because failsafe 3.5.4 reports a class
   * aborted there as zero tests, without the reason.
   */
  private static void requireAarch64Tools() {
    List<String> missing = new ArrayList<>();
    for (String program : PROGRAMS) {
      if (!onPath(program)) {
        missing.add(program);
      }
    }
    if (!Files.isReadable(AAVMF_CODE)) {
      missing.add(AAVMF_CODE.toString());
    }
    if (missing.isEmpty()) {
      return;
    }
    String reason = "missing " + String.join(", ", missing) + " (" + INSTALL + ")";
    if (QemuCondition.isRequired()) {
      throw new IllegalStateException("tests need QEMU here (CI=true or XRAY_REQUIRE_QEMU=1) "
          + "but the aarch64 guest cannot run: " + reason);
    }
    Assumptions.abort(reason);
  }

  @Test
  void bootSnapshotRevertAndPowerOff() throws IOException {
    Vm vm = xray.vms().create(VmSpec.builder("arm").base("tiny-arm")
        .architecture(Architecture.AARCH64).accelerator(Accelerator.TCG)
        .memory(TinyGuest.MEMORY_MIB).cpus(1).build());

    long startNanos = System.nanoTime();
    vm.start();
    assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    vm.awaitSerialLine(READY, BOOT);
    log.info("aarch64 guest: start to {} in {} ms", TinyGuest.READY_LINE, millisSince(startNanos));

    try (SerialConsole console = vm.openConsole()) {
      assertThat(TinyGuest.runCommand(console, "uname -m", COMMAND).strip()).isEqualTo("aarch64");
      assertThat(TinyGuest.runCommand(console, "cat /proc/cmdline", COMMAND))
          .contains("console=ttyAMA0,115200");
      assertThat(TinyGuest.runCommand(console,
          "test -d /sys/firmware/efi && test -d /sys/firmware/acpi && echo uefi-acpi", COMMAND)
          .strip()).isEqualTo("uefi-acpi");

      TinyGuest.runCommand(console, "echo before > /tmp/marker", COMMAND);
      long snapshotNanos = System.nanoTime();
      SnapshotInfo snapshot = vm.snapshots().create("ready");
      log.info("aarch64 guest: live snapshot in {} ms", millisSince(snapshotNanos));
      assertThat(snapshot.live()).isTrue();

      String changed = TinyGuest.runCommand(console, "echo after > /tmp/marker; cat /tmp/marker",
          COMMAND);
      assertThat(changed.strip()).isEqualTo("after");

      long revertNanos = System.nanoTime();
      vm.snapshots().revert("ready");
      log.info("aarch64 guest: revert in {} ms", millisSince(revertNanos));
      assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
      assertThat(TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip())
          .isEqualTo("before");
    }

    long stopNanos = System.nanoTime();
    vm.stop(STOP);
    log.info("aarch64 guest: ACPI power-off in {} ms", millisSince(stopNanos));
    assertThat(vm.status()).isEqualTo(VmStatus.STOPPED);
    assertThat(vm.directory().resolve("serial.log")).content()
        .contains("GUEST-POWERBUTTON: powering off");
    assertThat(vm.directory().resolve("pid")).doesNotExist();
    assertThat(Sha256.of(xray.bases().get("tiny-arm").path())).isEqualTo(baseChecksum);
  }

  private static long millisSince(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String folder : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(folder, program))) {
        return true;
      }
    }
    return false;
  }
}
