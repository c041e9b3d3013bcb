package dev.xray.qmp.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.qmp.QmpClient;
import dev.xray.qmp.QmpCommandException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake server's own contract: scripts, defaults and bookkeeping. */
class FakeQmpServerTest {

  @TempDir Path dir;

  @Test
  void limitedScriptGivesWayToLaterScript() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start(dir);
        QmpClient client = QmpClient.connect(server.socketPath())) {
      server
          .onCommand("query-status")
          .times(1)
          .reply("{\"status\": \"paused\", \"running\": false}");
      server.onCommand("query-status").reply("{\"status\": \"running\", \"running\": true}");

      assertThat(client.queryStatus().status()).isEqualTo("paused");
      assertThat(client.queryStatus().status()).isEqualTo("running");
      assertThat(client.queryStatus().status()).isEqualTo("running");
    }
  }

  @Test
  void unscriptedCommandGetsCommandNotFound() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start(dir);
        QmpClient client = QmpClient.connect(server.socketPath())) {
      assertThatThrownBy(() -> client.execute("query-pci"))
          .isInstanceOf(QmpCommandException.class)
          .hasMessageContaining("CommandNotFound");
    }
  }

  @Test
  void receivedCommandsAreRecordedInOrder() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start(dir);
        QmpClient client = QmpClient.connect(server.socketPath())) {
      server.onCommand("stop").reply("{}");
      client.stop();

      assertThat(server.receivedCommandNames()).containsExactly("qmp_capabilities", "stop");
      assertThat(server.awaitCommand("cont", Duration.ofMillis(50))).isEmpty();
      assertThat(server.connectionCount()).isEqualTo(1);
    }
  }

  @Test
  void invalidScriptJsonIsRejectedAtOnce() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start(dir)) {
      assertThatThrownBy(() -> server.onCommand("stop").reply("{not json"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid JSON in a fake QMP script");
    }
  }

  @Test
  void sendEventWithoutClientIsRejected() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start(dir)) {
      assertThatThrownBy(() -> server.sendEvent("STOP", null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no client is connected");
    }
  }

  @Test
  void closeDeletesSocketFile() throws Exception {
    FakeQmpServer server = FakeQmpServer.start(dir);
    assertThat(Files.exists(server.socketPath())).isTrue();

    server.close();
    server.close();

    assertThat(Files.exists(server.socketPath())).isFalse();
  }
}
