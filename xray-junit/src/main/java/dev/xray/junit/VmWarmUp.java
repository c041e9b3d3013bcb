package dev.xray.junit;

import dev.xray.api.Vm;

/**
 * Prepares a started VM before tests use it: for example, writes files into the guest or starts
 * a service. {@link XrayVm#warmUp()} names the class, and the extension creates one instance per
 * VM with the constructor that takes no arguments.
 *
 * <pre>{@code
 * static final class WriteConfig implements VmWarmUp {
 *   @Override
 *   public void warmUp(Vm vm) {
 *     try (SerialConsole console = vm.openConsole()) {
 *       TinyGuest.runCommand(console, "echo ready > /tmp/config", Duration.ofSeconds(20));
 *     }
 *   }
 * }
 * }</pre>
 */
@FunctionalInterface
public interface VmWarmUp {
  /**
   * Prepares {@code vm}, which runs and has printed its ready line if one was set. An exception
   * fails the tests that would use the VM, and the VM is removed.
   *
   * @param vm the running VM
   * @throws Exception if the VM cannot be prepared
   */
  void warmUp(Vm vm) throws Exception;

  /** The default warm-up, which does nothing. */
  final class None implements VmWarmUp {
    /** Creates the warm-up. The extension calls this constructor by reflection. */
    public None() {}

    /** Does nothing. */
    @Override
    public void warmUp(Vm vm) {}
  }
}
