package dev.xray.core;

import dev.xray.api.Xray;
import dev.xray.api.XrayProvider;
import dev.xray.core.internal.LocalXray;
import java.nio.file.Path;

/** The {@link XrayProvider} of xray-core, found by {@link Xray#open(Path)}. */
public final class LocalXrayProvider implements XrayProvider {
  @Override
  public Xray open(Path home) {
    return LocalXray.open(home);
  }
}
