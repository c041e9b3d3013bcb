package dev.xray.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class EnumParsingTest {
  @ParameterizedTest
  @EnumSource(Display.class)
  void displayParsesItsQemuName(Display display) {
    assertThat(Display.parse(display.qemuName())).isEqualTo(display);
    assertThat(Display.parse(display.qemuName().toUpperCase(Locale.ROOT))).isEqualTo(display);
  }

  @ParameterizedTest
  @EnumSource(Accelerator.class)
  void acceleratorParsesItsQemuName(Accelerator accelerator) {
    assertThat(Accelerator.parse(accelerator.qemuName())).isEqualTo(accelerator);
    assertThat(Accelerator.parse(accelerator.qemuName().toUpperCase(Locale.ROOT)))
        .isEqualTo(accelerator);
  }

  @ParameterizedTest
  @EnumSource(Architecture.class)
  void architectureParsesItsQemuName(Architecture architecture) {
    assertThat(Architecture.parse(architecture.qemuName())).isEqualTo(architecture);
    assertThat(Architecture.parse(architecture.qemuName().toUpperCase(Locale.ROOT)))
        .isEqualTo(architecture);
  }

  @Test
  void qemuNamesAreLowerCase() {
    assertThat(Display.COCOA.qemuName()).isEqualTo("cocoa");
    assertThat(Accelerator.HVF.qemuName()).isEqualTo("hvf");
    assertThat(Accelerator.AUTO.qemuName()).isEqualTo("auto");
    assertThat(Architecture.X86_64.qemuName()).isEqualTo("x86_64");
    assertThat(Architecture.AARCH64.qemuName()).isEqualTo("aarch64");
  }

  @ParameterizedTest
  @CsvSource({"amd64,X86_64", "AMD64,X86_64", "arm64,AARCH64", "ARM64,AARCH64"})
  void architectureAcceptsAliases(String name, Architecture expected) {
    assertThat(Architecture.parse(name)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "vnc", "none ", "spice-app"})
  void invalidDisplayIsRejected(String name) {
    assertThatThrownBy(() -> Display.parse(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + name + "'")
        .hasMessageContaining("none, sdl, gtk or cocoa");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "xen", "whpx", " kvm"})
  void invalidAcceleratorIsRejected(String name) {
    assertThatThrownBy(() -> Accelerator.parse(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + name + "'")
        .hasMessageContaining("auto, kvm, hvf or tcg");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "i386", "riscv64", "x86-64", "arm"})
  void invalidArchitectureIsRejected(String name) {
    assertThatThrownBy(() -> Architecture.parse(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + name + "'")
        .hasMessageContaining("x86_64 or aarch64");
  }

  @Test
  void nullIsRejectedAsInvalidArgument() {
    assertThatThrownBy(() -> Display.parse(null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Accelerator.parse(null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Architecture.parse(null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"amd64,X86_64", "x86_64,X86_64", "aarch64,AARCH64", "arm64,AARCH64"})
  void hostArchitectureComesFromOsArch(String osArch, Architecture expected) {
    String saved = System.getProperty("os.arch");
    try {
      System.setProperty("os.arch", osArch);

      assertThat(Architecture.host()).isEqualTo(expected);
    } finally {
      System.setProperty("os.arch", saved);
    }
  }

  @Test
  void unsupportedHostArchitectureRaisesHostException() {
    String saved = System.getProperty("os.arch");
    try {
      System.setProperty("os.arch", "riscv64");

      assertThatThrownBy(Architecture::host)
          .isInstanceOf(HostException.class)
          .hasMessageContaining("riscv64");
    } finally {
      System.setProperty("os.arch", saved);
    }
  }
}
