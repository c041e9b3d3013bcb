package dev.xray.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.api.AlreadyExistsException;
import dev.xray.api.ImageException;
import dev.xray.api.InvalidStateException;
import dev.xray.api.Names;
import dev.xray.api.ProgressListener;
import dev.xray.api.NotFoundException;
import dev.xray.api.QemuException;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Snapshots;
import dev.xray.api.VmStatus;
import dev.xray.api.XrayException;
import dev.xray.qmp.QmpClient;
import dev.xray.qmp.QmpException;
import dev.xray.qmp.QmpProtocolException;
import dev.xray.qmp.QmpTimeoutException;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots of one VM, in one name space across its overlay and its UEFI variable store.
 *
 * <p>Running: QEMU's {@code snapshot-save}, {@code snapshot-load} and {@code snapshot-delete} jobs
 * (QEMU 6.0+), with the RAM state in the overlay and both drives listed. Stopped:
 * {@code qemu-img snapshot} on both files. The overlay's snapshot table is the list of record:
 * a tag exists when the overlay has it.
 */
final class LocalSnapshots implements Snapshots {
  private static final Logger log = LoggerFactory.getLogger(LocalSnapshots.class);
  /** The maximum duration of a snapshot job; saving many GiB of RAM to a slow disk is slow. */
  static final Duration JOB_TIMEOUT = Duration.ofMinutes(30);

  private final LocalVm vm;
  private final HomeLayout.VmFiles files;

  LocalSnapshots(LocalVm vm) {
    this.vm = vm;
    this.files = vm.files();
  }

  @Override
  public SnapshotInfo create(String tag) {
    return create(tag, false);
  }

  @Override
  public SnapshotInfo create(String tag, boolean replace) {
    return create(tag, replace, ProgressListener.NONE);
  }

  @Override
  public SnapshotInfo create(String tag, boolean replace, ProgressListener progress) {
    Names.checkSnapshotTag(tag);
    Objects.requireNonNull(progress, "progress");
    long startNanos = System.nanoTime();
    try (FileLocks.Held lock = vm.lock()) {
      if (QemuProcess.observe(files).state() == QemuProcess.PidState.ALIVE) {
        SnapshotInfo created = createLiveInOneSession(tag, replace, progress);
        log.info("took live snapshot {} of VM {} in {} ms", tag, vm.name(),
            (System.nanoTime() - startNanos) / 1_000_000);
        return created;
      }
      VmStatus status = vm.status();
      requireUsable(status, "take a snapshot of");
      boolean exists = find(tag, status).isPresent();
      if (exists && !replace) {
        throw new AlreadyExistsException("snapshot '" + tag + "' of VM '" + vm.name()
            + "' already exists; use --force to replace it, or pick another tag");
      }
      if (status.isAlive()) {
        // A tag left in the variable store only by an interrupted disk-only create or delete
        // would make QEMU reject the save, so it is deleted first like a replaced snapshot.
        createLive(tag, exists, exists || varsHave(tag, true), progress);
      } else {
        createStopped(tag, exists);
      }
      SnapshotInfo created = find(tag, vm.status()).orElseThrow(() -> new XrayException(
          "snapshot '" + tag + "' of VM '" + vm.name() + "' is missing after it was taken"));
      log.info("took {} snapshot {} of VM {} in {} ms", created.live() ? "live" : "disk-only",
          tag, vm.name(), (System.nanoTime() - startNanos) / 1_000_000);
      return created;
    }
  }

