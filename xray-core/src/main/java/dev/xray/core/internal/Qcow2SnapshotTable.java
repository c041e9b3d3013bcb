package dev.xray.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the internal snapshot table of a qcow2 image without running qemu-img, so that listing
 * the snapshots of many stopped VMs costs no process per VM.
 *
 * <p>The layout is QEMU's {@code docs/interop/qcow2.txt}: the header stores the snapshot count
 * at byte 60 and the table's offset at byte 64. An entry starts with 40 fixed bytes: the L1
 * table offset (u64) and size (u32), the id and name lengths (u16 each), the date in seconds and
 * nanoseconds (u32 each), the guest clock in nanoseconds (u64), a 32-bit VM state size and the
 * length of extra data (u32). Then come the extra data, whose first 8 bytes are the 64-bit VM
 * state size when present, the id, the name, and padding to a multiple of 8 bytes. All numbers
 * are big-endian.
 */
final class Qcow2SnapshotTable {
  /** QEMU refuses images with more snapshots than this (QCOW_MAX_SNAPSHOTS). */
  private static final int MAX_SNAPSHOTS = 65536;
  /** QEMU caps the whole table at 64 MiB (QCOW_MAX_SNAPSHOTS_SIZE). */
  private static final long MAX_TABLE_BYTES = 64L * 1024 * 1024;
  private static final int ENTRY_FIXED_BYTES = 40;
  /** QEMU writes at most a few dozen bytes of extra data; more means a damaged entry. */
  private static final long MAX_EXTRA_BYTES = 1024;

  private Qcow2SnapshotTable() {}

  /**
   * Returns the snapshots of {@code image} in table order, which is the order they were taken.
   *
   * @throws IOException if the file is not qcow2 or its snapshot table is damaged
   */
  static List<QemuImg.ImageSnapshot> read(Path image) throws IOException {
    try (FileChannel channel = FileChannel.open(image, StandardOpenOption.READ)) {
      Qcow2Header header = Qcow2Header.read(image);
      ByteBuffer fields = readFully(channel, 60, 12, image);
      int count = fields.getInt(0);
      long offset = fields.getLong(4);
      if (count != header.snapshotCount() || count < 0 || count > MAX_SNAPSHOTS) {
        throw damaged(image, "snapshot count " + count);
      }
      if (count == 0) {
        return List.of();
      }
      if (offset <= 0 || offset % 8 != 0 || offset >= channel.size()) {
        throw damaged(image, "snapshot table offset " + offset);
      }
      List<QemuImg.ImageSnapshot> snapshots = new ArrayList<>(count);
      long position = offset;
      for (int i = 0; i < count; i++) {
        if (position - offset > MAX_TABLE_BYTES) {
          throw damaged(image, "snapshot table larger than 64 MiB");
        }
        position = readEntry(channel, position, image, snapshots);
      }
      return snapshots;
    }
  }

  /** Reads the entry at {@code position}, adds it to {@code snapshots}, returns the next one's. */
  private static long readEntry(FileChannel channel, long position, Path image,
      List<QemuImg.ImageSnapshot> snapshots) throws IOException {
    ByteBuffer fixed = readFully(channel, position, ENTRY_FIXED_BYTES, image);
    int idLength = Short.toUnsignedInt(fixed.getShort(12));
    int nameLength = Short.toUnsignedInt(fixed.getShort(14));
    long dateSeconds = Integer.toUnsignedLong(fixed.getInt(16));
    long dateNanos = Integer.toUnsignedLong(fixed.getInt(20));
    long clockNanos = fixed.getLong(24);
    long vmStateSize = Integer.toUnsignedLong(fixed.getInt(32));
    long extraLength = Integer.toUnsignedLong(fixed.getInt(36));
    if (extraLength > MAX_EXTRA_BYTES || clockNanos < 0) {
      throw damaged(image, "snapshot entry sizes");
    }
    int variableLength = (int) extraLength + idLength + nameLength;
    ByteBuffer variable = readFully(channel, position + ENTRY_FIXED_BYTES, variableLength, image);
    if (extraLength >= 8) {
      vmStateSize = variable.getLong(0);
      if (vmStateSize < 0) {
        throw damaged(image, "VM state size");
      }
    }
    variable.position((int) extraLength);
    String id = string(variable, idLength);
    String name = string(variable, nameLength);
    snapshots.add(new QemuImg.ImageSnapshot(id, name, vmStateSize,
        Instant.ofEpochSecond(dateSeconds, Math.min(dateNanos, 999_999_999L)),
        Duration.ofNanos(clockNanos)));
    long length = ENTRY_FIXED_BYTES + variableLength;
    return position + ((length + 7) & ~7L);
  }

  private static String string(ByteBuffer table, int length) {
    byte[] bytes = new byte[length];
    table.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static ByteBuffer readFully(FileChannel channel, long position, int length, Path image)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    while (buffer.hasRemaining()) {
      int count = channel.read(buffer, position + buffer.position());
      if (count < 0) {
        throw damaged(image, "file ends inside the snapshot table");
      }
    }
    return buffer.flip();
  }

  private static IOException damaged(Path image, String what) {
    return new IOException(image + " has a damaged qcow2 snapshot table (" + what + ")");
  }
}
