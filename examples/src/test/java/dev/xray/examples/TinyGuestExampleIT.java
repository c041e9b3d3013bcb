package dev.xray.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.core.TinyGuest;
import dev.xray.junit.XrayTest;
import dev.xray.junit.XrayVm;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A test with a throwaway VM: the extension boots a new tiny guest for each test, waits until it
 * prints its ready line, and removes it after the test, passed or failed. On a host without QEMU
 * the class is skipped.
 */
@XrayTest
class TinyGuestExampleIT {
  @XrayVm(tinyGuest = true)
  Vm vm;

  private String run(String command) {
    try (SerialConsole console = vm.openConsole()) {
      return TinyGuest.runCommand(console, command, Duration.ofSeconds(30)).strip();
    }
  }

  @Test
  void guestRunsCommands() {
    assertThat(run("echo $((6 * 7))")).isEqualTo("42");
    assertFreshGuestThenLeaveFile();
  }

  @Test
  void eachTestGetsItsOwnGuest() {
    assertFreshGuestThenLeaveFile();
  }

  /** Whichever test runs second shows that the first one's file did not survive. */
  private void assertFreshGuestThenLeaveFile() {
    assertThat(run("test -e /tmp/left-behind && echo present || echo absent"))
        .isEqualTo("absent");
    run("touch /tmp/left-behind");
  }
}
