package dev.xray.api;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One image in a VM's disk chain, as {@code qemu-img info} reports it.
 *
 * @param path the image file
 * @param format the image format, for example {@code qcow2}
 * @param virtualSize the guest-visible size, in bytes
 * @param actualSize the space the file takes on the host, in bytes
 * @param backingFile the backing file name exactly as the image records it (relative for xray's
 *     overlays), if the image has one
 * @param backingFormat the recorded format of the backing file, if any
 */
public record DiskImage(
    Path path,
    String format,
    long virtualSize,
    long actualSize,
    Optional<String> backingFile,
    Optional<String> backingFormat) {}
