package dev.xray.api;

/** Raised when a VM, base image or snapshot tag to be created is already taken. */
public class AlreadyExistsException extends XrayException {
  public AlreadyExistsException(String message) {
    super(message);
  }
}
