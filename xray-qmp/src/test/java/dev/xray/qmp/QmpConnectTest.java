package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.qmp.testing.FakeQmpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.newsclub.net.unix.AFUNIXServerSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.junit.jupiter.api.io.TempDir;

/** Connecting: greeting, capability negotiation and connect failures, against the fake server. */
class QmpConnectTest {

  private static final Duration SHORT = Duration.ofMillis(300);

  @TempDir Path dir;

  @Test
  void connectNegotiatesWithoutCapabilities() throws Exception {
    try (FakeQmpServer server =
            FakeQmpServer.builder(dir).version(8, 1, 3).packageName("v8.1.3").start();
        QmpClient client = QmpClient.connect(server.socketPath())) {
      assertThat(client.greeting().version()).isEqualTo(new QmpVersion(8, 1, 3, "v8.1.3"));
      assertThat(client.greeting().capabilities()).containsExactly("oob");
      assertThat(client.isOpen()).isTrue();

      ObjectNode negotiation = server.receivedCommands().get(0);
      assertThat(negotiation.path("execute").asText()).isEqualTo("qmp_capabilities");
      assertThat(negotiation.has("arguments")).isFalse();
      assertThat(negotiation.path("id").asText()).startsWith("xray-");
    }
  }

  @Test
  void connectEnablesOobWhenRequested() throws Exception {
    QmpOptions options = QmpOptions.builder().enableOob(true).build();
    try (FakeQmpServer server = FakeQmpServer.start(dir);
        QmpClient client = QmpClient.connect(server.socketPath(), options)) {
      ObjectNode negotiation = server.receivedCommands().get(0);
      assertThat(negotiation.path("arguments").path("enable").toString()).isEqualTo("[\"oob\"]");
    }
  }

