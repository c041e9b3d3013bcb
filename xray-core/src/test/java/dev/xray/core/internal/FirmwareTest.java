package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FirmwareTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DEBIAN_DESCRIPTORS = Path.of("/usr/share/qemu/firmware");

  @TempDir
  Path root;

  private Path share;
  private Path etc;
  private final List<String> tried = new ArrayList<>();

  @BeforeEach
  void createFolders() throws IOException {
    share = Files.createDirectories(root.resolve("share/qemu/firmware"));
    etc = Files.createDirectories(root.resolve("etc/qemu/firmware"));
  }

  /** Creates firmware files named after {@code label} and returns the code file. */
  private Path firmwareFiles(String label) throws IOException {
    Path code = Files.writeString(root.resolve(label + "-code.fd"), "code");
    Files.writeString(root.resolve(label + "-vars.fd"), "vars");
    return code;
  }

  private Path vars(String label) {
    return root.resolve(label + "-vars.fd");
  }

  /** Writes a descriptor of usable x86_64 firmware for the files of {@code label}. */
  private Path descriptor(Path folder, String fileName, String label, Consumer<ObjectNode> edit)
      throws IOException {
    Path code = firmwareFiles(label);
    ObjectNode json = JSON.createObjectNode();
    json.put("description", "test firmware " + label);
    json.putArray("interface-types").add("uefi");
    ObjectNode mapping = json.putObject("mapping");
    mapping.put("device", "flash");
    mapping.putObject("executable").put("filename", code.toString()).put("format", "raw");
    mapping.putObject("nvram-template").put("filename", vars(label).toString())
        .put("format", "raw");
    ObjectNode target = json.putArray("targets").addObject();
    target.put("architecture", "x86_64");
    target.putArray("machines").add("pc-i440fx-*").add("pc-q35-*");
    json.putArray("features").add("acpi-s3").add("verbose-dynamic");
    edit.accept(json);
    Path file = folder.resolve(fileName);
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
    return file;
  }

  private Path descriptor(Path folder, String fileName, String label) throws IOException {
    return descriptor(folder, fileName, label, json -> {});
  }

  private Optional<Firmware.FirmwareFiles> find(Architecture architecture, Path... folders) {
    return Firmware.fromDescriptors(architecture, List.of(folders), tried);
  }

  private static ObjectNode mapping(ObjectNode json) {
    return (ObjectNode) json.get("mapping");
  }

  private static void target(ObjectNode json, String architecture, String... machines) {
    ObjectNode target = json.putArray("targets").addObject();
    target.put("architecture", architecture);
    ArrayNode globs = target.putArray("machines");
    for (String machine : machines) {
      globs.add(machine);
    }
  }

  @Test
  void matchingDescriptorGivesItsFiles() throws IOException {
    Path descriptor = descriptor(share, "60-edk2.json", "plain");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("plain-code.fd"));
    assertThat(files.codeFormat()).isEqualTo("raw");
    assertThat(files.varsTemplate()).isEqualTo(vars("plain"));
    assertThat(files.varsFormat()).isEqualTo("raw");
    assertThat(files.source()).contains(descriptor.toString());
  }

  @Test
  void lowestFileNameWins() throws IOException {
    descriptor(share, "70-late.json", "late");
    descriptor(share, "30-early.json", "early");
    descriptor(share, "50-middle.json", "middle");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("early-code.fd"));
  }

  @Test
  void fileNamesSortAcrossFolders() throws IOException {
    descriptor(share, "50-share.json", "share");
    descriptor(etc, "40-etc.json", "etc");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share, etc).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("etc-code.fd"));
  }

  @Test
  void laterFolderReplacesSameNamedFile() throws IOException {
    descriptor(share, "50-edk2.json", "distro");
    Path override = descriptor(etc, "50-edk2.json", "admin");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share, etc).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("admin-code.fd"));
    assertThat(files.source()).contains(override.toString());
  }

  @Test
  void earlierFolderDoesNotReplaceLaterFile() throws IOException {
    descriptor(share, "50-edk2.json", "distro");
    descriptor(etc, "50-edk2.json", "admin");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, etc, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("distro-code.fd"));
  }

  @Test
  void emptyFileMasksSameNamedDescriptor() throws IOException {
    descriptor(share, "50-edk2.json", "distro");
    descriptor(share, "60-fallback.json", "fallback");
    Path mask = Files.createFile(etc.resolve("50-edk2.json"));

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share, etc).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("fallback-code.fd"));
    assertThat(tried).anySatisfy(line -> assertThat(line)
        .startsWith(mask.toString())
        .contains("empty (masks a descriptor of the same name)"));
  }

  @Test
  void emptyFileAloneFindsNothing() throws IOException {
    descriptor(share, "50-edk2.json", "distro");
    Files.createFile(etc.resolve("50-edk2.json"));

    assertThat(find(Architecture.X86_64, share, etc)).isEmpty();
    assertThat(tried).hasSize(1);
  }

  @Test
  void descriptorForOtherArchitectureIsSkipped() throws IOException {
    Path arm = descriptor(share, "50-arm.json", "arm", json -> target(json, "aarch64", "virt-*"));
    descriptor(share, "60-x86.json", "x86");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("x86-code.fd"));
    assertThat(tried).containsExactly(arm + ": no target for x86_64 q35");
  }

  @Test
  void aarch64DescriptorMatchesVirtMachine() throws IOException {
    descriptor(share, "60-x86.json", "x86");
    descriptor(share, "70-arm.json", "arm", json -> target(json, "aarch64", "virt-*"));

    Firmware.FirmwareFiles files = find(Architecture.AARCH64, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("arm-code.fd"));
    assertThat(tried).singleElement().asString().contains("no target for aarch64 virt");
  }

  @Test
  void descriptorWithoutQ35MachineIsSkipped() throws IOException {
    Path i440fx = descriptor(share, "50-pc.json", "pc",
        json -> target(json, "x86_64", "pc-i440fx-*"));

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).containsExactly(i440fx + ": no target for x86_64 q35");
  }

  @Test
  void unversionedMachineAliasMatches() throws IOException {
    descriptor(share, "50-q35.json", "q35", json -> target(json, "x86_64", "q35"));

    assertThat(find(Architecture.X86_64, share)).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"secure-boot", "requires-smm", "enrolled-keys"})
  void descriptorNeedingUnwantedFeatureIsSkipped(String feature) throws IOException {
    Path secure = descriptor(share, "40-secure.json", "secure",
        json -> ((ArrayNode) json.get("features")).add(feature));
    descriptor(share, "60-plain.json", "plain");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("plain-code.fd"));
    assertThat(tried).containsExactly(secure + ": needs " + feature);
  }

  @ParameterizedTest
  @ValueSource(strings = {"amd-sev", "amd-sev-es", "amd-sev-snp", "intel-tdx", "acpi-s4",
      "verbose-static"})
  void descriptorSupportingOptionalFeatureMatches(String feature) throws IOException {
    descriptor(share, "60-plain.json", "plain",
        json -> ((ArrayNode) json.get("features")).add(feature));

    Optional<Firmware.FirmwareFiles> files = find(Architecture.X86_64, share);

    assertThat(files).as("tried: %s", tried).isPresent();
  }

  @Test
  void descriptorWithMissingFilesIsSkipped() throws IOException {
    Path missingFiles = descriptor(share, "50-gone.json", "gone");
    Files.delete(root.resolve("gone-code.fd"));
    descriptor(share, "60-plain.json", "plain");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("plain-code.fd"));
    assertThat(tried).singleElement().asString()
        .startsWith(missingFiles + ": names missing files")
        .contains(root.resolve("gone-code.fd").toString());
  }

  @Test
  void descriptorWithMissingVarsTemplateIsSkipped() throws IOException {
    descriptor(share, "50-novars.json", "novars");
    Files.delete(vars("novars"));

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).singleElement().asString().contains("names missing files");
  }

  @Test
  void descriptorWithoutFileNamesIsSkipped() throws IOException {
    descriptor(share, "50-nameless.json", "nameless", json -> {
      ((ObjectNode) mapping(json).get("executable")).remove("filename");
      ((ObjectNode) mapping(json).get("nvram-template")).remove("filename");
    });

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).singleElement().asString().contains("50-nameless.json");
  }

  @Test
  void descriptorNamingFoldersIsSkipped() throws IOException {
    descriptor(share, "50-folders.json", "folders", json -> {
      ((ObjectNode) mapping(json).get("executable")).put("filename", root.toString());
      ((ObjectNode) mapping(json).get("nvram-template")).put("filename", root.toString());
    });

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).singleElement().asString().contains("50-folders.json");
  }

  @Test
  void descriptorWithNulInFileNameIsSkipped() throws IOException {
    descriptor(share, "50-nul.json", "nul",
        json -> ((ObjectNode) mapping(json).get("executable")).put("filename", "/a\u0000b"));

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).singleElement().asString().contains("50-nul.json: invalid file name");
  }

  @Test
  void combinedFlashModeIsSkipped() throws IOException {
    Path combined = descriptor(share, "50-combined.json", "combined", json -> {
      mapping(json).put("mode", "combined");
      mapping(json).remove("nvram-template");
    });

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).containsExactly(combined + ": flash mode combined (xray needs split)");
  }

  @Test
  void statelessFlashModeIsSkipped() throws IOException {
    descriptor(share, "50-stateless.json", "stateless",
        json -> mapping(json).put("mode", "stateless"));

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).singleElement().asString().contains("flash mode stateless");
  }

  @Test
  void explicitSplitModeMatches() throws IOException {
    descriptor(share, "50-split.json", "split", json -> mapping(json).put("mode", "split"));

    assertThat(find(Architecture.X86_64, share)).isPresent();
  }

  @Test
  void splitDescriptorWithoutTemplateIsSkipped() throws IOException {
    Path noTemplate = descriptor(share, "50-notemplate.json", "notemplate",
        json -> mapping(json).remove("nvram-template"));

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).containsExactly(noTemplate + ": no variable store template");
  }

  @Test
  void biosDescriptorIsSkipped() throws IOException {
    Path bios = descriptor(share, "50-seabios.json", "seabios", json -> {
      json.putArray("interface-types").add("bios");
      mapping(json).put("device", "memory");
    });

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).containsExactly(bios + ": not UEFI");
  }

  @Test
  void memoryDeviceIsSkipped() throws IOException {
    Path memory = descriptor(share, "50-memory.json", "memory",
        json -> mapping(json).put("device", "memory"));

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).containsExactly(memory + ": not a flash device");
  }

  @Test
  void unreadableJsonIsSkipped() throws IOException {
    Path broken = Files.writeString(share.resolve("50-broken.json"), "{ \"interface-types\": [");
    descriptor(share, "60-plain.json", "plain");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.code()).isEqualTo(root.resolve("plain-code.fd"));
    assertThat(tried).singleElement().asString().startsWith(broken + ": unreadable: ");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[]", "null", "42", "\"uefi\"", "{}", "   ",
      "{\"interface-types\": \"uefi\", \"mapping\": []}",
      "{\"interface-types\": [\"uefi\"], \"mapping\": {\"device\": \"flash\", "
          + "\"nvram-template\": {}}, \"features\": 3, \"targets\": {\"a\": 1}}"})
  void oddJsonIsSkippedWithReason(String text) throws IOException {
    Path odd = Files.writeString(share.resolve("50-odd.json"), text);

    assertThat(find(Architecture.X86_64, share)).isEmpty();
    assertThat(tried).singleElement().asString().startsWith(odd + ": ");
  }

  @Test
  void otherFilesInFolderAreIgnored() throws IOException {
    Files.writeString(share.resolve("README"), "not a descriptor");
    Files.writeString(share.resolve("50-edk2.json.bak"), "{");
    descriptor(share, "60-plain.json", "plain");

    assertThat(find(Architecture.X86_64, share)).isPresent();
    assertThat(tried).isEmpty();
  }

  @Test
  void missingFolderIsListed() {
    Path missing = root.resolve("nowhere");

    assertThat(find(Architecture.X86_64, missing)).isEmpty();
    assertThat(tried).containsExactly(missing + ": no such folder");
  }

  @Test
  void everyRejectionIsExplained() throws IOException {
    descriptor(share, "10-arm.json", "arm", json -> target(json, "aarch64", "virt-*"));
    descriptor(share, "20-secure.json", "secure",
        json -> ((ArrayNode) json.get("features")).add("secure-boot"));
    descriptor(share, "30-gone.json", "gone");
    Files.delete(root.resolve("gone-code.fd"));
    descriptor(share, "40-combined.json", "combined", json -> mapping(json).put("mode",
        "combined"));
    Files.writeString(share.resolve("50-broken.json"), "not json");
    descriptor(share, "60-masked.json", "masked");
    Files.createFile(etc.resolve("60-masked.json"));

    assertThat(find(Architecture.X86_64, share, etc, root.resolve("nowhere"))).isEmpty();

    assertThat(tried).hasSize(7);
    assertThat(tried.get(0)).isEqualTo(root.resolve("nowhere") + ": no such folder");
    assertThat(tried.get(1)).contains("10-arm.json").contains("no target for x86_64");
    assertThat(tried.get(2)).contains("20-secure.json").contains("needs secure-boot");
    assertThat(tried.get(3)).contains("30-gone.json").contains("names missing files");
    assertThat(tried.get(4)).contains("40-combined.json").contains("flash mode combined");
    assertThat(tried.get(5)).contains("50-broken.json").contains("unreadable");
    assertThat(tried.get(6)).contains("60-masked.json").contains("empty");
  }

  @Test
  void qcow2FormatIsPassedOn() throws IOException {
    descriptor(share, "50-qcow2.json", "qcow2", json -> {
      ((ObjectNode) mapping(json).get("executable")).put("format", "qcow2");
      ((ObjectNode) mapping(json).get("nvram-template")).put("format", "qcow2");
    });

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.codeFormat()).isEqualTo("qcow2");
    assertThat(files.varsFormat()).isEqualTo("qcow2");
  }

  @Test
  void missingFormatMeansRaw() throws IOException {
    descriptor(share, "50-noformat.json", "noformat", json -> {
      ((ObjectNode) mapping(json).get("executable")).remove("format");
      ((ObjectNode) mapping(json).get("nvram-template")).remove("format");
    });

    Firmware.FirmwareFiles files = find(Architecture.X86_64, share).orElseThrow();

    assertThat(files.codeFormat()).isEqualTo("raw");
    assertThat(files.varsFormat()).isEqualTo("raw");
  }

  @Test
  void debianDescriptorWithoutSecureBootWins() {
    Assumptions.assumeTrue(Files.isRegularFile(DEBIAN_DESCRIPTORS.resolve("60-edk2-x86_64.json")),
        "Debian's ovmf package is not installed");

    Firmware.FirmwareFiles files = find(Architecture.X86_64, DEBIAN_DESCRIPTORS).orElseThrow(
        () -> new AssertionError("no match; tried: " + tried));

    assertThat(files.code()).isEqualTo(Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd"));
    assertThat(files.varsTemplate()).isEqualTo(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"));
    assertThat(files.codeFormat()).isEqualTo("raw");
    assertThat(files.source()).endsWith("60-edk2-x86_64.json");
    assertThat(tried).anySatisfy(line -> assertThat(line)
        .contains("40-edk2-x86_64-secure-enrolled.json").contains("needs"));
    assertThat(tried).anySatisfy(line -> assertThat(line)
        .contains("50-edk2-x86_64-secure.json").contains("needs"));
  }

  @Test
  void missingAarch64FirmwareListsEveryPath() {
    Path qemu = Path.of("/usr/bin/qemu-system-aarch64");
    for (String path : List.of("/usr/share/AAVMF", "/usr/share/edk2/aarch64",
        "/opt/homebrew/share/qemu/edk2-aarch64-code.fd",
        "/usr/local/share/qemu/edk2-aarch64-code.fd")) {
      Assumptions.assumeFalse(Files.exists(Path.of(path)), path + " exists on this host");
    }
    List<String> descriptorsTried = new ArrayList<>();
    Assumptions.assumeTrue(Firmware.fromDescriptors(Architecture.AARCH64,
        Firmware.descriptorFolders(qemu), descriptorsTried).isEmpty(),
        "this host has an aarch64 firmware descriptor");

    assertThatThrownBy(() -> Firmware.find(Architecture.AARCH64, qemu))
        .isInstanceOf(HostException.class)
        .hasMessageContaining("no UEFI firmware for aarch64")
        .hasMessageContaining("qemu-efi-aarch64")
        .hasMessageContaining("/usr/share/AAVMF/AAVMF_CODE.fd + /usr/share/AAVMF/AAVMF_VARS.fd")
        .hasMessageContaining("/opt/homebrew/share/qemu/edk2-aarch64-code.fd")
        .hasMessageContaining("/usr/local/share/qemu/edk2-aarch64-code.fd")
        .hasMessageContaining("/usr/share/edk2/aarch64/QEMU_EFI-pflash.raw")
        .hasMessageContaining("/usr/share/edk2/aarch64/QEMU_CODE.fd")
        .hasMessageContaining("/usr/share/qemu/firmware")
        .hasMessageContaining("/etc/qemu/firmware")
        .satisfies(e -> {
          for (String line : descriptorsTried) {
            assertThat(e.getMessage()).contains(line);
          }
        });
  }

  @Test
  void descriptorFoldersStartAtProgramPrefix() {
    List<Path> folders =
        Firmware.descriptorFolders(Path.of("/opt/homebrew/bin/qemu-system-aarch64"));

    assertThat(folders).hasSize(4);
    assertThat(folders.get(0)).isEqualTo(Path.of("/opt/homebrew/share/qemu/firmware"));
    assertThat(folders.get(1)).isEqualTo(Path.of("/usr/share/qemu/firmware"));
    assertThat(folders.get(2)).isEqualTo(Path.of("/etc/qemu/firmware"));
    assertThat(folders.get(3)).endsWithRaw(Path.of("qemu/firmware"));
  }

  @Test
  void descriptorFoldersHaveNoDuplicates() {
    List<Path> folders = Firmware.descriptorFolders(Path.of("/usr/bin/qemu-system-x86_64"));

    assertThat(folders).doesNotHaveDuplicates();
    assertThat(folders.get(0)).isEqualTo(Path.of("/usr/share/qemu/firmware"));
    assertThat(folders.get(1)).isEqualTo(Path.of("/etc/qemu/firmware"));
  }

  @Test
  void descriptorFoldersOfProgramInRootFolder() {
    List<Path> folders = Firmware.descriptorFolders(Path.of("/qemu-system-x86_64"));

    assertThat(folders).contains(Path.of("/usr/share/qemu/firmware"));
    assertThat(folders).contains(Path.of("/etc/qemu/firmware"));
  }
}
