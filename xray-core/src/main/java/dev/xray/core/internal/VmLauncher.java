package dev.xray.core.internal;

import dev.xray.api.Accelerator;
import dev.xray.api.Display;
import dev.xray.api.HostException;
import dev.xray.api.ImageException;
import dev.xray.api.InvalidStateException;
import dev.xray.api.QemuException;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.qmp.QmpClient;
import dev.xray.qmp.QmpException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a VM's QEMU: checks every precondition first, runs QEMU daemonized and paused, loads a
 * pending live snapshot, resumes the vCPUs, and falls back from a KVM that fails to TCG. A start
 * that fails at any step ends the QEMU it started, so no process is left behind.
 */
final class VmLauncher {
  private static final Logger log = LoggerFactory.getLogger(VmLauncher.class);
  private static final Duration QEMU_START_TIMEOUT = Duration.ofSeconds(60);
  /** How long a KVM start is watched for QEMU's "KVM internal error" stop. */
  private static final Duration KVM_WATCH = Duration.ofMillis(1500);
  /** How long loading a template's saved state may take; it reads about the guest's RAM. */
  private static final Duration INCOMING_TIMEOUT = Duration.ofMinutes(5);
  /** The maximum length of a unix socket path QEMU can bind, in bytes: sun_path minus its NUL. */
  private static final int MAX_SOCKET_PATH_LINUX = 107;
  private static final int MAX_SOCKET_PATH_MACOS = 103;
  /** How many lines of each log a crash report shows. */
  private static final int CRASH_LOG_LINES = 5;

  private final LocalVm vm;
  private final HomeLayout.VmFiles files;
  private final String name;

  VmLauncher(LocalVm vm) {
    this.vm = vm;
    this.files = vm.files();
    this.name = vm.name();
  }

  /** Starts the VM; the caller holds the VM's lock. */
  void launch(VmConfig.Contents config, Accelerator requested, Display display,
      boolean explicit) {
    long startNanos = System.nanoTime();
    VmSpec spec = config.spec();
    QemuProcess.Observation observation = QemuProcess.observe(files);
    if (observation.state() == QemuProcess.PidState.ALIVE) {
      if (resumePaused()) {
        log.info("resumed paused VM {}", name);
        return;
      }
      throw new InvalidStateException("VM '" + name + "' is already running (pid "
          + observation.pid().orElse(-1L) + ")", VmStatus.RUNNING);
    }
    if (config.frozen()) {
      throw new InvalidStateException("VM '" + name + "' is a warm-start template and cannot be "
          + "started; start a clone of it instead", VmStatus.STOPPED);
    }
    if (observation.state() == QemuProcess.PidState.DEAD) {
      reportCrash(observation);
    }
    vm.cleanRunFiles();
    HostPlatform host = HostPlatform.current();
    checkFiles(spec);
    checkSeedImage(config);
    checkSocketPaths(files, host);
    checkLogPath(files);
    config = moveTakenSshPort(config);
    spec = config.spec();
    checkPortsFree(spec);
    HostPlatform.AcceleratorChoice choice = host.chooseAccelerator(spec.architecture(),
        requested, explicit, System.getenv(HostPlatform.ACCEL_VARIABLE));
    choice.warning().ifPresent(warning -> log.warn("{}", warning));
    if (display == Display.COCOA && host.os() != HostPlatform.Os.MACOS) {
      throw new HostException("display cocoa exists only on macOS; use --display sdl, gtk or "
          + "none");
    }
    Path program = QemuBinaries.system(spec.architecture());
    Firmware.FirmwareFiles firmware = Firmware.find(spec.architecture(), program);

    Accelerator accelerator = choice.accelerator();
    boolean kvmFailed = !boot(program, spec, accelerator, display, firmware, config);
    if (kvmFailed) {
      if (choice.forced()) {
        throw new HostException("kvm cannot run VM '" + name + "' on this host: QEMU stopped "
            + "with a KVM internal error (see " + files.qemuLog() + "); use --accel tcg");
      }
      log.warn("kvm failed to run VM {} (KVM internal error); starting it again with tcg, "
          + "which is much slower. Set {}=tcg to skip kvm", name, HostPlatform.ACCEL_VARIABLE);
      accelerator = Accelerator.TCG;
      boot(program, spec, accelerator, display, firmware, config);
    }
    log.info("started VM {} ({}, pid {}) in {} ms", name, accelerator.qemuName(),
        QemuProcess.observe(files).pid().orElse(-1L), (System.nanoTime() - startNanos)
            / 1_000_000);
  }

