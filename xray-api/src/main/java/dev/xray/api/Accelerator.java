package dev.xray.api;

import java.util.Locale;

/** The QEMU accelerator that runs a VM's vCPUs. */
public enum Accelerator {
  /** Let xray choose: HVF on macOS, KVM on Linux when it works, TCG otherwise. */
  AUTO,
  /** Linux KVM. */
  KVM,
  /** Apple's Hypervisor.framework on macOS. */
  HVF,
  /** QEMU's software emulator: slower, but works everywhere. */
  TCG;

  /** Returns the lower-case name QEMU's {@code -accel} option takes ({@code "auto"} for AUTO). */
  public String qemuName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses an accelerator name such as {@code "kvm"} or {@code "auto"}, ignoring case. */
  public static Accelerator parse(String name) {
    for (Accelerator accelerator : values()) {
      if (accelerator.qemuName().equalsIgnoreCase(name)) {
        return accelerator;
      }
    }
    throw new IllegalArgumentException(
        "invalid accelerator: '" + name + "' (expected auto, kvm, hvf or tcg)");
  }
}
