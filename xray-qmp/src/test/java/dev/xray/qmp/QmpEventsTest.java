package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.qmp.testing.FakeQmpServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Event streams, subscriptions and awaitEvent against the fake server. */
class QmpEventsTest {

  private static final Duration SHORT = Duration.ofMillis(200);
  private static final Duration LONG = Duration.ofSeconds(5);

  @TempDir Path dir;

  private FakeQmpServer server;
  private QmpClient client;

  @BeforeEach
  void connect() throws Exception {
    server = FakeQmpServer.start(dir);
    client = QmpClient.connect(server.socketPath());
    server.awaitCommand("qmp_capabilities", LONG);
  }

  @AfterEach
  void close() {
    client.close();
    server.close();
  }

  @Test
  void streamCatchesEventRightAfterReply() throws Exception {
    server.onCommand("system_powerdown").reply("{}").event("SHUTDOWN", "{\"guest\": true}");

    try (QmpEventStream shutdown = client.events("SHUTDOWN")) {
      client.systemPowerdown();
      QmpEvent event = shutdown.next(LONG);

      assertThat(event.name()).isEqualTo("SHUTDOWN");
      assertThat(event.data().path("guest").asBoolean()).isTrue();
      assertThat(event.timestamp()).isBetween(Instant.now().minusSeconds(60), Instant.now());
    }
  }

  @Test
  void streamKeepsNamedEventsInOrder() throws Exception {
    server.onCommand("stop").event("STOP").event("DEVICE_DELETED").reply("{}").event("RESUME");

    try (QmpEventStream events = client.events("STOP", "RESUME")) {
      client.stop();

      assertThat(events.next(LONG).name()).isEqualTo("STOP");
      assertThat(events.next(LONG).name()).isEqualTo("RESUME");
      assertThat(events.poll()).isEmpty();
    }
  }

  @Test
  void streamWithPredicateFiltersOnData() throws Exception {
    try (QmpEventStream events = client.events(e -> e.data().path("id").asText().equals("b"))) {
      server.sendEvent("JOB_STATUS_CHANGE", "{\"id\": \"a\", \"status\": \"running\"}");
      server.sendEvent("JOB_STATUS_CHANGE", "{\"id\": \"b\", \"status\": \"running\"}");

      assertThat(events.next(LONG).data().path("id").asText()).isEqualTo("b");
    }
  }

  @Test
  void streamTimeoutNamesEvents() {
    try (QmpEventStream events = client.events("SHUTDOWN")) {
      assertThatThrownBy(() -> events.next(SHORT))
          .isInstanceOf(QmpTimeoutException.class)
          .hasMessageContaining("timed out after 200 ms waiting for event SHUTDOWN");
    }
  }

  @Test
  void streamReturnsBufferedEventsThenReportsClose() throws Exception {
    QmpEventStream events = client.events();
    server.sendEvent("STOP", null);
    server.onCommand("query-status").reply("{\"status\": \"paused\", \"running\": false}");
    client.queryStatus();

    server.disconnectClient();

    assertThat(events.next(LONG).name()).isEqualTo("STOP");
    assertThatThrownBy(() -> events.next(LONG))
        .isInstanceOf(QmpConnectionClosedException.class)
        .hasMessageContaining("closed by the server while waiting for any event");
    assertThatThrownBy(() -> events.next(LONG)).isInstanceOf(QmpConnectionClosedException.class);
    assertThat(events.poll()).isEmpty();
    events.close();
  }

  @Test
  void streamOpenedOnClosedClientReportsClose() {
    client.close();

    try (QmpEventStream events = client.events()) {
      assertThatThrownBy(() -> events.next(LONG))
          .isInstanceOf(QmpConnectionClosedException.class)
          .hasMessageContaining("closed by the caller");
    }
  }

  @Test
  void closingStreamWakesWaitingThread() throws Exception {
    QmpEventStream events = client.events("NEVER");
    ExecutorService waiter = Executors.newSingleThreadExecutor();
    try {
      Future<QmpEvent> waiting = waiter.submit(() -> events.next(LONG));
      Thread.sleep(50);

      events.close();

      assertThatThrownBy(() -> waiting.get(LONG.toMillis(), TimeUnit.MILLISECONDS))
          .hasCauseInstanceOf(IllegalStateException.class)
          .hasMessageContaining("is closed");
    } finally {
      waiter.shutdownNow();
    }
  }

