package dev.xray.api;

import java.nio.file.Path;

/**
 * The service that {@link Xray#open(Path)} finds with {@link java.util.ServiceLoader};
 * {@code xray-core} provides it. Applications call {@link Xray} instead.
 */
public interface XrayProvider {
  /**
   * Opens the home folder at {@code home}, creating it if needed.
   *
   * @param home the home folder
   * @return the home's bases and VMs
   */
  Xray open(Path home);
}
