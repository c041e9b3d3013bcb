package dev.xray.core.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The condition behind {@link RequiresQemu}. */
public final class QemuCondition implements ExecutionCondition {
  private static final List<String> PROGRAMS = List.of("qemu-system-x86_64", "qemu-img",
      "apt-get", "dpkg-deb", "mcopy", "mkfs.fat", "sfdisk", "cpio", "objcopy");
  private static final Path OVMF = Path.of("/usr/share/OVMF/OVMF_CODE_4M.fd");

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    List<String> missing = missing();
    if (missing.isEmpty()) {
      return ConditionEvaluationResult.enabled("QEMU and the guest build tools are installed");
    }
    String reason = "missing " + String.join(", ", missing)
        + " (apt-get install qemu-system-x86 qemu-utils ovmf mtools dosfstools fdisk cpio "
        + "binutils)";
    if (isRequired()) {
      throw new IllegalStateException("tests need QEMU here (CI=true or XRAY_REQUIRE_QEMU=1) "
          + "but it cannot run: " + reason);
    }
    return ConditionEvaluationResult.disabled(reason);
  }

  /** Returns whether this run must not skip QEMU tests. */
  public static boolean isRequired() {
    return "true".equals(System.getenv("CI")) || "1".equals(System.getenv("XRAY_REQUIRE_QEMU"));
  }

  /**
   * Skips the calling test when {@code program} is not on PATH, or fails it when QEMU tests must
   * run (see {@link #isRequired()}); the message names the Debian package to install.
   */
  public static void assumeProgram(String program, String debianPackage) {
    String reason = program + " is missing (apt-get install " + debianPackage + ")";
    if (!onPath(program) && isRequired()) {
      throw new IllegalStateException("tests need " + program + " here (CI=true or "
          + "XRAY_REQUIRE_QEMU=1): " + reason);
    }
    Assumptions.assumeTrue(onPath(program), reason);
  }

  static List<String> missing() {
    List<String> missing = new ArrayList<>();
    for (String program : PROGRAMS) {
      if (!onPath(program)) {
        missing.add(program);
      }
    }
    if (!Files.isReadable(OVMF)) {
      missing.add(OVMF.toString());
    }
    return missing;
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String folder : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(folder, program))) {
        return true;
      }
    }
    return false;
  }
}
