package dev.xray.core.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Writes an ISO 9660 image with Joliet names that contains files in its root folder, as a
 * cloud-init NoCloud seed needs. The primary volume descriptor carries ISO 9660 level 1 names
 * (8.3, upper case), and the Joliet supplementary descriptor the full names, which Linux mounts
 * by default. Joliet names carry no ";1" version, as genisoimage 1.1.11 writes them. Every
 * timestamp is {@link #TIMESTAMP}, so the same files give the same bytes.
 *
 * <p>Layout, in 2048-byte sectors: 16 empty system sectors, the primary and Joliet volume
 * descriptors and the set terminator, the little- and big-endian path tables of each tree, the
 * root folder of each tree, then the files, each from a sector boundary. Both trees point at the
 * same file data.
 */
public final class IsoImage {
  static final int SECTOR = 2048;
  /** The largest total size of the files, in bytes; the image is built in memory. */
  public static final int MAX_CONTENT_BYTES = 64 * 1024 * 1024;
  /** The longest Joliet name, in UCS-2 characters. */
  static final int MAX_JOLIET_NAME = 64;
  /** The date of every volume and folder record: 2000-01-01 00:00:00 UTC. */
  static final String TIMESTAMP = "2000010100000000";

  private static final int SYSTEM_SECTORS = 16;
  private static final int PATH_TABLE_BYTES = 10;
  /** Joliet's escape sequence for UCS-2 level 3 (ECMA-35), in the supplementary descriptor. */
  private static final byte[] JOLIET_ESCAPE = {0x25, 0x2F, 0x45};

  private IsoImage() {}

  /**
   * Returns the image of {@code files}, a map from root file name to content, labelled
   * {@code volumeId}.
   *
   * @throws IllegalArgumentException if a name is empty, longer than 64 characters, outside
   *     UCS-2, or contains a character Joliet forbids ({@code * / : ; ? \} or a control
   *     character); if the volume id is not 1 to 16 ASCII letters, digits and '_'; or if the
   *     files add up to more than {@link #MAX_CONTENT_BYTES}
   */
  public static byte[] write(String volumeId, Map<String, byte[]> files) {
    checkVolumeId(volumeId);
    Map<String, byte[]> sorted = new TreeMap<>(files);
    long contentBytes = 0;
    for (Map.Entry<String, byte[]> file : sorted.entrySet()) {
      checkName(file.getKey());
      contentBytes += file.getValue().length;
    }
    if (contentBytes > MAX_CONTENT_BYTES) {
      throw new IllegalArgumentException("the seed files add up to " + contentBytes
          + " bytes, more than the " + MAX_CONTENT_BYTES + " an ISO image of xray may hold");
    }

    List<Entry> entries = entries(sorted);
    List<Record> primaryRecords = new ArrayList<>();
    List<Record> jolietRecords = new ArrayList<>();
    for (Entry entry : entries) {
      primaryRecords.add(new Record(entry.primaryName.getBytes(StandardCharsets.US_ASCII),
          entry));
      jolietRecords.add(new Record(entry.name.getBytes(StandardCharsets.UTF_16BE), entry));
    }
    // ISO 9660 9.3: records are sorted by identifier, byte by byte.
    primaryRecords.sort(Comparator.comparing(Record::identifier, Arrays::compareUnsigned));
    jolietRecords.sort(Comparator.comparing(Record::identifier, Arrays::compareUnsigned));

    int primaryPathL = SYSTEM_SECTORS + 3;
    int primaryPathM = primaryPathL + 1;
    int jolietPathL = primaryPathM + 1;
    int jolietPathM = jolietPathL + 1;
    int primaryRoot = jolietPathM + 1;
    int primaryRootSectors = directorySectors(primaryRecords);
    int jolietRoot = primaryRoot + primaryRootSectors;
    int jolietRootSectors = directorySectors(jolietRecords);
    int next = jolietRoot + jolietRootSectors;
    for (Entry entry : entries) {
      // An empty file gets sector 0 and length 0, so it takes no sector.
      entry.sector = entry.content.length == 0 ? 0 : next;
      next += sectorsFor(entry.content.length);
    }
    int totalSectors = next;

    ByteBuffer image = ByteBuffer.allocate(totalSectors * SECTOR);
    Tree primary = new Tree(primaryRoot, primaryRootSectors, primaryPathL, primaryPathM);
    Tree joliet = new Tree(jolietRoot, jolietRootSectors, jolietPathL, jolietPathM);
    writeVolumeDescriptor(image, SYSTEM_SECTORS, false, volumeId, totalSectors, primary);
    writeVolumeDescriptor(image, SYSTEM_SECTORS + 1, true, volumeId, totalSectors, joliet);
    writeTerminator(image, SYSTEM_SECTORS + 2);
    for (Tree tree : List.of(primary, joliet)) {
      writePathTable(image, tree.pathTableL, tree.root, ByteOrder.LITTLE_ENDIAN);
      writePathTable(image, tree.pathTableM, tree.root, ByteOrder.BIG_ENDIAN);
    }
    writeDirectory(image, primary, primaryRecords);
    writeDirectory(image, joliet, jolietRecords);
    for (Entry entry : entries) {
      if (entry.content.length > 0) {
        image.put(entry.sector * SECTOR, entry.content);
      }
    }
    return image.array();
  }

  /** One file: its full name, its level 1 name in the primary tree, and its content. */
  private static final class Entry {
    final String name;
    final String primaryName;
    final byte[] content;
    int sector;

    Entry(String name, String primaryName, byte[] content) {
      this.name = name;
      this.primaryName = primaryName;
      this.content = content;
    }
  }

  /** A folder record of one tree: the file identifier as stored, and the file. */
  private record Record(byte[] identifier, Entry entry) {}

  /** The sectors of one tree's root folder and path tables. */
  private record Tree(int root, int rootSectors, int pathTableL, int pathTableM) {}

  private static List<Entry> entries(Map<String, byte[]> sorted) {
    List<Entry> entries = new ArrayList<>();
    Set<String> used = new HashSet<>();
    int counter = 0;
    for (Map.Entry<String, byte[]> file : sorted.entrySet()) {
      String primaryName = levelOneName(file.getKey());
      while (!used.add(primaryName)) {
        counter++;
        primaryName = String.format(Locale.ROOT, "FILE%04d.;1", counter);
      }
      entries.add(new Entry(file.getKey(), primaryName, file.getValue().clone()));
    }
    return entries;
  }

  /**
   * Maps a name to ISO 9660 level 1: up to 8 d-characters (A-Z, 0-9, '_'), a dot, up to 3 more,
   * and the version ";1". Other characters become '_'.
   */
  static String levelOneName(String name) {
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    String extension = dot > 0 ? name.substring(dot + 1) : "";
    return dCharacters(stem, 8) + "." + dCharacters(extension, 3) + ";1";
  }

  private static String dCharacters(String text, int max) {
    StringBuilder result = new StringBuilder();
    for (char c : text.toUpperCase(Locale.ROOT).toCharArray()) {
      if (result.length() == max) {
        break;
      }
      boolean valid = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      result.append(valid ? c : '_');
    }
    return result.toString();
  }

  private static void checkVolumeId(String volumeId) {
    if (!volumeId.matches("[A-Za-z0-9_]{1,16}")) {
      throw new IllegalArgumentException("invalid ISO volume id '" + volumeId
          + "': expected 1 to 16 ASCII letters, digits and '_'");
    }
  }

  private static void checkName(String name) {
    if (name.isEmpty() || name.length() > MAX_JOLIET_NAME) {
      throw new IllegalArgumentException("invalid seed file name '" + name + "': expected 1 to "
          + MAX_JOLIET_NAME + " characters");
    }
    for (char c : name.toCharArray()) {
      if (c < 0x20 || "*/:;?\\".indexOf(c) >= 0 || Character.isSurrogate(c)) {
        throw new IllegalArgumentException("invalid seed file name '" + name + "': Joliet "
            + "names cannot contain control characters, characters outside UCS-2, or any of "
            + "* / : ; ? \\");
      }
    }
  }

  private static int sectorsFor(long bytes) {
    return (int) ((bytes + SECTOR - 1) / SECTOR);
  }

  /** Returns the sectors a root folder takes; ISO 9660 6.8.1.1: no record crosses a sector. */
  private static int directorySectors(List<Record> records) {
    int sectors = 1;
    int used = 2 * recordLength(1);
    for (Record record : records) {
      int length = recordLength(record.identifier.length);
      if (used + length > SECTOR) {
        sectors++;
        used = 0;
      }
      used += length;
    }
    return sectors;
  }

  private static int recordLength(int identifierLength) {
    int length = 33 + identifierLength;
    return length % 2 == 0 ? length : length + 1;
  }

  private static void writeVolumeDescriptor(ByteBuffer image, int sector, boolean joliet,
      String volumeId, int totalSectors, Tree tree) {
    int base = sector * SECTOR;
    image.put(base, (byte) (joliet ? 2 : 1));
    putAscii(image, base + 1, "CD001");
    image.put(base + 6, (byte) 1);
    putText(image, base + 8, 32, "", joliet);
    putText(image, base + 40, 32, volumeId, joliet);
    putBothEndian32(image, base + 80, totalSectors);
    if (joliet) {
      image.put(base + 88, JOLIET_ESCAPE);
    }
    putBothEndian16(image, base + 120, 1);
    putBothEndian16(image, base + 124, 1);
    putBothEndian16(image, base + 128, SECTOR);
    putBothEndian32(image, base + 132, PATH_TABLE_BYTES);
    image.order(ByteOrder.LITTLE_ENDIAN).putInt(base + 140, tree.pathTableL);
    image.order(ByteOrder.BIG_ENDIAN).putInt(base + 148, tree.pathTableM);
    putDirectoryRecord(image, base + 156, new byte[] {0}, tree.root,
        tree.rootSectors * SECTOR, true);
    putText(image, base + 190, 128, "", joliet);
    putText(image, base + 318, 128, "", joliet);
    putText(image, base + 446, 128, "", joliet);
    putText(image, base + 574, 128, "XRAY", joliet);
    putText(image, base + 702, 37, "", joliet);
    putText(image, base + 739, 37, "", joliet);
    putText(image, base + 776, 37, "", joliet);
    putAscii(image, base + 813, TIMESTAMP);
    putAscii(image, base + 830, TIMESTAMP);
    // Expiration and effective dates: "not specified" is sixteen '0' digits and offset 0.
    putAscii(image, base + 847, "0".repeat(16));
    putAscii(image, base + 864, "0".repeat(16));
    image.put(base + 881, (byte) 1);
  }

  private static void writeTerminator(ByteBuffer image, int sector) {
    int base = sector * SECTOR;
    image.put(base, (byte) 255);
    putAscii(image, base + 1, "CD001");
    image.put(base + 6, (byte) 1);
  }

  /** Writes a path table that lists only the root folder, whose parent is itself. */
  private static void writePathTable(ByteBuffer image, int sector, int rootSector,
      ByteOrder order) {
    int base = sector * SECTOR;
    image.put(base, (byte) 1);
    image.order(order).putInt(base + 2, rootSector);
    image.order(order).putShort(base + 6, (short) 1);
  }

  private static void writeDirectory(ByteBuffer image, Tree tree, List<Record> records) {
    int size = tree.rootSectors * SECTOR;
    int offset = tree.root * SECTOR;
    int sectorEnd = offset + SECTOR;
    offset += putDirectoryRecord(image, offset, new byte[] {0}, tree.root, size, true);
    offset += putDirectoryRecord(image, offset, new byte[] {1}, tree.root, size, true);
    for (Record record : records) {
      if (offset + recordLength(record.identifier.length) > sectorEnd) {
        offset = sectorEnd;
        sectorEnd += SECTOR;
      }
      offset += putDirectoryRecord(image, offset, record.identifier, record.entry.sector,
          record.entry.content.length, false);
    }
  }

  /** Writes a folder record (ISO 9660 9.1) and returns its length. */
  private static int putDirectoryRecord(ByteBuffer image, int offset, byte[] identifier,
      int sector, int length, boolean directory) {
    int recordLength = recordLength(identifier.length);
    image.put(offset, (byte) recordLength);
    putBothEndian32(image, offset + 2, sector);
    putBothEndian32(image, offset + 10, length);
    // Recording date: years since 1900, month, day, hour, minute, second, offset from UTC.
    image.put(offset + 18, new byte[] {100, 1, 1, 0, 0, 0, 0});
    image.put(offset + 25, (byte) (directory ? 2 : 0));
    putBothEndian16(image, offset + 28, 1);
    image.put(offset + 32, (byte) identifier.length);
    image.put(offset + 33, identifier);
    return recordLength;
  }

  /** Writes a space-padded text field: ASCII in the primary descriptor, UCS-2 in Joliet's. */
  private static void putText(ByteBuffer image, int offset, int length, String text,
      boolean joliet) {
    if (joliet) {
      for (int i = 0; i < length / 2; i++) {
        image.order(ByteOrder.BIG_ENDIAN).putChar(offset + 2 * i,
            i < text.length() ? text.charAt(i) : ' ');
      }
    } else {
      putAscii(image, offset, (text + " ".repeat(length)).substring(0, length));
    }
  }

  private static void putAscii(ByteBuffer image, int offset, String text) {
    image.put(offset, text.getBytes(StandardCharsets.US_ASCII));
  }

  private static void putBothEndian16(ByteBuffer image, int offset, int value) {
    image.order(ByteOrder.LITTLE_ENDIAN).putShort(offset, (short) value);
    image.order(ByteOrder.BIG_ENDIAN).putShort(offset + 2, (short) value);
  }

  private static void putBothEndian32(ByteBuffer image, int offset, int value) {
    image.order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
    image.order(ByteOrder.BIG_ENDIAN).putInt(offset + 4, value);
  }
}
