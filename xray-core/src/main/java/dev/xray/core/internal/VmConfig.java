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
 * {@code port_forwards} (an array of {@code "HOST:GUEST"} strings), {@code resume_snapshot}, the
 * live snapshot whose RAM state the next start loads, and for a VM with a cloud-init seed:
 * {@code ssh_user}, {@code ssh_key} (the public key's absolute path), {@code user_data},
 * {@code seed_image} (the ISO file in the VM's folder) and {@code ssh_port_auto}.
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
   * @param seedImage the cloud-init seed's ISO file, a file name in the VM's folder, that QEMU
   *     attaches as a read-only CD
   * @param sshPortAuto whether xray picked the SSH port, so it may pick another one when that
   *     port is taken at start
   */
  public record Contents(VmSpec spec, Optional<String> resumeSnapshot,
      Optional<String> incomingState, Optional<String> template, boolean frozen,
      Optional<String> seedImage, boolean sshPortAuto) {

    public Contents(VmSpec spec, Optional<String> resumeSnapshot) {
      this(spec, resumeSnapshot, Optional.empty(), Optional.empty(), false, Optional.empty(),
          false);
    }

    public Contents withResumeSnapshot(Optional<String> tag) {
      return new Contents(spec, tag, incomingState, template, frozen, seedImage, sshPortAuto);
    }

    public Contents withIncomingState(Optional<String> path) {
      return new Contents(spec, resumeSnapshot, path, template, frozen, seedImage, sshPortAuto);
    }

    public Contents withFrozen(boolean value) {
      return new Contents(spec, resumeSnapshot, incomingState, template, value, seedImage,
          sshPortAuto);
    }

    public Contents withSpec(VmSpec value) {
      return new Contents(value, resumeSnapshot, incomingState, template, frozen, seedImage,
          sshPortAuto);
    }

    public Contents withSeed(Optional<String> image, boolean portAuto) {
      return new Contents(spec, resumeSnapshot, incomingState, template, frozen, image,
          portAuto);
    }
  }

  /** The form of {@code incoming_state}: a state file in a sibling VM folder. */
  private static final java.util.regex.Pattern INCOMING_STATE =
      java.util.regex.Pattern.compile("\\.\\./[A-Za-z0-9][A-Za-z0-9._-]{0,63}/state\\.bin");
  /** The form of {@code seed_image}: a file name in the VM's own folder. */
  private static final java.util.regex.Pattern SEED_IMAGE =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

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
    contents.seedImage().ifPresent(VmConfig::checkSeedImage);
    StringBuilder toml = new StringBuilder();
    toml.append("# xray VM configuration; xray rewrites this file, comments are not kept.\n");
    toml.append("base = ").append(quote(spec.base())).append('\n');
    toml.append("memory = ").append(spec.memoryMiB()).append("  # MiB\n");
    toml.append("cpus = ").append(spec.cpus()).append('\n');
    toml.append("ssh_port = ").append(spec.sshPort().orElse(0)).append("  # 0: no forward\n");
    if (contents.sshPortAuto()) {
      toml.append("ssh_port_auto = true  # picked by xray, which picks another when it is "
          + "taken at start\n");
    }
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
    spec.sshUser().ifPresent(
        user -> toml.append("ssh_user = ").append(quote(user)).append('\n'));
    spec.sshKey().ifPresent(key -> toml.append("ssh_key = ").append(quoteEscaped(key.toString()))
        .append("  # public key; xray ssh uses the file without .pub\n"));
    spec.userData().ifPresent(path -> toml.append("user_data = ")
        .append(quoteEscaped(path.toString())).append("  # copied into the seed at create\n"));
    contents.seedImage().ifPresent(
        image -> toml.append("seed_image = ").append(quote(image)).append('\n'));
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
      readSeed(toml, builder);
      Optional<String> resume = Optional.ofNullable(optionalString(toml, "resume_snapshot"))
          .map(Names::checkSnapshotTag);
      Optional<String> incoming = Optional.ofNullable(optionalString(toml, "incoming_state"))
          .map(VmConfig::checkIncomingState);
      Optional<String> template = Optional.ofNullable(optionalString(toml, "template"))
          .map(Names::checkVmName);
      boolean frozen = booleanValue(toml, "frozen");
      Optional<String> seedImage = Optional.ofNullable(optionalString(toml, "seed_image"))
          .map(VmConfig::checkSeedImage);
      return new Contents(builder.build(), resume, incoming, template, frozen, seedImage,
          booleanValue(toml, "ssh_port_auto"));
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

  private static String checkSeedImage(String image) {
    if (!SEED_IMAGE.matcher(image).matches()) {
      throw new IllegalArgumentException("invalid seed_image '" + image
          + "' (expected a file name in the VM's folder, such as seed.iso)");
    }
    return image;
  }

  /** Reads {@code ssh_user}, {@code ssh_key} and {@code user_data}. */
  private static void readSeed(TomlParseResult toml, VmSpec.Builder builder) {
    String key = optionalString(toml, "ssh_key");
    if (key != null) {
      builder.sshKey(Path.of(key));
    }
    String userData = optionalString(toml, "user_data");
    if (userData != null) {
      builder.userData(Path.of(userData));
    }
    String user = optionalString(toml, "ssh_user");
    if (user != null) {
      builder.sshUser(user);
    }
  }

  private static boolean booleanValue(TomlParseResult toml, String key) {
    Object value = toml.get(key);
    if (value != null && !(value instanceof Boolean)) {
      throw new IllegalArgumentException("key '" + key + "' must be true or false: " + value);
    }
    return Boolean.TRUE.equals(value);
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

  /** Returns a TOML basic string of any text, such as a path outside the home folder. */
  static String quoteEscaped(String value) {
    StringBuilder quoted = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') {
        quoted.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        quoted.append(String.format("\\u%04X", (int) c));
      } else {
        quoted.append(c);
      }
    }
    return quoted.append('"').toString();
  }
}
