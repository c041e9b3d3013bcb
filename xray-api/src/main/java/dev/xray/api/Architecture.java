package dev.xray.api;

import java.util.Locale;

/** A guest CPU architecture that xray can run. */
public enum Architecture {
  X86_64("x86_64"),
  AARCH64("aarch64");

  private final String qemuName;

  Architecture(String qemuName) {
    this.qemuName = qemuName;
  }

  /** Returns the name QEMU uses, as in {@code qemu-system-x86_64}. */
  public String qemuName() {
    return qemuName;
  }

  /** Returns the architecture of the JVM's host, from {@code os.arch}. */
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

  /** Parses {@code x86_64} or {@code aarch64} (also {@code amd64} and {@code arm64}). */
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
