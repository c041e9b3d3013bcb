package dev.xray.api;

/**
 * Raised when the host cannot run a VM as requested: no QEMU binary, no UEFI firmware, a forced
 * accelerator that does not work, or a home folder path that QEMU cannot use. The message names
 * what is missing and how to provide it.
 */
public class HostException extends XrayException {
  /**
   * Creates the exception.
   *
   * @param message what is missing and how to provide it
   */
  public HostException(String message) {
    super(message);
  }

  /**
   * Creates the exception with the exception that caused it.
   *
   * @param message what is missing and how to provide it
   * @param cause the underlying exception
   */
  public HostException(String message, Throwable cause) {
    super(message, cause);
  }
}
