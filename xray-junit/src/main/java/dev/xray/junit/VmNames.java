package dev.xray.junit;

import dev.xray.api.Names;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** Derives valid VM names from test class, method and field names. */
final class VmNames {
  /**
   * The maximum length of a derived name, including a {@code -N} suffix added on a collision. It
   * is below {@link Names#MAX_LENGTH} because a VM's socket paths ({@code HOME/vms/NAME/
   * console.sock}) must fit the 103 bytes that macOS allows for a unix socket path.
   */
  static final int MAX_LENGTH = 40;
  /** Room left for a {@code -N} suffix. */
  private static final int SUFFIX_ROOM = 4;

  private VmNames() {}

  /**
   * Joins {@code parts} with dots and makes the result a valid VM name of at most {@link
   * #MAX_LENGTH} minus {@link #SUFFIX_ROOM} characters. Characters outside the naming rule become
   * {@code -}. A name that is too long is cut, and a hash of the whole name is appended, so two
   * long names that share a prefix still differ.
   */
  static String derive(String... parts) {
    StringBuilder name = new StringBuilder();
    for (String part : parts) {
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(part);
    }
    String cleaned = name.toString().replaceAll("[^A-Za-z0-9._-]", "-");
    if (cleaned.isEmpty() || !Character.isLetterOrDigit(cleaned.charAt(0))) {
      cleaned = "vm" + cleaned;
    }
    int limit = MAX_LENGTH - SUFFIX_ROOM;
    if (cleaned.length() > limit) {
      String hash = Long.toHexString(crc32(cleaned));
      cleaned = cleaned.substring(0, limit - hash.length() - 1) + "-" + hash;
    }
    return Names.checkVmName(cleaned);
  }

  /** Returns the name to try after {@code attempt} collisions: {@code name}, then name-2 ... */
  static String candidate(String name, int attempt) {
    return attempt == 0 ? name : name + "-" + (attempt + 1);
  }

  private static long crc32(String text) {
    CRC32 crc = new CRC32();
    crc.update(text.getBytes(StandardCharsets.UTF_8));
    return crc.getValue();
  }
}
