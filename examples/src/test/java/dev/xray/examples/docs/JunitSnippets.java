package dev.xray.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.EphemeralVm;
import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.api.VmStatus;
import dev.xray.core.TinyGuest;
import dev.xray.junit.VmWarmUp;
import dev.xray.junit.XrayTest;
import dev.xray.junit.XrayVm;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The JUnit snippets of README.md and docs/junit.md; see {@link ApiSnippets} for how they are
 * checked. The test classes are nested, so Surefire and Failsafe never run them: one boots an
 * image that does not exist here. The {@code examples} module's {@code *IT} classes are the
 * versions that run.
 */
@SuppressWarnings("unused")
final class JunitSnippets {
  private JunitSnippets() {}

  // snippet junit-readme
  @XrayTest
  class GuestTest {
    @XrayVm(image = "images/debian.qcow2", memory = 1024, readyLine = "login:")
    static Vm shared;         // one VM for the whole class

    @XrayVm(tinyGuest = true, warm = true)
    Vm fresh;                 // a new VM for each test, started from a frozen template

    @Test
    void guestRuns() {
      assertThat(fresh.status()).isEqualTo(VmStatus.RUNNING);
    }
  }
  // end snippet

  // snippet junit-options
  @XrayTest
  class ServiceTest {
    @XrayVm(
        tinyGuest = true,                  // or image = "PATH.qcow2", or base = "NAME"
        memory = 512,                      // MiB; 0 means 2048, or 256 for the tiny guest
        cpus = 1,                          // 0 means 2, or 1 for the tiny guest
        readyLine = "GUEST-READY",         // a regular expression, found anywhere in a line
        readyTimeoutSeconds = 300,         // 180 unless set
        warm = true,                       // boot once per class, clone for each test
        warmUp = InstallFixture.class)     // runs once, before the freeze
    EphemeralVm vm;

    @Test
    void serviceAnswers() {
      assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    }
  }
  // end snippet

  // snippet junit-warm-up
  static final class InstallFixture implements VmWarmUp {
    @Override
    public void warmUp(Vm vm) {
      try (SerialConsole console = vm.openConsole()) {
        TinyGuest.runCommand(console, "echo ready > /tmp/fixture", Duration.ofSeconds(20));
      }
    }
  }
  // end snippet
}
