package dev.xray.core.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The QEMU process of one VM, found through the pid file QEMU writes with {@code -pidfile}. QEMU
 * deletes that file when it exits normally, so a pid file whose process is gone means QEMU was
 * killed or crashed. A pid is trusted only when that process's command line names this VM's pid
 * file, so a stale pid that now belongs to another program is never signalled.
 */
final class QemuProcess {
  private static final long EXIT_POLL_MILLIS = 10;

  private QemuProcess() {}

  /** The state of the VM's process, as its pid file shows it. */
  enum PidState { NO_PID_FILE, ALIVE, DEAD }

  /** The pid file's state and, when alive, the process. */
  record Observation(PidState state, Optional<ProcessHandle> process, Optional<Long> pid) {}

  static Observation observe(HomeLayout.VmFiles files) {
    String text;
    try {
      text = Files.readString(files.pidFile()).strip();
    } catch (NoSuchFileException e) {
      return new Observation(PidState.NO_PID_FILE, Optional.empty(), Optional.empty());
    } catch (IOException e) {
      return new Observation(PidState.DEAD, Optional.empty(), Optional.empty());
    }
    long pid;
    try {
      pid = Long.parseLong(text);
    } catch (NumberFormatException e) {
      // QEMU writes the file in one step; an empty or damaged file means it died while starting.
      return new Observation(PidState.DEAD, Optional.empty(), Optional.empty());
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (handle.isPresent() && belongsTo(handle.get(), files)) {
      return new Observation(PidState.ALIVE, handle, Optional.of(pid));
    }
    return new Observation(PidState.DEAD, Optional.empty(), Optional.of(pid));
  }

  /** Returns whether {@code process} is the QEMU of the VM whose files are {@code files}. */
  static boolean belongsTo(ProcessHandle process, HomeLayout.VmFiles files) {
    Optional<String[]> arguments = process.info().arguments();
    if (arguments.isEmpty()) {
      return false;
    }
    List<String> args = List.of(arguments.get());
    int index = args.indexOf("-pidfile");
    return index >= 0 && index + 1 < args.size()
        && args.get(index + 1).equals(files.pidFile().toString());
  }

  /**
   * Waits until {@code process} exits; returns false if it still runs after {@code timeout}. It
   * polls every 10 ms: for a process that is not its child, the JDK's {@code onExit} only notices
   * the exit with a delay of up to seconds.
   */
  static boolean awaitExit(ProcessHandle process, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (process.isAlive() && !isExitedZombie(process.pid())) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      try {
        Thread.sleep(EXIT_POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return !process.isAlive();
      }
    }
    return true;
  }

  /**
   * Returns whether a Linux process is a zombie whose threads have all ended: it has exited and
   * released its files and image locks, and only waits to be reaped, which the init process of
   * a container may do a second or two later. A zombie main thread alone is not enough, because
   * QEMU's other threads may still hold the image locks. Returns false where /proc is missing.
   */
  static boolean isExitedZombie(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid));
    try (java.util.stream.Stream<Path> tasks = Files.list(proc.resolve("task"))) {
      if (tasks.count() > 1) {
        return false;
      }
      String stat = Files.readString(proc.resolve("stat"));
      int end = stat.lastIndexOf(')');
      return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'Z';
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Deletes what a QEMU run leaves behind: the pid file and the sockets. */
  static void deleteRunFiles(HomeLayout.VmFiles files) throws IOException {
    Files.deleteIfExists(files.pidFile());
    Files.deleteIfExists(files.qmpSocket());
    Files.deleteIfExists(files.consoleSocket());
    Files.deleteIfExists(files.eventSocket());
  }
}
