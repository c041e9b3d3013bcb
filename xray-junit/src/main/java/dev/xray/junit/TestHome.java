package dev.xray.junit;

import dev.xray.api.AlreadyExistsException;
import dev.xray.api.BaseImage;
import dev.xray.api.HostException;
import dev.xray.api.Vm;
import dev.xray.api.Xray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The xray home folder of one test class: a temporary folder that {@link #close()} deletes, or a
 * shared folder that it keeps. Stored in the class's {@code ExtensionContext.Store} before any of
 * the class's VMs, so JUnit closes it after them.
 */
final class TestHome implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TestHome.class);
  /**
   * The maximum length of a temporary folder's parent that leaves room for {@code
   * /xray-junit-RANDOM/vms/NAME/console.sock}, with a name of {@link VmNames#MAX_LENGTH}
   * characters, within the 103 bytes that macOS allows for a unix socket path.
   */
  private static final int MAX_TEMP_PARENT_LENGTH = 103 - "/xray-junit-".length() - 20
      - "/vms/".length() - VmNames.MAX_LENGTH - "/console.sock".length();

  private final Xray xray;
  private final boolean temporary;
  private final Map<Path, String> importedImages = new HashMap<>();

  private TestHome(Xray xray, boolean temporary) {
    this.xray = xray;
    this.temporary = temporary;
  }

  /** Opens the folder {@code sharedHome} names, or creates a temporary one when it is null. */
  static TestHome open(String sharedHome) {
    if (sharedHome != null && !sharedHome.isBlank()) {
      return new TestHome(Xray.open(Path.of(sharedHome).toAbsolutePath()), false);
    }
    try {
      Path folder = Files.createTempDirectory(temporaryParent(), "xray-junit-");
      return new TestHome(Xray.open(folder), true);
    } catch (IOException e) {
      throw new HostException("cannot create a temporary xray home in " + temporaryParent()
          + ": " + e + "; set -D" + XrayExtension.HOME_PROPERTY + " to a writable folder", e);
    }
  }

  /**
   * Returns {@code java.io.tmpdir}, or {@code /tmp} when socket paths under it would be too long.
   */
  private static Path temporaryParent() {
    Path tmpdir = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
    Path shortTmp = Path.of("/tmp");
    if (tmpdir.toString().length() > MAX_TEMP_PARENT_LENGTH && Files.isDirectory(shortTmp)
        && Files.isWritable(shortTmp)) {
      return shortTmp;
    }
    return tmpdir;
  }

  Xray xray() {
    return xray;
  }

  Path path() {
    return xray.home();
  }

  boolean isTemporary() {
    return temporary;
  }

  /**
   * Returns the name of the base that {@code field} boots: its existing base, or a base imported
   * by link from its image or the tiny guest's image. One image is imported once per home.
   *
   * @throws ExtensionConfigurationException if the field names a base that the home lacks
   */
  synchronized String baseFor(VmField field, Path tinyGuestImage) {
    Optional<String> base = field.base();
    if (base.isPresent()) {
      if (xray.bases().find(base.get()).isEmpty()) {
        throw new ExtensionConfigurationException(field.describe() + " names base '"
            + base.get() + "', which xray home " + path() + " does not contain; import it with "
            + "'xray base import FILE --name " + base.get() + "' into the home that -D"
            + XrayExtension.HOME_PROPERTY + " names, or set image = \"PATH.qcow2\"");
      }
      return base.get();
    }
    Path image = field.image().orElse(tinyGuestImage);
    return importedImages.computeIfAbsent(image, this::importByLink);
  }

  /**
   * Imports {@code image} by a symbolic link under a name derived from its file name and path, or
   * returns that name when a shared home already has it from an earlier run.
   */
  private String importByLink(Path image) {
    Path source = image.toAbsolutePath().normalize();
    String fileName = source.getFileName().toString().replaceFirst("\\.qcow2$", "");
    String name = VmNames.derive(fileName, Integer.toHexString(source.toString().hashCode()));
    if (xray.bases().find(name).isEmpty()) {
      try {
        xray.bases().importImage(source, name, true);
        return name;
      } catch (AlreadyExistsException e) {
        // Another JVM that shares the home imported it at the same moment.
        log.debug("base {} was imported by another process: {}", name, e.getMessage());
      }
    }
    BaseImage existing = xray.bases().get(name);
    if (!existing.linkTarget().equals(Optional.of(source))) {
      throw new HostException("base '" + name + "' in xray home " + path() + " is not a link "
          + "to " + source + " (it is " + existing.linkTarget().map(Path::toString)
          .orElse("a copied image") + "); remove it with 'xray base remove " + name + "'");
    }
    return name;
  }

  /**
   * Deletes a temporary home after killing any VM still running in it, for example one that a
   * test created itself. A shared home is left as it is, with its imported bases.
   */
  @Override
  public void close() {
    if (!temporary) {
      return;
    }
    for (Vm vm : xray.vms().list()) {
      if (vm.status().isAlive()) {
        log.warn("VM {} in temporary xray home {} still runs after its test class; killing it",
            vm.name(), path());
        vm.kill();
      }
    }
    try (Stream<Path> files = Files.walk(path())) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      log.warn("cannot delete temporary xray home {}: {}", path(), e.toString());
    }
  }
}
