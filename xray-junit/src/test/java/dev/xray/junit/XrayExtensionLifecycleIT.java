package dev.xray.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.EphemeralVm;
import dev.xray.api.Vm;
import dev.xray.api.VmStatus;
import dev.xray.core.testing.RequiresQemu;
import java.nio.file.Path;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A static VM shared by the class and an instance VM per test, on the tiny guest. */
@RequiresQemu
@XrayTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XrayExtensionLifecycleIT {
  @XrayVm(tinyGuest = true)
  static Vm shared;

  @XrayVm(tinyGuest = true)
  EphemeralVm fresh;

  private static String sharedName;
  private static long sharedPid;
  private static Path firstFreshDirectory;
  private static String firstFreshName;

  @Test
  @Order(1)
  void firstTestWritesMarkers() {
    assertThat(shared.status()).isEqualTo(VmStatus.RUNNING);
    assertThat(fresh.status()).isEqualTo(VmStatus.RUNNING);
    assertThat(shared.name()).isEqualTo("XrayExtensionLifecycleIT.shared");
    assertThat(fresh.name()).startsWith("XrayExtensionLifecycleIT.");
    assertThat(fresh.directory().getParent()).isEqualTo(shared.directory().getParent());

    GuestShell.run(shared, "echo shared > /tmp/marker");
    GuestShell.run(fresh, "echo fresh > /tmp/marker");

    sharedName = shared.name();
    sharedPid = shared.info().pid().orElseThrow();
    firstFreshDirectory = fresh.directory();
    firstFreshName = fresh.name();
  }

  @Test
  @Order(2)
  void secondTestSeesSharedVmAndNewInstanceVm() {
    assertThat(shared.name()).isEqualTo(sharedName);
    assertThat(shared.info().pid().orElseThrow()).isEqualTo(sharedPid);
    assertThat(GuestShell.run(shared, "cat /tmp/marker")).isEqualTo("shared");

    assertThat(fresh.name()).isNotEqualTo(firstFreshName);
    assertThat(firstFreshDirectory).doesNotExist();
    assertThat(GuestShell.run(fresh, "cat /tmp/marker 2>&1"))
        .contains("No such file or directory");
  }

  @Test
  @Order(3)
  void instanceVmIsFreshInEveryTest() {
    assertThat(GuestShell.run(fresh, "cat /tmp/marker 2>&1"))
        .contains("No such file or directory");
    assertThat(shared.info().pid().orElseThrow()).isEqualTo(sharedPid);
  }
}
