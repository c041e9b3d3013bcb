package dev.xray.junit;

import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import dev.xray.core.internal.Firmware;
import dev.xray.core.internal.QemuBinaries;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;

/**
 * Checks whether this host can run VMs: {@code qemu-system-ARCH}, {@code qemu-img} and UEFI
 * firmware, found the way xray-core finds them when it creates and starts a VM.
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
    Set<String> missing = new TreeSet<>();
    probe(missing, QemuBinaries::qemuImg);
    for (Architecture architecture : architectures) {
      probe(missing, () -> QemuBinaries.system(architecture));
      probe(missing, () -> Firmware.find(architecture,
          QemuBinaries.searchPathProgram(architecture)));
    }
    return new ArrayList<>(missing);
  }

  private static void probe(Set<String> missing, Runnable lookup) {
    try {
      lookup.run();
    } catch (HostException e) {
      missing.add(e.getMessage());
    }
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
