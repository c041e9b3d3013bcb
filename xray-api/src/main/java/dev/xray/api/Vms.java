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
   * @param spec the VM's name, base image and hardware
   * @return the new VM, stopped
   * @throws AlreadyExistsException if a VM with the spec's name exists
   * @throws NotFoundException if the spec's base image does not exist
   * @throws HostException if no UEFI firmware for the spec's architecture is installed
   * @throws ImageException if {@code qemu-img} fails
   */
  Vm create(VmSpec spec);

  /**
   * Creates a VM like {@link #create(VmSpec)} that deletes itself when closed, or when this
   * process dies, at the next {@link Xray#open} of the home folder.
   *
   * @param spec the VM's name, base image and hardware
   * @return the new VM, stopped, which the caller closes
   * @see #create(VmSpec)
   */
  EphemeralVm createEphemeral(VmSpec spec);

  /**
   * Creates a VM from {@code spec}, starts it, runs {@code warmUp} on it (typically a wait for a
   * serial line), then freezes its state as a template for warm starts. The template deletes
   * itself when closed, or when this process dies.
   *
   * @param spec the template's name, base image and hardware
   * @param warmUp the action that brings the running guest to the state that clones start in
   * @return the frozen template, which the caller closes
   * @throws AlreadyExistsException if a VM with the spec's name exists
   * @throws QemuException if saving the state fails; the VM is then removed
   */
  VmTemplate createTemplate(VmSpec spec, java.util.function.Consumer<Vm> warmUp);

  /**
   * Lists the VMs. Reads only files; it never waits for a busy VM.
   *
   * @return every VM, sorted by name
   */
  List<Vm> list();

  /**
   * Finds a VM by name.
   *
   * @param name the VM's name
   * @return the VM called {@code name}, or empty if there is none
   */
  Optional<Vm> find(String name);

  /**
   * Returns the VM called {@code name}.
   *
   * @param name the VM's name
   * @return the VM
   * @throws NotFoundException if there is none
   */
  Vm get(String name);
}