  @Test
  void connectFailsWhenOobNotOffered() throws Exception {
    QmpOptions options = QmpOptions.builder().enableOob(true).build();
    try (FakeQmpServer server = FakeQmpServer.builder(dir).capabilities().start()) {
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath(), options))
          .isInstanceOf(QmpConnectException.class)
          .hasMessageContaining("does not offer the 'oob' capability");
    }
  }

  @Test
  void connectFailsWhenNegotiationIsRejected() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.start(dir)) {
      server.onCommand("qmp_capabilities").replyError("GenericError", "no thanks");
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath()))
          .isInstanceOf(QmpConnectException.class)
          .hasMessageContaining("capability negotiation")
          .hasMessageContaining("no thanks")
          .hasCauseInstanceOf(QmpCommandException.class);
    }
  }

  @Test
  void connectTimesOutWithoutGreeting() throws Exception {
    QmpOptions options = QmpOptions.builder().connectTimeout(SHORT).build();
    try (FakeQmpServer server = FakeQmpServer.builder(dir).noGreeting().start()) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath(), options))
          .isInstanceOf(QmpTimeoutException.class)
          .hasMessageContaining("timed out after 300 ms waiting for the QMP greeting")
          .hasMessageContaining(server.socketPath().toString())
          .hasMessageContaining("another client may be connected")
          .satisfies(e -> assertThat(((QmpTimeoutException) e).timeout()).isEqualTo(SHORT));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }
  }

  @Test
  void connectTimesOutWithoutNegotiationReply() throws Exception {
    QmpOptions options = QmpOptions.builder().connectTimeout(SHORT).build();
    try (FakeQmpServer server = FakeQmpServer.start(dir)) {
      server.onCommand("qmp_capabilities");
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath(), options))
          .isInstanceOf(QmpTimeoutException.class)
          .hasMessageContaining("no reply to qmp_capabilities");
    }
  }

  @Test
  void connectFailsOnGreetingWithoutQmpMember() throws Exception {
    try (FakeQmpServer server =
        FakeQmpServer.builder(dir).rawGreeting("{\"hello\": \"world\"}\r\n").start()) {
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath()))
          .isInstanceOf(QmpProtocolException.class)
          .hasMessageContaining("expected the QMP greeting")
          .hasMessageContaining("hello");
    }
  }

  @Test
  void connectFailsOnGreetingWithInvalidVersion() throws Exception {
    String greeting = "{\"QMP\": {\"version\": {\"qemu\": {\"major\": \"seven\"}}}}\r\n";
    try (FakeQmpServer server = FakeQmpServer.builder(dir).rawGreeting(greeting).start()) {
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath()))
          .isInstanceOf(QmpProtocolException.class)
          .hasMessageContaining("invalid 'major' version number");
    }
  }

  @Test
  void connectFailsOnNonJsonGreeting() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.builder(dir).rawGreeting("hello\r\n").start()) {
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath()))
          .isInstanceOf(QmpProtocolException.class)
          .hasMessageContaining("invalid JSON");
    }
  }

  @Test
  void connectFailsWhenServerClosesBeforeGreeting() throws Exception {
    try (FakeQmpServer server = FakeQmpServer.builder(dir).rawGreeting("").start()) {
      server.onAnyCommand();
      Thread closer = new Thread(() -> awaitClientThenDisconnect(server));
      closer.start();
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath()))
          .isInstanceOf(QmpProtocolException.class)
          .hasMessageContaining("without sending a QMP greeting");
      closer.join();
    }
  }

  @Test
  void connectFailsWhenSocketIsMissing() {
    Path missing = dir.resolve("missing.sock");
    assertThatThrownBy(() -> QmpClient.connect(missing))
        .isInstanceOf(QmpConnectException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist")
        .hasCauseInstanceOf(java.io.IOException.class)
        .satisfies(e -> assertThat(((QmpConnectException) e).socket()).isEqualTo(missing));
  }

  @Test
  void connectFailsOnTooLongPath() {
    Path tooLong = dir.resolve("x".repeat(200) + ".sock");
    assertThatThrownBy(() -> QmpClient.connect(tooLong))
        .isInstanceOf(QmpConnectException.class)
        .hasMessageContaining(tooLong.toString());
  }

  @Test
  void secondClientTimesOutUntilFirstDisconnects() throws Exception {
    QmpOptions options = QmpOptions.builder().connectTimeout(SHORT).build();
    try (FakeQmpServer server = FakeQmpServer.start(dir)) {
      QmpClient first = QmpClient.connect(server.socketPath());
      assertThatThrownBy(() -> QmpClient.connect(server.socketPath(), options))
          .isInstanceOf(QmpTimeoutException.class);

      first.close();
      try (QmpClient second = QmpClient.connect(server.socketPath())) {
        assertThat(second.isOpen()).isTrue();
      }
    }
  }

  @Test
  @Timeout(30)
  void connectGivesUpWhenTheBacklogStaysFull() throws Exception {
    Path path = dir.resolve("stalled.sock");
    AFUNIXSocketAddress address = AFUNIXSocketAddress.of(path);
    List<AFUNIXSocketChannel> queued = new ArrayList<>();
    // A listener that never accepts, like a QEMU stopped with SIGSTOP: the connects that fit
    // its backlog wait in it, and the next connect cannot be queued.
    try (AFUNIXServerSocketChannel listener = AFUNIXServerSocketChannel.open()) {
      listener.bind(address, 1);
      while (true) {
        AFUNIXSocketChannel channel = AFUNIXSocketChannel.open();
        channel.configureBlocking(false);
        queued.add(channel);
        if (!channel.connect(address)) {
          break;
        }
        assertThat(queued).as("connects the backlog took").hasSizeLessThan(64);
      }
      QmpOptions options = QmpOptions.builder().connectTimeout(SHORT).build();
      long startNanos = System.nanoTime();

      assertThatThrownBy(() -> QmpClient.connect(path, options))
          .isInstanceOf(QmpTimeoutException.class)
          .hasMessageContaining(path.toString())
          .hasMessageContaining("backlog is full");

      assertThat(Duration.ofNanos(System.nanoTime() - startNanos))
          .isBetween(SHORT, SHORT.multipliedBy(10));
    } finally {
      for (AFUNIXSocketChannel channel : queued) {
        channel.close();
      }
    }
  }

  @Test
  void connectLogsStepsAndWireTraffic() throws Exception {
    QmpOptions options = QmpOptions.builder().loggerName("logged").build();
    try (LogCapture logs = new LogCapture();
        FakeQmpServer server = FakeQmpServer.start(dir);
        QmpClient client = QmpClient.connect(server.socketPath(), options)) {
      assertThat(logs.linesContaining("dev.xray.qmp.logged", "negotiating capabilities"))
          .hasSize(1);
      assertThat(logs.linesContaining("dev.xray.qmp.wire.logged", "<-- {\"QMP\""))
          .hasSize(1);
      assertThat(
              logs.linesContaining(
                  "dev.xray.qmp.wire.logged", "--> {\"execute\":\"qmp_capabilities\""))
          .hasSize(1);
      assertThat(logs.lines()).noneMatch(line -> line.contains("WARN"));
    }
  }

  private static void awaitClientThenDisconnect(FakeQmpServer server) {
    try {
      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (server.connectionCount() == 0 && System.nanoTime() < end) {
        Thread.sleep(5);
      }
      server.disconnectClient();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
