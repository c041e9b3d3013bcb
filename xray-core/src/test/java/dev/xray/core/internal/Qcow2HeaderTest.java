package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.xray.core.testing.QemuCondition;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Qcow2HeaderTest {
  private static final int MAGIC = 0x514649fb;
  private static final long GIB = 1L << 30;

  @TempDir
  Path folder;

  /** Builds a qcow2 header of {@code length} bytes, with {@code backingName} at its offset. */
  private static byte[] header(int length, int version, long backingOffset, int backingSize,
      long size, int snapshots, String backingName) {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    buffer.putInt(0, MAGIC);
    buffer.putInt(4, version);
    buffer.putLong(8, backingOffset);
    buffer.putInt(16, backingSize);
    buffer.putInt(20, 16);
    buffer.putLong(24, size);
    buffer.putInt(60, snapshots);
    if (backingName != null) {
      buffer.put((int) backingOffset, backingName.getBytes(StandardCharsets.UTF_8));
    }
    return buffer.array();
  }

  private static byte[] plainHeader(int version, long size, int snapshots) {
    return header(version == 2 ? 72 : 104, version, 0, 0, size, snapshots, null);
  }

  private Path file(byte[] bytes) throws IOException {
    Path file = Files.createTempFile(folder, "image", ".qcow2");
    Files.write(file, bytes);
    return file;
  }

  @Test
  void readsVersion3Fields() throws IOException {
    Qcow2Header header = Qcow2Header.read(file(plainHeader(3, 20 * GIB, 7)));

    assertThat(header.version()).isEqualTo(3);
    assertThat(header.virtualSize()).isEqualTo(20 * GIB);
    assertThat(header.backingFile()).isEmpty();
    assertThat(header.snapshotCount()).isEqualTo(7);
  }

  @Test
  void readsVersion2HeaderOf72Bytes() throws IOException {
    Qcow2Header header = Qcow2Header.read(file(plainHeader(2, 1 << 20, 0)));

    assertThat(header.version()).isEqualTo(2);
    assertThat(header.virtualSize()).isEqualTo(1 << 20);
    assertThat(header.snapshotCount()).isZero();
  }

  @Test
  void readsBackingFileRightAfterHeader() throws IOException {
    String backing = "../../bases/debian.qcow2";
    byte[] bytes = header(72 + backing.length(), 2, 72, backing.length(), GIB, 0, backing);

    assertThat(Qcow2Header.read(file(bytes)).backingFile()).hasValue(backing);
  }

  @Test
  void readsBackingFileAtLaterOffset() throws IOException {
    String backing = "/srv/images/base \u00e9.qcow2";
    int length = backing.getBytes(StandardCharsets.UTF_8).length;
    byte[] bytes = header(4096, 3, 512, length, GIB, 0, backing);

    assertThat(Qcow2Header.read(file(bytes)).backingFile()).hasValue(backing);
  }

  @Test
  void readsBackingFileOfMaximumLength() throws IOException {
    String backing = "b".repeat(1023);
    byte[] bytes = header(2048, 3, 1024, 1023, GIB, 0, backing);

    assertThat(Qcow2Header.read(file(bytes)).backingFile()).hasValue(backing);
  }

  @Test
  void zeroBackingOffsetMeansNoBackingFile() throws IOException {
    byte[] bytes = header(104, 3, 0, 5, GIB, 0, null);

    assertThat(Qcow2Header.read(file(bytes)).backingFile()).isEmpty();
  }

  @Test
  void zeroBackingSizeMeansNoBackingFile() throws IOException {
    byte[] bytes = header(104, 3, 72, 0, GIB, 0, null);

    assertThat(Qcow2Header.read(file(bytes)).backingFile()).isEmpty();
  }

  @Test
  void backingFileEndingPastFileIsDamaged() throws IOException {
    byte[] bytes = header(100, 3, 80, 21, GIB, 0, null);

    assertThatThrownBy(() -> Qcow2Header.read(file(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("backing file offset");
  }

  @Test
  void backingFileEndingAtFileEndIsRead() throws IOException {
    byte[] bytes = header(100, 3, 80, 20, GIB, 0, "x".repeat(20));

    assertThat(Qcow2Header.read(file(bytes)).backingFile()).hasValue("x".repeat(20));
  }

  @ParameterizedTest
  @ValueSource(longs = {8, 71, -1, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40})
  void backingOffsetOutsideFileIsDamaged(long offset) throws IOException {
    byte[] bytes = header(4096, 3, 0, 10, GIB, 0, null);
    ByteBuffer.wrap(bytes).putLong(8, offset);

    assertThatThrownBy(() -> Qcow2Header.read(file(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("damaged");
  }

  @ParameterizedTest
  @ValueSource(ints = {1024, Integer.MAX_VALUE, -1, Integer.MIN_VALUE})
  void backingSizeOutOfRangeIsDamaged(int backingSize) throws IOException {
    byte[] bytes = header(4096, 3, 72, backingSize, GIB, 0, null);

    assertThatThrownBy(() -> Qcow2Header.read(file(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("damaged");
  }

  @Test
  void virtualSizeAboveSignedRangeIsDamaged() throws IOException {
    byte[] bytes = plainHeader(3, -1L, 0);

    assertThatThrownBy(() -> Qcow2Header.read(file(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("damaged");
  }

  @Test
  void snapshotCountAboveSignedRangeIsDamaged() throws IOException {
    byte[] bytes = plainHeader(3, GIB, 0x8000_0000);

    assertThatThrownBy(() -> Qcow2Header.read(file(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("damaged");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 4, 99, -1})
  void unsupportedVersionIsRejected(int version) throws IOException {
    byte[] bytes = plainHeader(3, GIB, 0);
    ByteBuffer.wrap(bytes).putInt(4, version);

    assertThatThrownBy(() -> Qcow2Header.read(file(bytes)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unsupported qcow2 version " + version);
  }

  @Test
  void wrongMagicIsNotQcow2() throws IOException {
    byte[] bytes = plainHeader(3, GIB, 0);
    bytes[3] = 0;
    Path file = file(bytes);

    assertThat(Qcow2Header.isQcow2(file)).isFalse();
    assertThatThrownBy(() -> Qcow2Header.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not a qcow2 image");
  }

  @Test
  void headerShorterThan72BytesIsRejected() throws IOException {
    Path file = file(Arrays.copyOf(plainHeader(2, GIB, 0), 71));

    assertThat(Qcow2Header.isQcow2(file)).isTrue();
    assertThatThrownBy(() -> Qcow2Header.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not a qcow2 image");
  }

  @Test
  void emptyFileIsNotQcow2() throws IOException {
    Path file = file(new byte[0]);

    assertThat(Qcow2Header.isQcow2(file)).isFalse();
    assertThatThrownBy(() -> Qcow2Header.read(file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not a qcow2 image");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void fileShorterThanMagicIsNotQcow2(int length) throws IOException {
    Path file = file(Arrays.copyOf(plainHeader(3, GIB, 0), length));

    assertThat(Qcow2Header.isQcow2(file)).isFalse();
  }

  @Test
  void magicAloneIsQcow2() throws IOException {
    Path file = file(Arrays.copyOf(plainHeader(3, GIB, 0), 4));

    assertThat(Qcow2Header.isQcow2(file)).isTrue();
  }

  @Test
  void rawZerosAreNotQcow2() throws IOException {
    assertThat(Qcow2Header.isQcow2(file(new byte[4096]))).isFalse();
  }

  @Test
  void missingFileRaisesNoSuchFile() {
    Path missing = folder.resolve("missing.qcow2");

    assertThatThrownBy(() -> Qcow2Header.isQcow2(missing))
        .isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> Qcow2Header.read(missing))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void folderRaisesIoException() {
    assertThatThrownBy(() -> Qcow2Header.read(folder)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> Qcow2Header.isQcow2(folder)).isInstanceOf(IOException.class);
  }

  @Test
  void qemuImgImageWithoutBackingFile() throws IOException {
    Path image = folder.resolve("base.qcow2");
    qemuImg("create", "-f", "qcow2", image.toString(), "64M");

    Qcow2Header header = Qcow2Header.read(image);

    assertThat(Qcow2Header.isQcow2(image)).isTrue();
    assertThat(header.version()).isEqualTo(3);
    assertThat(header.virtualSize()).isEqualTo(64L << 20);
    assertThat(header.backingFile()).isEmpty();
    assertThat(header.snapshotCount()).isZero();
  }

  @Test
  void qemuImgCompat010ImageIsVersion2() throws IOException {
    Path image = folder.resolve("old.qcow2");
    qemuImg("create", "-f", "qcow2", "-o", "compat=0.10", image.toString(), "1G");

    Qcow2Header header = Qcow2Header.read(image);

    assertThat(header.version()).isEqualTo(2);
    assertThat(header.virtualSize()).isEqualTo(GIB);
  }

  @Test
  void qemuImgOverlayRecordsRelativeBackingFile() throws IOException {
    Path bases = Files.createDirectories(folder.resolve("bases"));
    Path vm = Files.createDirectories(folder.resolve("vms/web"));
    qemuImg("create", "-f", "qcow2", bases.resolve("debian.qcow2").toString(), "32M");
    Path overlay = vm.resolve("disk.qcow2");
    qemuImg("create", "-f", "qcow2", "-b", "../../bases/debian.qcow2", "-F", "qcow2",
        overlay.toString());

    Qcow2Header header = Qcow2Header.read(overlay);

    assertThat(header.backingFile()).hasValue("../../bases/debian.qcow2");
    assertThat(header.virtualSize()).isEqualTo(32L << 20);
  }

  @Test
  void qemuImgOverlayRecordsAbsoluteBackingFile() throws IOException {
    Path base = folder.resolve("base,with comma.qcow2");
    qemuImg("create", "-f", "qcow2", base.toString(), "16M");
    Path overlay = folder.resolve("overlay.qcow2");
    qemuImg("create", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", overlay.toString());

    assertThat(Qcow2Header.read(overlay).backingFile()).hasValue(base.toString());
  }

  @Test
  void qemuImgSnapshotsAreCounted() throws IOException {
    Path image = folder.resolve("snap.qcow2");
    qemuImg("create", "-f", "qcow2", image.toString(), "16M");
    qemuImg("snapshot", "-c", "one", image.toString());
    qemuImg("snapshot", "-c", "two", image.toString());

    assertThat(Qcow2Header.read(image).snapshotCount()).isEqualTo(2);
  }

  @Test
  void qemuImgRawImageIsNotQcow2() throws IOException {
    Path image = folder.resolve("disk.raw");
    qemuImg("create", "-f", "raw", image.toString(), "1M");

    assertThat(Qcow2Header.isQcow2(image)).isFalse();
    assertThatThrownBy(() -> Qcow2Header.read(image)).isInstanceOf(IOException.class);
  }

  @Test
  void fuzzedHeadersRaiseOnlyIoException() {
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      Random random = new Random(0x0c0f_f2eeL);
      String backing = "../../bases/debian.qcow2";
      byte[] valid = header(512, 3, 104, backing.length(), GIB, 2, backing);
      int accepted = 0;
      int rejected = 0;
      for (int i = 0; i < 2000; i++) {
        byte[] input = switch (i % 4) {
          case 0 -> randomHeader(random, false);
          case 1 -> randomHeader(random, true);
          case 2 -> mutate(valid, random);
          default -> Arrays.copyOf(valid, random.nextInt(valid.length + 1));
        };
        Path file = folder.resolve("fuzz.qcow2");
        Files.write(file, input);
        try {
          Qcow2Header.isQcow2(file);
          Qcow2Header header = Qcow2Header.read(file);
          assertThat(header.virtualSize()).isNotNegative();
          assertThat(header.snapshotCount()).isNotNegative();
          accepted++;
        } catch (IOException e) {
          rejected++;
        } catch (Throwable e) {
          fail("case " + i + " raised " + e + " for input " + HexFormat.of().formatHex(input), e);
        }
      }
      // Both outcomes must occur, or the inputs are too tame or too broken to test anything.
      assertThat(accepted).isGreaterThan(100);
      assertThat(rejected).isGreaterThan(500);
    });
  }

  private static byte[] randomHeader(Random random, boolean withMagicAndVersion) {
    byte[] bytes = new byte[random.nextInt(300)];
    random.nextBytes(bytes);
    if (withMagicAndVersion && bytes.length >= 8) {
      ByteBuffer.wrap(bytes).putInt(0, MAGIC).putInt(4, 2 + random.nextInt(2));
    }
    return bytes;
  }

  private static byte[] mutate(byte[] valid, Random random) {
    byte[] bytes = valid.clone();
    int edits = 1 + random.nextInt(3);
    for (int edit = 0; edit < edits; edit++) {
      // Most edits hit the fields xray reads, which all sit in the first 64 bytes.
      int at = random.nextInt(4) == 0 ? random.nextInt(bytes.length) : 4 + random.nextInt(60);
      bytes[at] = random.nextBoolean() ? (byte) random.nextInt(256) : (byte) 0xff;
    }
    return bytes;
  }

  private static void qemuImg(String... args) throws IOException {
    Assumptions.assumeTrue(QemuCondition.isRequired() || onPath("qemu-img"),
        "qemu-img is not installed (apt-get install qemu-utils)");
    List<String> command = new ArrayList<>();
    command.add("qemu-img");
    command.addAll(List.of(args));
    ProcessRunner.Result result = ProcessRunner.run(command, null, Duration.ofSeconds(30));
    assertThat(result.exitCode()).as("%s: %s", command, result.stderr()).isZero();
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String folder : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(folder, program))) {
        return true;
      }
    }
    return false;
  }
}