  /**
   * Runs QEMU once. Returns false when KVM stopped the guest with an internal error; QEMU is then
   * already ended.
   */
  private boolean boot(Path program, VmSpec spec, Accelerator accelerator, Display display,
      Firmware.FirmwareFiles firmware, VmConfig.Contents config) {
    try {
      Files.deleteIfExists(files.serialLog());
      Files.deleteIfExists(files.qemuLog());
    } catch (IOException e) {
      throw new QemuException("cannot reset the logs of VM '" + name + "': " + e, e);
    }
    Optional<Path> incoming = config.incomingState()
        .map(state -> files.directory().resolve(state).normalize());
    if (incoming.isPresent() && !Files.isRegularFile(incoming.get())) {
      throw new ImageException("the saved state " + incoming.get() + " of VM '" + name
          + "' is missing; its template was removed. Remove the VM and clone it again");
    }
    Optional<Path> seed = config.seedImage().map(image -> files.directory().resolve(image));
    List<String> command = QemuCommandLine.build(program, spec, accelerator, display, firmware,
        files, incoming, seed);
    log.debug("QEMU command line of VM {}: {}", name, command);
    ProcessRunner.Result result;
    try {
      result = ProcessRunner.run(command, files.directory(), QEMU_START_TIMEOUT);
    } catch (IOException e) {
      throw new HostException("cannot run " + program + ": " + e.getMessage(), e);
    }
    if (!result.succeeded()) {
      vm.killLocked();
      // With -D, QEMU writes its errors to qemu.log even before it daemonizes.
      List<String> messages = new ArrayList<>(result.stderrTail(4000).lines().toList());
      messages.addAll(SerialLog.tail(files.qemuLog(), 15));
      throw new QemuException("QEMU failed to start VM '" + name + "': "
          + firstError(messages), messages, null);
    }
    try {
      return resume(accelerator, config);
    } catch (RuntimeException e) {
      vm.killLocked();
      throw e;
    }
  }

  private boolean resume(Accelerator accelerator, VmConfig.Contents config) {
    if (QemuProcess.observe(files).state() != QemuProcess.PidState.ALIVE) {
      throw new QemuException("QEMU exited right after starting VM '" + name + "'",
          SerialLog.tail(files.qemuLog(), 15), null);
    }
    try (QmpClient qmp = vm.connectMonitor()) {
      log.debug("VM {} runs QEMU {}", name, qmp.greeting().version());
      if (config.incomingState().isPresent()) {
        awaitIncomingMigration(qmp, config);
      }
      if (config.resumeSnapshot().isPresent()) {
        loadResumeSnapshot(qmp, config);
      } else if (config.incomingState().isEmpty()) {
        // A booting guest may make new host keys: one without a persistent disk does so at every
        // boot, and a cloud image at the first boot of each instance. A resumed state keeps its
        // keys.
        vm.forgetHostKeys();
      }
      qmp.cont();
      if (accelerator == Accelerator.KVM && stoppedByKvm(qmp)) {
        vm.killLocked();
        return false;
      }
      return true;
    } catch (QmpException e) {
      throw new QemuException("the monitor of VM '" + name + "' failed during start: "
          + e.getMessage(), SerialLog.tail(files.qemuLog(), 15), e);
    }
  }

  private void loadResumeSnapshot(QmpClient qmp, VmConfig.Contents config)
      throws QmpException {
    String tag = config.resumeSnapshot().get();
    try {
      VmConfig.write(files.config(), config.withResumeSnapshot(Optional.empty()));
    } catch (IOException e) {
      throw new QemuException("cannot update " + files.config() + ": " + e, e);
    }
    try {
      qmp.snapshotLoad(tag, QemuCommandLine.DISK_NODE, QemuCommandLine.snapshotNodes(),
          LocalSnapshots.JOB_TIMEOUT);
      log.info("VM {} resumed the RAM state of snapshot {}", name, tag);
    } catch (QmpException e) {
      throw new QemuException("cannot resume VM '" + name + "' from live snapshot '" + tag
          + "': " + e.getMessage() + "; the next start boots the reverted disk instead", e);
    }
  }