  @Test
  void listenerRunsInOrderOnEventThread() throws Exception {
    List<String> names = new CopyOnWriteArrayList<>();
    List<String> threads = new CopyOnWriteArrayList<>();
    CountDownLatch received = new CountDownLatch(3);
    QmpSubscription subscription =
        client.subscribe(
            null,
            event -> {
              names.add(event.name());
              threads.add(Thread.currentThread().getName());
              received.countDown();
            });

    server.sendEvent("ONE", null);
    server.sendEvent("TWO", null);
    server.sendEvent("THREE", null);

    assertThat(received.await(LONG.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(names).containsExactly("ONE", "TWO", "THREE");
    assertThat(threads).containsOnly("xray-qmp-events-" + FakeQmpServer.SOCKET_FILE_NAME);
    assertThat(subscription.isActive()).isTrue();
    subscription.close();
    assertThat(subscription.isActive()).isFalse();
  }

  @Test
  void subscriptionFiltersByNameUntilClosed() throws Exception {
    List<String> names = new CopyOnWriteArrayList<>();
    QmpSubscription subscription = client.subscribe("RESUME", event -> names.add(event.name()));
    CountDownLatch marker = new CountDownLatch(1);
    client.subscribe("MARKER", event -> marker.countDown());

    server.sendEvent("STOP", null);
    server.sendEvent("RESUME", null);
    server.sendEvent("MARKER", null);
    assertThat(marker.await(LONG.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    subscription.close();
    server.sendEvent("RESUME", null);
    try (QmpEventStream drained = client.events("RESUME")) {
      server.sendEvent("RESUME", null);
      drained.next(LONG);
    }

    assertThat(names).containsExactly("RESUME");
  }

  @Test
  void failingListenerStaysSubscribed() throws Exception {
    CountDownLatch calls = new CountDownLatch(2);
    client.subscribe(
        "BOOM",
        event -> {
          calls.countDown();
          throw new IllegalStateException("listener failure for the test");
        });

    try (LogCapture logs = new LogCapture()) {
      server.sendEvent("BOOM", null);
      server.sendEvent("BOOM", null);

      assertThat(calls.await(LONG.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
      assertThat(logs.awaitLinesContaining(LONG, "WARN", "event listener for BOOM failed"))
          .isNotEmpty();
    }
  }

  @Test
  void listenerMayCallClient() throws Exception {
    server.onCommand("query-status").reply("{\"status\": \"paused\", \"running\": false}");
    List<String> statuses = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    client.subscribe(
        "STOP",
        event -> {
          try {
            statuses.add(client.queryStatus().status());
          } catch (QmpException e) {
            statuses.add(e.toString());
          }
          done.countDown();
        });

    server.sendEvent("STOP", null);

    assertThat(done.await(LONG.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
    assertThat(statuses).containsExactly("paused");
  }

  @Test
  void awaitEventReturnsNextMatchingEventOnly() throws Exception {
    server.sendEvent("RESUME", "{\"n\": 0}");
    server.onCommand("query-status").reply("{\"status\": \"paused\", \"running\": false}");
    client.queryStatus();

    ExecutorService sender = Executors.newSingleThreadExecutor();
    try {
      sender.submit(
          () -> {
            Thread.sleep(50);
            server.sendEvent("RESUME", "{\"n\": 1}");
            server.sendEvent("RESUME", "{\"n\": 2}");
            return null;
          });

      QmpEvent event =
          client.awaitEvent("RESUME", e -> e.data().path("n").asInt() == 2, LONG);

      assertThat(event.data().path("n").asInt()).isEqualTo(2);
    } finally {
      sender.shutdownNow();
    }
  }

  @Test
  void awaitEventTimesOut() {
    assertThatThrownBy(() -> client.awaitEvent("SHUTDOWN", null, SHORT))
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("event SHUTDOWN");
  }

  @Test
  void fullStreamDropsOldestEvent() throws Exception {
    int extra = 5;
    try (LogCapture logs = new LogCapture();
        QmpEventStream full = client.events("TICK");
        QmpEventStream last = client.events("LAST")) {
      StringBuilder ticks = new StringBuilder();
      for (int i = 0; i < QmpEventStream.MAX_BUFFERED_EVENTS + extra; i++) {
        ticks.append("{\"event\": \"TICK\", \"data\": {\"n\": ").append(i).append("}}\r\n");
      }
      server.sendRaw(ticks + "{\"event\": \"LAST\"}\r\n");
      last.next(LONG);

      assertThat(full.next(SHORT).data().path("n").asInt()).isEqualTo(extra);
      assertThat(logs.linesContaining("WARN", "is full with 10000 events and drops the oldest"))
          .hasSize(1);
    }
  }

  @Test
  void eventWithoutTimestampHasNull() throws Exception {
    try (QmpEventStream events = client.events("RAW")) {
      server.sendRaw("{\"event\": \"RAW\", \"timestamp\": {\"seconds\": -1, "
          + "\"microseconds\": -1}}\r\n");

      QmpEvent event = events.next(LONG);

      assertThat(event.timestamp()).isNull();
      assertThat(event.data().isEmpty()).isTrue();
    }
  }
}
