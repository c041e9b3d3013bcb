package dev.xray.api;

/**
 * A booted VM frozen for warm starts: its memory and device state saved once, so that each clone
 * starts where the template stood instead of booting.
 *
 * <pre>{@code
 * try (VmTemplate template = xray.vms().createTemplate(spec,
 *     vm -> vm.awaitSerialLine(READY, Duration.ofMinutes(1)))) {
 *   try (EphemeralVm clone = template.startClone("test-1")) {
 *     // the guest runs as the template did when it was frozen
 *   }
 * }
 * }</pre>
 *
 * <h2>How it works</h2>
 *
 * The template VM boots, the warm-up action runs, then QEMU pauses it and writes its state to
 * {@code state.bin} in the template's folder (a migration to a file) and quits. The template's
 * overlay becomes a read-only backing file. A clone gets a new overlay backed by it, a copy of the
 * UEFI variable store, and starts QEMU with that state as incoming migration, so its RAM, devices
 * and disk match the moment the template was frozen.
 *
 * <h2>Limits</h2>
 *
 * <ul>
 *   <li>Clones have the template's memory size, vCPUs and devices; only the name differs.
 *   <li>Clones do not copy the template's SSH port or port forwards, because two QEMUs cannot
 *       listen on one host port. A clone of a template with a cloud-init seed gets an SSH
 *       forward on a free port that xray picks for it.
 *   <li>Every clone's guest has the same identity as the template (host keys, machine id, random
 *       seed, network addresses). Guests that need unique identities must renew them.
 *   <li>The guest clock continues from the template's; guests that need the wall time must sync.
 *   <li>The saved state is about as large as the guest RAM in use, and is read by each start.
 * </ul>
 */
public interface VmTemplate extends AutoCloseable {
  /**
   * Returns the template's name.
   *
   * @return the name, which is also the name of its folder under {@code vms/}
   */
  String name();

  /**
   * Creates a clone called {@code name} and starts it from the template's saved state. Returns
   * once the clone's vCPUs run.
   *
   * @param name the clone's name; see {@link Names} for the rule
   * @return the running clone, which removes itself when closed
   * @throws IllegalArgumentException if {@code name} is invalid
   * @throws AlreadyExistsException if a VM with that name exists
   * @throws QemuException if QEMU fails to load the saved state
   */
  EphemeralVm startClone(String name);

  /**
   * Deletes the template.
   *
   * @throws InvalidStateException if clones of it still exist; close them first
   */
  @Override
  void close();
}
