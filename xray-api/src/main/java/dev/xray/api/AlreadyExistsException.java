package dev.xray.api;

/** Raised when a VM, base image or snapshot tag to be created is already taken. */
public class AlreadyExistsException extends XrayException {
  /**
   * Creates the exception.
   *
   * @param message which name is taken, and where
   */
  public AlreadyExistsException(String message) {
    super(message);
  }
}
