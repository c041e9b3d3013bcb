package dev.xray.core.internal;

import dev.xray.api.EphemeralVm;
import dev.xray.api.NotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A VM that is removed when closed, or when the process that owns it is gone. */
final class LocalEphemeralVm extends LocalVm implements EphemeralVm {
  private static final Logger log = LoggerFactory.getLogger(LocalEphemeralVm.class);

  private boolean closed;

  LocalEphemeralVm(LocalXray xray, String name) {
    super(xray, name);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      kill();
      remove();
    } catch (NotFoundException e) {
      log.debug("ephemeral VM {} was already removed", name());
    }
  }

  /** Writes the owner record of the current process into a VM folder being created. */
  static void writeOwner(Path ownerFile) throws IOException {
    ProcessHandle self = ProcessHandle.current();
    long started = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
    AtomicFiles.writeString(ownerFile, self.pid() + " " + started + "\n");
  }

  /**
   * Returns whether the process named in {@code ownerFile} is gone: no such pid, or a process
   * with that pid that started at another time (the pid was reused).
   */
  static boolean ownerIsGone(Path ownerFile) {
    Optional<String> text;
    try {
      text = Optional.of(Files.readString(ownerFile).strip());
    } catch (IOException e) {
      return false;
    }
    String[] fields = text.get().split(" ");
    if (fields.length != 2) {
      return false;
    }
    try {
      long pid = Long.parseLong(fields[0]);
      long started = Long.parseLong(fields[1]);
      Optional<ProcessHandle> owner = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
      if (owner.isEmpty()) {
        return true;
      }
      Optional<Instant> ownerStart = owner.get().info().startInstant();
      return ownerStart.isPresent() && started != 0
          && Math.abs(ownerStart.get().toEpochMilli() - started) > 1000;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
