package dev.xray.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.xray.api.AlreadyExistsException;
import dev.xray.api.BaseImage;
import dev.xray.api.Bases;
import dev.xray.api.ImageException;
import dev.xray.api.InvalidStateException;
import dev.xray.api.Names;
import dev.xray.api.NotFoundException;
import dev.xray.api.ProgressListener;
import dev.xray.api.VmStatus;
import dev.xray.api.XrayException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The base images under {@code bases/}. */
final class LocalBases implements Bases {
  private static final Logger log = LoggerFactory.getLogger(LocalBases.class);
  private static final String SUFFIX = ".qcow2";
  private static final long COPY_SLICE = 64L * 1024 * 1024;
  private static final String PARTIAL_SUFFIX = ".partial";
  /** An import's temporary file: .NAME.qcow2.PID-UUID.partial. */
  private static final Pattern PARTIAL_NAME =
      Pattern.compile("\\..*\\.([0-9]+)-[0-9a-f-]+\\.partial");
  private static final long REPORT_INTERVAL_NANOS = 200_000_000L;

  private final LocalXray xray;

  LocalBases(LocalXray xray) {
    this.xray = xray;
  }

  @Override
  public BaseImage importImage(Path file, String name, boolean link) {
    return importImage(file, name, link, ProgressListener.NONE);
  }

