package dev.xray.qmp;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The condition behind {@link RequiresQemu}. */
final class RequiresQemuCondition implements ExecutionCondition {

  static final List<String> PROGRAMS = List.of("qemu-system-x86_64", "qemu-img");

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return evaluate(System.getenv(), RequiresQemuCondition::isOnPath);
  }

  /**
   * Decides from the environment and a {@code PATH} lookup.
   *
   * @throws ExtensionConfigurationException if a program is missing and the environment
   *     requires QEMU, which makes JUnit report the tests as failed
   */
  static ConditionEvaluationResult evaluate(
      Map<String, String> environment, Predicate<String> onPath) {
    List<String> missing = new ArrayList<>();
    for (String program : PROGRAMS) {
      if (!onPath.test(program)) {
        missing.add(program);
      }
    }
    if (missing.isEmpty()) {
      return ConditionEvaluationResult.enabled("QEMU programs found on PATH");
    }
    String reason = String.join(" and ", missing) + " not found on PATH";
    if ("true".equals(environment.get("CI")) || "1".equals(environment.get("XRAY_REQUIRE_QEMU"))) {
      throw new ExtensionConfigurationException(
          reason + ", but CI=true or XRAY_REQUIRE_QEMU=1 requires the QEMU tests to run; "
              + "install QEMU (Debian: apt-get install qemu-system-x86 qemu-utils)");
    }
    return ConditionEvaluationResult.disabled(reason);
  }

  private static boolean isOnPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String entry : path.split(File.pathSeparator)) {
      if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program))) {
        return true;
      }
    }
    return false;
  }
}
