package dev.xray.api;

/**
 * Raised when a VM is in the wrong state for an operation, for example removing a running VM or
 * loading a disk-only snapshot into a running VM. Nothing was changed.
 */
public class InvalidStateException extends XrayException {
  private final VmStatus status;

  public InvalidStateException(String message, VmStatus status) {
    super(message);
    this.status = status;
  }

  /** The VM's status when the operation was rejected. */
  public VmStatus status() {
    return status;
  }
}