  /**
   * Takes a live snapshot over one monitor connection: the checks, the save and the final read
   * of the snapshot table share it, so the snapshot costs little more than QEMU's own job.
   */
  private SnapshotInfo createLiveInOneSession(String tag, boolean replace,
      ProgressListener progress) {
    QmpClient monitor;
    try {
      monitor = vm.connectMonitor();
    } catch (QmpTimeoutException e) {
      throw new InvalidStateException("cannot take a snapshot of VM '" + vm.name()
          + "': its monitor does not respond; 'xray stop " + vm.name() + " --force' ends it",
          VmStatus.UNRESPONSIVE);
    } catch (QmpException e) {
      throw new QemuException("cannot take snapshot '" + tag + "' of VM '" + vm.name() + "': "
          + e.getMessage(), e);
    }
    try (QmpClient qmp = monitor) {
      boolean exists = hasTag(snapshotsFromMonitor(qmp, QemuCommandLine.DISK_NODE), tag);
      if (exists && !replace) {
        throw new AlreadyExistsException("snapshot '" + tag + "' of VM '" + vm.name()
            + "' already exists; use --force to replace it, or pick another tag");
      }
      // A tag left in the variable store only by an interrupted disk-only create or delete
      // would make QEMU reject the save, so it is deleted first like a replaced snapshot.
      if (exists) {
        requireRoomToReplace(tag);
      }
      if (exists || hasTag(snapshotsFromMonitor(qmp, QemuCommandLine.VARS_NODE), tag)) {
        qmp.snapshotDelete(tag, QemuCommandLine.snapshotNodes(), JOB_TIMEOUT);
      }
      saveLive(qmp, tag, exists, progress);
      return snapshotsFromMonitor(qmp, QemuCommandLine.DISK_NODE).stream()
          .filter(snapshot -> snapshot.tag().equals(tag))
          .map(snapshot -> new SnapshotInfo(snapshot.tag(), snapshot.created(),
              snapshot.vmStateSize(), snapshot.guestClock(), snapshot.vmStateSize() > 0))
          .findFirst()
          .orElseThrow(() -> new XrayException("snapshot '" + tag + "' of VM '" + vm.name()
              + "' is missing after it was taken"));
    } catch (QmpException e) {
      throw new QemuException("cannot take snapshot '" + tag + "' of VM '" + vm.name() + "': "
          + e.getMessage(), e);
    }
  }

  private static boolean hasTag(List<QemuImg.ImageSnapshot> snapshots, String tag) {
    return snapshots.stream().anyMatch(snapshot -> snapshot.tag().equals(tag));
  }

  /**
   * Takes a live snapshot. {@code replace} is true when a snapshot of the tag exists, and
   * {@code deleteFirst} is also true when only a leftover tag in the variable store exists.
   */
  private void createLive(String tag, boolean replace, boolean deleteFirst,
      ProgressListener progress) {
    try (QmpClient qmp = vm.connectMonitor()) {
      if (replace) {
        requireRoomToReplace(tag);
      }
      if (deleteFirst) {
        qmp.snapshotDelete(tag, QemuCommandLine.snapshotNodes(), JOB_TIMEOUT);
      }
      saveLive(qmp, tag, replace, progress);
    } catch (QmpException e) {
      throw new QemuException("cannot take snapshot '" + tag + "' of VM '" + vm.name() + "': "
          + e.getMessage(), e);
    }
  }

  /**
   * Runs the snapshot-save job. When it fails, removes what it left on any drive and resumes the
   * VM, so the VM keeps running without a half snapshot.
   */
  private void saveLive(QmpClient qmp, String tag, boolean replaced,
      ProgressListener progress) {
    long ramBytes = (long) vm.spec().memoryMiB() << 20;
    try (ProcessIoProgress written = followQemu(ProcessIoProgress.Direction.WRITE, ramBytes,
        progress)) {
      qmp.snapshotSave(tag, QemuCommandLine.DISK_NODE, QemuCommandLine.snapshotNodes(),
          JOB_TIMEOUT);
      written.finish();
    } catch (QmpException e) {
      removePartialLive(qmp, tag);
      resumeIfPaused(qmp);
      throw new QemuException("live snapshot '" + tag + "' of VM '" + vm.name()
          + "' failed: " + e.getMessage() + "; the VM keeps running"
          + (replaced ? ", and the snapshot '" + tag + "' it was to replace is gone: it was "
              + "deleted before the save" : ""), e);
    }
  }

  /** Returns " (qemu.log: LINE)" with the log's last non-blank line, which names the cause. */
  private String lastQemuLogLine() {
    List<String> last = SerialLog.tail(files.qemuLog(), 1);
    return last.isEmpty() ? "" : " (qemu.log: " + last.get(0) + ")";
  }

