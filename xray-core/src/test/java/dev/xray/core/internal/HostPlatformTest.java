package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import dev.xray.core.internal.HostPlatform.AcceleratorChoice;
import dev.xray.core.internal.HostPlatform.Os;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPlatformTest {
  private static final Architecture X86 = Architecture.X86_64;
  private static final Architecture ARM = Architecture.AARCH64;

  @TempDir
  Path root;

  /** Creates a fake {@code /dev/kvm} (a regular file) and the named {@code /sys/module} folders. */
  private Path simulate(boolean kvmDevice, String... modules) throws IOException {
    if (kvmDevice) {
      Files.createDirectories(root.resolve("dev"));
      Files.createFile(root.resolve("dev/kvm"));
    }
    for (String module : modules) {
      Files.createDirectories(root.resolve("sys/module").resolve(module));
    }
    return root;
  }

  private AcceleratorChoice auto(HostPlatform host, Architecture guest) {
    return host.chooseAccelerator(guest, Accelerator.AUTO, false, null);
  }

  private static boolean realHostIsMacos() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("mac");
  }

  @ParameterizedTest
  @ValueSource(strings = {"kvm_intel", "kvm_amd"})
  void linuxX86WithHardwareKvmChoosesKvm(String module) throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", module));

    AcceleratorChoice choice = auto(host, X86);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.forced()).isFalse();
    assertThat(choice.warning()).isEmpty();
  }

  @Test
  void softwareKvmFallsBackToTcg() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_pvm"));

    AcceleratorChoice choice = auto(host, X86);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.forced()).isFalse();
    assertThat(choice.warning()).hasValueSatisfying(warning -> assertThat(warning)
        .contains("/dev/kvm is not backed by kvm_intel or kvm_amd")
        .contains("using tcg")
        .contains("XRAY_ACCEL=tcg"));
  }

  @Test
  void kvmProblemNamesSoftwareKvm() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_pvm"));

    assertThat(host.kvmProblem()).hasValue("/dev/kvm is not backed by kvm_intel or kvm_amd");
  }

  @Test
  void missingKvmDeviceFallsBackToTcg() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(false, "kvm", "kvm_intel"));

    AcceleratorChoice choice = auto(host, X86);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.warning()).hasValueSatisfying(warning -> assertThat(warning)
        .contains("/dev/kvm does not exist"));
  }

  @Test
  void kvmDeviceWithoutAccessFallsBackToTcg() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));
    Path device = root.resolve("dev/kvm");
    Files.setPosixFilePermissions(device, PosixFilePermissions.fromString("r--------"));
    Assumptions.assumeFalse(Files.isWritable(device),
        "this user (root) may write any file, so mode 0400 cannot deny access");

    AcceleratorChoice choice = auto(host, X86);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.warning()).hasValueSatisfying(warning -> assertThat(warning)
        .contains("no read and write access to /dev/kvm"));
  }

  @Test
  void kvmWithoutModuleFoldersIsTrusted() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true));

    assertThat(auto(host, X86).accelerator()).isEqualTo(Accelerator.KVM);
  }

  @Test
  void linuxAarch64WithKvmDeviceChoosesKvm() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, ARM, simulate(true, "kvm"));

    AcceleratorChoice choice = auto(host, ARM);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.warning()).isEmpty();
  }

  @Test
  void foreignGuestUsesTcgWithoutWarning() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = auto(host, ARM);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.forced()).isFalse();
    assertThat(choice.warning()).isEmpty();
  }

  @Test
  void foreignGuestOnMacosUsesTcg() {
    HostPlatform host = HostPlatform.of(Os.MACOS, ARM, root);

    AcceleratorChoice choice = auto(host, X86);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.warning()).isEmpty();
  }

  @Test
  void otherOsUsesTcgWithoutWarning() throws IOException {
    HostPlatform host = HostPlatform.of(Os.OTHER, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = auto(host, X86);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.warning()).isEmpty();
  }

  @Test
  void macosWithoutSysctlFallsBackToTcg() {
    Assumptions.assumeFalse(realHostIsMacos(), "the real sysctl reports HVF support");
    HostPlatform host = HostPlatform.of(Os.MACOS, ARM, root);

    AcceleratorChoice choice = auto(host, ARM);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.forced()).isFalse();
    assertThat(choice.warning()).hasValueSatisfying(warning -> assertThat(warning)
        .startsWith("hvf is not usable")
        .contains("sysctl"));
  }

  @Test
  void forcedHvfWithoutSysctlRaises() {
    Assumptions.assumeFalse(realHostIsMacos(), "the real sysctl reports HVF support");
    HostPlatform host = HostPlatform.of(Os.MACOS, ARM, root);

    assertThatThrownBy(() -> host.chooseAccelerator(ARM, Accelerator.HVF, true, null))
        .isInstanceOf(HostException.class)
        .hasMessageContaining("hvf was requested but is not usable")
        .hasMessageContaining("--accel tcg");
  }

  @ParameterizedTest
  @EnumSource(value = Os.class, names = {"MACOS", "OTHER"})
  void forcedKvmOutsideLinuxRaises(Os os) throws IOException {
    HostPlatform host = HostPlatform.of(os, X86, simulate(true, "kvm", "kvm_intel"));

    assertThatThrownBy(() -> host.chooseAccelerator(X86, Accelerator.KVM, true, null))
        .isInstanceOf(HostException.class)
        .hasMessageContaining("kvm is not available on this operating system")
        .hasMessageContaining("--accel tcg");
  }

  @Test
  void forcedKvmOnOtherOsSuggestsOnlyTcg() {
    HostPlatform host = HostPlatform.of(Os.OTHER, X86, root);

    assertThatThrownBy(() -> host.chooseAccelerator(X86, Accelerator.KVM, true, null))
        .isInstanceOf(HostException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("--accel tcg or --accel tcg"));
  }

  @Test
  void forcedHvfOnLinuxRaises() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, ARM, simulate(true, "kvm"));

    assertThatThrownBy(() -> host.chooseAccelerator(ARM, Accelerator.HVF, true, null))
        .isInstanceOf(HostException.class)
        .hasMessageContaining("hvf is not available on this operating system")
        .hasMessageContaining("--accel kvm");
  }

  @ParameterizedTest
  @EnumSource(value = Accelerator.class, names = {"KVM", "HVF"})
  void forcedNativeAcceleratorForForeignGuestRaises(Accelerator accelerator)
      throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    assertThatThrownBy(() -> host.chooseAccelerator(ARM, accelerator, true, null))
        .isInstanceOf(HostException.class)
        .hasMessageContaining(accelerator.qemuName() + " cannot run")
        .hasMessageContaining("aarch64 guest")
        .hasMessageContaining("--accel tcg");
  }

  @Test
  void forcedKvmWithoutDeviceRaises() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(false, "kvm", "kvm_intel"));

    assertThatThrownBy(() -> host.chooseAccelerator(X86, Accelerator.KVM, true, null))
        .isInstanceOf(HostException.class)
        .hasMessageContaining("kvm was requested but is not usable")
        .hasMessageContaining("/dev/kvm does not exist");
  }

  @Test
  void forcedKvmOnSoftwareKvmIsTaken() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_pvm"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.KVM, true, null);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.forced()).isTrue();
    assertThat(choice.warning()).isEmpty();
  }

  @Test
  void forcedKvmOnHardwareKvmIsTaken() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_amd"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.KVM, true, null);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.forced()).isTrue();
  }

  @Test
  void forcedTcgAlwaysWorks() {
    for (Os os : Os.values()) {
      for (Architecture hostArchitecture : Architecture.values()) {
        for (Architecture guest : Architecture.values()) {
          HostPlatform host = HostPlatform.of(os, hostArchitecture, root);

          AcceleratorChoice choice = host.chooseAccelerator(guest, Accelerator.TCG, true, null);

          String label = os + " " + hostArchitecture + " host, " + guest + " guest";
          assertThat(choice.accelerator()).as(label).isEqualTo(Accelerator.TCG);
          assertThat(choice.forced()).as(label).isTrue();
          assertThat(choice.warning()).as(label).isEmpty();
        }
      }
    }
  }

  @Test
  void tcgFromConfigIsForced() {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, root);

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.TCG, false, null);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.forced()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"tcg", "TCG", " tcg ", "Tcg\n"})
  void environmentValueIsParsed(String value) throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.AUTO, false, value);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
    assertThat(choice.forced()).isTrue();
  }

  @Test
  void environmentKvmReplacesConfigValue() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.TCG, false, "kvm");

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.forced()).isTrue();
  }

  @Test
  void environmentAutoChoosesAgain() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.TCG, false, "auto");

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.forced()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\t"})
  void blankEnvironmentValueIsIgnored(String value) throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.AUTO, false, value);

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.forced()).isFalse();
  }

  @Test
  void explicitRequestBeatsEnvironmentValue() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.TCG, true, "kvm");

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
  }

  @Test
  void explicitAutoBeatsEnvironmentValue() throws IOException {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, simulate(true, "kvm", "kvm_intel"));

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.AUTO, true, "tcg");

    assertThat(choice.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(choice.forced()).isFalse();
  }

  @Test
  void explicitRequestIgnoresInvalidEnvironmentValue() {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, root);

    AcceleratorChoice choice = host.chooseAccelerator(X86, Accelerator.TCG, true, "xen");

    assertThat(choice.accelerator()).isEqualTo(Accelerator.TCG);
  }

  @ParameterizedTest
  @ValueSource(strings = {"xen", "kvm,tcg", "k v m", "whpx"})
  void invalidEnvironmentValueRaisesNamingVariable(String value) {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, root);

    assertThatThrownBy(() -> host.chooseAccelerator(X86, Accelerator.AUTO, false, value))
        .isInstanceOf(HostException.class)
        .hasMessageContaining("XRAY_ACCEL='" + value + "'")
        .hasMessageContaining("auto, kvm, hvf or tcg");
  }

  @Test
  void environmentKvmThatCannotWorkRaises() {
    HostPlatform host = HostPlatform.of(Os.LINUX, X86, root);

    assertThatThrownBy(() -> host.chooseAccelerator(X86, Accelerator.AUTO, false, "kvm"))
        .isInstanceOf(HostException.class)
        .hasMessageContaining("/dev/kvm does not exist");
  }

  @Test
  void simulatedHostKeepsOsAndArchitecture() {
    HostPlatform host = HostPlatform.of(Os.MACOS, ARM, root);

    assertThat(host.os()).isEqualTo(Os.MACOS);
    assertThat(host.architecture()).isEqualTo(ARM);
  }

  @Test
  void currentHostMatchesJvmProperties() {
    HostPlatform host = HostPlatform.current();

    assertThat(host.architecture()).isEqualTo(Architecture.host());
    String osName = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    if (osName.contains("linux")) {
      assertThat(host.os()).isEqualTo(Os.LINUX);
    } else if (osName.contains("mac")) {
      assertThat(host.os()).isEqualTo(Os.MACOS);
    } else {
      assertThat(host.os()).isEqualTo(Os.OTHER);
    }
  }
}
