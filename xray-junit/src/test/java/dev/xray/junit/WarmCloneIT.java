package dev.xray.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.EphemeralVm;
import dev.xray.api.Vm;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.testing.RequiresQemu;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Each test gets a clone of a template that booted once and ran a warm-up before its freeze. */
@RequiresQemu
@XrayTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WarmCloneIT {
  /** Writes a marker file in the template's guest before it is frozen. */
  static final class WriteMarker implements VmWarmUp {
    @Override
    public void warmUp(Vm vm) {
      GuestShell.run(vm, "echo before-freeze > /tmp/marker");
    }
  }

  @XrayVm(tinyGuest = true, warm = true, warmUp = WriteMarker.class)
  EphemeralVm clone;

  private static String firstCloneName;

  @Test
  @Order(1)
  void cloneSeesMarkerWrittenBeforeFreeze() throws IOException {
    assertThat(GuestShell.run(clone, "cat /tmp/marker")).isEqualTo("before-freeze");
    GuestShell.run(clone, "echo changed > /tmp/changed");

    String serial = Files.readString(clone.directory().resolve("serial.log"));
    assertThat(serial).doesNotContain(TinyGuest.READY_LINE);
    Xray xray = Xray.open(clone.directory().getParent().getParent());
    assertThat(xray.vms().list()).extracting(Vm::name)
        .containsExactlyInAnyOrder("WarmCloneIT.clone.template", clone.name());
    firstCloneName = clone.name();
  }

  @Test
  @Order(2)
  void nextCloneStartsFromFrozenStateAgain() throws IOException {
    assertThat(clone.name()).isNotEqualTo(firstCloneName);
    assertThat(GuestShell.run(clone, "cat /tmp/marker")).isEqualTo("before-freeze");
    assertThat(GuestShell.run(clone, "cat /tmp/changed 2>&1"))
        .contains("No such file or directory");
    assertThat(Files.readString(clone.directory().resolve("serial.log")))
        .doesNotContain(TinyGuest.READY_LINE);
  }
}