  /**
   * Rejects the replace of a live snapshot when the overlay's file system has less free space
   * than the VM's RAM size, which bounds the new state. QEMU rejects a save under an existing
   * tag, so the old snapshot is deleted first, and a save that then ran out of space would leave
   * neither.
   *
   * <p>NOTE: the RAM size is an estimate of the bound, because device state adds a little to it.
   * A save that fails for another reason after the delete still loses the old snapshot.
   */
  private void requireRoomToReplace(String tag) {
    long ramBytes = (long) vm.spec().memoryMiB() << 20;
    long usable;
    try {
      usable = Files.getFileStore(files.disk()).getUsableSpace();
    } catch (IOException e) {
      log.debug("cannot read the free space beside {}: {}", files.disk(), e.toString());
      return;
    }
    if (usable < ramBytes) {
      throw new XrayException("cannot replace snapshot '" + tag + "' of VM '" + vm.name()
          + "': the file system of " + files.disk() + " has " + (usable >> 20) + " MiB free, "
          + "less than the " + (ramBytes >> 20) + " MiB of RAM the new state may take, and the "
          + "old snapshot would be deleted before the save; free some space, or delete the "
          + "snapshot first ('xray snapshot delete " + vm.name() + " " + tag + "') and take it "
          + "again");
    }
  }

  /** Follows the QEMU process's I/O counters, or nothing when its pid is unknown. */
  private ProcessIoProgress followQemu(ProcessIoProgress.Direction direction, long total,
      ProgressListener progress) {
    long pid = QemuProcess.observe(files).pid().orElse(-1L);
    return ProcessIoProgress.start(pid, direction, pid < 0 ? 0 : total, progress);
  }

  /** Deletes what a failed save may have left on some drives, so no half snapshot remains. */
  private void removePartialLive(QmpClient qmp, String tag) {
    try {
      qmp.snapshotDelete(tag, QemuCommandLine.snapshotNodes(), JOB_TIMEOUT);
    } catch (QmpException e) {
      log.debug("no partial snapshot {} to remove from VM {}: {}", tag, vm.name(),
          e.getMessage());
    }
  }

  private void resumeIfPaused(QmpClient qmp) {
    try {
      if (!qmp.queryStatus().running()) {
        qmp.cont();
      }
    } catch (QmpException e) {
      log.warn("cannot resume VM {} after a failed snapshot: {}", vm.name(), e.getMessage());
    }
  }

  /**
   * Takes a disk-only snapshot of the variable store first and of the overlay last, because the
   * overlay's table is the list of record. A create that is killed in between leaves a tag in the
   * variable store only, which no list shows and the next create of that tag replaces.
   */
  private void createStopped(String tag, boolean replace) {
    QemuImg qemuImg = vm.xray().qemuImg();
    if (replace) {
      deleteStopped(tag);
      forgetResume(tag);
    } else if (varsHave(tag, false)) {
      qemuImg.deleteSnapshot(files.vars(), tag);
    }
    qemuImg.createSnapshot(files.vars(), tag);
    try {
      qemuImg.createSnapshot(files.disk(), tag);
    } catch (RuntimeException e) {
      qemuImg.deleteSnapshot(files.vars(), tag);
      throw e;
    }
  }

  /**
   * Returns whether the variable store has a snapshot called {@code tag}. The snapshot table is
   * read from the file without running qemu-img; QEMU writes a new table before it switches to
   * it, so the file stays readable while the VM runs.
   */
  private boolean varsHave(String tag, boolean shared) {
    try {
      return hasTag(Qcow2SnapshotTable.read(files.vars()), tag);
    } catch (IOException e) {
      throw new ImageException("cannot read the snapshots of " + files.vars() + ": "
          + e.getMessage());
    }
  }

  @Override
  public List<SnapshotInfo> list() {
    return list(vm.status());
  }

