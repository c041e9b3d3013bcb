package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.api.XrayTimeoutException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileLocksTest {
  private static final Duration LONG = Duration.ofSeconds(30);

  /** A child JVM that takes an OS lock on args[0], prints "locked" and holds it args[1] ms. */
  private static final String HOLDER_SOURCE = """
      import java.nio.channels.FileChannel;
      import java.nio.channels.FileLock;
      import java.nio.file.Path;
      import java.nio.file.StandardOpenOption;

      public class HoldLock {
        public static void main(String[] args) throws Exception {
          try (FileChannel channel = FileChannel.open(Path.of(args[0]),
                  StandardOpenOption.CREATE, StandardOpenOption.WRITE);
              FileLock lock = channel.lock()) {
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.parseLong(args[1]));
          }
        }
      }
      """;

  @TempDir
  Path folder;

  private final ExecutorService executor = Executors.newCachedThreadPool();
  private Process child;

  @AfterEach
  void stopChildAndThreads() throws InterruptedException {
    if (child != null && child.isAlive()) {
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    executor.shutdownNow();
    executor.awaitTermination(10, TimeUnit.SECONDS);
  }

  private Path lockFile() {
    return folder.resolve("lock");
  }

  /** Takes the lock on another thread and holds it until {@code release} counts down. */
  private Future<?> holdOnOtherThread(Path file, CountDownLatch release) throws Exception {
    CountDownLatch acquired = new CountDownLatch(1);
    Future<?> holder = executor.submit(() -> {
      try (FileLocks.Held held = FileLocks.acquire(file, LONG, "holder")) {
        acquired.countDown();
        release.await();
      }
      return null;
    });
    assertThat(acquired.await(10, TimeUnit.SECONDS)).as("holder took the lock").isTrue();
    return holder;
  }

  /** Starts a child JVM that holds the lock on {@code file} for {@code millis} ms. */
  private void holdInChildProcess(Path file, long millis) throws IOException {
    Path source = Files.writeString(folder.resolve("HoldLock.java"), HOLDER_SOURCE);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    child = new ProcessBuilder(java.toString(), source.toString(), file.toString(),
        Long.toString(millis)).redirectErrorStream(true).start();
    BufferedReader output = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertThat(output.readLine()).as("child JVM output").isEqualTo("locked");
  }

  @Test
  void acquireCreatesTheLockFile() throws IOException {
    try (FileLocks.Held held = FileLocks.acquire(lockFile(), LONG, "home")) {
      assertThat(lockFile()).isRegularFile();
    }
  }

  @Test
  void closedLockCanBeTakenAgain() throws IOException {
    FileLocks.acquire(lockFile(), LONG, "home").close();

    try (FileLocks.Held held = FileLocks.acquire(lockFile(), Duration.ZERO, "home")) {
      assertThat(held).isNotNull();
    }
  }

  @Test
  void secondThreadWaitsThenAcquires() throws Exception {
    CountDownLatch waiting = new CountDownLatch(1);
    CountDownLatch acquired = new CountDownLatch(1);
    FileLocks.Held first = FileLocks.acquire(lockFile(), LONG, "VM 'web'");
    Future<?> second = executor.submit(() -> {
      waiting.countDown();
      try (FileLocks.Held held = FileLocks.acquire(lockFile(), LONG, "VM 'web'")) {
        acquired.countDown();
      }
      return null;
    });
    assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(acquired.await(300, TimeUnit.MILLISECONDS)).as("acquired while held").isFalse();
    first.close();

    assertThat(acquired.await(10, TimeUnit.SECONDS)).as("acquired after release").isTrue();
    second.get(10, TimeUnit.SECONDS);
  }

  @Test
  void timeoutNamesWhatIsBusy() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Future<?> holder = holdOnOtherThread(lockFile(), release);

    long start = System.nanoTime();
    assertThatThrownBy(() -> FileLocks.acquire(lockFile(), Duration.ofMillis(200), "VM 'web'"))
        .isInstanceOf(XrayTimeoutException.class)
        .hasMessageStartingWith("VM 'web' is busy")
        .hasMessageContaining("try again");
    long waitedMillis = (System.nanoTime() - start) / 1_000_000;

    assertThat(waitedMillis).isGreaterThanOrEqualTo(190);
    release.countDown();
    holder.get(10, TimeUnit.SECONDS);
  }

  @Test
  void zeroTimeoutFailsAtOnceWhenBusy() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Future<?> holder = holdOnOtherThread(lockFile(), release);

    assertThatThrownBy(() -> FileLocks.acquire(lockFile(), Duration.ZERO, "home folder"))
        .isInstanceOf(XrayTimeoutException.class)
        .hasMessageStartingWith("home folder is busy");

    release.countDown();
    holder.get(10, TimeUnit.SECONDS);
  }

  @Test
  void sameThreadMayReenter() throws Exception {
    try (FileLocks.Held outer = FileLocks.acquire(lockFile(), LONG, "VM 'web'")) {
      try (FileLocks.Held inner = FileLocks.acquire(lockFile(), Duration.ZERO, "VM 'web'")) {
        assertThat(inner).isNotSameAs(outer);
      }

      Future<Boolean> other = executor.submit(() -> tryBriefly(lockFile()));
      assertThat(other.get(10, TimeUnit.SECONDS)).as("other thread got it after inner close")
          .isFalse();
    }

    Future<Boolean> other = executor.submit(() -> tryBriefly(lockFile()));
    assertThat(other.get(10, TimeUnit.SECONDS)).as("other thread got it after outer close")
        .isTrue();
  }

  @Test
  void closingTwiceReleasesOnce() throws Exception {
    FileLocks.Held outer = FileLocks.acquire(lockFile(), LONG, "VM 'web'");
    FileLocks.Held inner = FileLocks.acquire(lockFile(), LONG, "VM 'web'");
    inner.close();
    inner.close();

    Future<Boolean> other = executor.submit(() -> tryBriefly(lockFile()));
    assertThat(other.get(10, TimeUnit.SECONDS)).as("other thread got it while outer held")
        .isFalse();
    assertThatCode(outer::close).doesNotThrowAnyException();
    assertThatCode(outer::close).doesNotThrowAnyException();

    Future<Boolean> after = executor.submit(() -> tryBriefly(lockFile()));
    assertThat(after.get(10, TimeUnit.SECONDS)).as("other thread got it after close").isTrue();
  }

  private static boolean tryBriefly(Path file) throws IOException {
    try (FileLocks.Held held = FileLocks.acquire(file, Duration.ofMillis(100), "test")) {
      return true;
    } catch (XrayTimeoutException e) {
      return false;
    }
  }

  @Test
  void differentFilesDoNotBlockEachOther() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Future<?> holder = holdOnOtherThread(folder.resolve("a.lock"), release);

    try (FileLocks.Held held = FileLocks.acquire(folder.resolve("b.lock"), Duration.ZERO, "b")) {
      assertThat(held).isNotNull();
    }

    release.countDown();
    holder.get(10, TimeUnit.SECONDS);
  }

  @Test
  void sameFileThroughSymbolicLinkWaits() throws Exception {
    Path real = Files.createDirectories(folder.resolve("real"));
    Path link = Files.createSymbolicLink(folder.resolve("link"), real);
    CountDownLatch release = new CountDownLatch(1);
    Future<?> holder = holdOnOtherThread(real.resolve("lock"), release);

    assertThatThrownBy(() -> FileLocks.acquire(link.resolve("lock"), Duration.ofMillis(200),
        "VM 'web'"))
        .isInstanceOf(XrayTimeoutException.class)
        .hasMessageStartingWith("VM 'web' is busy");

    release.countDown();
    holder.get(10, TimeUnit.SECONDS);
    try (FileLocks.Held held = FileLocks.acquire(link.resolve("lock"), LONG, "VM 'web'")) {
      assertThat(held).isNotNull();
    }
  }

  @Test
  void interruptedWaitRaisesIoException() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Future<?> holder = holdOnOtherThread(lockFile(), release);
    try {
      Thread.currentThread().interrupt();

      assertThatThrownBy(() -> FileLocks.acquire(lockFile(), LONG, "VM 'web'"))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("interrupted")
          .hasMessageContaining("VM 'web'");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
      release.countDown();
    }
    holder.get(10, TimeUnit.SECONDS);
  }

  @Test
  void otherProcessLockBlocksUntilItEnds() throws Exception {
    holdInChildProcess(lockFile(), 2000);
    long start = System.nanoTime();

    try (FileLocks.Held held = FileLocks.acquire(lockFile(), LONG, "VM 'web'")) {
      long waitedMillis = (System.nanoTime() - start) / 1_000_000;
      assertThat(waitedMillis).isGreaterThanOrEqualTo(1000);
    }
    assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).isZero();
  }

  @Test
  void lockOfKilledProcessIsReleased() throws Exception {
    holdInChildProcess(lockFile(), 60_000);

    assertThatThrownBy(() -> FileLocks.acquire(lockFile(), Duration.ofMillis(300), "VM 'web'"))
        .isInstanceOf(XrayTimeoutException.class)
        .hasMessageStartingWith("VM 'web' is busy");

    child.destroyForcibly();
    assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    try (FileLocks.Held held = FileLocks.acquire(lockFile(), Duration.ofSeconds(5), "VM 'web'")) {
      assertThat(held).isNotNull();
    }
  }

  @Test
  void childProcessWaitsForOurLock() throws Exception {
    Path source = Files.writeString(folder.resolve("HoldLock.java"), HOLDER_SOURCE);
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    try (FileLocks.Held held = FileLocks.acquire(lockFile(), LONG, "VM 'web'")) {
      child = new ProcessBuilder(List.of(java.toString(), source.toString(),
          lockFile().toString(), "0")).redirectErrorStream(true).start();

      assertThat(child.waitFor(3, TimeUnit.SECONDS)).as("child finished while we held it")
          .isFalse();
    }
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("child finished after release").isTrue();
    assertThat(new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
        .isEqualTo("locked\n");
  }
}
