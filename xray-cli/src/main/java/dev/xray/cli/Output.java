package dev.xray.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Formats tables, sizes, times and JSON for the CLI's output. */
final class Output {
  private static final DateTimeFormatter LOCAL_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  private Output() {}

  /** Holds the mapper apart, so that a table-only command never builds it (about 15 ms). */
  static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}
  }

  /** Prints rows as columns padded to their widest cell; the first row is the header. */
  static void table(PrintWriter out, List<List<String>> rows) {
    if (rows.isEmpty()) {
      return;
    }
    int columns = rows.get(0).size();
    int[] widths = new int[columns];
    for (List<String> row : rows) {
      for (int i = 0; i < columns; i++) {
        widths[i] = Math.max(widths[i], row.get(i).length());
      }
    }
    for (List<String> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(row.get(i));
        if (i < columns - 1) {
          line.append(" ".repeat(widths[i] - row.get(i).length() + 2));
        }
      }
      out.println(line.toString().stripTrailing());
    }
  }

  /** Returns a new table whose first row is {@code header}. */
  static List<List<String>> newTable(String... header) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of(header));
    return rows;
  }

  /** Prints {@code value} as indented JSON. */
  static void json(PrintWriter out, Object value) {
    try {
      out.println(Json.MAPPER.writeValueAsString(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  /** Formats a byte count with a binary unit, for example {@code 64.0 MiB}. */
  static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  static String localTime(Instant instant) {
    return LOCAL_TIME.format(instant);
  }

  /** Formats a guest clock as {@code HH:MM:SS.mmm}. */
  static String clock(Duration duration) {
    return String.format(Locale.ROOT, "%02d:%02d:%02d.%03d", duration.toHours(),
        duration.toMinutesPart(), duration.toSecondsPart(), duration.toMillisPart());
  }

  /** Formats an elapsed time in seconds with two decimals. */
  static String seconds(long nanos) {
    return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }
}
