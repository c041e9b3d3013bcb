package dev.xray.api;

import java.util.regex.Pattern;

/**
 * The one naming rule for VMs, base images and snapshot tags.
 *
 * <p>A name is 1 to 64 characters: ASCII letters, digits, {@code .}, {@code _} and {@code -},
 * starting with a letter or digit. So a name is always a single safe path segment (never
 * {@code ..}, never containing {@code /}), needs no quoting in a shell, and needs no escaping in
 * QEMU's option syntax. A snapshot tag must in addition contain at least one character that is not
 * a digit, because QEMU matches an all-digit tag against snapshot ids as well as tags.
 */
public final class Names {
  /** The maximum length of a name, in characters. */
  public static final int MAX_LENGTH = 64;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern DIGITS = Pattern.compile("[0-9]+");
  private static final String RULE =
      "use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

  private Names() {}

  /**
   * Checks a VM name.
   *
   * @param name the name to check
   * @return {@code name}
   * @throws IllegalArgumentException if {@code name} breaks the rule; the message shows it
   */
  public static String checkVmName(String name) {
    return check("VM name", name);
  }

  /**
   * Checks a base image name.
   *
   * @param name the name to check
   * @return {@code name}
   * @throws IllegalArgumentException if {@code name} breaks the rule; the message shows it
   */
  public static String checkBaseName(String name) {
    return check("base image name", name);
  }

  /**
   * Checks a snapshot tag.
   *
   * @param tag the tag to check
   * @return {@code tag}
   * @throws IllegalArgumentException if {@code tag} breaks the rule or has only digits
   */
  public static String checkSnapshotTag(String tag) {
    check("snapshot tag", tag);
    if (DIGITS.matcher(tag).matches()) {
      throw new IllegalArgumentException("invalid snapshot tag: '" + tag
          + "' (QEMU would confuse an all-digit tag with a snapshot id; add a letter)");
    }
    return tag;
  }

  /**
   * Returns whether {@code name} follows the naming rule.
   *
   * @param name the name to check, or null
   * @return true if {@code name} is a valid VM or base name
   */
  public static boolean isValid(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  private static String check(String what, String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty (" + RULE + ")");
    }
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid " + what + ": '" + printable(name) + "' (" + RULE + ")");
    }
    return name;
  }

  /** Replaces control characters so that a hostile name cannot rewrite the terminal. */
  private static String printable(String name) {
    StringBuilder out = new StringBuilder();
    name.codePoints().limit(80).forEach(c -> {
      if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", c));
      } else {
        out.appendCodePoint(c);
      }
    });
    return out.toString();
  }
}
