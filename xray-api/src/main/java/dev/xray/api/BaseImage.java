package dev.xray.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A read-only qcow2 template that VM overlays are backed by.
 *
 * @param name the base image's name
 * @param path the file under the home folder's {@code bases/} folder
 * @param linkTarget the original file, when the base was imported as a symbolic link
 * @param virtualSize the guest-visible disk size, in bytes
 * @param fileSize the space the image takes on the host, in bytes
 */
public record BaseImage(
    String name, Path path, Optional<Path> linkTarget, long virtualSize, long fileSize) {

  /**
   * Returns whether the base was imported as a link instead of being copied.
   *
   * @return true when {@link #linkTarget()} is present
   */
  public boolean linked() {
    return linkTarget.isPresent();
  }
}