  List<SnapshotInfo> list(VmStatus status) {
    boolean running = status.isAlive();
    List<SnapshotInfo> snapshots = new ArrayList<>();
    for (QemuImg.ImageSnapshot snapshot : readTable(running)) {
      boolean revertible = !running || snapshot.vmStateSize() > 0;
      snapshots.add(new SnapshotInfo(snapshot.tag(), snapshot.created(), snapshot.vmStateSize(),
          snapshot.guestClock(), revertible));
    }
    return snapshots;
  }

  /**
   * Reads the overlay's snapshot table: from QEMU over QMP while the VM runs, else from the file.
   * A running VM whose monitor is busy with another operation is read from the file too, which
   * QEMU keeps consistent because it rewrites the table in a new place before switching to it.
   */
  private List<QemuImg.ImageSnapshot> readTable(boolean running) {
    if (running && !vm.isLockedByOtherOperation()) {
      try (QmpClient qmp = vm.connectMonitor(LocalVm.STATUS_TIMEOUT)) {
        return snapshotsFromMonitor(qmp, QemuCommandLine.DISK_NODE);
      } catch (QmpException e) {
        log.debug("reading the snapshots of VM {} from {} because the monitor failed: {}",
            vm.name(), files.disk(), e.getMessage());
      }
    }
    try {
      return Qcow2SnapshotTable.read(files.disk());
    } catch (IOException e) {
      throw new ImageException("cannot read the snapshots of VM '" + vm.name() + "': "
          + e.getMessage());
    }
  }

  private static List<QemuImg.ImageSnapshot> snapshotsFromMonitor(QmpClient qmp,
      String nodeName) throws QmpException {
    ObjectNode arguments = qmp.newArguments();
    arguments.put("flat", true);
    for (JsonNode node : qmp.execute("query-named-block-nodes", arguments)) {
      if (nodeName.equals(node.path("node-name").asText())) {
        return QemuImg.snapshotsOf(node.path("image"));
      }
    }
    throw new QmpProtocolException("QEMU lists no block node '" + nodeName + "'");
  }

  private Optional<SnapshotInfo> find(String tag, VmStatus status) {
    return list(status).stream().filter(snapshot -> snapshot.tag().equals(tag)).findFirst();
  }

  @Override
  public void revert(String tag) {
    revert(tag, ProgressListener.NONE);
  }

  @Override
  public void revert(String tag, ProgressListener progress) {
    Names.checkSnapshotTag(tag);
    Objects.requireNonNull(progress, "progress");
    long startNanos = System.nanoTime();
    try (FileLocks.Held lock = vm.lock()) {
      VmStatus status = vm.status();
      requireUsable(status, "revert");
      SnapshotInfo snapshot = find(tag, status).orElseThrow(() -> notFound(tag, status));
      if (status.isAlive()) {
        revertLive(snapshot, status, progress);
      } else {
        revertStopped(snapshot);
      }
      // A reverted disk may contain other host keys: cloud-init makes new ones on the first
      // boot of a disk that has not booted yet.
      vm.forgetHostKeys();
    }
    log.info("reverted VM {} to snapshot {} in {} ms", vm.name(), tag,
        (System.nanoTime() - startNanos) / 1_000_000);
  }

  private void revertLive(SnapshotInfo snapshot, VmStatus status, ProgressListener progress) {
    if (!snapshot.live()) {
      throw new InvalidStateException("snapshot '" + snapshot.tag() + "' of VM '" + vm.name()
          + "' is disk-only and cannot be loaded into a running VM; stop the VM first ('xray "
          + "stop " + vm.name() + "'), then revert", status);
    }
    try (QmpClient qmp = vm.connectMonitor()) {
      try (ProcessIoProgress read = followQemu(ProcessIoProgress.Direction.READ,
          snapshot.vmStateSize(), progress)) {
        qmp.snapshotLoad(snapshot.tag(), QemuCommandLine.DISK_NODE,
            QemuCommandLine.snapshotNodes(), JOB_TIMEOUT);
        read.finish();
      } catch (QmpException e) {
        // A failed load leaves QEMU paused in "restore-vm". By then QEMU has reverted the
        // disks and may have loaded part of the RAM, so resuming would run the guest on a state
        // that matches neither moment, and its writes could damage the reverted disk.
        throw new QemuException("revert of VM '" + vm.name() + "' to snapshot '"
            + snapshot.tag() + "' failed: " + e.getMessage() + lastQemuLogLine()
            + "; the VM is left paused, because its disks may already be reverted: revert it "
            + "to another live snapshot, or end it with 'xray stop " + vm.name() + " --force'",
            e);
      }
      if (status == VmStatus.RUNNING && !qmp.queryStatus().running()) {
        qmp.cont();
      }
    } catch (QmpException e) {
      throw new QemuException("cannot revert VM '" + vm.name() + "' to snapshot '"
          + snapshot.tag() + "': " + e.getMessage(), e);
    }
  }

