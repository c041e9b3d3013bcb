package dev.xray.core.internal;

import dev.xray.api.Bases;
import dev.xray.api.HostException;
import dev.xray.api.Vms;
import dev.xray.api.Xray;
import dev.xray.api.XrayException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** An {@link Xray} over the files of one home folder. */
public final class LocalXray implements Xray {
  /** How long an operation waits for another one on the same VM or home folder to finish. */
  static final Duration LOCK_TIMEOUT = Duration.ofSeconds(60);

  private final HomeLayout layout;
  private final LocalBases bases;
  private final LocalVms vms;
  private volatile QemuImg qemuImg;

  private LocalXray(HomeLayout layout) {
    this.layout = layout;
    this.bases = new LocalBases(this);
    this.vms = new LocalVms(this);
  }

  /**
   * Opens the home folder, creating it and its {@code bases} and {@code vms} folders with mode
   * 0700 when they are missing.
   *
   * @throws HostException if the folder cannot be created or is not a folder
   */
  public static LocalXray open(Path home) {
    HomeLayout layout = new HomeLayout(home);
    try {
      if (Files.exists(layout.home()) && !Files.isDirectory(layout.home())) {
        throw new HostException("xray home " + layout.home() + " is not a folder; set XRAY_HOME"
            + " to a folder");
      }
      if (!Files.isDirectory(layout.home())) {
        AtomicFiles.createPrivateDirectory(layout.home());
      }
      if (!Files.isDirectory(layout.basesDirectory())) {
        AtomicFiles.createPrivateDirectory(layout.basesDirectory());
      }
      if (!Files.isDirectory(layout.vmsDirectory())) {
        AtomicFiles.createPrivateDirectory(layout.vmsDirectory());
      }
    } catch (IOException e) {
      throw new HostException("cannot create xray home " + layout.home() + ": " + e
          + "; set XRAY_HOME to a writable folder", e);
    }
    LocalXray xray = new LocalXray(layout);
    xray.localVms().removeLeftovers();
    return xray;
  }

  @Override
  public Path home() {
    return layout.home();
  }

  @Override
  public Bases bases() {
    return bases;
  }

  @Override
  public Vms vms() {
    return vms;
  }

  LocalVms localVms() {
    return vms;
  }

  HomeLayout layout() {
    return layout;
  }

  /** Returns the qemu-img wrapper, looking the program up on first use. */
  QemuImg qemuImg() {
    QemuImg current = qemuImg;
    if (current == null) {
      current = new QemuImg(QemuBinaries.qemuImg());
      qemuImg = current;
    }
    return current;
  }

  /** Takes the home folder's lock, which serializes base imports, removals and VM creates. */
  FileLocks.Held lockHome() {
    try {
      return FileLocks.acquire(layout.home().resolve("lock"), LOCK_TIMEOUT,
          "xray home " + layout.home());
    } catch (IOException e) {
      throw new XrayException("cannot lock xray home " + layout.home() + ": " + e.getMessage(),
          e);
    }
  }
}
