package consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.Xray;
import dev.xray.core.HostRequirements;
import dev.xray.core.TinyGuest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Creates a VM on xray's tiny test guest, takes a snapshot and removes the VM, through the
 * published API only. Without QEMU it is skipped, but with {@code XRAY_REQUIRE_QEMU=1} it fails
 * instead.
 */
class ConsumerTest {
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);

  @TempDir
  Path temp;

  @Test
  void createSnapshotRemove() {
    Path image = testGuest();
    Xray xray = Xray.open(temp.resolve("home"));
    xray.bases().importImage(image, "tiny", false);
    VmSpec spec = VmSpec.builder("consumer").base("tiny").memory(TinyGuest.MEMORY_MIB).cpus(1)
        .architecture(Architecture.X86_64).build();

    Vm vm = xray.vms().create(spec);
    try {
      vm.start();
      vm.awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT_TIMEOUT);
      SnapshotInfo snapshot = vm.snapshots().create("consumer-check");

      assertTrue(snapshot.live(), "a snapshot of a running VM holds its memory");
      assertEquals(List.of("consumer-check"),
          vm.snapshots().list().stream().map(SnapshotInfo::tag).toList());
      assertEquals(VmStatus.RUNNING, vm.status());
    } finally {
      vm.kill();
      vm.remove();
    }

    assertEquals(List.of(), xray.vms().list());
  }

  /** Returns the tiny guest image, or skips the test when this host cannot build or run it. */
  private static Path testGuest() {
    boolean required = "1".equals(System.getenv("XRAY_REQUIRE_QEMU"));
    List<String> missing = HostRequirements.missing(Set.of(Architecture.X86_64));
    Assumptions.assumeTrue(required || missing.isEmpty(), () -> "cannot run VMs: " + missing);
    try {
      return TinyGuest.build(Architecture.X86_64);
    } catch (HostException e) {
      Assumptions.assumeTrue(required, () -> "cannot build the test guest: " + e.getMessage());
      throw e;
    }
  }
}
