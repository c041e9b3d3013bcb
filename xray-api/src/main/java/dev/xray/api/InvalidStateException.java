package dev.xray.api;

/**
 * Raised when a VM is in the wrong state for an operation, for example removing a running VM or
 * loading a disk-only snapshot into a running VM. Nothing was changed.
 */
public class InvalidStateException extends XrayException {
  /** The VM's status when the operation was rejected. */
  private final VmStatus status;

  /**
   * Creates the exception.
   *
   * @param message which operation was rejected, and what to do first
   * @param status the VM's status when the operation was rejected
   */
  public InvalidStateException(String message, VmStatus status) {
    super(message);
    this.status = status;
  }

  /**
   * Returns the VM's status when the operation was rejected.
   *
   * @return the status
   */
  public VmStatus status() {
    return status;
  }
}
