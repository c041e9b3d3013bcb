package dev.xray.junit;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.core.TinyGuest;
import java.time.Duration;

/** Runs shell commands in the tiny guest through its serial console. */
final class GuestShell {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private GuestShell() {}

  /** Runs {@code command} and returns its output, stripped of leading and trailing space. */
  static String run(Vm vm, String command) {
    try (SerialConsole console = vm.openConsole()) {
      return TinyGuest.runCommand(console, command, TIMEOUT).strip();
    }
  }
}
