package dev.xray.core;

import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import dev.xray.core.internal.Firmware;
import dev.xray.core.internal.QemuBinaries;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The programs and firmware that xray-core needs on this host to run VMs: {@code
 * qemu-system-ARCH}, {@code qemu-img} and UEFI firmware, found the way xray-core finds them when
 * it creates and starts a VM.
 */
public final class HostRequirements {
  private HostRequirements() {}

  /**
   * Finds what is missing to run VMs of {@code architectures}.
   *
   * @param architectures the guest architectures to check
   * @return one message per missing program or firmware, each naming the package to install,
   *     sorted and without repeats; empty when nothing is missing
   */
  public static List<String> missing(Set<Architecture> architectures) {
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
}
