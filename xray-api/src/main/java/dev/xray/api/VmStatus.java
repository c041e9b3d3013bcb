package dev.xray.api;

/** The state of a VM's QEMU process as xray observes it. */
public enum VmStatus {
  /** QEMU runs and its vCPUs run. */
  RUNNING,
  /** QEMU runs with its vCPUs stopped (a {@code stop} command, or a failed snapshot load). */
  PAUSED,
  /** No QEMU process; the VM was never started or was shut down cleanly. */
  STOPPED,
  /** QEMU ended without a clean shutdown (killed, or it crashed); its pid file was left behind. */
  CRASHED,
  /** The QEMU process is alive but its monitor does not respond in time. */
  UNRESPONSIVE;

  /**
   * Returns whether a QEMU process exists for the VM.
   *
   * @return true for {@link #RUNNING}, {@link #PAUSED} and {@link #UNRESPONSIVE}
   */
  public boolean isAlive() {
    return this == RUNNING || this == PAUSED || this == UNRESPONSIVE;
  }

  /**
   * Returns the name used in CLI output and JSON.
   *
   * @return the lower-case name, for example {@code "running"}
   */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
