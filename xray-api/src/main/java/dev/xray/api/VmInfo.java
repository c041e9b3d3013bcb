package dev.xray.api;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * What {@link Vm#info()} reports about one VM at one moment.
 *
 * @param spec the VM's configuration
 * @param status the QEMU process's state
 * @param pid QEMU's process id while the VM runs
 * @param directory the VM's folder under the home folder
 * @param diskChain the VM's overlay first, then its backing files down to the base image
 * @param snapshots the VM's snapshots, oldest first
 */
public record VmInfo(
    VmSpec spec,
    VmStatus status,
    OptionalLong pid,
    Path directory,
    List<DiskImage> diskChain,
    List<SnapshotInfo> snapshots) {

  /**
   * Creates the record, with copies of {@code diskChain} and {@code snapshots} so that it stays
   * immutable.
   *
   * @param spec the VM's configuration
   * @param status the QEMU process's state
   * @param pid QEMU's process id while the VM runs
   * @param directory the VM's folder under the home folder
   * @param diskChain the VM's overlay first, then its backing files down to the base image
   * @param snapshots the VM's snapshots, oldest first
   */
  public VmInfo {
    diskChain = List.copyOf(diskChain);
    snapshots = List.copyOf(snapshots);
  }
}
