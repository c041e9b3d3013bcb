package dev.xray.qmp;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;

/**
 * Hands each event from the reader thread to every open event stream and subscription, in the
 * order the events arrived.
 */
final class EventHub {

  /** A receiver of events. Both methods run on the reader thread and must not block. */
  interface Sink {

    void deliver(QmpEvent event);

    void connectionClosed(CloseReason reason);
  }

  private final List<Sink> sinks = new CopyOnWriteArrayList<>();
  private final Logger log;
  private volatile CloseReason closeReason;

  EventHub(Logger log) {
    this.log = log;
  }

  /** Adds a sink. On a closed connection the sink is notified of the close at once. */
  void add(Sink sink) {
    sinks.add(sink);
    CloseReason reason = closeReason;
    if (reason != null && sinks.remove(sink)) {
      sink.connectionClosed(reason);
    }
  }

  void remove(Sink sink) {
    sinks.remove(sink);
  }

  void publish(QmpEvent event) {
    for (Sink sink : sinks) {
      try {
        sink.deliver(event);
      } catch (RuntimeException e) {
        log.warn("an event filter failed on {}; the event was not delivered to it", event, e);
      }
    }
  }

  /** Tells every sink that the connection closed, and removes them all. */
  void close(CloseReason reason) {
    closeReason = reason;
    for (Sink sink : sinks) {
      if (sinks.remove(sink)) {
        sink.connectionClosed(reason);
      }
    }
  }
}
