package dev.xray.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds UEFI firmware: a read-only code image and the template of its variable store.
 *
 * <p>First it reads QEMU's firmware descriptors (the JSON format of QEMU's
 * {@code docs/interop/firmware.json}) from {@code PREFIX/share/qemu/firmware},
 * {@code /etc/qemu/firmware} and {@code $XDG_CONFIG_HOME/qemu/firmware}. A file in a later folder
 * replaces a file of the same name in an earlier one, and the files are then tried in name order.
 * A descriptor matches when it is {@code uefi}, split flash, for the guest architecture and
 * machine type, and needs neither secure boot nor SMM. When none matches, the known paths of
 * Homebrew, Debian and Ubuntu, Fedora and Arch are tried.
 */
public final class Firmware {
  private static final Logger log = LoggerFactory.getLogger(Firmware.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  // Features that need machine settings xray does not make. Others, such as amd-sev and
  // intel-tdx, only state what the firmware supports (firmware.json), so they do not disqualify.
  private static final Set<String> UNWANTED_FEATURES =
      Set.of("secure-boot", "enrolled-keys", "requires-smm");

  /** A code image, its variable store template, and the format of each. */
  public record FirmwareFiles(Path code, String codeFormat, Path varsTemplate, String varsFormat,
      String source) {}

  private Firmware() {}

  /** Returns the firmware for {@code architecture}, or raises a HostException listing all tried. */
  public static FirmwareFiles find(Architecture architecture, Path qemuProgram) {
    List<String> tried = new ArrayList<>();
    Optional<FirmwareFiles> fromDescriptor =
        fromDescriptors(architecture, descriptorFolders(qemuProgram), tried);
    if (fromDescriptor.isPresent()) {
      return fromDescriptor.get();
    }
    for (Path[] pair : knownPaths(architecture)) {
      if (Files.isReadable(pair[0]) && Files.isReadable(pair[1])) {
        return new FirmwareFiles(pair[0], "raw", pair[1], "raw", "known path " + pair[0]);
      }
      tried.add(pair[0] + " + " + pair[1] + ": missing");
    }
    String packages = architecture == Architecture.X86_64
        ? "ovmf (Debian, Ubuntu), edk2-ovmf (Fedora, Arch), qemu (Homebrew)"
        : "qemu-efi-aarch64 (Debian, Ubuntu), edk2-aarch64 (Fedora), edk2-armvirt (Arch),"
            + " qemu (Homebrew)";
    throw new HostException("no UEFI firmware for " + architecture.qemuName()
        + " found; install " + packages + ". Tried:\n  " + String.join("\n  ", tried));
  }

  /** Returns the descriptor folders in QEMU's documented order, lowest precedence first. */
  static List<Path> descriptorFolders(Path qemuProgram) {
    List<Path> folders = new ArrayList<>();
    Path prefix = qemuProgram.toAbsolutePath().getParent().getParent();
    if (prefix != null) {
      folders.add(prefix.resolve("share/qemu/firmware"));
    }
    folders.add(Path.of("/usr/share/qemu/firmware"));
    folders.add(Path.of("/etc/qemu/firmware"));
    String xdg = System.getenv("XDG_CONFIG_HOME");
    Path config = xdg != null && !xdg.isEmpty()
        ? Path.of(xdg) : HostPlatform.userHome().resolve(".config");
    folders.add(config.resolve("qemu/firmware"));
    return folders.stream().distinct().toList();
  }

  static Optional<FirmwareFiles> fromDescriptors(Architecture architecture, List<Path> folders,
      List<String> tried) {
    Map<String, Path> byName = new TreeMap<>();
    for (Path folder : folders) {
      if (!Files.isDirectory(folder)) {
        tried.add(folder + ": no such folder");
        continue;
      }
      try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, "*.json")) {
        files.forEach(file -> byName.put(file.getFileName().toString(), file));
      } catch (IOException e) {
        tried.add(folder + ": " + e.getMessage());
      }
    }
    for (Path descriptor : byName.values()) {
      Optional<FirmwareFiles> match = match(descriptor, architecture, tried);
      if (match.isPresent()) {
        log.debug("firmware for {} from descriptor {}", architecture.qemuName(), descriptor);
        return match;
      }
    }
    return Optional.empty();
  }

  private static Optional<FirmwareFiles> match(Path descriptor, Architecture architecture,
      List<String> tried) {
    JsonNode json;
    try {
      if (Files.size(descriptor) == 0) {
        tried.add(descriptor + ": empty (masks a descriptor of the same name)");
        return Optional.empty();
      }
      json = JSON.readTree(descriptor.toFile());
    } catch (IOException e) {
      tried.add(descriptor + ": unreadable: " + e.getMessage());
      return Optional.empty();
    }
    String reason = mismatch(json, architecture);
    if (reason != null) {
      tried.add(descriptor + ": " + reason);
      return Optional.empty();
    }
    JsonNode mapping = json.path("mapping");
    Path code;
    Path vars;
    try {
      code = Path.of(mapping.path("executable").path("filename").asText());
      vars = Path.of(mapping.path("nvram-template").path("filename").asText());
    } catch (InvalidPathException e) {
      tried.add(descriptor + ": invalid file name: " + e.getMessage());
      return Optional.empty();
    }
    if (!isReadableFile(code) || !isReadableFile(vars)) {
      tried.add(descriptor + ": names missing files " + code + ", " + vars);
      return Optional.empty();
    }
    String codeFormat = mapping.path("executable").path("format").asText("raw");
    return Optional.of(new FirmwareFiles(code, codeFormat,
        vars, mapping.path("nvram-template").path("format").asText("raw"),
        "descriptor " + descriptor));
  }

  /** Returns why a descriptor does not fit, or null when it does. */
  static String mismatch(JsonNode json, Architecture architecture) {
    if (!contains(json.path("interface-types"), "uefi")) {
      return "not UEFI";
    }
    JsonNode mapping = json.path("mapping");
    if (!"flash".equals(mapping.path("device").asText())) {
      return "not a flash device";
    }
    if (!"split".equals(mapping.path("mode").asText("split"))) {
      return "flash mode " + mapping.path("mode").asText() + " (xray needs split)";
    }
    if (!mapping.has("nvram-template")) {
      return "no variable store template";
    }
    for (JsonNode feature : json.path("features")) {
      if (UNWANTED_FEATURES.contains(feature.asText())) {
        return "needs " + feature.asText();
      }
    }
    for (JsonNode target : json.path("targets")) {
      if (architecture.qemuName().equals(target.path("architecture").asText())
          && machineMatches(target.path("machines"), architecture)) {
        return null;
      }
    }
    return "no target for " + architecture.qemuName() + " " + machineType(architecture);
  }

  private static boolean machineMatches(JsonNode globs, Architecture architecture) {
    // NOTE: descriptors list versioned machine types (pc-q35-7.2); xray runs the unversioned
    // alias, so a glob is tested against the alias's family with an arbitrary version.
    String family = architecture == Architecture.X86_64 ? "pc-q35-99.0" : "virt-99.0";
    for (JsonNode glob : globs) {
      String regex = Pattern.quote(glob.asText()).replace("*", "\\E.*\\Q");
      if (family.matches(regex) || machineType(architecture).matches(regex)) {
        return true;
      }
    }
    return false;
  }

  static String machineType(Architecture architecture) {
    return architecture == Architecture.X86_64 ? "q35" : "virt";
  }

  private static boolean isReadableFile(Path path) {
    // An absent filename reads as "", which Java resolves to the working folder.
    return path.isAbsolute() && Files.isRegularFile(path) && Files.isReadable(path);
  }

  private static boolean contains(JsonNode array, String value) {
    for (JsonNode item : array) {
      if (value.equals(item.asText())) {
        return true;
      }
    }
    return false;
  }

  private static List<Path[]> knownPaths(Architecture architecture) {
    List<Path[]> pairs = new ArrayList<>();
    if (architecture == Architecture.X86_64) {
      pairs.add(pair("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"));
      pairs.add(pair("/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"));
      pairs.add(pair("/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd"));
      pairs.add(pair("/usr/share/edk2/x64/OVMF_CODE.4m.fd", "/usr/share/edk2/x64/OVMF_VARS.4m.fd"));
      pairs.add(pair("/opt/homebrew/share/qemu/edk2-x86_64-code.fd",
          "/opt/homebrew/share/qemu/edk2-i386-vars.fd"));
      pairs.add(pair("/usr/local/share/qemu/edk2-x86_64-code.fd",
          "/usr/local/share/qemu/edk2-i386-vars.fd"));
    } else {
      pairs.add(pair("/opt/homebrew/share/qemu/edk2-aarch64-code.fd",
          "/opt/homebrew/share/qemu/edk2-arm-vars.fd"));
      pairs.add(pair("/usr/local/share/qemu/edk2-aarch64-code.fd",
          "/usr/local/share/qemu/edk2-arm-vars.fd"));
      pairs.add(pair("/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd"));
      pairs.add(pair("/usr/share/edk2/aarch64/QEMU_EFI-pflash.raw",
          "/usr/share/edk2/aarch64/vars-template-pflash.raw"));
      pairs.add(pair("/usr/share/edk2/aarch64/QEMU_CODE.fd",
          "/usr/share/edk2/aarch64/QEMU_VARS.fd"));
    }
    return pairs;
  }

  private static Path[] pair(String code, String vars) {
    return new Path[] {Path.of(code), Path.of(vars)};
  }
}
