package dev.xray.api;

import java.util.List;
import java.util.Optional;

/** The VMs of one xray home folder. Thread-safe. */
public interface Vms {
  /**
   * Creates a stopped VM: its folder, {@code vm.toml}, a qcow2 overlay backed by the base image
   * through a relative path, and its own UEFI variable store. Everything is written under a
   * temporary name and renamed into place, so a failed or interrupted create leaves no VM behind.
   *
   * @throws AlreadyExistsException if a VM with the spec's name exists
   * @throws NotFoundException if the spec's base image does not exist
   * @throws HostException if no UEFI firmware for the spec's architecture is installed
   * @throws ImageException if {@code qemu-img} fails
   */
  Vm create(VmSpec spec);

  /** Returns every VM, sorted by name. Reads only files; it never waits for a busy VM. */
  List<Vm> list();

  /** Returns the VM called {@code name}, if there is one. */
  Optional<Vm> find(String name);

  /**
   * Returns the VM called {@code name}.
   *
   * @throws NotFoundException if there is none
   */
  Vm get(String name);
}
