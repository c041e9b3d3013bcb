package dev.xray.api;

import java.util.Locale;

/** How QEMU shows the guest's screen. */
public enum Display {
  /** No window; the guest is reached through its serial console, SSH or the monitor. */
  NONE,
  /** An SDL window. */
  SDL,
  /** A GTK window. */
  GTK,
  /** A native macOS window. */
  COCOA;

  /**
   * Returns the name that QEMU's {@code -display} option takes.
   *
   * @return the lower-case name, for example {@code "sdl"}
   */
  public String qemuName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a display name, ignoring case.
   *
   * @param name a name such as {@code "none"} or {@code "sdl"}
   * @return the display of that name
   * @throws IllegalArgumentException if {@code name} is not none, sdl, gtk or cocoa
   */
  public static Display parse(String name) {
    for (Display display : values()) {
      if (display.qemuName().equalsIgnoreCase(name)) {
        return display;
      }
    }
    throw new IllegalArgumentException(
        "invalid display: '" + name + "' (expected none, sdl, gtk or cocoa)");
  }
}