  private void revertStopped(SnapshotInfo snapshot) {
    QemuImg qemuImg = vm.xray().qemuImg();
    boolean varsHaveIt = varsHave(snapshot.tag(), false);
    qemuImg.applySnapshot(files.disk(), snapshot.tag());
    if (varsHaveIt) {
      qemuImg.applySnapshot(files.vars(), snapshot.tag());
    }
    VmConfig.Contents config = vm.config();
    Optional<String> resume = snapshot.live() ? Optional.of(snapshot.tag()) : Optional.empty();
    try {
      VmConfig.write(files.config(), config.withResumeSnapshot(resume));
    } catch (IOException e) {
      throw new XrayException("cannot update " + files.config() + ": " + e, e);
    }
  }

  @Override
  public void delete(String tag) {
    Names.checkSnapshotTag(tag);
    try (FileLocks.Held lock = vm.lock()) {
      VmStatus status = vm.status();
      requireUsable(status, "delete a snapshot of");
      find(tag, status).orElseThrow(() -> notFound(tag, status));
      if (status.isAlive()) {
        try (QmpClient qmp = vm.connectMonitor()) {
          qmp.snapshotDelete(tag, QemuCommandLine.snapshotNodes(), JOB_TIMEOUT);
        } catch (QmpException e) {
          throw new QemuException("cannot delete snapshot '" + tag + "' of VM '" + vm.name()
              + "': " + e.getMessage(), e);
        }
      } else {
        deleteStopped(tag);
      }
      forgetResume(tag);
    }
    log.info("deleted snapshot {} of VM {}", tag, vm.name());
  }

  /**
   * Clears {@code resume_snapshot} when it names {@code tag}, whose saved RAM state is being
   * deleted or replaced, so that the next start boots instead of loading a state that is gone.
   */
  private void forgetResume(String tag) {
    VmConfig.Contents config = vm.config();
    if (config.resumeSnapshot().filter(tag::equals).isEmpty()) {
      return;
    }
    try {
      VmConfig.write(files.config(), config.withResumeSnapshot(Optional.empty()));
    } catch (IOException e) {
      throw new XrayException("cannot update " + files.config() + ": " + e, e);
    }
  }

  private void deleteStopped(String tag) {
    QemuImg qemuImg = vm.xray().qemuImg();
    qemuImg.deleteSnapshot(files.disk(), tag);
    if (varsHave(tag, false)) {
      qemuImg.deleteSnapshot(files.vars(), tag);
    }
  }

  private void requireUsable(VmStatus status, String action) {
    if (status == VmStatus.UNRESPONSIVE) {
      throw new InvalidStateException("cannot " + action + " VM '" + vm.name()
          + "': its monitor does not respond; 'xray stop " + vm.name() + " --force' ends it",
          status);
    }
    if (status == VmStatus.CRASHED) {
      vm.cleanRunFiles();
    }
  }

  private NotFoundException notFound(String tag, VmStatus status) {
    String tags = list(status).stream().map(SnapshotInfo::tag).collect(Collectors.joining(", "));
    return new NotFoundException("snapshot '" + tag + "' of VM '" + vm.name() + "' not found; "
        + (tags.isEmpty() ? "the VM has no snapshots" : "its snapshots are: " + tags));
  }
}
