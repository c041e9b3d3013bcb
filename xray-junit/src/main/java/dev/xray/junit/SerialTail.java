package dev.xray.junit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The last lines of a VM's {@code serial.log}, attached to a failed test so that its report
 * shows what the guest printed. As a {@link Throwable} it is added to the failure as a suppressed
 * exception, without a stack trace of its own.
 */
final class SerialTail extends RuntimeException {
  /** How many lines of the serial log a failure report shows. */
  static final int LINES = 40;
  /** How many bytes at the end of the log are read, enough for {@link #LINES} long lines. */
  private static final int WINDOW_BYTES = 64 * 1024;
  // CSI sequences as ECMA-48 defines them, character set selections and carriage returns:
  // UEFI firmware and shells print them, and they would garble a test report.
  private static final Pattern ESCAPES =
      Pattern.compile("\u001b\\[[0-?]*[ -/]*[@-~]|\u001b[()][A-Z0-9]|\r");

  private final String vmName;
  private final String text;

  private SerialTail(String vmName, Path log, String text) {
    super("serial console of VM '" + vmName + "', last lines of " + log + ":\n" + text, null,
        false, false);
    this.vmName = vmName;
    this.text = text;
  }

  /**
   * Reads the last {@link #LINES} non-blank lines of {@code vmDirectory/serial.log}, or a note
   * when the log is empty, missing or unreadable.
   */
  static SerialTail read(String vmName, Path vmDirectory) {
    Path log = vmDirectory.resolve("serial.log");
    String text = String.join("\n", lastLines(log, LINES));
    return new SerialTail(vmName, log, text.isEmpty() ? "(serial.log is empty)" : text);
  }

  String vmName() {
    return vmName;
  }

  /** Returns the lines, joined by newlines. */
  String text() {
    return text;
  }

  static List<String> lastLines(Path log, int count) {
    if (!Files.exists(log)) {
      return List.of("(no serial.log: the VM never started)");
    }
    Deque<String> last = new ArrayDeque<>();
    try (RandomAccessFile in = new RandomAccessFile(log.toFile(), "r")) {
      long start = Math.max(0, in.length() - WINDOW_BYTES);
      byte[] bytes = new byte[(int) (in.length() - start)];
      in.seek(start);
      in.readFully(bytes);
      String window = new String(bytes, StandardCharsets.UTF_8);
      if (start > 0) {
        // The window may start inside a line: drop everything up to its first newline.
        window = window.substring(window.indexOf('\n') + 1);
      }
      for (String line : window.split("\n")) {
        String cleaned = ESCAPES.matcher(line).replaceAll("");
        if (!cleaned.isBlank()) {
          last.addLast(cleaned);
          if (last.size() > count) {
            last.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      return List.of("(cannot read " + log + ": " + e.getMessage() + ")");
    }
    return List.copyOf(last);
  }
}
