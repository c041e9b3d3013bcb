package dev.xray.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** Reads the version line of the host's QEMU for {@code xray --version}. */
final class QemuVersion {
  private QemuVersion() {}

  static String describe() {
    String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : "aarch64";
    String program = "qemu-system-" + arch;
    try {
      Process process = new ProcessBuilder(program, "--version").redirectErrorStream(true)
          .start();
      String output = new String(process.getInputStream().readAllBytes(),
          StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
        return program + ": failed to report its version";
      }
      return output.lines().findFirst().orElse(program + ": no version output");
    } catch (IOException e) {
      return program + ": not found on PATH";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return program + ": interrupted";
    }
  }
}
