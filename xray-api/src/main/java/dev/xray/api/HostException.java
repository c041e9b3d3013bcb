package dev.xray.api;

/**
 * Raised when the host cannot run a VM as requested: no QEMU binary, no UEFI firmware, a forced
 * accelerator that does not work, or a home folder path that QEMU cannot use. The message names
 * what is missing and how to provide it.
 */
public class HostException extends XrayException {
  public HostException(String message) {
    super(message);
  }

  public HostException(String message, Throwable cause) {
    super(message, cause);
  }
}
