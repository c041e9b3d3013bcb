package dev.xray.core.internal;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.Display;
import dev.xray.api.Names;
import dev.xray.api.VmSpec;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

/**
 * Reads and writes {@code vm.toml}. Keys: {@code base}, {@code memory} (MiB), {@code cpus},
 * {@code ssh_port} (0 for none), {@code display}, {@code accel}, {@code arch}, and
 * {@code resume_snapshot}, the live snapshot whose RAM state the next start loads.
 */
public final class VmConfig {
  private VmConfig() {}

  /** A parsed {@code vm.toml}: the spec and the pending resume snapshot, if any. */
  public record Contents(VmSpec spec, Optional<String> resumeSnapshot) {}

  /**
   * Writes the config atomically. Raises IllegalArgumentException when {@code resumeSnapshot} is
   * not a valid snapshot tag, because values are written without escapes.
   */
  public static void write(Path file, VmSpec spec, Optional<String> resumeSnapshot)
      throws IOException {
    resumeSnapshot.ifPresent(Names::checkSnapshotTag);
    StringBuilder toml = new StringBuilder();
    toml.append("# xray VM configuration; xray rewrites this file, comments are not kept.\n");
    toml.append("base = ").append(quote(spec.base())).append('\n');
    toml.append("memory = ").append(spec.memoryMiB()).append("  # MiB\n");
    toml.append("cpus = ").append(spec.cpus()).append('\n');
    toml.append("ssh_port = ").append(spec.sshPort().orElse(0)).append("  # 0: no forward\n");
    toml.append("display = ").append(quote(spec.display().qemuName())).append('\n');
    toml.append("accel = ").append(quote(spec.accelerator().qemuName())).append('\n');
    toml.append("arch = ").append(quote(spec.architecture().qemuName())).append('\n');
    resumeSnapshot.ifPresent(
        tag -> toml.append("resume_snapshot = ").append(quote(tag)).append('\n'));
    AtomicFiles.writeString(file, toml.toString());
  }

  /**
   * Reads the config of the VM called {@code name}.
   *
   * @throws IOException if the file cannot be read
   * @throws IllegalStateException if the file is not valid TOML or a key has a wrong value; the
   *     message names the file and the key
   */
  public static Contents read(Path file, String name) throws IOException {
    TomlParseResult toml = parse(file);
    if (toml.hasErrors()) {
      throw new IllegalStateException("invalid " + file + ": " + toml.errors().get(0));
    }
    try {
      VmSpec.Builder builder = VmSpec.builder(name)
          .base(requiredString(toml, "base"))
          .memory(intValue(toml, "memory", VmSpec.DEFAULT_MEMORY_MIB))
          .cpus(intValue(toml, "cpus", VmSpec.DEFAULT_CPUS))
          .sshPort(intValue(toml, "ssh_port", 0))
          .display(Display.parse(stringValue(toml, "display", "none")))
          .accelerator(Accelerator.parse(stringValue(toml, "accel", "auto")))
          .architecture(Architecture.parse(
              stringValue(toml, "arch", Architecture.host().qemuName())));
      Optional<String> resume = Optional.ofNullable(optionalString(toml, "resume_snapshot"))
          .map(Names::checkSnapshotTag);
      return new Contents(builder.build(), resume);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IllegalStateException("invalid " + file + ": " + e.getMessage(), e);
    }
  }

  private static TomlParseResult parse(Path file) throws IOException {
    String text;
    try {
      text = Files.readString(file);
    } catch (CharacterCodingException e) {
      throw new IllegalStateException("invalid " + file + ": not UTF-8 text", e);
    }
    try {
      return Toml.parse(text);
    } catch (StackOverflowError e) {
      // tomlj 1.1.1 recurses once per nesting level of arrays and inline tables: 500 levels
      // overflow a 512 KiB thread stack.
      throw new IllegalStateException("invalid " + file + ": values nested too deeply", e);
    }
  }

  private static String requiredString(TomlParseResult toml, String key) {
    String value = optionalString(toml, key);
    if (value == null) {
      throw new IllegalArgumentException("missing key '" + key + "'");
    }
    return value;
  }

  private static String stringValue(TomlParseResult toml, String key, String fallback) {
    String value = optionalString(toml, key);
    return value == null ? fallback : value;
  }

  private static String optionalString(TomlParseResult toml, String key) {
    Object value = toml.get(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String)) {
      throw new IllegalArgumentException("key '" + key + "' must be a string: " + value);
    }
    return (String) value;
  }

  private static int intValue(TomlParseResult toml, String key, int fallback) {
    Object value = toml.get(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Long) || (Long) value < Integer.MIN_VALUE
        || (Long) value > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("key '" + key + "' must be an integer: " + value);
    }
    return ((Long) value).intValue();
  }

  private static String quote(String value) {
    // Values are names and enum labels that follow the naming rule, so they need no escapes.
    return '"' + value + '"';
  }
}
