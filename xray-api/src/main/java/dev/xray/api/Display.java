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

  /** Returns the lower-case name QEMU's {@code -display} option takes. */
  public String qemuName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a display name such as {@code "none"} or {@code "sdl"}, ignoring case. */
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
