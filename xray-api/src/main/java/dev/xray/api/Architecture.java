package dev.xray.api;

import java.util.Locale;

/** A guest CPU architecture that xray can run. */
public enum Architecture {
  /** 64-bit x86, run by {@code qemu-system-x86_64} with OVMF firmware. */
  X86_64("x86_64"),
  /** 64-bit Arm, run by {@code qemu-system-aarch64} with AAVMF firmware. */
  AARCH64("aarch64");

  private final String qemuName;

  Architecture(String qemuName) {
    this.qemuName = qemuName;
  }

  /**
   * Returns the name QEMU uses for the architecture.
   *
   * @return the name, as in {@code qemu-system-x86_64}
   */
  public String qemuName() {
    return qemuName;
  }

  /**
   * Returns the architecture of the JVM's host.
   *
   * @return the architecture that the system property {@code os.arch} names
   * @throws HostException if the host is neither x86_64 nor aarch64
   */
  public static Architecture host() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    switch (arch) {
      case "amd64":
      case "x86_64":
        return X86_64;
      case "aarch64":
      case "arm64":
        return AARCH64;
      default:
        throw new HostException("unsupported host architecture: " + arch
            + " (xray runs on x86_64 and aarch64 hosts)");
    }
  }

  /**
   * Parses an architecture name, ignoring case.
   *
   * @param name {@code x86_64} or {@code aarch64}, or their other names {@code amd64} and
   *     {@code arm64}
   * @return the architecture of that name
   * @throws IllegalArgumentException if {@code name} is not one of these
   */
  public static Architecture parse(String name) {
    switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
      case "x86_64":
      case "amd64":
        return X86_64;
      case "aarch64":
      case "arm64":
        return AARCH64;
      default:
        throw new IllegalArgumentException(
            "invalid architecture: '" + name + "' (expected x86_64 or aarch64)");
    }
  }
}
