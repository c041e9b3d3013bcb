package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Names;
import dev.xray.api.XrayException;
import dev.xray.core.internal.HomeLayout;
import dev.xray.core.internal.QemuImg;
import dev.xray.core.internal.VmConfig;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Checks that a home folder is consistent, reading its files without changing them: every
 * visible VM folder is complete (a vm.toml that parses, an overlay whose backing base exists, a
 * UEFI variable store with every snapshot tag of the overlay), every visible base is a whole
 * qcow2 image, and the folders have mode 0700. Hidden files of interrupted operations
 * ({@code .creating-*}, {@code .removing-*}, {@code *.partial}, {@code *.tmp}) are never listed
 * as VMs or bases, so they count as leftovers, not problems.
 */
final class ReliabilityHome {
  private static final String PRIVATE = "rwx------";
  private static final QemuImg QEMU_IMG = new QemuImg(onPath("qemu-img"));

  /** What an inspection found. */
  record Report(List<String> problems, List<String> leftovers) {}

  private final Path home;
  private final List<String> problems = new ArrayList<>();
  private final List<String> leftovers = new ArrayList<>();

  private ReliabilityHome(Path home) {
    this.home = home;
  }

  /** Inspects {@code home} and returns its problems and leftovers. */
  static Report inspect(Path home) throws IOException {
    ReliabilityHome inspection = new ReliabilityHome(home);
    inspection.inspectFolders();
    return new Report(List.copyOf(inspection.problems), List.copyOf(inspection.leftovers));
  }

  /**
   * Fails when {@code home} has a problem; {@code baseChecksums} maps base names to the SHA-256
   * each must still have. Returns the leftovers.
   */
  static List<String> assertConsistent(Path home, String context,
      Map<String, String> baseChecksums) throws IOException {
    Report report = inspect(home);
    assertThat(report.problems()).as("problems of home %s after %s", home, context).isEmpty();
    for (Map.Entry<String, String> base : baseChecksums.entrySet()) {
      Path file = home.resolve("bases").resolve(base.getKey() + ".qcow2");
      assertThat(file).as("base %s after %s", base.getKey(), context).exists();
      assertThat(dev.xray.core.testing.Sha256.of(file))
          .as("SHA-256 of base %s after %s", base.getKey(), context).isEqualTo(base.getValue());
    }
    return report.leftovers();
  }

  private void inspectFolders() throws IOException {
    for (Path folder : List.of(home, home.resolve("bases"), home.resolve("vms"))) {
      if (!Files.isDirectory(folder)) {
        problems.add(folder + " is missing");
        return;
      }
      checkPrivate(folder);
    }
    inspectBases();
    inspectVms();
  }

