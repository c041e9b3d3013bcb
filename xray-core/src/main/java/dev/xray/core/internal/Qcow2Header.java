package dev.xray.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * The fields xray needs from a qcow2 header, read without running qemu-img. The layout is QEMU's
 * {@code docs/interop/qcow2.txt}: big-endian, magic {@code QFI\xfb} at 0, version at 4, backing
 * file offset at 8 and length at 16, virtual size at 24, snapshot count at 60.
 */
public record Qcow2Header(int version, long virtualSize, Optional<String> backingFile,
    int snapshotCount) {

  private static final int MAGIC = 0x514649fb;
  private static final int HEADER_BYTES = 72;
  private static final int MAX_BACKING_FILE_BYTES = 1023;

  /** Returns whether the file starts with the qcow2 magic. */
  public static boolean isQcow2(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer magic = ByteBuffer.allocate(4);
      return channel.read(magic, 0) == 4 && magic.getInt(0) == MAGIC;
    }
  }

  /**
   * Reads the header of {@code file}.
   *
   * @throws IOException if the file cannot be read, is not qcow2, or its header is damaged
   */
  public static Qcow2Header read(Path file) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
      while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
        // Keep reading: a read may return fewer bytes than asked.
      }
      if (header.position() < HEADER_BYTES || header.getInt(0) != MAGIC) {
        throw new IOException(file + " is not a qcow2 image");
      }
      int version = header.getInt(4);
      if (version < 2 || version > 3) {
        throw new IOException(file + " has unsupported qcow2 version " + version);
      }
      long backingOffset = header.getLong(8);
      int backingLength = header.getInt(16);
      long size = header.getLong(24);
      int snapshots = header.getInt(60);
      if (size < 0 || snapshots < 0 || backingLength < 0
          || backingLength > MAX_BACKING_FILE_BYTES) {
        throw new IOException(file + " has a damaged qcow2 header");
      }
      Optional<String> backing = Optional.empty();
      if (backingOffset != 0 && backingLength > 0) {
        if (backingOffset < HEADER_BYTES || backingOffset > channel.size() - backingLength) {
          throw new IOException(file + " has a damaged qcow2 header (backing file offset)");
        }
        ByteBuffer name = ByteBuffer.allocate(backingLength);
        channel.read(name, backingOffset);
        backing = Optional.of(new String(name.array(), 0, name.position(),
            StandardCharsets.UTF_8));
      }
      return new Qcow2Header(version, size, backing, snapshots);
    }
  }
}
