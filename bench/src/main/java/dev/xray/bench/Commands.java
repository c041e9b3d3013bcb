package dev.xray.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Runs host commands for the benchmarks and times them by wall clock. */
final class Commands {
  private Commands() {}

  /** A benchmark step whose duration is measured. */
  interface Action {
    void run() throws Exception;
  }

  /** Runs {@code action} and returns its wall time in milliseconds. */
  static double millis(Action action) throws Exception {
    long start = System.nanoTime();
    action.run();
    return (System.nanoTime() - start) / 1e6;
  }

  /**
   * Runs {@code command} to its end with stdin and stdout on /dev/null, and returns its wall time
   * in milliseconds, from just before the process is spawned until its exit is seen.
   *
   * @throws IOException if the command exits with a non-zero code, with its stderr in the message
   */
  static double time(List<String> command, Map<String, String> environment, Path directory)
      throws IOException, InterruptedException {
    Path stderr = Files.createTempFile("xray-bench-stderr-", ".txt");
    try {
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(stderr.toFile());
      builder.environment().putAll(environment);
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      long start = System.nanoTime();
      Process process = builder.start();
      int exitCode = process.waitFor();
      double millis = (System.nanoTime() - start) / 1e6;
      if (exitCode != 0) {
        throw new IOException(String.join(" ", command) + " exited with " + exitCode + ": "
            + Files.readString(stderr, StandardCharsets.UTF_8).strip());
      }
      return millis;
    } finally {
      Files.deleteIfExists(stderr);
    }
  }

  /** Runs {@code command} and returns its wall time in milliseconds. */
  static double time(String... command) throws IOException, InterruptedException {
    return time(List.of(command), Map.of(), null);
  }

  /** Returns {@code first} followed by {@code rest}. */
  static List<String> concat(List<String> first, String... rest) {
    List<String> all = new ArrayList<>(first);
    all.addAll(List.of(rest));
    return all;
  }
}
