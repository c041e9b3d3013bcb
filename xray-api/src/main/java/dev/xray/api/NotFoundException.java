package dev.xray.api;

/** Raised when a VM, base image or snapshot tag that an operation names does not exist. */
public class NotFoundException extends XrayException {
  /**
   * Creates the exception.
   *
   * @param message which name was not found, and where
   */
  public NotFoundException(String message) {
    super(message);
  }
}
