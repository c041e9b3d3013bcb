package dev.xray.core.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Reads {@code serial.log}, the copy QEMU keeps of everything the guest's first serial port
 * printed. Terminal control sequences and carriage returns are removed from the lines it returns.
 */
final class SerialLog {
  private static final Pattern ESCAPES = Pattern.compile("\u001b\\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\r");

  private final Path file;
  private long offset;
  private final StringBuilder partial = new StringBuilder();

  SerialLog(Path file) {
    this.file = file;
  }

  /** Returns the complete lines added since the last call, cleaned. */
  List<String> readNewLines() throws IOException {
    List<String> lines = new ArrayList<>();
    if (!Files.exists(file)) {
      return lines;
    }
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      if (length < offset) {
        // The log was started anew by a new QEMU run.
        offset = 0;
        partial.setLength(0);
      }
      if (length == offset) {
        return lines;
      }
      byte[] bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
      in.seek(offset);
      in.readFully(bytes);
      offset += bytes.length;
      partial.append(new String(bytes, StandardCharsets.UTF_8));
    }
    int newline;
    while ((newline = partial.indexOf("\n")) >= 0) {
      lines.add(clean(partial.substring(0, newline)));
      partial.delete(0, newline + 1);
    }
    return lines;
  }

  /** Returns the text after the last complete line, cleaned; a prompt has no newline. */
  String pendingText() {
    return clean(partial.toString());
  }

  /** Returns the last {@code count} lines of {@code file}, cleaned; empty if it is missing. */
  static List<String> tail(Path file, int count) {
    Deque<String> last = new ArrayDeque<>();
    try {
      if (!Files.exists(file)) {
        return List.of();
      }
      long size = Files.size(file);
      try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
        long start = Math.max(0, size - 64 * 1024);
        byte[] bytes = new byte[(int) (size - start)];
        in.seek(start);
        in.readFully(bytes);
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
          String cleaned = clean(line);
          if (!cleaned.isBlank()) {
            last.addLast(cleaned);
            if (last.size() > count) {
              last.removeFirst();
            }
          }
        }
      }
    } catch (IOException e) {
      return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
    }
    return new ArrayList<>(last);
  }

  static String clean(String line) {
    return ESCAPES.matcher(line).replaceAll("");
  }
}
