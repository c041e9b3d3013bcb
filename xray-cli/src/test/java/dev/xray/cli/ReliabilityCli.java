package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the real {@code xray} launcher as a subprocess on one home folder, with {@code
 * XRAY_ACCEL=tcg}, stdin from /dev/null and stdout and stderr in files, as a script would.
 */
final class ReliabilityCli {
  /** The maximum duration of one command; a command that takes longer fails the test. */
  static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(3);

  private static final AtomicInteger RUNS = new AtomicInteger();

  private final Path home;
  private final Path outputs;

  /** What one finished run of the launcher printed, and how long it took. */
  record Run(List<String> args, int exitCode, String stdout, String stderr, long millis) {
    /** Returns the lines of stderr that are xray errors. */
    List<String> errorLines() {
      return stderr.lines().filter(line -> line.startsWith("xray: ")).toList();
    }

    @Override
    public String toString() {
      return "xray " + String.join(" ", args) + " -> exit " + exitCode + " in " + millis
          + " ms; stdout: " + stdout.strip() + "; stderr: " + stderr.strip();
    }
  }

  /** A launcher process started in the background. */
  final class Started {
    private final List<String> args;
    private final Process process;
    private final Path stdout;
    private final Path stderr;
    private final long startNanos;

    private Started(List<String> args, Process process, Path stdout, Path stderr,
        long startNanos) {
      this.args = args;
      this.process = process;
      this.stdout = stdout;
      this.stderr = stderr;
      this.startNanos = startNanos;
    }

    Process process() {
      return process;
    }

    long pid() {
      return process.pid();
    }

    boolean isAlive() {
      return process.isAlive();
    }

    long elapsedMillis() {
      return (System.nanoTime() - startNanos) / 1_000_000;
    }

    String stderrSoFar() throws IOException {
      return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Waits for the process to exit and returns what it printed. */
    Run await() throws IOException, InterruptedException {
      if (!process.waitFor(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("xray " + String.join(" ", args) + " did not finish within "
            + COMMAND_TIMEOUT.toSeconds() + " s; stderr: " + stderrSoFar());
      }
      long millis = (System.nanoTime() - startNanos) / 1_000_000;
      return new Run(args, process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
          Files.readString(stderr, StandardCharsets.UTF_8), millis);
    }
  }

  /**
   * Creates a runner for the home folder {@code home}; the output files of each run go to
   * {@code outputs}, which must exist.
   */
  ReliabilityCli(Path home, Path outputs) {
    this.home = home;
    this.outputs = outputs;
  }

  Path home() {
    return home;
  }

  /** Returns a runner for another home folder that writes its outputs to the same folder. */
  ReliabilityCli withHome(Path otherHome) {
    return new ReliabilityCli(otherHome, outputs);
  }

  /** Starts the launcher with {@code args} and returns at once. */
  Started spawn(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(launcher());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.put("XRAY_HOME", home.toString());
    env.put("XRAY_ACCEL", "tcg");
    builder.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    int run = RUNS.incrementAndGet();
    Path stdout = outputs.resolve("run-" + run + ".out");
    Path stderr = outputs.resolve("run-" + run + ".err");
    builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    long startNanos = System.nanoTime();
    return new Started(List.of(args), builder.start(), stdout, stderr, startNanos);
  }

  /** Runs the launcher with {@code args} to its end. */
  Run run(String... args) throws IOException, InterruptedException {
    return spawn(args).await();
  }

  /** Runs the launcher and checks that it exits with 0. */
  Run succeed(String... args) throws IOException, InterruptedException {
    Run run = run(args);
    assertThat(run.exitCode()).as("exit code of %s", run).isZero();
    return run;
  }

  /**
   * Runs the launcher and checks that it fails with {@code exitCode} and one error line on stderr
   * that contains {@code message}.
   */
  Run fail(int exitCode, String message, String... args)
      throws IOException, InterruptedException {
    Run run = run(args);
    assertThat(run.exitCode()).as("exit code of %s", run).isEqualTo(exitCode);
    assertThat(run.errorLines()).as("error lines of %s", run).hasSize(1);
    assertThat(run.errorLines().get(0)).as("error of %s", run).contains(message);
    return run;
  }

  static String launcher() {
    String launcher = System.getProperty("xray.launcher");
    assertThat(launcher).as("system property xray.launcher (set by the xray-cli pom)")
        .isNotBlank();
    return launcher;
  }
}
