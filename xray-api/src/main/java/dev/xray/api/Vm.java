package dev.xray.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A handle on one VM of a home folder. A handle holds only the VM's name and folder; every call
 * reads the current state from disk and from the VM's QEMU process, so handles never go stale and
 * any number of handles and programs may act on one VM. Operations that change the VM take a lock
 * on the VM's folder, so two of them never run at once.
 */
public interface Vm {
  /**
   * Returns the VM's name.
   *
   * @return the name, which is also the name of its folder under {@code vms/}
   */
  String name();

  /**
   * Returns the VM's folder.
   *
   * @return the folder under the home folder's {@code vms/}
   */
  Path directory();

  /**
   * Reads the VM's configuration.
   *
   * @return the spec stored in the VM's {@code vm.toml}
   */
  VmSpec spec();

  /**
   * Returns the current status; a query of a running VM's monitor waits at most 2 seconds.
   *
   * @return the status of the VM's QEMU process
   */
  VmStatus status();

  /**
   * Returns the configuration, status, disk chain and snapshots.
   *
   * @return the VM's state at this moment
   */
  VmInfo info();

  /**
   * Starts QEMU in the background and returns once its monitor responds and the vCPUs run. A VM
   * whose QEMU runs paused, for example after an interrupted start, is resumed instead.
   *
   * @throws InvalidStateException if the VM is already running
   * @throws QemuException if QEMU fails to start; the message contains QEMU's own error text
   * @throws HostException if QEMU, the firmware or a forced accelerator is missing
   */
  void start();

  /**
   * Starts QEMU with a different accelerator or display for this run only. A null argument keeps
   * the VM's own setting; a non-null accelerator overrides {@code XRAY_ACCEL} too.
   *
   * @param accelerator the accelerator for this run, or null for the VM's own
   * @param display the display for this run, or null for the VM's own
   * @see #start()
   */
  void start(Accelerator accelerator, Display display);

  /**
   * Presses the guest's ACPI power button and waits until QEMU exits.
   *
   * @param timeout how long to wait for the guest to power off
   * @throws XrayTimeoutException if the guest did not power off within {@code timeout}; the VM
   *     is still running and {@link #kill()} ends it
   */
  void stop(Duration timeout);

  /** Ends QEMU at once, as pulling the power cord would. Does nothing if the VM is stopped. */
  void kill();

  /**
   * Returns the VM's snapshots.
   *
   * @return the snapshots of this VM's disk and UEFI variable store
   */
  Snapshots snapshots();

  /**
   * Waits until a line of the guest's serial console output matches {@code pattern}, and returns
   * that line. The whole output since the VM started is searched, so a line printed before the
   * call is found too.
   *
   * @param pattern the pattern that a line must contain
   * @param timeout how long to wait
   * @return the first matching line, without its line end
   * @throws XrayTimeoutException if no line matches in time; the message shows the last lines
   * @throws QemuException if QEMU exits before a line matches
   */
  String awaitSerialLine(Pattern pattern, Duration timeout);

  /**
   * Waits until {@code guestPort} in the guest accepts a TCP connection made through its forward
   * on 127.0.0.1, and returns the host port. QEMU's user network accepts every connection on the
   * host side at once, so xray checks in QEMU's connection table that the guest side of its probe
   * connection was established.
   *
   * @param guestPort the TCP port in the guest
   * @param timeout how long to wait
   * @return the host port on 127.0.0.1 that forwards to {@code guestPort}
   * @throws IllegalArgumentException if the VM forwards no host port to {@code guestPort}
   * @throws XrayTimeoutException if the port does not answer in time; the message shows the
   *     serial console's last lines
   */
  int awaitGuestPort(int guestPort, Duration timeout);

  /**
   * Waits until the guest's SSH server sends its {@code SSH-} version line through the VM's SSH
   * forward on 127.0.0.1, and returns the host port. Reading the line matters because QEMU's user
   * network accepts the host side of a connection even when nothing listens in the guest.
   *
   * @param timeout how long to wait
   * @return the SSH forward's host port
   * @throws IllegalArgumentException if the VM has no SSH forward
   * @throws InvalidStateException if the VM is not running
   * @throws XrayTimeoutException if no version line arrives in time; the message names the port
   *     and shows the serial console's last lines
   * @throws QemuException if QEMU exits first
   */
  int awaitSsh(Duration timeout);

  /**
   * Waits for the next QMP event called {@code eventName}, for example {@code RESUME}, from now
   * on. Events that QEMU sent before the call are not seen.
   *
   * @param eventName the QMP event name
   * @param timeout how long to wait
   * @return the event
   * @throws XrayTimeoutException if no such event arrives in time
   * @throws InvalidStateException if the VM is not running
   */
  VmEvent awaitEvent(String eventName, Duration timeout);

  /**
   * Opens the guest's first serial port for reading and writing; one client at a time.
   *
   * @return the connection, which the caller closes
   */
  SerialConsole openConsole();

  /**
   * Deletes the VM's folder, overlay and snapshots.
   *
   * @throws InvalidStateException if the VM is running; stop or {@link #kill()} it first
   */
  void remove();
}
