package dev.xray.core.internal;

import dev.xray.api.XrayTimeoutException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Exclusive locks on lock files, held across processes (an OS file lock) and across threads of
 * this JVM (a {@link ReentrantLock}, because the OS grants a second file lock of one process
 * without waiting). A lock ends when its holder closes it or its process dies.
 */
public final class FileLocks {
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
  private static final long POLL_MILLIS = 20;

  private FileLocks() {}

  /** A held lock. Closing it releases the lock, and closing it again does nothing. */
  public static final class Held implements AutoCloseable {
    private final ReentrantLock jvmLock;
    private final FileChannel channel;
    private final FileLock fileLock;
    private boolean closed;

    private Held(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
      this.jvmLock = jvmLock;
      this.channel = channel;
      this.fileLock = fileLock;
    }

    @Override
    public void close() {
      if (closed) {
        // A second unlock would release a hold of an outer, re-entered Held of this thread.
        return;
      }
      closed = true;
      try {
        if (fileLock != null) {
          fileLock.release();
        }
        if (channel != null) {
          channel.close();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        jvmLock.unlock();
      }
    }
  }

  /**
   * Takes the lock on {@code file}, creating the file if needed, and waits up to {@code timeout}
   * for another holder to release it.
   *
   * @throws XrayTimeoutException if the lock stays taken for longer than {@code timeout}; the
   *     message names {@code what} is busy
   */
  public static Held acquire(Path file, Duration timeout, String what) throws IOException {
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(file.toAbsolutePath(),
        key -> new ReentrantLock());
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      if (!jvmLock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw busy(what, timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the lock on " + what, e);
    }
    if (jvmLock.getHoldCount() > 1) {
      // Re-entry by the thread that holds the file lock already.
      return new Held(jvmLock, null, null);
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      while (true) {
        FileLock lock = tryLock(channel);
        if (lock != null) {
          return new Held(jvmLock, channel, lock);
        }
        if (System.nanoTime() > deadline) {
          throw busy(what, timeout);
        }
        Thread.sleep(POLL_MILLIS);
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel);
      jvmLock.unlock();
      throw e;
    } catch (InterruptedException e) {
      closeQuietly(channel);
      jvmLock.unlock();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the lock on " + what, e);
    }
  }

  /** Returns the file lock, or null while another process or another path to it holds it. */
  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      // This JVM holds the lock through another path to the same file, such as a symbolic link,
      // which JVM_LOCKS keys separately. Wait for that holder as for another process.
      return null;
    }
  }

  private static XrayTimeoutException busy(String what, Duration timeout) {
    return new XrayTimeoutException(what + " is busy: another xray operation on it did not "
        + "finish within " + timeout.toSeconds() + " s; try again when it has finished");
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        // The lock was never granted, so there is nothing to release.
      }
    }
  }
}
