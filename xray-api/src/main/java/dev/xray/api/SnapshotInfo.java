package dev.xray.api;

import java.time.Duration;
import java.time.Instant;

/**
 * One snapshot of a VM.
 *
 * @param tag the snapshot's name
 * @param created when the snapshot was taken
 * @param vmStateSize the size of the saved RAM and device state, in bytes; 0 for a disk-only
 *     snapshot taken while the VM was stopped
 * @param guestClock the guest's clock (time the VM had run) when the snapshot was taken
 * @param revertible whether {@link Snapshots#revert(String)} to this snapshot works in the VM's
 *     current state: a disk-only snapshot cannot be loaded into a running VM
 */
public record SnapshotInfo(
    String tag, Instant created, long vmStateSize, Duration guestClock, boolean revertible) {

  /**
   * Returns whether the snapshot contains the VM's memory, so reverting resumes a running guest.
   *
   * @return true when {@link #vmStateSize()} is above 0
   */
  public boolean live() {
    return vmStateSize > 0;
  }
}
