package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir
  Path folder;

  private long entries(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.count();
    }
  }

  @Test
  void writeStringCreatesFile() throws IOException {
    Path target = folder.resolve("vm.toml");

    AtomicFiles.writeString(target, "caf\u00e9\n");

    assertThat(Files.readString(target)).isEqualTo("caf\u00e9\n");
    assertThat(entries(folder)).isEqualTo(1);
  }

  @Test
  void writeStringReplacesFile() throws IOException {
    Path target = folder.resolve("vm.toml");
    Files.writeString(target, "old content that is longer than the new one");

    AtomicFiles.writeString(target, "new");

    assertThat(Files.readString(target)).isEqualTo("new");
    assertThat(entries(folder)).isEqualTo(1);
  }

  @Test
  void writeStringIntoMissingFolderLeavesNothing() {
    Path target = folder.resolve("missing/vm.toml");

    assertThatThrownBy(() -> AtomicFiles.writeString(target, "x"))
        .isInstanceOf(NoSuchFileException.class);
    assertThat(folder.resolve("missing")).doesNotExist();
  }

  @Test
  void writeStringOverFolderLeavesNoTempFile() throws IOException {
    Path target = Files.createDirectory(folder.resolve("vm.toml"));
    Files.writeString(target.resolve("inside"), "x");

    assertThatThrownBy(() -> AtomicFiles.writeString(target, "x"))
        .isInstanceOf(IOException.class);
    assertThat(entries(folder)).isEqualTo(1);
    assertThat(target).isDirectory();
  }

  @Test
  void moveAtomicallyReplacesTarget() throws IOException {
    Path source = Files.writeString(folder.resolve("source"), "new");
    Path target = Files.writeString(folder.resolve("target"), "old");

    AtomicFiles.moveAtomically(source, target);

    assertThat(Files.readString(target)).isEqualTo("new");
    assertThat(source).doesNotExist();
  }

  @Test
  void createPrivateDirectorySetsMode0700() throws IOException {
    Path home = folder.resolve("a/b/home");

    AtomicFiles.createPrivateDirectory(home);

    assertThat(home).isDirectory();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home)))
        .isEqualTo("rwx------");
  }

  @Test
  void createPrivateDirectoryTightensExistingFolder() throws IOException {
    Path home = Files.createDirectory(folder.resolve("home"));
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxrwxrwx"));

    AtomicFiles.createPrivateDirectory(home);

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home)))
        .isEqualTo("rwx------");
  }

  @Test
  void setModeChangesPermissions() throws IOException {
    Path file = Files.createFile(folder.resolve("key"));

    AtomicFiles.setMode(file, "rw-------");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  @Test
  void deleteRecursivelyRemovesTree() throws IOException {
    Path root = folder.resolve("vm");
    Files.createDirectories(root.resolve("a/b/c"));
    Files.writeString(root.resolve("a/file"), "x");
    Files.writeString(root.resolve("a/b/c/deep"), "x");

    AtomicFiles.deleteRecursively(root);

    assertThat(root).doesNotExist();
  }

  @Test
  void deleteRecursivelyOfMissingFolderDoesNothing() throws IOException {
    AtomicFiles.deleteRecursively(folder.resolve("missing"));

    assertThat(folder).isDirectory();
  }

  @Test
  void deleteRecursivelyDoesNotFollowLinkedFolder() throws IOException {
    Path outside = Files.createDirectory(folder.resolve("outside"));
    Path precious = Files.writeString(outside.resolve("precious"), "keep");
    Path root = Files.createDirectory(folder.resolve("vm"));
    Files.createSymbolicLink(root.resolve("link"), outside);

    AtomicFiles.deleteRecursively(root);

    assertThat(root).doesNotExist();
    assertThat(precious).hasContent("keep");
  }

  @Test
  void deleteRecursivelyOfLinkRemovesOnlyTheLink() throws IOException {
    Path outside = Files.createDirectory(folder.resolve("outside"));
    Path precious = Files.writeString(outside.resolve("precious"), "keep");
    Path link = Files.createSymbolicLink(folder.resolve("link"), outside);

    AtomicFiles.deleteRecursively(link);

    assertThat(Files.exists(link, LinkOption.NOFOLLOW_LINKS)).isFalse();
    assertThat(precious).hasContent("keep");
  }

  @Test
  void deleteRecursivelyRemovesDanglingLink() throws IOException {
    Path root = Files.createDirectory(folder.resolve("vm"));
    Files.createSymbolicLink(root.resolve("dangling"), folder.resolve("nothing"));

    AtomicFiles.deleteRecursively(root);

    assertThat(root).doesNotExist();
  }
}
