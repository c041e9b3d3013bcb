package dev.xray.core.testing;

import java.time.Duration;

/** Checks on processes that tests started indirectly, such as a VM's QEMU. */
public final class Processes {
  private Processes() {}

  /**
   * Returns whether process {@code pid} is gone within {@code timeout}. A killed QEMU may stay a
   * zombie until the init process reaps it, which in a container can take a second or two, so
   * this waits instead of checking once.
   */
  public static boolean isGone(long pid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }
}
