package dev.xray.junit;

import dev.xray.api.Architecture;
import dev.xray.core.HostRequirements;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Checks whether this host can run VMs, through {@link HostRequirements}, and whether a missing
 * QEMU must fail tests.
 */
class HostCheck {
  /** Environment variable that makes a missing QEMU fail tests when 1, and skip them when 0. */
  static final String REQUIRE_VARIABLE = "XRAY_REQUIRE_QEMU";

  private final UnaryOperator<String> environment;

  HostCheck() {
    this(System::getenv);
  }

  /** Creates a check that reads environment variables through {@code environment}. */
  HostCheck(UnaryOperator<String> environment) {
    this.environment = environment;
  }

  /**
   * Returns what is missing to run VMs of {@code architectures}: one message per missing program
   * or firmware, each naming the package to install. The list is empty when nothing is missing.
   */
  List<String> missing(Set<Architecture> architectures) {
    return HostRequirements.missing(architectures);
  }

  /**
   * Returns whether a missing QEMU must fail tests instead of skipping them: only with {@code
   * XRAY_REQUIRE_QEMU=1}. {@code CI=true} alone does not count, because CI services set it on
   * every runner, also on those without QEMU.
   */
  boolean isRequired() {
    return "1".equals(environment.apply(REQUIRE_VARIABLE));
  }
}
