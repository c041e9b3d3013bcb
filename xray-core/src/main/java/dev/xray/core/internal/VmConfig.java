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
import java.util.StringJoiner;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;

/**
 * Reads and writes {@code vm.toml}. Keys: {@code base}, {@code memory} (MiB), {@code cpus},
 * {@code ssh_port} (0 for none), {@code display}, {@code accel}, {@code arch},
 * {@code port_forwards} (an array of {@code "HOST:GUEST"} strings), and {@code resume_snapshot},
 * the live snapshot whose RAM state the next start loads.
 */
public final class VmConfig {
  private VmConfig() {}

  /**
   * A parsed {@code vm.toml}.
   *
   * @param spec the VM's configuration
   * @param resumeSnapshot the live snapshot whose RAM state the next start loads
   * @param incomingState the saved state file, relative to the VM's folder, that the next start
   *     loads as an incoming migration; set for a warm clone until its first start
   * @param template the name of the template this VM was cloned from
   * @param frozen whether this VM is a template, whose overlay backs clones and must not change
   */
  public record Contents(VmSpec spec, Optional<String> resumeSnapshot,
      Optional<String> incomingState, Optional<String> template, boolean frozen) {

    public Contents(VmSpec spec, Optional<String> resumeSnapshot) {
      this(spec, resumeSnapshot, Optional.empty(), Optional.empty(), false);
    }

    public Contents withResumeSnapshot(Optional<String> tag) {
      return new Contents(spec, tag, incomingState, template, frozen);
    }

    public Contents withIncomingState(Optional<String> path) {
      return new Contents(spec, resumeSnapshot, path, template, frozen);
    }

    public Contents withFrozen(boolean value) {
      return new Contents(spec, resumeSnapshot, incomingState, template, value);
    }
  }

  /** The form of {@code incoming_state}: a state file in a sibling VM folder. */
  private static final java.util.regex.Pattern INCOMING_STATE =
      java.util.regex.Pattern.compile("\\.\\./[A-Za-z0-9][A-Za-z0-9._-]{0,63}/state\\.bin");

  /** Writes the config atomically; see {@link #write(Path, Contents)}. */
  public static void write(Path file, VmSpec spec, Optional<String> resumeSnapshot)
      throws IOException {
    write(file, new Contents(spec, resumeSnapshot));
  }

  /**
   * Writes the config atomically. Raises IllegalArgumentException when {@code resumeSnapshot} is
   * not a valid snapshot tag, because values are written without escapes.
   */
  public static void write(Path file, Contents contents) throws IOException {
    VmSpec spec = contents.spec();
    Optional<String> resumeSnapshot = contents.resumeSnapshot();
    resumeSnapshot.ifPresent(Names::checkSnapshotTag);
    contents.template().ifPresent(Names::checkVmName);
    contents.incomingState().ifPresent(VmConfig::checkIncomingState);
    StringBuilder toml = new StringBuilder();
    toml.append("# xray VM configuration; xray rewrites this file, comments are not kept.\n");
    toml.append("base = ").append(quote(spec.base())).append('\n');
    toml.append("memory = ").append(spec.memoryMiB()).append("  # MiB\n");
    toml.append("cpus = ").append(spec.cpus()).append('\n');
    toml.append("ssh_port = ").append(spec.sshPort().orElse(0)).append("  # 0: no forward\n");
    toml.append("display = ").append(quote(spec.display().qemuName())).append('\n');
    toml.append("accel = ").append(quote(spec.accelerator().qemuName())).append('\n');
    toml.append("arch = ").append(quote(spec.architecture().qemuName())).append('\n');
    if (!spec.portForwards().isEmpty()) {
      toml.append("port_forwards = [");
      StringJoiner entries = new StringJoiner(", ");
      spec.portForwards().forEach((host, guest) -> entries.add(quote(host + ":" + guest)));
      toml.append(entries).append("]  # host port on 127.0.0.1 : guest port\n");
    }
    resumeSnapshot.ifPresent(
        tag -> toml.append("resume_snapshot = ").append(quote(tag)).append('\n'));
    contents.incomingState().ifPresent(
        path -> toml.append("incoming_state = ").append(quote(path)).append('\n'));
    contents.template().ifPresent(
        name -> toml.append("template = ").append(quote(name)).append('\n'));
    if (contents.frozen()) {
      toml.append("frozen = true  # a warm-start template: its overlay backs clones\n");
    }
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
      readPortForwards(toml, builder);
      Optional<String> resume = Optional.ofNullable(optionalString(toml, "resume_snapshot"))
          .map(Names::checkSnapshotTag);
      Optional<String> incoming = Optional.ofNullable(optionalString(toml, "incoming_state"))
          .map(VmConfig::checkIncomingState);
      Optional<String> template = Optional.ofNullable(optionalString(toml, "template"))
          .map(Names::checkVmName);
      Object frozen = toml.get("frozen");
      if (frozen != null && !(frozen instanceof Boolean)) {
        throw new IllegalArgumentException("key 'frozen' must be true or false: " + frozen);
      }
      return new Contents(builder.build(), resume, incoming, template, Boolean.TRUE.equals(frozen));
    } catch (IllegalArgumentException | IllegalStateException | ClassCastException e) {
      throw new IllegalStateException("invalid " + file + ": " + e.getMessage(), e);
    }
  }

  private static String checkIncomingState(String path) {
    if (!INCOMING_STATE.matcher(path).matches()) {
      throw new IllegalArgumentException("invalid incoming_state '" + path
          + "' (expected ../TEMPLATE/state.bin)");
    }
    return path;
  }

  /** Reads {@code port_forwards}, an array of "HOST:GUEST" strings. */
  private static void readPortForwards(TomlParseResult toml, VmSpec.Builder builder) {
    Object value = toml.get("port_forwards");
    if (value == null) {
      return;
    }
    if (!(value instanceof TomlArray)) {
      throw new IllegalArgumentException("key 'port_forwards' must be an array of "
          + "\"HOST:GUEST\" strings: " + value);
    }
    TomlArray array = (TomlArray) value;
    for (int i = 0; i < array.size(); i++) {
      Object entry = array.get(i);
      String text = entry instanceof String ? (String) entry : "";
      String[] parts = text.split(":", -1);
      if (parts.length != 2 || !parts[0].matches("[0-9]{1,5}")
          || !parts[1].matches("[0-9]{1,5}")) {
        throw new IllegalArgumentException("key 'port_forwards' has an invalid entry " + entry
            + " (expected \"HOST:GUEST\", for example \"8080:80\")");
      }
      builder.portForward(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
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
