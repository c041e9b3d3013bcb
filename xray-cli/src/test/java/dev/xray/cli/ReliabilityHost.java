package dev.xray.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Reads processes and listening sockets from Linux's /proc, and sends signals by pid. Tests use
 * it only on processes they started themselves.
 */
final class ReliabilityHost {
  private ReliabilityHost() {}

  /** Returns the command lines of all processes, each with its pid first. */
  static List<List<String>> commandLines() {
    List<List<String>> processes = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path entry : entries) {
        byte[] bytes;
        try {
          bytes = Files.readAllBytes(entry.resolve("cmdline"));
        } catch (NoSuchFileException | java.nio.file.AccessDeniedException e) {
          continue;
        } catch (IOException e) {
          // The process exited while its file was read.
          continue;
        }
        if (bytes.length == 0) {
          continue;
        }
        List<String> line = new ArrayList<>();
        line.add(entry.getFileName().toString());
        for (String arg : new String(bytes, StandardCharsets.UTF_8).split("\0")) {
          line.add(arg);
        }
        processes.add(line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return processes;
  }

  /** Returns the pids of the QEMU processes whose {@code -pidfile} is in {@code vmDirectory}. */
  static List<Long> qemuPidsOf(Path vmDirectory) {
    String pidFile = vmDirectory.resolve("pid").toString();
    return pidsMatching(line -> {
      int index = line.indexOf("-pidfile");
      return index > 0 && index + 1 < line.size() && line.get(index + 1).equals(pidFile);
    });
  }

  /** Returns the pids of the processes whose command line mentions {@code text}. */
  static List<Long> pidsMentioning(String program, String text) {
    return pidsMatching(line -> line.size() > 1 && line.get(1).endsWith(program)
        && line.stream().skip(1).anyMatch(arg -> arg.contains(text)));
  }

  private static List<Long> pidsMatching(Predicate<List<String>> test) {
    List<Long> pids = new ArrayList<>();
    for (List<String> line : commandLines()) {
      if (test.test(line)) {
        pids.add(Long.parseLong(line.get(0)));
      }
    }
    return pids;
  }

  /**
   * Waits until no {@code program} process mentions {@code text}, such as a qemu-img that an
   * xray killed by SIGKILL left running; returns false if one is still running at the timeout.
   */
  static boolean awaitNoProcess(String program, String text, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!pidsMentioning(program, text).isEmpty()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  static boolean isAlive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Sends {@code signal} (such as "STOP", "CONT" or "KILL") to {@code pid} with kill(1). */
  static void signal(long pid, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
        .redirectErrorStream(true).start();
    String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (kill.waitFor() != 0) {
      throw new IOException("kill -" + signal + " " + pid + " failed: " + output.strip());
    }
  }

  /** Runs a host program to its end and returns its output; fails if it exits with non-zero. */
  static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + output.strip());
    }
    return output;
  }

  /** Waits until {@code pid} has exited; returns false if it still runs at the timeout. */
  static boolean awaitExit(long pid, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (isAlive(pid)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  /**
   * Returns the local addresses, such as "127.0.0.1" or "0.0.0.0", of the TCP sockets that
   * listen on {@code port}, from /proc/net/tcp and /proc/net/tcp6.
   */
  static List<String> listenAddresses(int port) throws IOException {
    List<String> addresses = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      Path file = Path.of(table);
      if (!Files.exists(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file).stream().skip(1).toList()) {
        String[] fields = line.strip().split("\\s+");
        // fields[1] is the local address as HEX_IP:HEX_PORT, fields[3] the state (0A: LISTEN).
        String[] local = fields[1].split(":");
        if (!fields[3].equals("0A") || Integer.parseInt(local[1], 16) != port) {
          continue;
        }
        addresses.add(decodeAddress(local[0]));
      }
    }
    return addresses;
  }

  /** Decodes the little-endian hex address of /proc/net/tcp; IPv6 addresses stay in hex. */
  private static String decodeAddress(String hex) {
    if (hex.length() != 8) {
      return hex.toLowerCase(Locale.ROOT);
    }
    long value = Long.parseLong(hex, 16);
    return (value & 0xff) + "." + ((value >> 8) & 0xff) + "." + ((value >> 16) & 0xff) + "."
        + ((value >> 24) & 0xff);
  }
}
