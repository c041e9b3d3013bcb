package dev.xray.core.testing;

import dev.xray.api.Architecture;
import dev.xray.core.TinyGuest;
import java.nio.file.Path;

/** The tiny test guest, built once per JVM and cached by content across runs. */
public final class TestGuest {
  private static Path image;

  private TestGuest() {}

  /** Returns the x86_64 test guest image, building it on first use. */
  public static synchronized Path image() {
    if (image == null) {
      image = TinyGuest.build(Architecture.X86_64);
    }
    return image;
  }
}
