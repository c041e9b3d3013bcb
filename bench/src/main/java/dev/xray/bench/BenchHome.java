package dev.xray.bench;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A temporary xray home folder for one benchmark. Closing it kills the QEMU of every VM in it,
 * which are the only QEMU processes the library started for the benchmark, and deletes the folder.
 */
final class BenchHome implements AutoCloseable {
  /** The name of the tiny test guest's base in every benchmark home. */
  static final String TINY_BASE = "tiny";

  private final Path path;
  private final Xray xray;

  private BenchHome(Path path) {
    this.path = path;
    this.xray = Xray.open(path);
  }

  /**
   * Creates an empty home under /tmp, because the VMs' unix socket paths must stay within 107
   * bytes.
   */
  static BenchHome create(String prefix) throws IOException {
    return new BenchHome(Files.createTempDirectory(Path.of("/tmp"), "xray-bench-" + prefix + "-"));
  }

  Path path() {
    return path;
  }

  Xray xray() {
    return xray;
  }

  /** Imports the tiny test guest as base {@link #TINY_BASE}, building it if it is not cached. */
  Path importTinyBase() {
    Path image = TinyGuest.build(Architecture.X86_64);
    xray.bases().importImage(image, TINY_BASE, true);
    return image;
  }

  /** Returns a spec of one vCPU under TCG, the only accelerator that works on every host. */
  static VmSpec spec(String name, String base, int memoryMiB) {
    return VmSpec.builder(name).base(base).memory(memoryMiB).cpus(1)
        .accelerator(Accelerator.TCG).build();
  }

  @Override
  public void close() throws IOException {
    for (Vm vm : xray.vms().list()) {
      try {
        kill(vm);
      } catch (IOException | RuntimeException e) {
        System.err.println("cannot kill VM " + vm.name() + ": " + e.getMessage());
      }
    }
    deleteRecursively(path);
  }

  /**
   * Kills the QEMU that the VM's pid file names, waits until it has exited, and lets
   * {@link Vm#kill()} delete the files it left. Only a process whose command line names this
   * pid file is signalled, so a pid that another program reused is left alone.
   *
   * <p>This is faster than {@code vm.kill()} alone, which waits until
   * {@link ProcessHandle#isAlive()} is false. That stays true for a zombie, so it waits until
   * init reaps the daemonized QEMU, which took 1 to 2 s on the machine these benchmarks were
   * written on.
   */
  static void kill(Vm vm) throws IOException {
    Path pidFile = vm.directory().resolve("pid");
    Optional<ProcessHandle> qemu = Optional.empty();
    try {
      long pid = Long.parseLong(Files.readString(pidFile).strip());
      qemu = ProcessHandle.of(pid).filter(process -> process.info().arguments()
          .map(List::of).filter(argv -> argv.contains(pidFile.toString())).isPresent());
    } catch (NoSuchFileException | NumberFormatException e) {
      // No QEMU runs, or it died while writing its pid file.
    }
    if (qemu.isPresent()) {
      qemu.get().destroyForcibly();
      awaitExit(qemu.get().pid(), Duration.ofSeconds(10));
    }
    vm.kill();
  }

  /**
   * Polls {@code /proc/PID} every 5 ms until the process is gone or every thread of it has
   * exited, which leaves only the main thread as a zombie. The main thread can turn zombie while
   * other threads still run and keep QEMU's files open, with their image locks, so a zombie main
   * thread alone is not enough.
   */
  static void awaitExit(long pid, Duration timeout) throws IOException {
    Path process = Path.of("/proc", Long.toString(pid));
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (onlyZombieLeft(process, pid)) {
          return;
        }
      } catch (NoSuchFileException e) {
        return;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for pid " + pid + " to exit", e);
      }
    }
    throw new IOException("pid " + pid + " did not exit within " + timeout.toSeconds()
        + " s of SIGKILL");
  }

  /** Returns whether the process's only thread is its main thread, and that is a zombie. */
  private static boolean onlyZombieLeft(Path process, long pid) throws IOException {
    List<String> threads;
    try (Stream<Path> tasks = Files.list(process.resolve("task"))) {
      threads = tasks.map(task -> task.getFileName().toString()).toList();
    }
    if (!threads.equals(List.of(Long.toString(pid)))) {
      return false;
    }
    String stat = Files.readString(process.resolve("stat"));
    // The state follows the command name, which is in brackets and may contain spaces.
    int close = stat.lastIndexOf(')');
    return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
  }

  static void deleteRecursively(Path folder) throws IOException {
    if (!Files.exists(folder)) {
      return;
    }
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }
}
