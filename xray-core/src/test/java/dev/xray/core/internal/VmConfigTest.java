package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.Display;
import dev.xray.api.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class VmConfigTest {
  private static final String VALID = """
      base = "debian"
      memory = 4096
      cpus = 4
      ssh_port = 2222
      display = "sdl"
      accel = "kvm"
      arch = "aarch64"
      resume_snapshot = "before-upgrade"
      """;

  @TempDir
  Path folder;

  private Path config() {
    return folder.resolve("vm.toml");
  }

  private Path write(String text) throws IOException {
    Files.writeString(config(), text);
    return config();
  }

  private static VmSpec full() {
    return VmSpec.builder("web").base("debian").memory(4096).cpus(4).sshPort(2222)
        .display(Display.SDL).accelerator(Accelerator.KVM).architecture(Architecture.AARCH64)
        .build();
  }

  @Test
  void roundTripKeepsEveryField() throws IOException {
    VmConfig.write(config(), full(), Optional.of("before-upgrade"));

    VmConfig.Contents contents = VmConfig.read(config(), "web");

    assertThat(contents.spec()).isEqualTo(full());
    assertThat(contents.resumeSnapshot()).hasValue("before-upgrade");
  }

  @Test
  void roundTripWithoutResumeSnapshot() throws IOException {
    VmConfig.write(config(), full(), Optional.empty());

    VmConfig.Contents contents = VmConfig.read(config(), "web");

    assertThat(contents.spec()).isEqualTo(full());
    assertThat(contents.resumeSnapshot()).isEmpty();
    assertThat(Files.readString(config())).doesNotContain("resume_snapshot");
  }

  @Test
  void roundTripKeepsSeedFields() throws IOException {
    VmSpec spec = full().toBuilder().sshKey(Path.of("/home/ada/keys \"odd\" \\ dir/id.pub"))
        .sshUser("ada").userData(Path.of("/home/ada/user-data.yaml")).build();
    VmConfig.write(config(), new VmConfig.Contents(spec, Optional.empty())
        .withSeed(Optional.of("seed.iso"), true));

    VmConfig.Contents contents = VmConfig.read(config(), "web");

    assertThat(contents.spec()).isEqualTo(spec);
    assertThat(contents.spec().sshKey()).hasValue(Path.of("/home/ada/keys \"odd\" \\ dir/id.pub"));
    assertThat(contents.spec().sshIdentity()).hasValue(Path.of("/home/ada/keys \"odd\" \\ dir/id"));
    assertThat(contents.spec().sshUser()).hasValue("ada");
    assertThat(contents.seedImage()).hasValue("seed.iso");
    assertThat(contents.sshPortAuto()).isTrue();
  }

  @Test
  void seedKeysAreAbsentWithoutSeed() throws IOException {
    VmConfig.write(config(), full(), Optional.empty());

    VmConfig.Contents contents = VmConfig.read(config(), "web");

    assertThat(Files.readString(config())).doesNotContain("ssh_user", "ssh_key", "seed_image",
        "ssh_port_auto");
    assertThat(contents.seedImage()).isEmpty();
    assertThat(contents.sshPortAuto()).isFalse();
  }

  @Test
  void seedImageOutsideVmFolderIsRejected() throws IOException {
    write(VALID + "seed_image = \"../other/seed.iso\"\nssh_key = \"/k.pub\"\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("invalid seed_image '../other/seed.iso'");
  }

  @Test
  void userWithoutSeedIsRejected() throws IOException {
    write(VALID + "ssh_user = \"ada\"\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sshKey(PATH)");
  }

  @Test
  void quoteEscapedEscapesControlCharacters() {
    assertThat(VmConfig.quoteEscaped("a\tb\nc")).isEqualTo("\"a\\u0009b\\u000Ac\"");
  }

  static Stream<Arguments> enumCombinations() {
    Stream.Builder<Arguments> combinations = Stream.builder();
    for (Display display : Display.values()) {
      for (Accelerator accelerator : Accelerator.values()) {
        for (Architecture architecture : Architecture.values()) {
          combinations.add(Arguments.of(display, accelerator, architecture));
        }
      }
    }
    return combinations.build();
  }

  @ParameterizedTest
  @MethodSource("enumCombinations")
  void roundTripKeepsEnumValues(Display display, Accelerator accelerator,
      Architecture architecture) throws IOException {
    VmSpec spec = VmSpec.builder("web").base("b").display(display).accelerator(accelerator)
        .architecture(architecture).build();
    VmConfig.write(config(), spec, Optional.empty());

    assertThat(VmConfig.read(config(), "web").spec()).isEqualTo(spec);
  }

  @Test
  void roundTripKeepsExtremeValues() throws IOException {
    VmSpec spec = VmSpec.builder("x".repeat(64)).base("y".repeat(64))
        .memory(VmSpec.MAX_MEMORY_MIB).cpus(VmSpec.MAX_CPUS).sshPort(65535).build();
    VmConfig.write(config(), spec, Optional.of("z".repeat(64)));

    VmConfig.Contents contents = VmConfig.read(config(), "x".repeat(64));

    assertThat(contents.spec()).isEqualTo(spec);
    assertThat(contents.resumeSnapshot()).hasValue("z".repeat(64));
  }

  @Test
  void writeLeavesNoTemporaryFile() throws IOException {
    VmConfig.write(config(), full(), Optional.of("one"));
    VmConfig.write(config(), full().toBuilder().memory(512).build(), Optional.empty());

    assertThat(VmConfig.read(config(), "web").spec().memoryMiB()).isEqualTo(512);
    try (Stream<Path> files = Files.list(folder)) {
      assertThat(files).containsExactly(config());
    }
  }

  @Test
  void writeRejectsInvalidResumeSnapshot() throws IOException {
    VmConfig.write(config(), full(), Optional.empty());
    String before = Files.readString(config());

    assertThatThrownBy(() -> VmConfig.write(config(), full(), Optional.of("a\"b")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(Files.readString(config())).isEqualTo(before);
  }

  @Test
  void handWrittenFileWithOnlyBaseUsesDefaults() throws IOException {
    write("base = \"debian\"\n");

    VmConfig.Contents contents = VmConfig.read(config(), "web");

    VmSpec spec = contents.spec();
    assertThat(spec.name()).isEqualTo("web");
    assertThat(spec.base()).isEqualTo("debian");
    assertThat(spec.memoryMiB()).isEqualTo(VmSpec.DEFAULT_MEMORY_MIB);
    assertThat(spec.cpus()).isEqualTo(VmSpec.DEFAULT_CPUS);
    assertThat(spec.sshPort()).isEmpty();
    assertThat(spec.display()).isEqualTo(Display.NONE);
    assertThat(spec.accelerator()).isEqualTo(Accelerator.AUTO);
    assertThat(spec.architecture()).isEqualTo(Architecture.host());
    assertThat(contents.resumeSnapshot()).isEmpty();
  }

  @Test
  void handEditedFileIsRead() throws IOException {
    write("""
        # edited by hand
        cpus = 1   # one is enough
        display = "GTK"
        ssh_port = 0
        unknown_key = "ignored"
        base = 'ubuntu'
        """);

    VmSpec spec = VmConfig.read(config(), "web").spec();

    assertThat(spec.base()).isEqualTo("ubuntu");
    assertThat(spec.cpus()).isEqualTo(1);
    assertThat(spec.display()).isEqualTo(Display.GTK);
    assertThat(spec.sshPort()).isEmpty();
    assertThat(spec.memoryMiB()).isEqualTo(VmSpec.DEFAULT_MEMORY_MIB);
  }

  @Test
  void missingFileRaisesNoSuchFile() {
    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void missingBaseNamesFileAndKey() throws IOException {
    write("memory = 4096\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("missing key 'base'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"base = ", "base = \"debian", "base = debian", "[base", "= 1",
      "base = \"a\"\nbase = \"b\"", "memory = 0x", "\"\"\"", "base = \"debian\" memory = 1"})
  void invalidTomlNamesFile(String text) throws IOException {
    write(text);

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory = \"4096\"", "memory = 1.5", "memory = 1e4", "cpus = true",
      "ssh_port = [22]", "memory = 99999999999", "cpus = -99999999999",
      "memory = 1979-05-27", "display = 1", "accel = false", "arch = { x = 1 }",
      "resume_snapshot = 7"})
  void wrongTypeNamesFileAndKey(String line) throws IOException {
    write("base = \"debian\"\n" + line + "\n");
    String key = line.substring(0, line.indexOf(' '));

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining(key);
  }

  @Test
  void baseOfWrongTypeRaisesIllegalState() throws IOException {
    write("base = 5\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("'base'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"display = \"vnc\"", "accel = \"xen\"", "arch = \"riscv64\"",
      "display = \"\"", "accel = \" kvm\""})
  void badEnumValueIsRejected(String line) throws IOException {
    write("base = \"debian\"\n" + line + "\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("invalid");
  }

  @ParameterizedTest
  @ValueSource(strings = {"memory = 100", "memory = 2000000", "cpus = 0", "cpus = 256",
      "ssh_port = 70000", "ssh_port = -1"})
  void outOfRangeValueIsRejected(String line) throws IOException {
    write("base = \"debian\"\n" + line + "\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"base = \"../etc\"", "base = \"\"", "base = \"a,b\""})
  void invalidBaseNameRaisesIllegalState(String line) throws IOException {
    write(line + "\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("base image name");
  }

  @ParameterizedTest
  @ValueSource(strings = {"resume_snapshot = \"123\"", "resume_snapshot = \"a b\"",
      "resume_snapshot = \"\"", "resume_snapshot = \"x,if=none\"",
      "resume_snapshot = \"a\\\"b\""})
  void invalidResumeSnapshotRaisesIllegalState(String line) throws IOException {
    write("base = \"debian\"\n" + line + "\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("snapshot tag");
  }

  @Test
  void invalidVmNameRaisesIllegalState() throws IOException {
    write("base = \"debian\"\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "bad name"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("VM name");
  }

  @Test
  void invalidUtf8IsRejected() throws IOException {
    Files.write(config(), new byte[] {'b', 'a', 's', 'e', ' ', '=', ' ', '"', (byte) 0xff, '"'});

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString())
        .hasMessageContaining("UTF-8");
  }

  @Test
  void deeplyNestedArrayRaisesIllegalState() throws IOException {
    write("base = \"debian\"\nx = " + "[".repeat(100_000) + "\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString());
  }

  @Test
  void deeplyNestedInlineTableRaisesIllegalState() throws IOException {
    write("base = \"debian\"\nx = " + "{a = ".repeat(100_000) + "\n");

    assertThatThrownBy(() -> VmConfig.read(config(), "web"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(config().toString());
  }

  @Test
  void fuzzedFilesRaiseOnlyExpectedErrors() {
    assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
      Random random = new Random(0x5eed_70a1L);
      byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
      int parsed = 0;
      int rejected = 0;
      for (int i = 0; i < 2000; i++) {
        byte[] input = switch (i % 3) {
          case 0 -> randomBytes(random);
          case 1 -> mutate(valid, random);
          default -> Arrays.copyOf(valid, random.nextInt(valid.length + 1));
        };
        Files.write(config(), input);
        try {
          VmConfig.Contents contents = VmConfig.read(config(), "web");
          assertThat(contents.spec().base()).isNotEmpty();
          parsed++;
        } catch (IllegalStateException | IOException e) {
          rejected++;
        } catch (Throwable e) {
          fail("case " + i + " raised " + e + " for input "
              + HexFormat.of().formatHex(input), e);
        }
      }
      // Both outcomes must occur, or the inputs are too tame or too broken to test anything.
      assertThat(parsed).isGreaterThan(50);
      assertThat(rejected).isGreaterThan(500);
    });
  }

  private static byte[] randomBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(300)];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] mutate(byte[] valid, Random random) {
    byte[] special = "\"'[]{}=.,#\\\n\r\t 0123456789-+e_".getBytes(StandardCharsets.UTF_8);
    byte[] bytes = valid.clone();
    int edits = 1 + random.nextInt(4);
    for (int edit = 0; edit < edits; edit++) {
      int at = random.nextInt(bytes.length);
      switch (random.nextInt(4)) {
        case 0 -> bytes[at] = special[random.nextInt(special.length)];
        case 1 -> bytes[at] = (byte) random.nextInt(256);
        case 2 -> {
          byte[] longer = new byte[bytes.length + 1];
          System.arraycopy(bytes, 0, longer, 0, at);
          longer[at] = special[random.nextInt(special.length)];
          System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
          bytes = longer;
        }
        default -> {
          byte[] shorter = new byte[bytes.length - 1];
          System.arraycopy(bytes, 0, shorter, 0, at);
          System.arraycopy(bytes, at + 1, shorter, at, bytes.length - at - 1);
          bytes = shorter;
        }
      }
    }
    return bytes;
  }
}
