package dev.xray.core.internal;

import java.io.ByteArrayOutputStream;
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
  // CSI sequences as ECMA-48 defines them (parameter bytes 0x30-0x3f, intermediate bytes
  // 0x20-0x2f, then a final byte 0x40-0x7e), which covers edk2's ESC [ = 3 h. Character set
  // selections and carriage returns go too.
  private static final Pattern ESCAPES =
      Pattern.compile("\u001b\\[[0-?]*[ -/]*[@-~]|\u001b[()][A-Z0-9]|\r");

  private final Path file;
  private long offset;
  // Bytes after the last newline. Lines are decoded whole because a read can end inside a
  // multi-byte UTF-8 character, and the byte '\n' never occurs inside one.
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

  SerialLog(Path file) {
    this.file = file;
  }

  /** Returns the complete lines added since the last call, cleaned. */
  List<String> readNewLines() throws IOException {
    List<String> lines = new ArrayList<>();
    if (!Files.exists(file)) {
      return lines;
    }
    byte[] bytes;
    try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
      long length = in.length();
      if (length < offset) {
        // The log was started anew by a new QEMU run.
        offset = 0;
        partial.reset();
      }
      if (length == offset) {
        return lines;
      }
      bytes = new byte[(int) Math.min(length - offset, 1 << 20)];
      in.seek(offset);
      in.readFully(bytes);
      offset += bytes.length;
    }
    int lineStart = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        partial.write(bytes, lineStart, i - lineStart);
        lines.add(clean(partial.toString(StandardCharsets.UTF_8)));
        partial.reset();
        lineStart = i + 1;
      }
    }
    partial.write(bytes, lineStart, bytes.length - lineStart);
    return lines;
  }

  /** Returns the text after the last complete line, cleaned; a prompt has no newline. */
  String pendingText() {
    return clean(partial.toString(StandardCharsets.UTF_8));
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
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (start > 0) {
          // The window may start inside a line, so drop everything up to its first newline.
          text = text.substring(text.indexOf('\n') + 1);
        }
        for (String line : text.split("\n")) {
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
