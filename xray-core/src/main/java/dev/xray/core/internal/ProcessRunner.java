package dev.xray.core.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a short-lived host command to completion and captures its output. */
public final class ProcessRunner {
  private static final Logger log = LoggerFactory.getLogger(ProcessRunner.class);

  private ProcessRunner() {}

  /** The outcome of a finished command. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    public boolean succeeded() {
      return exitCode == 0;
    }

    /** Returns the last {@code maxChars} characters of stderr, trimmed. */
    public String stderrTail(int maxChars) {
      String trimmed = stderr.strip();
      if (trimmed.length() <= maxChars) {
        return trimmed;
      }
      return trimmed.substring(trimmed.length() - maxChars);
    }
  }

  /**
   * Runs {@code command} in {@code workingDirectory} (null for the JVM's) with stdin closed, and
   * waits up to {@code timeout}. A command that is still running then is killed.
   *
   * @throws IOException if the program cannot be started, for example because it does not exist
   */
  public static Result run(List<String> command, Path workingDirectory, Duration timeout)
      throws IOException {
    log.debug("running {}", command);
    ProcessBuilder builder = new ProcessBuilder(command);
    if (workingDirectory != null) {
      builder.directory(workingDirectory.toFile());
    }
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process process = builder.start();
    StreamCollector stdout = new StreamCollector(process.getInputStream());
    StreamCollector stderr = new StreamCollector(process.getErrorStream());
    stdout.start();
    stderr.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor();
        stdout.join();
        stderr.join();
        return new Result(List.copyOf(command), -1, stdout.text(),
            stderr.text() + "\n(killed after " + timeout.toSeconds() + " s)");
      }
      stdout.join();
      stderr.join();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
    Result result = new Result(List.copyOf(command), process.exitValue(), stdout.text(),
        stderr.text());
    log.debug("{} exited with {}", command.get(0), result.exitCode());
    return result;
  }

  /** Reads a stream to its end on its own thread, so that a full pipe never blocks the child. */
  private static final class StreamCollector extends Thread {
    private final InputStream in;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    StreamCollector(InputStream in) {
      super("xray-process-output");
      setDaemon(true);
      this.in = in;
    }

    @Override
    public void run() {
      try (in) {
        in.transferTo(out);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    String text() {
      synchronized (out) {
        return out.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
