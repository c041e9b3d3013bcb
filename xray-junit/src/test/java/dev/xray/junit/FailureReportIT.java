package dev.xray.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.xray.api.Vm;
import dev.xray.core.testing.RequiresQemu;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * A failing test's report shows its VMs' serial output, and the VMs and the temporary home are
 * gone after the class, although the test failed.
 */
@RequiresQemu
class FailureReportIT {
  @XrayTest
  static class FailingGuestTest {
    @XrayVm(tinyGuest = true)
    static Vm shared;

    @XrayVm(tinyGuest = true)
    Vm vm;

    static String sharedName;
    static String vmName;
    static Path home;
    static long[] pids;

    @Test
    void printsThenFails() {
      sharedName = shared.name();
      vmName = vm.name();
      home = vm.directory().getParent().getParent();
      pids = new long[] {shared.info().pid().orElseThrow(), vm.info().pid().orElseThrow()};
      // The shell computes the number, so the marker appears only in the command's output.
      GuestShell.run(vm, "echo XRAY-MARKER-$((6 * 7))");
      fail("failing on purpose");
    }
  }

  @Test
  void failureCarriesSerialOutputAndVmsAreRemoved() throws InterruptedException {
    EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(FailingGuestTest.class)).execute();

    results.testEvents().assertStatistics(stats -> stats.started(1).failed(1));
    results.containerEvents().assertStatistics(stats -> stats.failed(0));
    Throwable failure = results.testEvents().failed().list().get(0)
        .getPayload(TestExecutionResult.class).orElseThrow().getThrowable().orElseThrow();
    assertThat(failure).hasMessage("failing on purpose");
    List<String> suppressed = Arrays.stream(failure.getSuppressed()).map(Throwable::getMessage)
        .toList();
    assertThat(suppressed).hasSize(2);
    assertThat(suppressed.get(0))
        .startsWith("serial console of VM '" + FailingGuestTest.vmName + "', last lines of ")
        .contains("XRAY-MARKER-42");
    assertThat(suppressed.get(1))
        .startsWith("serial console of VM '" + FailingGuestTest.sharedName + "'")
        .contains("GUEST-READY");

    Map<String, String> entries = results.allEvents().reportingEntryPublished().stream()
        .map(event -> event.getPayload(ReportEntry.class).orElseThrow())
        .flatMap(entry -> entry.getKeyValuePairs().entrySet().stream())
        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    assertThat(entries).containsOnlyKeys("xray.serial." + FailingGuestTest.vmName,
        "xray.serial." + FailingGuestTest.sharedName);
    assertThat(entries.get("xray.serial." + FailingGuestTest.vmName))
        .contains("XRAY-MARKER-42").doesNotContain("echo");

    assertThat(FailingGuestTest.home).doesNotExist();
    for (long pid : FailingGuestTest.pids) {
      assertThat(dev.xray.core.testing.Processes.isGone(pid, java.time.Duration.ofSeconds(10)))
          .as("QEMU %d gone", pid).isTrue();
    }
  }

  @XrayTest
  static class NeverReady {
    @XrayVm(tinyGuest = true, readyLine = "NO-SUCH-LINE", readyTimeoutSeconds = 1)
    Vm vm;

    @Test
    void test() {}
  }

  @Test
  void readyTimeoutFailsTestWithSerialOutput() {
    EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(NeverReady.class)).execute();

    List<Event> failed = results.testEvents().failed().list();
    assertThat(failed).hasSize(1);
    Throwable failure = failed.get(0).getPayload(TestExecutionResult.class).orElseThrow()
        .getThrowable().orElseThrow();
    assertThat(failure).hasMessageContaining("printed no serial line matching /NO-SUCH-LINE/");
    assertThat(failure.getSuppressed()).hasSize(1);
    assertThat(failure.getSuppressed()[0]).hasMessageStartingWith("serial console of VM '");
  }
}
