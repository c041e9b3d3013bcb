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
   * @param file the qcow2 image to import
   * @param name the base's name; see {@link Names} for the rule
   * @param link whether to link to {@code file} instead of copying it
   * @return the imported base
   * @throws IllegalArgumentException if {@code name} is invalid
   * @throws AlreadyExistsException if a base with that name exists
   * @throws ImageException if the file is missing, not a qcow2 image, has a backing file of its
   *     own, or cannot be read
   */
  BaseImage importImage(Path file, String name, boolean link);

  /**
   * Imports like {@link #importImage(Path, String, boolean)} and reports the bytes copied to
   * {@code progress}; a link reports nothing.
   *
   * @param file the qcow2 image to import
   * @param name the base's name; see {@link Names} for the rule
   * @param link whether to link to {@code file} instead of copying it
   * @param progress the listener that receives the bytes copied
   * @return the imported base
   */
  BaseImage importImage(Path file, String name, boolean link, ProgressListener progress);

  /**
   * Lists the base images.
   *
   * @return every base image, sorted by name
   */
  List<BaseImage> list();

  /**
   * Finds a base image by name.
   *
   * @param name the base's name
   * @return the base image called {@code name}, or empty if there is none
   */
  Optional<BaseImage> find(String name);

  /**
   * Returns the base image called {@code name}.
   *
   * @param name the base's name
   * @return the base image
   * @throws NotFoundException if there is none
   */
  BaseImage get(String name);

  /**
   * Removes a base image. The original file of a linked base is not touched.
   *
   * @param name the base's name
   * @throws NotFoundException if there is no such base
   * @throws InvalidStateException if any VM's overlay is backed by it; the message names the VMs
   */
  void remove(String name);
}
