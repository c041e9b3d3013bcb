package dev.xray.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The counts one reliability test class reaches, for RELIABILITY.md. Each figure is printed as a
 * line starting with "RELIABILITY" and the whole set is rewritten to
 * {@code target/reliability/CLASS.txt} (relative to the module folder, where failsafe runs) each
 * time a figure is added, so a failed run keeps the figures it reached.
 */
final class ReliabilityFigures {
  private final String testClass;
  private final Map<String, String> figures = new LinkedHashMap<>();

  ReliabilityFigures(Class<?> testClass) {
    this.testClass = testClass.getSimpleName();
  }

  /** Records one figure, such as {@code put("create kill points survived", 12)}. */
  synchronized void put(String figure, Object value) {
    figures.put(figure, String.valueOf(value));
    System.out.println("RELIABILITY " + testClass + ": " + figure + " = " + value);
    StringBuilder text = new StringBuilder();
    figures.forEach((key, recorded) -> text.append(key).append(" = ").append(recorded)
        .append('\n'));
    try {
      Path folder = Path.of("target", "reliability");
      Files.createDirectories(folder);
      Files.writeString(folder.resolve(testClass + ".txt"), text.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
