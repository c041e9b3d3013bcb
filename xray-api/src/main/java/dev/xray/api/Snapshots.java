package dev.xray.api;

import java.util.List;

/**
 * The snapshots of one VM: one name space across its disk and its UEFI variable store.
 *
 * <p>A snapshot of a running VM is live: it holds the RAM and device state (stored in the VM's
 * overlay, never in the variable store), so reverting to it resumes the guest where it was. A
 * snapshot of a stopped VM holds the disks only.
 */
public interface Snapshots {
  /**
   * Takes a snapshot called {@code tag}: live if the VM runs, disk-only if it is stopped.
   *
   * @param tag the snapshot's name
   * @return the new snapshot
   * @throws IllegalArgumentException if the tag is invalid (see {@link Names})
   * @throws AlreadyExistsException if a snapshot with that tag exists
   * @throws InvalidStateException if the VM's monitor does not respond (a paused VM gets a live
   *     snapshot, a crashed one a disk-only snapshot)
   * @throws QemuException if QEMU's snapshot job fails; the VM keeps running and no partial
   *     snapshot is left
   */
  SnapshotInfo create(String tag);

  /**
   * Takes a snapshot called {@code tag}, replacing an existing snapshot of that tag when
   * {@code replace} is true. QEMU does not save a live snapshot under a tag that exists, so a
   * replace of a running VM deletes the old snapshot before the save. Replacing the live
   * snapshot that a stopped VM was to resume clears that resume, and the next start boots.
   *
   * @param tag the snapshot's name
   * @param replace whether to replace an existing snapshot of that tag
   * @return the new snapshot
   * @throws XrayException if a running VM's snapshot is to be replaced while the file system of
   *     its overlay has less free space than the VM's memory size. Nothing is deleted then
   * @throws QemuException if QEMU's snapshot job fails; the VM keeps running, and a snapshot
   *     that was to be replaced is gone, and the message names it
   * @see #create(String)
   */
  SnapshotInfo create(String tag, boolean replace);

  /**
   * Takes a snapshot like {@link #create(String, boolean)} and reports its progress. A live
   * snapshot reports the bytes of RAM and device state written so far, out of the VM's memory
   * size, which bounds them (zero pages make the state smaller, so the count may end early).
   * The count comes from the QEMU process's I/O counters, which only Linux has; elsewhere the
   * listener hears only the final call. A disk-only snapshot reports nothing.
   *
   * @param tag the snapshot's name
   * @param replace whether to replace an existing snapshot of that tag
   * @param progress receives the byte counts
   * @return the new snapshot
   */
  SnapshotInfo create(String tag, boolean replace, ProgressListener progress);

  /**
   * Lists the VM's snapshots.
   *
   * @return the snapshots, oldest first
   */
  List<SnapshotInfo> list();

  /**
   * Reverts the VM to a snapshot. On a running VM the snapshot must be live, and the guest
   * continues from that moment. On a stopped VM the disks are reverted; if the snapshot is live,
   * the next {@link Vm#start()} resumes its saved RAM state instead of booting.
   *
   * @param tag the snapshot's name
   * @throws NotFoundException if there is no such snapshot
   * @throws InvalidStateException if the VM runs and the snapshot is disk-only
   * @throws QemuException if loading into a running or paused VM fails; the VM is then left
   *     paused, because QEMU may already have reverted its disks, and the message quotes the
   *     last line of its {@code qemu.log}. Revert it to another live snapshot, or kill it
   */
  void revert(String tag);

  /**
   * Reverts like {@link #revert(String)} and reports the progress of loading a live snapshot
   * into a running VM: the bytes read so far, out of the snapshot's saved state size. As for
   * {@link #create(String, boolean, ProgressListener)}, only Linux counts bytes; elsewhere the
   * listener hears only the final call. A revert of a stopped VM reports nothing.
   *
   * @param tag the snapshot
   * @param progress receives the byte counts
   */
  void revert(String tag, ProgressListener progress);

  /**
   * Deletes a snapshot from every drive. Deleting the live snapshot that a stopped VM was to
   * resume clears that resume, and the next start boots.
   *
   * @param tag the snapshot's name
   * @throws NotFoundException if there is no such snapshot
   */
  void delete(String tag);
}
