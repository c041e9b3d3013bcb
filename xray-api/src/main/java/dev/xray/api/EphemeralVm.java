package dev.xray.api;

/**
 * A VM that removes itself, process and files, when it is closed: for try-with-resources and for
 * test suites.
 *
 * <pre>{@code
 * try (EphemeralVm vm = xray.vms().createEphemeral(spec)) {
 *   vm.start();
 *   vm.awaitSerialLine(Pattern.compile("login:"), Duration.ofMinutes(1));
 * }
 * }</pre>
 *
 * <p>The VM records the process that created it. When that process dies without closing it, the
 * next {@link Xray#open} of the same home folder, from any process, kills and removes it.
 */
public interface EphemeralVm extends Vm, AutoCloseable {
  /** Kills the VM's QEMU if it runs and deletes the VM. Does nothing the second time. */
  @Override
  void close();
}
