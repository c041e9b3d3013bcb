package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.xray.api.ProgressListener;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessIoProgressTest {
  private static final long MIB = 1 << 20;
  private static final long SELF = ProcessHandle.current().pid();

  @TempDir
  Path temp;

  private final List<long[]> calls = new ArrayList<>();
  private final ProgressListener recorder = (done, total) -> {
    synchronized (calls) {
      calls.add(new long[] {done, total});
      calls.notifyAll();
    }
  };

  @BeforeEach
  void needsProcIo() {
    assumeThat(Files.isReadable(Path.of("/proc/self/io"))).as("Linux's /proc/PID/io").isTrue();
  }

  @Test
  void countsWrittenBytes() throws Exception {
    try (ProcessIoProgress progress = ProcessIoProgress.start(SELF,
        ProcessIoProgress.Direction.WRITE, 64 * MIB, recorder)) {
      write(temp.resolve("data"), 8 * MIB);

      long[] seen = awaitDoneAtLeast(8 * MIB);

      assertThat(seen[0]).isBetween(8 * MIB, 64 * MIB);
      assertThat(seen[1]).isEqualTo(64 * MIB);
      progress.finish();
    }
    synchronized (calls) {
      assertThat(calls.get(calls.size() - 1)).containsExactly(64 * MIB, 64 * MIB);
      for (int i = 1; i < calls.size(); i++) {
        assertThat(calls.get(i)[0]).isGreaterThanOrEqualTo(calls.get(i - 1)[0]);
      }
    }
  }

  @Test
  void capsCountAtTotal() throws Exception {
    try (ProcessIoProgress progress = ProcessIoProgress.start(SELF,
        ProcessIoProgress.Direction.WRITE, MIB, recorder)) {
      write(temp.resolve("data"), 4 * MIB);

      assertThat(awaitDoneAtLeast(MIB)).containsExactly(MIB, MIB);
    }
  }

  @Test
  void countsReadBytes() throws Exception {
    Path data = temp.resolve("data");
    write(data, 4 * MIB);
    try (ProcessIoProgress progress = ProcessIoProgress.start(SELF,
        ProcessIoProgress.Direction.READ, 64 * MIB, recorder)) {
      assertThat(Files.readAllBytes(data)).hasSize((int) (4 * MIB));

      assertThat(awaitDoneAtLeast(4 * MIB)[0]).isLessThan(64 * MIB);
    }
  }

  @Test
  void missingCountersGiveFinalCallOnly() throws Exception {
    try (ProcessIoProgress progress = ProcessIoProgress.start(Integer.MAX_VALUE + 7L,
        ProcessIoProgress.Direction.WRITE, 5 * MIB, recorder)) {
      write(temp.resolve("data"), 2 * MIB);
      Thread.sleep(600);
      progress.finish();
    }
    synchronized (calls) {
      assertThat(calls).hasSize(1);
      assertThat(calls.get(0)).containsExactly(5 * MIB, 5 * MIB);
    }
  }

  @Test
  void readsNamedCounter() throws IOException {
    Path counters = temp.resolve("io");
    Files.writeString(counters, "rchar: 1234\nwchar: 99\nsyscr: 5\n");

    assertThat(ProcessIoProgress.read(counters, ProcessIoProgress.Direction.READ))
        .isEqualTo(1234);
    assertThat(ProcessIoProgress.read(counters, ProcessIoProgress.Direction.WRITE))
        .isEqualTo(99);
    assertThat(ProcessIoProgress.read(temp.resolve("missing"),
        ProcessIoProgress.Direction.WRITE)).isEqualTo(-1);
  }

  private static void write(Path file, long bytes) throws IOException {
    byte[] chunk = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long written = 0; written < bytes; written += chunk.length) {
        out.write(chunk);
      }
    }
  }

  /** Waits up to 5 s for a call whose count is at least {@code bytes} and returns it. */
  private long[] awaitDoneAtLeast(long bytes) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    synchronized (calls) {
      while (true) {
        for (long[] call : calls) {
          if (call[0] >= bytes) {
            return call;
          }
        }
        long left = deadline - System.nanoTime();
        assertThat(left).as("a count of at least %d bytes within 5 s; calls so far: %d", bytes,
            calls.size()).isPositive();
        calls.wait(Math.max(1, left / 1_000_000));
      }
    }
  }
}
