package dev.xray.cli;

import dev.xray.api.Vm;
import dev.xray.api.XrayException;
import java.time.Duration;
import sun.misc.Signal;

/**
 * Handles Ctrl+C and SIGTERM for {@code xray start --foreground}: the first signal presses the
 * VM's power button on a background thread, a second one kills QEMU at once. A JVM shutdown hook
 * cannot do this, because the JVM ignores signals that arrive while its hooks run.
 */
final class ForegroundSignals {
  private final Vm vm;
  private final Duration stopTimeout;
  private volatile int count;

  ForegroundSignals(Vm vm, Duration stopTimeout) {
    this.vm = vm;
    this.stopTimeout = stopTimeout;
  }

  void install() {
    Signal.handle(new Signal("INT"), signal -> onSignal());
    Signal.handle(new Signal("TERM"), signal -> onSignal());
  }

  boolean interrupted() {
    return count > 0;
  }

  private synchronized void onSignal() {
    count++;
    if (count == 1) {
      System.err.println("\r\nxray: pressing the power button of VM " + vm.name()
          + "; press Ctrl+C again to kill it");
      Thread stopper = new Thread(this::stop, "xray-foreground-stop");
      stopper.setDaemon(true);
      stopper.start();
    } else if (count == 2) {
      System.err.println("\r\nxray: killing VM " + vm.name());
      Thread killer = new Thread(vm::kill, "xray-foreground-kill");
      killer.setDaemon(true);
      killer.start();
    }
  }

  private void stop() {
    try {
      vm.stop(stopTimeout);
    } catch (XrayException e) {
      if (count < 2) {
        System.err.println("xray: " + e.getMessage());
      }
    }
  }
}
