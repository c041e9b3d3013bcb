package dev.xray.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.xray.api.EphemeralVm;
import dev.xray.api.HostException;
import dev.xray.api.Vm;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Misconfigured fields and hosts without QEMU. None of these start a VM, so they run on any host:
 * the extension checks fields before it checks the host.
 */
class XrayExtensionConfigurationTest {
  private static EngineExecutionResults run(Class<?> testClass) {
    return run(testClass, Map.of());
  }

  private static EngineExecutionResults run(Class<?> testClass, Map<String, String> parameters) {
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(testClass))
        .configurationParameters(parameters).execute();
  }

  /** Returns the exception that failed the class, which must be the only failure. */
  private static Throwable classFailure(Class<?> testClass) {
    EngineExecutionResults results = run(testClass);
    results.testEvents().assertStatistics(stats -> stats.started(0));
    List<Event> failed = results.containerEvents().failed().list();
    assertThat(failed).hasSize(1);
    return failed.get(0).getPayload(TestExecutionResult.class).orElseThrow().getThrowable()
        .orElseThrow();
  }

  /** Returns the message of the ExtensionConfigurationException that failed the class. */
  private static String configurationError(Class<?> testClass) {
    Throwable failure = classFailure(testClass);
    assertThat(failure).isInstanceOf(ExtensionConfigurationException.class);
    return failure.getMessage();
  }

  @XrayTest
  static class WrongType {
    @XrayVm(tinyGuest = true)
    String vm;

    @Test
    void test() {}
  }

  @Test
  void wrongTypeIsRejected() {
    assertThat(configurationError(WrongType.class))
        .contains("field " + WrongType.class.getName() + ".vm has type java.lang.String")
        .contains("dev.xray.api.Vm or dev.xray.api.EphemeralVm; change its type");
  }

  @XrayTest
  static class FinalField {
    @XrayVm(tinyGuest = true)
    final Vm vm = null;

    @Test
    void test() {}
  }

  @Test
  void finalFieldIsRejected() {
    assertThat(configurationError(FinalField.class))
        .isEqualTo("field " + FinalField.class.getName() + ".vm is final, so the extension "
            + "cannot set it; remove 'final'");
  }

  @XrayTest
  static class ImageAndBase {
    @XrayVm(image = "guest.qcow2", base = "guest")
    static Vm vm;

    @Test
    void test() {}
  }

  @Test
  void imageAndBaseTogetherAreRejected() {
    assertThat(configurationError(ImageAndBase.class))
        .contains("field " + ImageAndBase.class.getName() + ".vm: @XrayVm sets image and base")
        .contains("exactly one of image, base and tinyGuest names the disk to boot; keep one");
  }

  @XrayTest
  static class NoDisk {
    @XrayVm
    Vm vm;

    @Test
    void test() {}
  }

  @Test
  void fieldWithoutDiskIsRejected() {
    assertThat(configurationError(NoDisk.class))
        .contains("field " + NoDisk.class.getName() + ".vm: @XrayVm needs a disk to boot")
        .contains("image = \"PATH.qcow2\", base = \"NAME\" or tinyGuest = true");
  }

  @XrayTest
  static class MissingImage {
    @XrayVm(image = "no/such/guest.qcow2")
    EphemeralVm vm;

    @Test
    void test() {}
  }

  @Test
  void missingImageIsRejected() {
    assertThat(configurationError(MissingImage.class))
        .contains(".vm: image ").contains("no/such/guest.qcow2 is not a file");
  }

  @XrayTest
  static class WarmStatic {
    @XrayVm(tinyGuest = true, warm = true)
    static Vm vm;

    @Test
    void test() {}
  }

  @Test
  void warmStaticFieldIsRejected() {
    assertThat(configurationError(WarmStatic.class))
        .contains(".vm is static and has warm = true")
        .contains("Remove warm = true, or make the field an instance field");
  }

  @XrayTest
  static class BadReadyLine {
    @XrayVm(tinyGuest = true, readyLine = "login(")
    Vm vm;

    @Test
    void test() {}
  }

  @Test
  void invalidReadyLineIsRejected() {
    assertThat(configurationError(BadReadyLine.class))
        .contains(".vm has readyLine = \"login(\", which is not a valid regular expression");
  }

  @XrayTest
  static class TooLittleMemory {
    @XrayVm(tinyGuest = true, memory = 64)
    Vm vm;

    @Test
    void test() {}
  }

  @Test
  void memoryBelowMinimumIsRejected() {
    assertThat(configurationError(TooLittleMemory.class))
        .contains(".vm has memory = 64; it must be from 160 to 1048576 MiB, or 0 for the default");
  }

  @XrayTest
  static class InnerWarmUp {
    @XrayVm(tinyGuest = true, warmUp = NeedsOuter.class)
    Vm vm;

    class NeedsOuter implements VmWarmUp {
      @Override
      public void warmUp(Vm vm) {}
    }

    @Test
    void test() {}
  }

  @Test
  void warmUpWithoutDefaultConstructorIsRejected() {
    assertThat(configurationError(InnerWarmUp.class))
        .contains("has no constructor without arguments")
        .contains("make it a static nested class");
  }

  @XrayTest
  static class StoreDoesNotClose {
    @XrayVm(tinyGuest = true)
    Vm vm;

    @Test
    void test() {}
  }

  @Test
  void disabledStoreClosingIsRejected() {
    EngineExecutionResults results = run(StoreDoesNotClose.class,
        Map.of(XrayExtension.CLOSE_PARAMETER, "false"));

    List<Event> failed = results.containerEvents().failed().list();
    assertThat(failed).hasSize(1);
    assertThat(failed.get(0).getPayload(TestExecutionResult.class).orElseThrow().getThrowable()
        .orElseThrow()).isInstanceOf(ExtensionConfigurationException.class)
        .hasMessageContaining(XrayExtension.CLOSE_PARAMETER + " is false");
  }

  /** Returns a host check that reports QEMU as missing and reads a fixed environment. */
  private static HostCheck hostWithoutQemu(String requireQemu, String ci) {
    return new HostCheck(name -> switch (name) {
      case HostCheck.REQUIRE_VARIABLE -> requireQemu;
      case "CI" -> ci;
      default -> null;
    }) {
      @Override
      List<String> missing(java.util.Set<dev.xray.api.Architecture> architectures) {
        return List.of("qemu-system-x86_64 not found in PATH; install qemu-system-x86");
      }
    };
  }

  static class NoQemu {
    @RegisterExtension
    static XrayExtension xray = new XrayExtension(hostWithoutQemu(null, null));

    @XrayVm(tinyGuest = true)
    Vm vm;

    @Test
    void test() {}
  }

  @Test
  void missingQemuDisablesClass() {
    EngineExecutionResults results = run(NoQemu.class);

    results.testEvents().assertStatistics(stats -> stats.started(0));
    List<Event> skipped = results.containerEvents().skipped().list();
    assertThat(skipped).hasSize(1);
    assertThat(skipped.get(0).getPayload(String.class).orElseThrow())
        .isEqualTo("xray cannot run VMs on this host: qemu-system-x86_64 not found in PATH; "
            + "install qemu-system-x86");
  }

  static class NoQemuInCi {
    @RegisterExtension
    static XrayExtension xray = new XrayExtension(hostWithoutQemu("1", "true"));

    @XrayVm(tinyGuest = true)
    Vm vm;

    @Test
    void test() {}
  }

  @Test
  void missingQemuFailsClassWhenRequired() {
    Throwable failure = classFailure(NoQemuInCi.class);

    assertThat(failure).isInstanceOf(HostException.class)
        .hasMessageStartingWith("xray cannot run VMs on this host: qemu-system-x86_64 not found")
        .hasMessageEndingWith("(tests fail instead of skipping because XRAY_REQUIRE_QEMU=1)");
  }

  @Test
  void requireVariableOverridesCi() {
    assertThat(hostWithoutQemu("1", null).isRequired()).isTrue();
    assertThat(hostWithoutQemu("0", "true").isRequired()).isFalse();
    assertThat(hostWithoutQemu(null, "true").isRequired()).isFalse();
    assertThat(hostWithoutQemu(null, null).isRequired()).isFalse();
    assertThat(hostWithoutQemu(null, "false").isRequired()).isFalse();
  }

  @XrayTest
  static class NoVmFields {
    @Test
    void test() {}
  }

  @Test
  void classWithoutVmFieldsRuns() {
    run(NoVmFields.class).testEvents().assertStatistics(stats -> stats.succeeded(1));
  }
}
