package dev.xray.api;

/**
 * Root of every exception that xray raises for a failed operation.
 *
 * <p>All xray exceptions are unchecked: a VM manager's failures (a VM that does not exist, QEMU
 * that refuses to start, a full disk) are conditions a caller reports rather than recovers from at
 * each call site. Mistakes in arguments, such as an invalid VM name or a memory size of zero, raise
 * {@link IllegalArgumentException} before anything is written.
 *
 * <pre>
 * XrayException
 *  +-- NotFoundException         a VM, base image or snapshot tag does not exist
 *  +-- AlreadyExistsException    a VM, base image or snapshot tag is already taken
 *  +-- InvalidStateException     the VM is in the wrong state for the operation
 *  +-- QemuException             QEMU failed to start, or its monitor failed
 *  +-- ImageException            qemu-img failed, or an image file is unusable
 *  +-- HostException             the host lacks QEMU, firmware or a working accelerator
 *  +-- XrayTimeoutException      something awaited did not happen in time
 * </pre>
 */
public class XrayException extends RuntimeException {
  /**
   * Creates the exception.
   *
   * @param message what failed, on which value
   */
  public XrayException(String message) {
    super(message);
  }

  /**
   * Creates the exception with the exception that caused it.
   *
   * @param message what failed, on which value
   * @param cause the underlying exception
   */
  public XrayException(String message, Throwable cause) {
    super(message, cause);
  }
}