  private void checkPrivate(Path folder) throws IOException {
    String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(folder,
        LinkOption.NOFOLLOW_LINKS));
    if (!mode.equals(PRIVATE)) {
      problems.add(folder + " has mode " + mode + ", expected " + PRIVATE);
    }
  }

  private void inspectBases() throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(home.resolve("bases"))) {
      for (Path entry : entries) {
        String fileName = entry.getFileName().toString();
        if (fileName.startsWith(".")) {
          leftovers.add(home.relativize(entry).toString());
          continue;
        }
        String name = fileName.endsWith(".qcow2")
            ? fileName.substring(0, fileName.length() - ".qcow2".length()) : "";
        if (!Names.isValid(name)) {
          problems.add("bases/" + fileName + " is not a base image file");
          continue;
        }
        checkWholeImage(entry, "base " + name);
      }
    }
  }

  private void checkWholeImage(Path image, String what) {
    try {
      QemuImg.CheckResult check = QEMU_IMG.check(image);
      if (!check.consistent()) {
        problems.add(what + " (" + image + ") fails qemu-img check: " + check.summary());
      }
    } catch (XrayException e) {
      problems.add(what + " (" + image + ") cannot be checked: " + e.getMessage());
    }
  }

  private void inspectVms() throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(home.resolve("vms"))) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.startsWith(".creating-") || name.startsWith(".removing-")) {
          leftovers.add(home.relativize(entry).toString());
        } else if (!Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          problems.add("vms/" + name + " is not a VM folder");
        } else if (!Names.isValid(name)) {
          problems.add("vms/" + name + " has an invalid VM name");
        } else {
          inspectVm(name, entry);
        }
      }
    }
  }

  private void inspectVm(String name, Path folder) throws IOException {
    checkPrivate(folder);
    HomeLayout.VmFiles files = new HomeLayout.VmFiles(folder);
    try (DirectoryStream<Path> temporary = Files.newDirectoryStream(folder, ".*")) {
      for (Path file : temporary) {
        leftovers.add(home.relativize(file).toString());
      }
    }
    if (!Files.isRegularFile(files.config())) {
      problems.add("VM " + name + " has no vm.toml: " + listing(folder));
      return;
    }
    VmConfig.Contents config;
    try {
      config = VmConfig.read(files.config(), name);
    } catch (IllegalStateException e) {
      problems.add("VM " + name + " has an invalid vm.toml: " + e.getMessage());
      return;
    }
    for (Path image : List.of(files.disk(), files.vars())) {
      if (!Files.isRegularFile(image)) {
        problems.add("VM " + name + " has a vm.toml but no " + image.getFileName() + ": "
            + listing(folder));
        return;
      }
    }
    boolean running = isRunning(files);
    if (config.template().isEmpty()) {
      checkBacking(name, files, config);
    }
    if (!running) {
      checkWholeImage(files.disk(), "overlay of VM " + name);
      checkWholeImage(files.vars(), "variable store of VM " + name);
    }
    Set<String> diskTags = tags(files.disk(), running);
    Set<String> varsTags = tags(files.vars(), running);
    // The overlay's table is the list of record: a tag there must be in the variable store too,
    // while a tag in the variable store only is invisible and replaced by the next create.
    if (!varsTags.containsAll(diskTags)) {
      problems.add("VM " + name + " has half snapshots: the overlay has " + diskTags
          + ", the variable store " + varsTags);
    }
    varsTags.stream().filter(tag -> !diskTags.contains(tag)).forEach(tag ->
        leftovers.add("snapshot " + tag + " in the variable store of VM " + name + " only"));
    config.resumeSnapshot().filter(tag -> !diskTags.contains(tag)).ifPresent(tag ->
        problems.add("VM " + name + " resumes snapshot " + tag + ", which its overlay lacks"));
  }

  private void checkBacking(String name, HomeLayout.VmFiles files, VmConfig.Contents config) {
    try {
      Optional<String> backing = dev.xray.core.internal.Qcow2Header.read(files.disk())
          .backingFile();
      String expected = HomeLayout.backingPath(config.spec().base());
      if (!backing.equals(Optional.of(expected))) {
        problems.add("VM " + name + " has backing file " + backing + ", expected " + expected);
        return;
      }
      if (!Files.exists(files.directory().resolve(expected))) {
        problems.add("VM " + name + " is backed by a missing base: " + expected);
      }
    } catch (IOException e) {
      problems.add("VM " + name + " has an unreadable overlay: " + e.getMessage());
    }
  }

  private Set<String> tags(Path image, boolean shared) {
    try {
      return QEMU_IMG.snapshots(image, shared).stream().map(QemuImg.ImageSnapshot::tag)
          .collect(Collectors.toCollection(TreeSet::new));
    } catch (XrayException e) {
      problems.add(image + " cannot be read: " + e.getMessage());
      return Set.of();
    }
  }

  /** Returns whether the QEMU of {@code files} runs, by the pid file and its command line. */
  static boolean isRunning(HomeLayout.VmFiles files) {
    return !ReliabilityHost.qemuPidsOf(files.directory()).isEmpty();
  }

  private static String listing(Path folder) throws IOException {
    try (var files = Files.list(folder)) {
      return files.map(file -> file.getFileName().toString()).sorted().toList().toString();
    }
  }

  static Path onPath(String program) {
    for (String folder : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(folder, program);
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return Path.of(program);
  }
}
