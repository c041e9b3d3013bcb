package dev.xray.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A paused QEMU with a QMP socket and no guest, started and ended by a benchmark. */
final class QemuFixture implements AutoCloseable {
  private final Process process;
  private final Path socket;

  private QemuFixture(Process process, Path socket) {
    this.process = process;
    this.socket = socket;
  }

  static QemuFixture start(Path folder) throws IOException, InterruptedException {
    Path socket = folder.resolve("qmp.sock");
    List<String> command = List.of("qemu-system-x86_64", "-nodefaults", "-machine", "q35",
        "-accel", "tcg", "-m", "64", "-display", "none", "-S",
        "-qmp", "unix:" + socket + ",server=on,wait=off");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(folder.resolve("qemu.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.exists(socket)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IOException("QEMU did not create " + socket + "; see "
            + folder.resolve("qemu.log"));
      }
      Thread.sleep(10);
    }
    return new QemuFixture(process, socket);
  }

  Path socket() {
    return socket;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
