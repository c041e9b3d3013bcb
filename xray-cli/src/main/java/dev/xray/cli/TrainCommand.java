package dev.xray.cli;

import dev.xray.qmp.QmpClient;
import dev.xray.qmp.testing.FakeQmpServer;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code xray __train}, a hidden command: the launcher's training run for its class data sharing
 * archive. It runs {@code list} and {@code list --json} on the home folder it is given, and a status
 * query through xray's QMP client against a fake monitor, so that the archive also contains the
 * classes a running VM's status needs: junixsocket's, the QMP client's and Jackson's, which make
 * up most of a {@code list} of running VMs when they come from the jars.
 */
@Command(name = "__train", hidden = true)
final class TrainCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    PrintWriter discard = new PrintWriter(Writer.nullWriter());
    Main.newCommandLine(discard, discard, false, "list").execute("list");
    Main.newCommandLine(discard, discard, false, "list").execute("list", "--json");
    Path folder = Files.createTempDirectory("xray-train-");
    try (FakeQmpServer monitor = FakeQmpServer.start(folder)) {
      monitor.onCommand("query-status").reply("{\"status\": \"running\", \"running\": true}");
      try (QmpClient client = QmpClient.connect(monitor.socketPath())) {
        client.queryStatus();
      }
    } finally {
      try (var files = Files.list(folder)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(file);
        }
      }
      Files.deleteIfExists(folder);
    }
    return 0;
  }
}
