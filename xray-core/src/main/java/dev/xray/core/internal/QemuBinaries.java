package dev.xray.core.internal;

import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds QEMU's programs: in the folder {@code XRAY_QEMU_DIR} names, else on {@code PATH}, else
 * under Homebrew's prefixes ({@code /opt/homebrew/bin} on Apple Silicon, {@code /usr/local/bin}
 * on Intel Macs).
 */
public final class QemuBinaries {
  /** Environment variable naming the folder that contains qemu-system-* and qemu-img. */
  public static final String QEMU_DIR_VARIABLE = "XRAY_QEMU_DIR";

  private static final List<String> HOMEBREW_BIN = List.of("/opt/homebrew/bin", "/usr/local/bin");

  private QemuBinaries() {}

  /** Returns the {@code qemu-img} program. */
  public static Path qemuImg() {
    return find("qemu-img", "qemu-utils (Debian, Ubuntu), qemu-img (Fedora), qemu (Homebrew)");
  }

  /** Returns the {@code qemu-system-ARCH} program for a guest architecture. */
  public static Path system(Architecture architecture) {
    String packages = architecture == Architecture.X86_64
        ? "qemu-system-x86 (Debian, Ubuntu), qemu-system-x86 (Fedora), qemu (Homebrew)"
        : "qemu-system-arm (Debian, Ubuntu), qemu-system-aarch64 (Fedora), qemu (Homebrew)";
    return find("qemu-system-" + architecture.qemuName(), packages);
  }

  /**
   * Returns the {@code qemu-system-ARCH} program if it is installed, else a path where it would
   * be, so that firmware lookup can still derive QEMU's install prefix from it.
   */
  public static Path searchPathProgram(Architecture architecture) {
    try {
      return system(architecture);
    } catch (HostException e) {
      return Path.of("/usr/bin/qemu-system-" + architecture.qemuName());
    }
  }

  /** Returns the folders searched, in order. */
  static List<Path> searchPath() {
    Set<Path> folders = new LinkedHashSet<>();
    String qemuDir = System.getenv(QEMU_DIR_VARIABLE);
    if (qemuDir != null && !qemuDir.isEmpty()) {
      folders.add(Path.of(qemuDir));
      return new ArrayList<>(folders);
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(File.pathSeparator)) {
        if (!entry.isEmpty()) {
          folders.add(Path.of(entry));
        }
      }
    }
    HOMEBREW_BIN.forEach(entry -> folders.add(Path.of(entry)));
    return new ArrayList<>(folders);
  }

  private static Path find(String program, String packages) {
    List<Path> folders = searchPath();
    for (Path folder : folders) {
      Path candidate = folder.resolve(program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    String qemuDir = System.getenv(QEMU_DIR_VARIABLE);
    String where = qemuDir != null && !qemuDir.isEmpty()
        ? QEMU_DIR_VARIABLE + "=" + qemuDir
        : "PATH and Homebrew's bin folders";
    throw new HostException(program + " not found in " + where + "; install " + packages
        + ", or set " + QEMU_DIR_VARIABLE + " to the folder that holds it");
  }
}
