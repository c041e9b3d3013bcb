package dev.xray.qmp;

import java.util.Objects;

/**
 * The VM run state reported by {@code query-status}.
 *
 * @param status the QAPI {@code RunState}, such as "running", "paused", "prelaunch" (started
 *     with {@code -S}), "restore-vm" (after a failed snapshot load), "internal-error" or
 *     "shutdown"
 * @param running whether the vCPUs are running
 * @param singlestep whether single-step mode is on; {@code false} when the reply omits it, as
 *     QEMU releases from 2024 on do (the member was deprecated in QEMU 8.1 and then removed)
 */
public record QmpStatus(String status, boolean running, boolean singlestep) {

  /**
   * Creates a status.
   *
   * @param status the QAPI run state
   * @param running whether the vCPUs are running
   * @param singlestep whether single-step mode is on
   * @throws NullPointerException if {@code status} is null
   */
  public QmpStatus {
    Objects.requireNonNull(status, "status");
  }
}
