package dev.xray.junit;

import dev.xray.api.EphemeralVm;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started VM of one field, stored in the {@code ExtensionContext.Store} of the test or class it
 * belongs to, so that JUnit closes it when that test or class ends, also after a failure.
 */
final class VmResource implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VmResource.class);

  private final EphemeralVm vm;
  private final VmField field;

  VmResource(EphemeralVm vm, VmField field) {
    this.vm = vm;
    this.field = field;
  }

  EphemeralVm vm() {
    return vm;
  }

  VmField field() {
    return field;
  }

  /** Reads the last lines the VM's serial console printed. */
  SerialTail serialTail() {
    return SerialTail.read(vm.name(), vm.directory());
  }

  /** Kills the VM's QEMU and deletes the VM. */
  @Override
  public void close() {
    long startNanos = System.nanoTime();
    vm.close();
    log.debug("removed VM {} of {} in {} ms", vm.name(), field.describe(),
        (System.nanoTime() - startNanos) / 1_000_000);
  }
}
