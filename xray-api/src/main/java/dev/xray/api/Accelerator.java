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

  /**
   * Returns the name that QEMU's {@code -accel} option takes.
   *
   * @return the lower-case name, {@code "auto"} for {@link #AUTO}
   */
  public String qemuName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses an accelerator name, ignoring case.
   *
   * @param name a name such as {@code "kvm"} or {@code "auto"}
   * @return the accelerator of that name
   * @throws IllegalArgumentException if {@code name} is not auto, kvm, hvf or tcg
   */
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
