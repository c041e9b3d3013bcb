package dev.xray.qmp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code qemu-system-x86_64} started for one test: no devices, TCG, 64 MiB, paused with
 * {@code -S}, a QMP socket, and one 16 MiB qcow2 disk as block node {@code disk0} so that
 * snapshot jobs work with {@code vmstate=disk0, devices=[disk0]}. Its output goes to {@code
 * qemu.log} in the test's folder.
 */
final class QemuProcess {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

  private final Process process;
  private final Path socket;
  private final Path log;

  private QemuProcess(Process process, Path socket, Path log) {
    this.process = process;
    this.socket = socket;
    this.log = log;
  }

  /** Creates the disk, starts QEMU and waits until its QMP socket exists. */
  static QemuProcess start(Path dir) throws IOException, InterruptedException {
    Path disk = dir.resolve("d.qcow2");
    run(List.of("qemu-img", "create", "-f", "qcow2", disk.toString(), "16M"));
    Path socket = dir.resolve("qmp.sock");
    Path log = dir.resolve("qemu.log");
    List<String> command =
        List.of(
            "qemu-system-x86_64", "-nodefaults", "-machine", "q35", "-accel", "tcg",
            "-m", "64", "-display", "none", "-S",
            "-qmp", "unix:" + socket + ",server=on,wait=off",
            "-blockdev",
            "{\"driver\":\"file\",\"filename\":\"" + disk + "\",\"node-name\":\"f0\"}",
            "-blockdev", "{\"driver\":\"qcow2\",\"file\":\"f0\",\"node-name\":\"disk0\"}");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    QemuProcess qemu = new QemuProcess(process, socket, log);
    qemu.awaitSocket();
    return qemu;
  }

  Path socket() {
    return socket;
  }

  long pid() {
    return process.pid();
  }

  Process process() {
    return process;
  }

  /** Ends QEMU: SIGTERM, then SIGKILL if it has not exited after 5 s. */
  void destroy() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** Returns whether no live process with QEMU's pid is left. */
  boolean isGone() {
    return ProcessHandle.of(process.pid()).map(handle -> !handle.isAlive()).orElse(true);
  }

  String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /**
   * Waits until QEMU listens on the socket. The file appears when QEMU binds it, a moment before
   * it listens, and a connect in between is refused. Linux's /proc/net/unix shows the difference
   * without a connection that would take QEMU's one monitor client slot.
   */
  private void awaitSocket() throws IOException, InterruptedException {
    long end = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!isListening(socket)) {
      if (!process.isAlive()) {
        throw new IOException("qemu-system-x86_64 exited with " + process.exitValue()
            + " before creating " + socket + ":\n" + log());
      }
      if (System.nanoTime() > end) {
        destroy();
        throw new IOException("qemu-system-x86_64 did not create " + socket + " within "
            + START_TIMEOUT.toSeconds() + " s:\n" + log());
      }
      Thread.sleep(10);
    }
  }

  /**
   * Tells whether a unix socket listens at {@code path}: its /proc/net/unix line has the
   * accepting flag, 00010000. Where that file is missing, the socket file's existence counts.
   */
  private static boolean isListening(Path path) throws IOException {
    Path table = Path.of("/proc/net/unix");
    if (!Files.isReadable(table)) {
      return Files.exists(path);
    }
    for (String line : Files.readAllLines(table)) {
      String[] fields = line.trim().split("\\s+");
      if (fields.length >= 8 && fields[7].equals(path.toString())
          && fields[3].equals("00010000")) {
        return true;
      }
    }
    return false;
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed with exit code "
          + process.exitValue() + ": " + new String(output, StandardCharsets.UTF_8));
    }
  }
}
