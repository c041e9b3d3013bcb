package dev.xray.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The base images of one xray home folder. Thread-safe. */
public interface Bases {
  /**
   * Imports a qcow2 image as a base, by copying it or, with {@code link}, by a symbolic link to the
   * original (which must then stay where it is). The format is detected from the file's content.
   * A copy is written under a temporary name and renamed into place, so a failed import leaves
   * nothing behind.
   *
   * @throws IllegalArgumentException if {@code name} is invalid
   * @throws AlreadyExistsException if a base with that name exists
   * @throws ImageException if the file is missing, not a qcow2 image, has a backing file of its
   *     own, or cannot be read
   */
  BaseImage importImage(Path file, String name, boolean link);

  /**
   * Imports like {@link #importImage(Path, String, boolean)} and reports the bytes copied to
   * {@code progress}; a link reports nothing.
   */
  BaseImage importImage(Path file, String name, boolean link, ProgressListener progress);

  /** Returns every base image, sorted by name. */
  List<BaseImage> list();

  /** Returns the base image called {@code name}, if there is one. */
  Optional<BaseImage> find(String name);

  /**
   * Returns the base image called {@code name}.
   *
   * @throws NotFoundException if there is none
   */
  BaseImage get(String name);

  /**
   * Removes a base image. The original file of a linked base is not touched.
   *
   * @throws NotFoundException if there is no such base
   * @throws InvalidStateException if any VM's overlay is backed by it; the message names the VMs
   */
  void remove(String name);
}
