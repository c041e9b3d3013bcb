package dev.xray.core.internal;

import java.nio.file.Path;

/**
 * The files of an xray home folder. Every path inside refers to others by relative path, so the
 * whole folder can be moved or copied.
 *
 * <pre>
 * bases/NAME.qcow2        read-only template (a file, or a symbolic link after --link)
 * vms/NAME/vm.toml        the VM's configuration
 * vms/NAME/disk.qcow2     overlay with backing file ../../bases/BASE.qcow2
 * vms/NAME/vars.qcow2     the VM's UEFI variable store
 * vms/NAME/qmp.sock       QMP monitor socket while running
 * vms/NAME/events.sock    second QMP monitor, for event listeners, while running
 * vms/NAME/console.sock   first serial port while running
 * vms/NAME/serial.log     everything the first serial port printed since the last start
 * vms/NAME/qemu.log       QEMU's own messages
 * vms/NAME/pid            QEMU's pid while running
 * vms/NAME/lock           lock file that serializes changes to the VM
 * vms/NAME/owner          pid and start time of the process that owns an ephemeral VM
 * vms/NAME/state.bin      a warm-start template's saved state
 * vms/NAME/seed.iso       the cloud-init NoCloud seed, attached read-only
 * vms/NAME/known_hosts    the guest's SSH host keys, as xray ssh recorded them
 * </pre>
 */
public final class HomeLayout {
  /** The backing file path recorded in an overlay, relative to the overlay's folder. */
  public static final String BACKING_PREFIX = "../../bases/";
  /** The file name of a VM's cloud-init seed in its folder. */
  public static final String SEED_IMAGE = "seed.iso";

  private final Path home;

  public HomeLayout(Path home) {
    this.home = home.toAbsolutePath().normalize();
  }

  public Path home() {
    return home;
  }

  public Path basesDirectory() {
    return home.resolve("bases");
  }

  public Path vmsDirectory() {
    return home.resolve("vms");
  }

  public Path base(String name) {
    return basesDirectory().resolve(name + ".qcow2");
  }

  public Path vmDirectory(String name) {
    return vmsDirectory().resolve(name);
  }

  /** Returns the backing file name an overlay of {@code base} records. */
  public static String backingPath(String base) {
    return BACKING_PREFIX + base + ".qcow2";
  }

  /** The files of one VM folder. */
  public record VmFiles(Path directory) {
    public Path config() {
      return directory.resolve("vm.toml");
    }

    public Path disk() {
      return directory.resolve("disk.qcow2");
    }

    public Path vars() {
      return directory.resolve("vars.qcow2");
    }

    public Path qmpSocket() {
      return directory.resolve("qmp.sock");
    }

    /** A second QMP monitor, for event listeners, so they never hold the main monitor. */
    public Path eventSocket() {
      return directory.resolve("events.sock");
    }

    public Path consoleSocket() {
      return directory.resolve("console.sock");
    }

    public Path serialLog() {
      return directory.resolve("serial.log");
    }

    public Path qemuLog() {
      return directory.resolve("qemu.log");
    }

    public Path pidFile() {
      return directory.resolve("pid");
    }

    public Path lockFile() {
      return directory.resolve("lock");
    }

    /** The process that owns an ephemeral VM; the VM is removed once that process is gone. */
    public Path ownerFile() {
      return directory.resolve("owner");
    }

    /** A template's saved memory and device state, which its clones load at start. */
    public Path stateFile() {
      return directory.resolve("state.bin");
    }

    /** Returns the cloud-init NoCloud seed, an ISO image that QEMU attaches as a read-only CD. */
    public Path seedImage() {
      return directory.resolve(SEED_IMAGE);
    }

    /** Returns the file of the guest's SSH host keys, which {@code xray ssh} records there. */
    public Path knownHosts() {
      return directory.resolve("known_hosts");
    }
  }

  public VmFiles vmFiles(String name) {
    return new VmFiles(vmDirectory(name));
  }
}