  @Override
  public BaseImage importImage(Path file, String name, boolean link,
      ProgressListener progress) {
    Names.checkBaseName(name);
    long startNanos = System.nanoTime();
    Path source = file.toAbsolutePath().normalize();
    checkImportable(source);
    Path target = xray.layout().base(name);
    Path partial = target.resolveSibling("." + target.getFileName() + "."
        + ProcessHandle.current().pid() + "-" + UUID.randomUUID() + PARTIAL_SUFFIX);
    try {
      deleteStalePartials();
      // The copy runs without the home lock, so a long import does not block creates.
      if (link) {
        Files.createSymbolicLink(partial, source);
      } else {
        copyWithProgress(source, partial, progress);
        AtomicFiles.setMode(partial, "r--r-----");
      }
      try (FileLocks.Held lock = xray.lockHome()) {
        boolean danglingLink = Files.isSymbolicLink(target) && !Files.exists(target);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !danglingLink) {
          throw new AlreadyExistsException("base image '" + name + "' already exists; remove "
              + "it with 'xray base remove " + name + "' or pick another --name");
        }
        if (danglingLink) {
          log.info("replacing base {}, a link whose target {} is gone", name,
              Files.readSymbolicLink(target));
        }
        AtomicFiles.moveAtomically(partial, target);
      }
    } catch (IOException e) {
      throw new ImageException("cannot import " + source + " as base '" + name + "': " + e);
    } finally {
      try {
        Files.deleteIfExists(partial);
      } catch (IOException e) {
        log.warn("cannot delete {}: {}", partial, e.getMessage());
      }
    }
    log.info("imported base {} from {} ({}) in {} ms", name, source, link ? "link" : "copy",
        (System.nanoTime() - startNanos) / 1_000_000);
    return get(name);
  }

  private void checkImportable(Path source) {
    if (!Files.exists(source)) {
      throw new ImageException("image file not found: " + source);
    }
    if (!Files.isRegularFile(source)) {
      throw new ImageException("not a regular file: " + source + "; import a qcow2 image file");
    }
    try {
      if (!Qcow2Header.isQcow2(source)) {
        throw new ImageException(source + " is not a qcow2 image; convert a raw or other image "
            + "first with: qemu-img convert -O qcow2 " + source + " IMAGE.qcow2");
      }
      Qcow2Header header = Qcow2Header.read(source);
      if (header.backingFile().isPresent()) {
        throw new ImageException(source + " has a backing file (" + header.backingFile().get()
            + "); make a standalone copy first with: qemu-img convert -O qcow2 " + source
            + " IMAGE.qcow2");
      }
    } catch (IOException e) {
      throw new ImageException("cannot read image " + source + ": " + e.getMessage());
    }
    JsonNode info = xray.qemuImg().info(source, false);
    if (!"qcow2".equals(info.path("format").asText())) {
      throw new ImageException(source + " is not a qcow2 image (qemu-img reports "
          + info.path("format").asText() + ")");
    }
    if (info.path("format-specific").path("data").path("corrupt").asBoolean(false)) {
      throw new ImageException(source + " is marked corrupt; repair it with: qemu-img check -r "
          + "all " + source);
    }
    QemuImg.CheckResult check = xray.qemuImg().check(source);
    if (!check.consistent()) {
      throw new ImageException(source + " is damaged or truncated (qemu-img check: "
          + check.summary() + "); use a complete image, or try: qemu-img check -r all " + source);
    }
  }

  /**
   * Deletes copies that an interrupted import left: their names carry the pid of the importing
   * process, and that process is gone.
   */
  private void deleteStalePartials() throws IOException {
    try (DirectoryStream<Path> partials =
        Files.newDirectoryStream(xray.layout().basesDirectory(), ".*" + PARTIAL_SUFFIX)) {
      for (Path partial : partials) {
        Matcher matcher = PARTIAL_NAME.matcher(partial.getFileName().toString());
        boolean ownerAlive = matcher.matches()
            && ProcessHandle.of(Long.parseLong(matcher.group(1))).map(ProcessHandle::isAlive)
                .orElse(false);
        if (!ownerAlive) {
          log.info("deleting {}, left by an interrupted import", partial);
          Files.deleteIfExists(partial);
        }
      }
    }
  }

  /** Copies in slices so that progress can be reported; transferTo keeps the copy in-kernel. */
  private static void copyWithProgress(Path source, Path target, ProgressListener progress)
      throws IOException {
    try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      long size = in.size();
      long done = 0;
      long lastReport = 0;
      while (done < size) {
        long count = in.transferTo(done, Math.min(COPY_SLICE, size - done), out);
        if (count <= 0) {
          throw new IOException("copying " + source + " stopped at byte " + done + " of " + size);
        }
        done += count;
        long now = System.nanoTime();
        if (now - lastReport > REPORT_INTERVAL_NANOS || done == size) {
          progress.progress(done, size);
          lastReport = now;
        }
      }
      out.force(true);
    }
    Files.setLastModifiedTime(target, Files.getLastModifiedTime(source));
  }

  @Override
  public List<BaseImage> list() {
    List<BaseImage> images = new ArrayList<>();
    try (DirectoryStream<Path> files =
        Files.newDirectoryStream(xray.layout().basesDirectory(), "*" + SUFFIX)) {
      for (Path path : files) {
        String fileName = path.getFileName().toString();
        String name = fileName.substring(0, fileName.length() - SUFFIX.length());
        if (Names.isValid(name)) {
          images.add(describe(name, path));
        }
      }
    } catch (IOException e) {
      throw new XrayException("cannot list " + xray.layout().basesDirectory() + ": " + e, e);
    }
    images.sort(Comparator.comparing(BaseImage::name));
    return images;
  }

  @Override
  public Optional<BaseImage> find(String name) {
    Names.checkBaseName(name);
    Path path = xray.layout().base(name);
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    return Optional.of(describe(name, path));
  }

  @Override
  public BaseImage get(String name) {
    return find(name).orElseThrow(() -> notFound(name));
  }

  static NotFoundException notFound(String name) {
    return new NotFoundException("base image '" + name + "' not found; 'xray base list' shows "
        + "the bases, 'xray base import FILE --name " + name + "' adds one");
  }

  @Override
  public void remove(String name) {
    Names.checkBaseName(name);
    Path path = xray.layout().base(name);
    try (FileLocks.Held lock = xray.lockHome()) {
      if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        throw notFound(name);
      }
      List<String> users = xray.localVms().namesUsingBase(name);
      if (!users.isEmpty()) {
        throw new InvalidStateException("base image '" + name + "' is used by VM"
            + (users.size() > 1 ? "s " : " ") + String.join(", ", users)
            + "; remove " + (users.size() > 1 ? "them" : "it") + " first", VmStatus.STOPPED);
      }
      Files.delete(path);
    } catch (NoSuchFileException e) {
      throw notFound(name);
    } catch (IOException e) {
      throw new XrayException("cannot remove base image " + path + ": " + e, e);
    }
    log.info("removed base {}", name);
  }

  private static BaseImage describe(String name, Path path) {
    Optional<Path> linkTarget = Optional.empty();
    long virtualSize = 0;
    long fileSize = 0;
    try {
      if (Files.isSymbolicLink(path)) {
        linkTarget = Optional.of(Files.readSymbolicLink(path));
      }
      if (Files.exists(path)) {
        fileSize = Files.size(path);
        virtualSize = Qcow2Header.read(path).virtualSize();
      }
    } catch (IOException e) {
      log.warn("cannot read base image {}: {}", path, e.getMessage());
    }
    return new BaseImage(name, path, linkTarget, virtualSize, fileSize);
  }
}
