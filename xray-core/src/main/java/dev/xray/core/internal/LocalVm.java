package dev.xray.core.internal;

import dev.xray.api.Accelerator;
import dev.xray.api.Display;
import dev.xray.api.InvalidStateException;
import dev.xray.api.QemuException;
import dev.xray.api.SerialConsole;
import dev.xray.api.Snapshots;
import dev.xray.api.Vm;
import dev.xray.api.VmEvent;
import dev.xray.api.VmInfo;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.XrayException;
import dev.xray.api.XrayTimeoutException;
import dev.xray.qmp.QmpClient;
import dev.xray.qmp.QmpConnectionClosedException;
import dev.xray.qmp.QmpStatus;
import dev.xray.qmp.QmpEvent;
import dev.xray.qmp.QmpEventStream;
import dev.xray.qmp.QmpException;
import dev.xray.qmp.QmpTimeoutException;
import dev.xray.qmp.QmpOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A VM of a home folder; every call reads the VM's files and process anew. */
class LocalVm implements Vm {
  private static final Logger log = LoggerFactory.getLogger(LocalVm.class);
  /** How long a status query waits for the monitor before calling the VM unresponsive. */
  static final Duration STATUS_TIMEOUT = Duration.ofSeconds(2);
  private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration POWER_BUTTON_INTERVAL = Duration.ofSeconds(2);

  private final LocalXray xray;
  private final String name;
  private final HomeLayout.VmFiles files;

