package dev.xray.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.core.TinyGuest;
import dev.xray.junit.VmWarmUp;
import dev.xray.junit.XrayTest;
import dev.xray.junit.XrayVm;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Warm starts: the guest boots once for the class, the warm-up prepares it, and the extension
 * freezes it. Each test then gets a clone that starts from that frozen state instead of booting,
 * and changes made by one test are gone in the next.
 */
@XrayTest
class WarmStartExampleIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Runs once, in the guest that is frozen; every clone starts with its result. */
  static final class CreateFixture implements VmWarmUp {
    @Override
    public void warmUp(Vm vm) {
      run(vm, "echo 'greeting=hello' > /tmp/fixture.conf");
    }
  }

  @XrayVm(tinyGuest = true, warm = true, warmUp = CreateFixture.class)
  Vm vm;

  private static String run(Vm vm, String command) {
    try (SerialConsole console = vm.openConsole()) {
      return TinyGuest.runCommand(console, command, TIMEOUT).strip();
    }
  }

  @Test
  void cloneStartsWithFixture() {
    assertThat(run(vm, "cat /tmp/fixture.conf")).isEqualTo("greeting=hello");
    run(vm, "echo 'greeting=bye' > /tmp/fixture.conf");
  }

  @Test
  void changesOfOtherTestsAreGone() {
    // Whichever test runs second shows that the first one's change did not survive.
    assertThat(run(vm, "cat /tmp/fixture.conf")).isEqualTo("greeting=hello");
    run(vm, "echo 'greeting=changed' > /tmp/fixture.conf");
  }
}