  /**
   * Logs, as a warning, that the last run ended without a clean shutdown, with the last lines of
   * its logs, because the start that follows deletes those logs.
   */
  private void reportCrash(QemuProcess.Observation observation) {
    StringBuilder message = new StringBuilder("VM '" + name + "' had crashed: its QEMU"
        + observation.pid().map(pid -> " (pid " + pid + ")").orElse("")
        + " ended without a clean shutdown");
    for (Path log : List.of(files.qemuLog(), files.serialLog())) {
      List<String> tail = SerialLog.tail(log, CRASH_LOG_LINES);
      if (!tail.isEmpty()) {
        message.append("; last lines of ").append(log).append(":\n  ")
            .append(String.join("\n  ", tail));
      }
    }
    log.warn("{}", message);
  }

  /** Resumes a QEMU whose vCPUs are stopped; returns false when they already run. */
  private boolean resumePaused() {
    try (QmpClient qmp = vm.connectMonitor()) {
      if (qmp.queryStatus().running()) {
        return false;
      }
      qmp.cont();
      return true;
    } catch (QmpException e) {
      throw new QemuException("VM '" + name + "' has a QEMU process whose monitor failed: "
          + e.getMessage() + "; 'xray stop " + name + " --force' ends it", e);
    }
  }

  /** Waits until QEMU has loaded the saved state, then clears it from the config. */
  private void awaitIncomingMigration(QmpClient qmp, VmConfig.Contents config)
      throws QmpException {
    long deadline = System.nanoTime() + INCOMING_TIMEOUT.toNanos();
    while (true) {
      String status = qmp.execute("query-migrate").path("status").asText("none");
      if (status.equals("completed")) {
        break;
      }
      if (status.equals("failed") || status.equals("cancelled")) {
        throw new QemuException("VM '" + name + "' failed to load its saved state "
            + config.incomingState().get() + " (migration " + status + ")",
            SerialLog.tail(files.qemuLog(), 15), null);
      }
      if (System.nanoTime() > deadline) {
        throw new QemuException("VM '" + name + "' did not load its saved state within "
            + INCOMING_TIMEOUT.toSeconds() + " s (migration " + status + ")");
      }
      sleep(Duration.ofMillis(10));
    }
    try {
      VmConfig.write(files.config(), config.withIncomingState(Optional.empty()));
    } catch (IOException e) {
      throw new QemuException("cannot update " + files.config() + ": " + e, e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QemuException("interrupted while starting a VM", e);
    }
  }

  private boolean stoppedByKvm(QmpClient qmp) throws QmpException {
    long deadline = System.nanoTime() + KVM_WATCH.toNanos();
    while (System.nanoTime() < deadline) {
      if ("internal-error".equals(qmp.queryStatus().status())) {
        return true;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private void checkFiles(VmSpec spec) {
    for (Path file : List.of(files.disk(), files.vars())) {
      if (!Files.isRegularFile(file)) {
        throw new ImageException("VM '" + name + "' is damaged: " + file + " is missing; "
            + "remove the VM with 'xray remove " + name + " --force' and create it again");
      }
    }
    Path base = files.directory().resolve(HomeLayout.backingPath(spec.base())).normalize();
    if (!Files.exists(base)) {
      String link = Files.isSymbolicLink(base) ? " (a link whose target is gone)" : "";
      throw new ImageException("base image '" + spec.base() + "' of VM '" + name
          + "' is missing: " + base + link + "; import it again with 'xray base import FILE "
          + "--name " + spec.base() + "'");
    }
    checkBaseUnchanged(spec.base(), base);
  }

  /**
   * Raises ImageException when the base is no longer the image the overlay was made on, as far
   * as the qcow2 headers show. Either the base is not a standalone qcow2 image any more, or it is
   * larger than the overlay, which qemu-img created at the base's virtual size.
   *
   * <p>NOTE: a base replaced by another standalone qcow2 image of the same or a smaller virtual
   * size is not detected, because the VM's files record nothing else about its base.
   */
  private void checkBaseUnchanged(String baseName, Path base) {
    Qcow2Header overlay;
    try {
      overlay = Qcow2Header.read(files.disk());
    } catch (IOException e) {
      throw new ImageException("VM '" + name + "' is damaged: " + e.getMessage() + "; remove "
          + "the VM with 'xray remove " + name + " --force' and create it again");
    }
    String reimport = "; import the original image again with 'xray base import FILE --name "
        + baseName + "'";
    Qcow2Header header;
    try {
      header = Qcow2Header.read(base);
    } catch (IOException e) {
      throw new ImageException("base image '" + baseName + "' of VM '" + name + "' changed: "
          + e.getMessage() + reimport);
    }
    if (header.backingFile().isPresent()) {
      throw new ImageException("base image '" + baseName + "' of VM '" + name + "' changed: "
          + base + " now has a backing file (" + header.backingFile().get() + ")" + reimport);
    }
    if (header.virtualSize() > overlay.virtualSize()) {
      throw new ImageException("base image '" + baseName + "' of VM '" + name + "' changed: "
          + "its virtual size is " + header.virtualSize() + " bytes, more than the "
          + overlay.virtualSize() + " bytes of the VM's overlay, which was created at the "
          + "base's size" + reimport);
    }
  }

  /**
   * Raises HostException when the VM's folder contains '%'. QEMU reads the file name of its
   * {@code -D} log as a template that may hold one {@code %d} (its pid) and no other '%', so it
   * would refuse such a path, or write the log elsewhere, and the option has no escape.
   */
  static void checkLogPath(HomeLayout.VmFiles files) {
    if (files.qemuLog().toString().contains("%")) {
      throw new HostException("the VM folder " + files.directory() + " contains '%', which "
          + "QEMU cannot take in the path of its log file; set XRAY_HOME to a path without '%'");
    }
  }

  /** Raises HostException when a socket path of the VM is too long to bind on this host. */
  static void checkSocketPaths(HomeLayout.VmFiles files, HostPlatform host) {
    int max = host.os() == HostPlatform.Os.MACOS ? MAX_SOCKET_PATH_MACOS : MAX_SOCKET_PATH_LINUX;
    for (Path socket : List.of(files.qmpSocket(), files.eventSocket(), files.consoleSocket())) {
      int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
      if (length > max) {
        throw new HostException("the socket path " + socket + " is " + length + " bytes, more"
            + " than the " + max + " a unix socket allows; use a shorter VM name or set "
            + "XRAY_HOME to a shorter path");
      }
    }
  }

  private void checkSeedImage(VmConfig.Contents config) {
    if (config.seedImage().isEmpty()) {
      return;
    }
    Path seed = files.directory().resolve(config.seedImage().get());
    if (!Files.isRegularFile(seed)) {
      throw new ImageException("the cloud-init seed " + seed + " of VM '" + name + "' is "
          + "missing; remove the VM with 'xray remove " + name + " --force' and create it again, "
          + "or delete the seed_image line of " + files.config() + " to start without it");
    }
  }

  /**
   * Returns the config with a new SSH port when xray picked the current one and it is taken now,
   * and records the new port, because the user never chose the old one.
   */
  private VmConfig.Contents moveTakenSshPort(VmConfig.Contents config) {
    VmSpec spec = config.spec();
    if (!config.sshPortAuto() || spec.sshPort().isEmpty() || isFree(spec.sshPort().getAsInt())) {
      return config;
    }
    int old = spec.sshPort().getAsInt();
    int port = vm.xray().localVms().pickSshPort(spec);
    VmConfig.Contents moved = config.withSpec(spec.toBuilder().sshPort(port).build());
    try {
      VmConfig.write(files.config(), moved);
    } catch (IOException e) {
      throw new QemuException("cannot update " + files.config() + ": " + e, e);
    }
    log.info("SSH port {} of VM {} is taken; the VM's SSH forward moved to 127.0.0.1:{}", old,
        name, port);
    return moved;
  }

  private static boolean isFree(int port) {
    try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      probe.setReuseAddress(true);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private void checkPortsFree(VmSpec spec) {
    List<Integer> ports = new ArrayList<>(spec.portForwards().keySet());
    spec.sshPort().ifPresent(ports::add);
    for (int port : ports) {
      try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        probe.setReuseAddress(true);
      } catch (IOException e) {
        throw new HostException("port " + port + " on 127.0.0.1, forwarded to VM '" + name
            + "', is already in use; stop the program that uses it");
      }
    }
  }

  private static String firstError(List<String> stderr) {
    for (String line : stderr) {
      if (!line.isBlank() && !line.contains("warning:")) {
        return line.replaceFirst("^qemu-system-[a-z0-9_]+: ", "");
      }
    }
    return stderr.isEmpty() ? "QEMU exited without a message" : String.join(" ", stderr);
  }
}
