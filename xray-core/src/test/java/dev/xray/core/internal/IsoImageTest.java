package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.core.testing.QemuCondition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ISO writer, read back by genisoimage's {@code isoinfo}. */
class IsoImageTest {
  @TempDir
  Path temp;

  @BeforeAll
  static void requireIsoinfo() {
    QemuCondition.assumeProgram("isoinfo", "genisoimage");
  }

  private Path writeImage(Map<String, byte[]> files) throws IOException {
    Path iso = Files.createTempFile(temp, "seed", ".iso");
    Files.write(iso, IsoImage.write("cidata", files));
    return iso;
  }

  private static byte[] isoinfo(Path iso, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("isoinfo", "-i", iso.toString()));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
    byte[] stdout = process.getInputStream().readAllBytes();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("isoinfo finished").isTrue();
    assertThat(process.exitValue()).as("exit code of %s; stderr: %s", command, stderr).isZero();
    return stdout;
  }

  private static String isoinfoText(Path iso, String... args) throws Exception {
    return new String(isoinfo(iso, args), StandardCharsets.UTF_8);
  }

  private static Map<String, byte[]> seedFiles() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("meta-data", "instance-id: iid-1\nlocal-hostname: web\n"
        .getBytes(StandardCharsets.UTF_8));
    files.put("user-data", "#cloud-config\nhostname: web\n".getBytes(StandardCharsets.UTF_8));
    return files;
  }

  @Test
  void volumeIdIsCidata() throws Exception {
    String description = isoinfoText(writeImage(seedFiles()), "-d");

    assertThat(description).containsPattern("(?m)^Volume id: cidata$");
    assertThat(description).contains("Joliet with UCS level 3 found");
    assertThat(description).containsPattern("(?m)^Logical block size is: 2048$");
  }

  @Test
  void jolietListsFullNames() throws Exception {
    String listing = isoinfoText(writeImage(seedFiles()), "-J", "-l");

    assertThat(listing).containsPattern("\\smeta-data\\s");
    assertThat(listing).containsPattern("\\suser-data\\s");
  }

  @Test
  void primaryTreeHasLevelOneNames() throws Exception {
    String listing = isoinfoText(writeImage(seedFiles()), "-l");

    assertThat(listing).contains("META_DAT.;1", "USER_DAT.;1");
  }

  @Test
  void extractGivesExactBytes() throws Exception {
    Map<String, byte[]> files = seedFiles();
    Path iso = writeImage(files);

    assertThat(isoinfo(iso, "-J", "-x", "/user-data")).isEqualTo(files.get("user-data"));
    assertThat(isoinfo(iso, "-J", "-x", "/meta-data")).isEqualTo(files.get("meta-data"));
    assertThat(isoinfo(iso, "-x", "/USER_DAT.;1")).isEqualTo(files.get("user-data"));
  }

  @Test
  void emptyFileReadsBackEmpty() throws Exception {
    Map<String, byte[]> files = seedFiles();
    files.put("vendor-data", new byte[0]);
    Path iso = writeImage(files);

    assertThat(isoinfoText(iso, "-J", "-l")).containsPattern("\\svendor-data\\s");
    assertThat(isoinfo(iso, "-J", "-x", "/vendor-data")).isEmpty();
    assertThat(isoinfo(iso, "-J", "-x", "/user-data")).isEqualTo(files.get("user-data"));
  }

  @Test
  void multiSectorFileReadsBack() throws Exception {
    byte[] large = new byte[3 * IsoImage.SECTOR + 17];
    new Random(42).nextBytes(large);
    Map<String, byte[]> files = seedFiles();
    files.put("user-data", large);
    Path iso = writeImage(files);

    assertThat(isoinfo(iso, "-J", "-x", "/user-data")).isEqualTo(large);
    assertThat(isoinfo(iso, "-J", "-x", "/meta-data")).isEqualTo(files.get("meta-data"));
  }

  @Test
  void nonAsciiUserDataReadsBack() throws Exception {
    Map<String, byte[]> files = seedFiles();
    byte[] text = "#cloud-config\n# Grüße, 日本語, emoji 🚀\nhostname: web\n"
        .getBytes(StandardCharsets.UTF_8);
    files.put("user-data", text);
    Path iso = writeImage(files);

    assertThat(isoinfo(iso, "-J", "-x", "/user-data")).isEqualTo(text);
  }

  @Test
  void manyFilesSpillIntoSecondFolderSector() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 0; i < 40; i++) {
      files.put(String.format("file-with-a-long-name-%02d", i),
          ("content " + i).getBytes(StandardCharsets.UTF_8));
    }
    Path iso = writeImage(files);

    String listing = isoinfoText(iso, "-J", "-l");
    for (String name : files.keySet()) {
      assertThat(listing).as("Joliet listing").contains(name);
    }
    assertThat(isoinfo(iso, "-J", "-x", "/file-with-a-long-name-39"))
        .isEqualTo("content 39".getBytes(StandardCharsets.UTF_8));
    assertThat(isoinfoText(iso, "-l").lines().filter(line -> line.contains(";1")).count())
        .as("files in the primary tree").isEqualTo(40);
  }

  @Test
  void sameFilesGiveSameBytes() {
    assertThat(IsoImage.write("cidata", seedFiles()))
        .isEqualTo(IsoImage.write("cidata", seedFiles()));
  }

  @Test
  void imageIsWholeSectors() {
    assertThat(IsoImage.write("cidata", seedFiles()).length % IsoImage.SECTOR).isZero();
  }

  @Test
  void levelOneNamesUseDCharacters() {
    assertThat(IsoImage.levelOneName("meta-data")).isEqualTo("META_DAT.;1");
    assertThat(IsoImage.levelOneName("network-config.yaml")).isEqualTo("NETWORK_.YAM;1");
    assertThat(IsoImage.levelOneName("a")).isEqualTo("A.;1");
  }

  @Test
  void invalidNamesAreRejected() {
    for (String name : List.of("", "a/b", "semi;colon", "x".repeat(65), "tab\there")) {
      assertThatThrownBy(() -> IsoImage.write("cidata", Map.of(name, new byte[1])))
          .as("name %s", name)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid seed file name");
    }
  }

  @Test
  void invalidVolumeIdIsRejected() {
    assertThatThrownBy(() -> IsoImage.write("ci data", seedFiles()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ci data'");
  }
}
