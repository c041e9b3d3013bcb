package dev.xray.examples.modular;

import dev.xray.api.Architecture;
import dev.xray.api.Xray;
import dev.xray.core.HostRequirements;
import dev.xray.junit.XrayTest;
import dev.xray.qmp.QmpClient;
import dev.xray.qmp.testing.FakeQmpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * Opens a home folder through the {@link java.util.ServiceLoader}, lists its bases, sends a QMP
 * command to a fake server over a unix socket, and prints one line with what it found.
 *
 * <p>Usage: {@code ModularCheck HOME}. The fake server's socket goes into a folder beside HOME.
 */
public final class ModularCheck {
  private ModularCheck() {}

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    Xray xray = Xray.open(home);
    int bases = xray.bases().list().size();
    int vms = xray.vms().list().size();

    Path qmpFolder = Files.createDirectories(home.resolveSibling("qmp"));
    String qmpStatus;
    try (FakeQmpServer server = FakeQmpServer.start(qmpFolder);
        QmpClient client = QmpClient.connect(server.socketPath())) {
      server.onCommand("query-status").reply("{\"status\": \"running\", \"running\": true}");
      qmpStatus = client.queryStatus().status();
    }

    // What is missing depends on the host, so the check needs only that the call links and runs.
    int missing = HostRequirements.missing(EnumSet.of(Architecture.host())).size();
    System.out.println("provider=" + xray.getClass().getModule().getName()
        + " home=" + Files.isDirectory(home) + " bases=" + bases + " vms=" + vms
        + " qmp=" + qmpStatus + " host-missing=" + missing
        + " junit=" + XrayTest.class.getModule().getName());
  }
}