  LocalVm(LocalXray xray, String name) {
    this.xray = xray;
    this.name = name;
    this.files = xray.layout().vmFiles(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Path directory() {
    return files.directory();
  }

  HomeLayout.VmFiles files() {
    return files;
  }

  LocalXray xray() {
    return xray;
  }

  @Override
  public VmSpec spec() {
    return config().spec();
  }

  VmConfig.Contents config() {
    try {
      return VmConfig.read(files.config(), name);
    } catch (NoSuchFileException e) {
      throw LocalVms.notFound(name);
    } catch (IOException e) {
      throw new XrayException("cannot read " + files.config() + ": " + e, e);
    } catch (IllegalStateException e) {
      throw new XrayException(e.getMessage() + "; fix the file or remove the VM", e);
    }
  }

  @Override
  public VmStatus status() {
    requireExists();
    QemuProcess.Observation observation = QemuProcess.observe(files);
    switch (observation.state()) {
      case NO_PID_FILE:
        return VmStatus.STOPPED;
      case DEAD:
        return VmStatus.CRASHED;
      default:
        return queryRunState();
    }
  }

  private VmStatus queryRunState() {
    if (isLockedByOtherOperation()) {
      // A snapshot, start or stop uses the monitor, which serves one client at a time, so
      // asking it would wait for that operation to end.
      return VmStatus.RUNNING;
    }
    try (QmpClient qmp = connectMonitor(STATUS_TIMEOUT)) {
      return qmp.queryStatus().running() ? VmStatus.RUNNING : VmStatus.PAUSED;
    } catch (QmpException e) {
      log.debug("monitor of VM {} did not respond: {}", name, e.toString());
      return VmStatus.UNRESPONSIVE;
    }
  }

  /** Returns whether another thread or process holds this VM's lock right now. */
  boolean isLockedByOtherOperation() {
    try (FileLocks.Held lock = FileLocks.acquire(files.lockFile(), Duration.ZERO, name)) {
      return false;
    } catch (XrayTimeoutException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public VmInfo info() {
    VmConfig.Contents config = config();
    VmStatus status = status();
    OptionalLong pid = OptionalLong.empty();
    QemuProcess.Observation observation = QemuProcess.observe(files);
    if (observation.state() == QemuProcess.PidState.ALIVE && observation.pid().isPresent()) {
      pid = OptionalLong.of(observation.pid().get());
    }
    boolean shared = status.isAlive();
    return new VmInfo(config.spec(), status, pid, files.directory(),
        xray.qemuImg().chain(files.disk(), shared),
        new LocalSnapshots(this).list(status));
  }

  @Override
  public void start() {
    VmSpec spec = spec();
    start(spec.accelerator(), spec.display(), false);
  }

  @Override
  public void start(Accelerator accelerator, Display display) {
    VmSpec spec = spec();
    start(accelerator != null ? accelerator : spec.accelerator(),
        display != null ? display : spec.display(), accelerator != null);
  }

  private void start(Accelerator accelerator, Display display, boolean explicit) {
    try (FileLocks.Held lock = lock()) {
      new VmLauncher(this).launch(config(), accelerator, display, explicit);
    }
  }

  @Override
  public void stop(Duration timeout) {
    long startNanos = System.nanoTime();
    try (FileLocks.Held lock = lock()) {
      QemuProcess.Observation observation = QemuProcess.observe(files);
      if (observation.state() != QemuProcess.PidState.ALIVE) {
        cleanRunFiles();
        return;
      }
      ProcessHandle process = observation.process().get();
      if (!pressPowerButton(process, timeout)) {
        throw new XrayTimeoutException("VM '" + name + "' did not power off within "
            + timeout.toSeconds() + " s of pressing the ACPI power button (the guest may "
            + "ignore it), so it is still running. 'xray stop " + name + " --force' kills it");
      }
      cleanRunFiles();
    }
    log.info("stopped VM {} in {} ms", name, (System.nanoTime() - startNanos) / 1_000_000);
  }

  /**
   * Presses the power button every {@link #POWER_BUTTON_INTERVAL} until QEMU exits, because a
   * guest that is still booting misses a single press. A VM that never left QEMU's prelaunch
   * state (its start was interrupted) runs no guest, so QEMU is sent {@code quit} instead; a paused
   * guest is resumed first, because it cannot see the button. Returns whether QEMU exited.
   */
  private boolean pressPowerButton(ProcessHandle process, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (QmpClient qmp = connectMonitor()) {
      QmpStatus status = qmp.queryStatus();
      if (status.status().equals("prelaunch")) {
        qmp.quit();
        return QemuProcess.awaitExit(process, timeout);
      }
      if (!status.running()) {
        qmp.cont();
      }
      while (true) {
        qmp.systemPowerdown();
        long remaining = deadline - System.nanoTime();
        Duration wait = Duration.ofNanos(Math.max(0,
            Math.min(remaining, POWER_BUTTON_INTERVAL.toNanos())));
        if (QemuProcess.awaitExit(process, wait)) {
          return true;
        }
        if (System.nanoTime() >= deadline) {
          return false;
        }
      }
    } catch (QmpConnectionClosedException e) {
      // QEMU closed the monitor because the guest powered off between two presses.
      return QemuProcess.awaitExit(process, Duration.ofSeconds(5));
    } catch (QmpException e) {
      throw new QemuException("cannot press the power button of VM '" + name + "': "
          + e.getMessage() + "; 'xray stop " + name + " --force' kills it", e);
    }
  }

  @Override
  public void kill() {
    try (FileLocks.Held lock = lock()) {
      killLocked();
    }
  }

  /** Ends QEMU at once; the caller holds the VM's lock. */
  void killLocked() {
    QemuProcess.Observation observation = QemuProcess.observe(files);
    if (observation.state() == QemuProcess.PidState.ALIVE) {
      ProcessHandle process = observation.process().get();
      process.destroyForcibly();
      if (!QemuProcess.awaitExit(process, KILL_TIMEOUT)) {
        throw new QemuException("QEMU of VM '" + name + "' (pid " + process.pid()
            + ") did not exit within " + KILL_TIMEOUT.toSeconds() + " s of SIGKILL");
      }
      log.info("killed VM {} (pid {})", name, process.pid());
    }
    cleanRunFiles();
  }

  /**
   * Deletes the host keys that {@code xray ssh} recorded in the VM's own known_hosts, for when
   * the guest may present new ones.
   */
  void forgetHostKeys() {
    try {
      Files.deleteIfExists(files.knownHosts());
    } catch (IOException e) {
      log.warn("cannot delete {} of VM {}: {}", files.knownHosts(), name, e.getMessage());
    }
  }

  void cleanRunFiles() {
    try {
      QemuProcess.deleteRunFiles(files);
    } catch (IOException e) {
      log.warn("cannot delete the run files of VM {}: {}", name, e.getMessage());
    }
  }

  @Override
  public Snapshots snapshots() {
    requireExists();
    return new LocalSnapshots(this);
  }

  @Override
  public String awaitSerialLine(Pattern pattern, Duration timeout) {
    requireExists();
    SerialLog serial = new SerialLog(files.serialLog());
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        for (String line : serial.readNewLines()) {
          if (pattern.matcher(line).find()) {
            return line;
          }
        }
        if (pattern.matcher(serial.pendingText()).find()) {
          return serial.pendingText();
        }
        if (QemuProcess.observe(files).state() != QemuProcess.PidState.ALIVE) {
          throw new QemuException("VM '" + name + "' stopped before its serial console printed "
              + "a line matching /" + pattern + "/", serialTail(), null);
        }
        if (System.nanoTime() > deadline) {
          throw new XrayTimeoutException("VM '" + name + "' printed no serial line matching /"
              + pattern + "/ within " + timeout.toSeconds() + " s; last lines of "
              + files.serialLog() + ":\n  " + String.join("\n  ", serialTail()));
        }
        Thread.sleep(50);
      }
    } catch (IOException e) {
      throw new XrayException("cannot read " + files.serialLog() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new XrayException("interrupted while waiting for the serial console of VM '" + name
          + "'", e);
    }
  }

  List<String> serialTail() {
    return SerialLog.tail(files.serialLog(), 15);
  }

  @Override
  public int awaitGuestPort(int guestPort, Duration timeout) {
    VmSpec spec = spec();
    int hostPort = hostPortFor(spec, guestPort);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (probe(hostPort, guestPort)) {
        return hostPort;
      }
      if (QemuProcess.observe(files).state() != QemuProcess.PidState.ALIVE) {
        throw new QemuException("VM '" + name + "' stopped before guest port " + guestPort
            + " answered", serialTail(), null);
      }
      if (System.nanoTime() > deadline) {
        throw new XrayTimeoutException("guest port " + guestPort + " of VM '" + name
            + "' (127.0.0.1:" + hostPort + ") did not answer within " + timeout.toSeconds()
            + " s; last lines of " + files.serialLog() + ":\n  "
            + String.join("\n  ", serialTail()));
      }
      pause(Duration.ofMillis(200));
    }
  }

  @Override
  public int awaitSsh(Duration timeout) {
    VmSpec spec = spec();
    if (spec.sshPort().isEmpty()) {
      throw new IllegalArgumentException("VM '" + name + "' has no SSH forward; create it with "
          + "--ssh-port PORT, --ssh-key FILE.pub or VmSpec.Builder.sshPort");
    }
    int port = spec.sshPort().getAsInt();
    if (QemuProcess.observe(files).state() != QemuProcess.PidState.ALIVE) {
      VmStatus status = status();
      throw new InvalidStateException("VM '" + name + "' is " + status.label() + ", so no SSH "
          + "server answers on 127.0.0.1:" + port + "; start it first", status);
    }
    long startNanos = System.nanoTime();
    long deadline = startNanos + timeout.toNanos();
    while (true) {
      if (SshBanner.answers(port)) {
        log.info("SSH server of VM {} responded on 127.0.0.1:{} after {} ms", name, port,
            (System.nanoTime() - startNanos) / 1_000_000);
        return port;
      }
      if (QemuProcess.observe(files).state() != QemuProcess.PidState.ALIVE) {
        throw new QemuException("VM '" + name + "' stopped before its SSH server responded on "
            + "127.0.0.1:" + port, serialTail(), null);
      }
      if (System.nanoTime() > deadline) {
        throw new XrayTimeoutException("the SSH server of VM '" + name + "' sent no SSH- "
            + "version line on 127.0.0.1:" + port + " (guest port 22) within "
            + timeout.toSeconds() + " s; last lines of " + files.serialLog() + ":\n  "
            + String.join("\n  ", serialTail()));
      }
      pause(Duration.ofMillis(500));
    }
  }

  private boolean probe(int hostPort, int guestPort) {
    if (isLockedByOtherOperation()) {
      return false;
    }
    try (QmpClient qmp = connectMonitor(STATUS_TIMEOUT)) {
      return GuestPortProbe.answers(qmp, hostPort, guestPort);
    } catch (QmpException e) {
      log.debug("cannot probe guest port {} of VM {}: {}", guestPort, name, e.getMessage());
      return false;
    }
  }

  private int hostPortFor(VmSpec spec, int guestPort) {
    if (guestPort == 22 && spec.sshPort().isPresent()) {
      return spec.sshPort().getAsInt();
    }
    for (var forward : spec.portForwards().entrySet()) {
      if (forward.getValue() == guestPort) {
        return forward.getKey();
      }
    }
    throw new IllegalArgumentException("VM '" + name + "' forwards no host port to guest port "
        + guestPort + "; add one with VmSpec.Builder.portForward or sshPort");
  }

  @Override
  public VmEvent awaitEvent(String eventName, Duration timeout) {
    if (!status().isAlive()) {
      throw new InvalidStateException("VM '" + name + "' is not running, so it sends no "
          + "events; start it first", status());
    }
    QmpOptions options = QmpOptions.builder().connectTimeout(Duration.ofSeconds(10))
        .loggerName(name + ".events").build();
    try (QmpClient qmp = QmpClient.connect(files.eventSocket(), options);
        QmpEventStream stream = qmp.events(eventName)) {
      QmpEvent event = stream.next(timeout);
      return new VmEvent(event.name(), event.timestamp(), event.data().toString());
    } catch (QmpTimeoutException e) {
      throw new XrayTimeoutException("VM '" + name + "' sent no " + eventName + " event within "
          + timeout.toSeconds() + " s; last lines of " + files.serialLog() + ":\n  "
          + String.join("\n  ", serialTail()), e);
    } catch (QmpException e) {
      throw new QemuException("cannot wait for event " + eventName + " of VM '" + name + "': "
          + e.getMessage(), e);
    }
  }

  private static void pause(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new XrayException("interrupted while waiting for a VM", e);
    }
  }

  @Override
  public SerialConsole openConsole() {
    if (!status().isAlive()) {
      throw new InvalidStateException("VM '" + name + "' is not running; start it with 'xray "
          + "start " + name + "'", status());
    }
    return UnixSerialConsole.connect(files.consoleSocket(), name);
  }

  @Override
  public void remove() {
    long startNanos = System.nanoTime();
    Path removing = files.directory().resolveSibling(LocalVms.REMOVING_PREFIX + name + "-"
        + UUID.randomUUID());
    try (FileLocks.Held lock = lock()) {
      QemuProcess.Observation observation = QemuProcess.observe(files);
      if (observation.state() == QemuProcess.PidState.ALIVE) {
        throw new InvalidStateException("VM '" + name + "' is running; stop it with 'xray stop "
            + name + "', or remove it with 'xray remove " + name + " --force'",
            VmStatus.RUNNING);
      }
      List<String> clones = xray.localVms().namesUsingTemplate(name);
      if (!clones.isEmpty()) {
        throw new InvalidStateException("VM '" + name + "' is a warm-start template whose "
            + "overlay backs " + String.join(", ", clones) + "; remove those first",
            VmStatus.STOPPED);
      }
      AtomicFiles.moveAtomically(files.directory(), removing);
    } catch (IOException e) {
      throw new XrayException("cannot remove VM '" + name + "': " + e, e);
    }
    try {
      AtomicFiles.deleteRecursively(removing);
    } catch (IOException e) {
      throw new XrayException("VM '" + name + "' is removed, but deleting its files in "
          + removing + " failed: " + e + "; delete that folder by hand", e);
    }
    log.info("removed VM {} in {} ms", name, (System.nanoTime() - startNanos) / 1_000_000);
  }

  /** Takes the VM's lock, which serializes every operation that changes the VM. */
  FileLocks.Held lock() {
    requireExists();
    try {
      return FileLocks.acquire(files.lockFile(), LocalXray.LOCK_TIMEOUT, "VM '" + name + "'");
    } catch (IOException e) {
      throw new XrayException("cannot lock VM '" + name + "': " + e.getMessage(), e);
    }
  }

  /** Connects to the running VM's monitor with the default timeouts. */
  QmpClient connectMonitor() throws QmpException {
    return connectWithin(QmpOptions.builder().connectTimeout(Duration.ofSeconds(10))
        .commandTimeout(Duration.ofSeconds(30)).loggerName(name).build());
  }

  /** Connects to the running VM's monitor, waiting at most {@code timeout} for each step. */
  QmpClient connectMonitor(Duration timeout) throws QmpException {
    return connectWithin(QmpOptions.builder().connectTimeout(timeout).commandTimeout(timeout)
        .loggerName(name).build());
  }

  /**
   * Connects to the monitor. The connect timeout also bounds a connect to a QEMU that stopped
   * accepting (SIGSTOP, a hung main loop), whose socket backlog is full: xray-qmp retries such a
   * connect until the timeout and then throws {@link QmpTimeoutException}.
   */
  private QmpClient connectWithin(QmpOptions options) throws QmpException {
    return QmpClient.connect(files.qmpSocket(), options);
  }


  private void requireExists() {
    if (!Files.isRegularFile(files.config())) {
      throw LocalVms.notFound(name);
    }
  }

  @Override
  public String toString() {
    return "Vm{" + name + "}";
  }
}
