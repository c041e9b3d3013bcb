package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.qmp.testing.FakeQmpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Calls and replies against the fake server: id matching, framing, failures and timeouts. */
class QmpCallTest {

  private static final Duration SHORT = Duration.ofMillis(200);
  private static final String RUNNING =
      "{\"status\": \"running\", \"running\": true, \"singlestep\": false}";

  @TempDir Path dir;

  private final List<AutoCloseable> resources = new ArrayList<>();

  @AfterEach
  void closeResources() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
  }

  private FakeQmpServer server() throws Exception {
    return keep(FakeQmpServer.start(dir));
  }

  private QmpClient connect(FakeQmpServer server) throws Exception {
    return keep(QmpClient.connect(server.socketPath()));
  }

  private QmpClient connect(FakeQmpServer server, String loggerName) throws Exception {
    QmpOptions options = QmpOptions.builder().loggerName(loggerName).build();
    return keep(QmpClient.connect(server.socketPath(), options));
  }

  private <T extends AutoCloseable> T keep(T resource) {
    resources.add(resource);
    return resource;
  }

  @Test
  void replyMatchedByIdWhenEventsInterleave() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("query-status").event("STOP").event("RESUME").reply(RUNNING).event("NEXT");
    QmpClient client = connect(server);

    try (QmpEventStream events = client.events()) {
      QmpStatus status = client.queryStatus();

      assertThat(status).isEqualTo(new QmpStatus("running", true, false));
      assertThat(events.next(SHORT).name()).isEqualTo("STOP");
      assertThat(events.next(SHORT).name()).isEqualTo("RESUME");
      assertThat(events.next(SHORT).name()).isEqualTo("NEXT");
    }
  }

  @Test
  void repliesOutOfOrderReachTheirCallers() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("first").defer("{\"n\": 1}");
    server.onCommand("second").reply("{\"n\": 2}").sendDeferred();
    QmpClient client = connect(server);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<JsonNode> first = caller.submit(() -> client.execute("first"));
      assertThat(server.awaitCommand("first", Duration.ofSeconds(5))).isPresent();

      JsonNode second = client.execute("second");

      assertThat(second.path("n").asInt()).isEqualTo(2);
      assertThat(first.get(5, TimeUnit.SECONDS).path("n").asInt()).isEqualTo(1);
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  void replySplitAcrossSmallWritesIsAssembled() throws Exception {
    FakeQmpServer server =
        keep(FakeQmpServer.builder(dir).splitWrites(3, Duration.ofMillis(1)).start());
    server.onCommand("query-status").event("STOP").reply(RUNNING);
    QmpClient client = connect(server);

    try (QmpEventStream stops = client.events("STOP")) {
      assertThat(client.queryStatus().status()).isEqualTo("running");
      assertThat(stops.next(SHORT).name()).isEqualTo("STOP");
    }
  }

  @Test
  void multiMegabyteReplyIsReceived() throws Exception {
    FakeQmpServer server = server();
    String big = "x".repeat(4 * 1024 * 1024);
    StringBuilder nodes = new StringBuilder("[");
    for (int i = 0; i < 20_000; i++) {
      nodes.append(i == 0 ? "" : ",").append("{\"node-name\": \"node").append(i).append("\"}");
    }
    nodes.append("]");
    server.onCommand("big").reply("{\"text\": \"" + big + "\", \"nodes\": " + nodes + "}");
    server.onCommand("query-status").reply(RUNNING);
    QmpClient client = connect(server);

    JsonNode reply = client.execute("big");

    assertThat(reply.path("text").asText()).hasSize(big.length());
    assertThat(reply.path("nodes")).hasSize(20_000);
    assertThat(client.queryStatus().running()).isTrue();
  }

  @Test
  void invalidJsonFailsCallAndClosesClient() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("query-status").raw("{\"return\": nope}\r\n");
    QmpClient client = connect(server);

    assertThatThrownBy(client::queryStatus)
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("invalid JSON")
        .hasMessageContaining("'query-status'");
    assertThat(client.isOpen()).isFalse();
    assertThatThrownBy(client::queryStatus)
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("cannot send 'query-status'")
        .hasMessageContaining("invalid JSON");
  }

  @Test
  void invalidJsonFailsEveryPendingCall() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("first");
    server.onCommand("second").raw("\u0001garbage");
    QmpClient client = connect(server);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<JsonNode> first = caller.submit(() -> client.execute("first"));
      assertThat(server.awaitCommand("first", Duration.ofSeconds(5))).isPresent();

      assertThatThrownBy(() -> client.execute("second"))
          .isInstanceOf(QmpProtocolException.class);
      assertThatThrownBy(() -> first.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(QmpProtocolException.class)
          .hasMessageContaining("'first'");
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  void eofMidReplyFailsPendingCall() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("query-status").closeAfterPartialReply(RUNNING);
    QmpClient client = connect(server);

    assertThatThrownBy(client::queryStatus)
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("closed by the server in the middle of a message")
        .hasMessageContaining("'query-status'")
        .satisfies(
            e ->
                assertThat(((QmpConnectionClosedException) e).pendingCommand())
                    .contains("query-status"));
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void eofBeforeReplyNamesPendingCommand() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("stop").closeConnection();
    QmpClient client = connect(server);

    assertThatThrownBy(client::stop)
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("closed by the server while waiting for the reply to 'stop'");
  }

  @Test
  void unansweredCallTimesOutAndConnectionStaysUsable() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("slow");
    server.onCommand("query-status").reply(RUNNING);
    QmpClient client = connect(server);

    long start = System.nanoTime();
    assertThatThrownBy(() -> client.execute("slow", null, SHORT))
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("timed out after 200 ms waiting for the reply to 'slow'")
        .hasMessageContaining(server.socketPath().toString())
        .hasMessageContaining("the connection stays open")
        .satisfies(e -> assertThat(((QmpTimeoutException) e).timeout()).isEqualTo(SHORT))
        .satisfies(e -> assertThat(((QmpTimeoutException) e).awaited()).contains("'slow'"));
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

    assertThat(elapsed).isGreaterThanOrEqualTo(SHORT).isLessThan(Duration.ofSeconds(2));
    assertThat(client.isOpen()).isTrue();
    assertThat(client.queryStatus().status()).isEqualTo("running");
  }

  @Test
  void lateReplyNeverReachesNextCall() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("slow").pause(Duration.ofMillis(400)).reply("{\"from\": \"slow\"}");
    server.onCommand("fast").reply("{\"from\": \"fast\"}");
    try (LogCapture logs = new LogCapture()) {
      QmpClient client = connect(server, "logged");

      assertThatThrownBy(() -> client.execute("slow", null, SHORT))
          .isInstanceOf(QmpTimeoutException.class);
      JsonNode fast = client.execute("fast");

      assertThat(fast.path("from").asText()).isEqualTo("fast");
      assertThat(logs.linesContaining("DEBUG", "dropped the late reply to 'slow'")).hasSize(1);
      assertThat(logs.linesContaining("WARN")).isEmpty();
    }
  }

  @Test
  void unknownIdReplyIsDroppedWithWarning() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("query-status").replyWithId("\"nobody\"", "{}").reply(RUNNING);
    try (LogCapture logs = new LogCapture()) {
      QmpClient client = connect(server);

      assertThat(client.queryStatus().status()).isEqualTo("running");
      assertThat(logs.linesContaining("WARN", "\"nobody\"", "matches no pending call"))
          .hasSize(1);
      assertThat(client.isOpen()).isTrue();
    }
  }

  @Test
  void errorReplyWithoutIdIsDropped() throws Exception {
    FakeQmpServer server = server();
    String parseError =
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n";
    server.onCommand("broken").raw(parseError);
    try (LogCapture logs = new LogCapture()) {
      QmpClient client = connect(server);

      assertThatThrownBy(() -> client.execute("broken", null, SHORT))
          .isInstanceOf(QmpTimeoutException.class);
      assertThat(logs.awaitLinesContaining(SHORT, "WARN", "(none)", "JSON parse error"))
          .hasSize(1);
    }
  }

  @Test
  void errorReplyThrowsCommandException() throws Exception {
    FakeQmpServer server = server();
    QmpClient client = connect(server);
    ObjectNode arguments = client.newArguments().put("device", "disk9");

    assertThatThrownBy(() -> client.execute("no-such-command", arguments))
        .isInstanceOfSatisfying(
            QmpCommandException.class,
            e -> {
              assertThat(e.command()).isEqualTo("no-such-command");
              assertThat(e.arguments()).contains(arguments);
              assertThat(e.errorClass()).contains("CommandNotFound");
              assertThat(e.description())
                  .isEqualTo("The command no-such-command has not been found");
              assertThat(e.reply().path("id").asText()).startsWith("xray-");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "QMP command 'no-such-command' failed: CommandNotFound: "
                          + "The command no-such-command has not been found");
            });
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void quitFollowedByEofIsSuccess() throws Exception {
    FakeQmpServer server = server();
    QmpClient client = connect(server);

    client.quit();

    assertThat(client.isOpen()).isFalse();
    assertThat(server.receivedCommandNames()).containsExactly("qmp_capabilities", "quit");
  }

  @Test
  void quitWithEofBeforeReplyIsSuccess() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("quit").closeConnection();
    QmpClient client = connect(server);

    client.quit();

    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void quitOnClosedClientThrows() throws Exception {
    QmpClient client = connect(server());
    client.close();

    assertThatThrownBy(client::quit)
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("cannot send 'quit'")
        .hasMessageContaining("closed by the caller");
  }

  @Test
  void manyThreadsShareOneConnection() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("echo").then(exchange -> exchange.reply(exchange.arguments()));
    QmpClient client = connect(server);
    int threads = 8;
    int callsPerThread = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        results.add(pool.submit(() -> echoMany(client, thread, callsPerThread)));
      }
      for (Future<Integer> result : results) {
        assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(callsPerThread);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(server.receivedCommands()).hasSize(1 + threads * callsPerThread);
  }

  private static int echoMany(QmpClient client, int thread, int calls) throws QmpException {
    int matched = 0;
    for (int i = 0; i < calls; i++) {
      ObjectNode arguments = client.newArguments().put("thread", thread).put("call", i);
      JsonNode reply = client.execute("echo", arguments);
      if (reply.path("thread").asInt() == thread && reply.path("call").asInt() == i) {
        matched++;
      }
    }
    return matched;
  }

  @Test
  void closeIsIdempotentAndFailsLaterCalls() throws Exception {
    QmpClient client = connect(server());

    client.close();
    client.close();

    assertThat(client.isOpen()).isFalse();
    assertThatThrownBy(client::queryStatus)
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("closed by the caller")
        .satisfies(
            e -> assertThat(((QmpConnectionClosedException) e).pendingCommand()).isEmpty());
  }

  @Test
  void closeFailsPendingCall() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("slow");
    QmpClient client = connect(server);
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try {
      Future<JsonNode> pending = caller.submit(() -> client.execute("slow"));
      assertThat(server.awaitCommand("slow", Duration.ofSeconds(5))).isPresent();

      client.close();

      assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS))
          .hasCauseInstanceOf(QmpConnectionClosedException.class)
          .hasMessageContaining("closed by the caller while waiting for the reply to 'slow'");
    } finally {
      caller.shutdownNow();
    }
  }

  @Test
  void interruptedCallKeepsInterruptStatus() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("slow");
    QmpClient client = connect(server);

    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> client.execute("slow"))
          .isInstanceOf(QmpInterruptedException.class)
          .hasMessageContaining("'slow'");
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void nonPositiveTimeoutIsRejected() throws Exception {
    QmpClient client = connect(server());

    assertThatThrownBy(() -> client.execute("stop", null, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeout must be positive");
  }

  @Test
  void queryStatusWithoutSinglestepReadsFalse() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("query-status").reply("{\"status\": \"paused\", \"running\": false}");
    QmpClient client = connect(server);

    assertThat(client.queryStatus()).isEqualTo(new QmpStatus("paused", false, false));
  }

  @Test
  void queryStatusRejectsReplyWithoutStatus() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("query-status").reply("{\"running\": false}");
    QmpClient client = connect(server);

    assertThatThrownBy(client::queryStatus)
        .isInstanceOf(QmpProtocolException.class)
        .hasMessageContaining("lacks 'status' or 'running'");
    assertThat(client.isOpen()).isTrue();
  }

  @Test
  void queryVersionParsesVersionInfo() throws Exception {
    FakeQmpServer server = server();
    server
        .onCommand("query-version")
        .reply("{\"qemu\": {\"major\": 9, \"minor\": 0, \"micro\": 2}, \"package\": \"\"}");
    QmpClient client = connect(server);

    QmpVersion version = client.queryVersion();

    assertThat(version).isEqualTo(new QmpVersion(9, 0, 2, ""));
    assertThat(version.isAtLeast(8, 2)).isTrue();
    assertThat(version.isAtLeast(9, 1)).isFalse();
  }

  @Test
  void humanMonitorCommandReturnsOutput() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("human-monitor-command").reply("\"VM status: paused (prelaunch)\\r\\n\"");
    QmpClient client = connect(server);

    assertThat(client.humanMonitorCommand("info status"))
        .isEqualTo("VM status: paused (prelaunch)\r\n");
    JsonNode request = server.awaitCommand("human-monitor-command", SHORT).orElseThrow();
    assertThat(request.path("arguments").path("command-line").asText()).isEqualTo("info status");
  }

  @Test
  void humanMonitorCommandErrorOutputThrows() throws Exception {
    FakeQmpServer server = server();
    server
        .onCommand("human-monitor-command")
        .reply("\"Error: Device 'pflash1' is writable but does not support snapshots\\r\\n\"");
    QmpClient client = connect(server);

    assertThatThrownBy(() -> client.humanMonitorCommand("savevm a"))
        .isInstanceOfSatisfying(
            QmpCommandException.class,
            e -> {
              assertThat(e.errorClass()).isEmpty();
              assertThat(e.command()).isEqualTo("human-monitor-command");
              assertThat(e.description())
                  .startsWith("Error: Device 'pflash1'")
                  .doesNotEndWith("\n");
              assertThat(e.getMessage()).startsWith("HMP command 'savevm a' failed: Error:");
            });
  }

  @Test
  void executeOobSendsExecOobWhenEnabled() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("migrate-pause").reply("{}");
    QmpOptions options = QmpOptions.builder().enableOob(true).build();
    QmpClient client = keep(QmpClient.connect(server.socketPath(), options));

    client.executeOob("migrate-pause", null, SHORT);

    JsonNode request = server.awaitCommand("migrate-pause", SHORT).orElseThrow();
    assertThat(request.path("exec-oob").asText()).isEqualTo("migrate-pause");
  }

  @Test
  void executeOobWithoutOobIsRejected() throws Exception {
    QmpClient client = connect(server());

    assertThatThrownBy(() -> client.executeOob("migrate-pause", null, SHORT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("enableOob(true)");
  }

  @Test
  void wireLogRedactsPasswords() throws Exception {
    FakeQmpServer server = server();
    server.onCommand("change-vnc-password").reply("{}");
    try (LogCapture logs = new LogCapture()) {
      QmpClient client = connect(server, "logged");

      client.execute("change-vnc-password", client.newArguments().put("password", "hunter2"));

      assertThat(logs.linesContaining("--> ", "change-vnc-password", "<redacted>")).hasSize(1);
      assertThat(logs.linesContaining("hunter2")).isEmpty();
    }
  }
}
