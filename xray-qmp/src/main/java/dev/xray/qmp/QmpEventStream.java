package dev.xray.qmp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * A queue of the events that match a filter, filled from the moment the stream is opened until
 * it is closed. Open it with {@link QmpClient#events(String...)} before sending the command
 * whose events you want, so that none can be missed:
 *
 * <pre>{@code
 * try (QmpEventStream shutdown = client.events("SHUTDOWN")) {
 *   client.systemPowerdown();
 *   QmpEvent event = shutdown.next(Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>The reader thread adds events, and any thread may take them. Close the stream when done,
 * because an open stream keeps collecting events.
 *
 * <h2>Limits</h2>
 *
 * A stream buffers at most {@value #MAX_BUFFERED_EVENTS} events. When it is full, the oldest
 * event is dropped to make room and a WARN line is logged once for the stream.
 */
public final class QmpEventStream implements AutoCloseable {

  /** Maximum events one stream buffers before it drops the oldest. */
  public static final int MAX_BUFFERED_EVENTS = 10_000;

  /** Marks the end of the stream in the queue; compared by identity. */
  private static final QmpEvent END =
      new QmpEvent("end of stream", JsonNodeFactory.instance.objectNode(), null);

  private final LinkedBlockingDeque<QmpEvent> queue = new LinkedBlockingDeque<>();
  private final Predicate<QmpEvent> filter;
  private final String description;
  private final String socket;
  private final EventHub hub;
  private final Logger log;
  private final Sink sink = new Sink();
  private final AtomicBoolean closedByCaller = new AtomicBoolean();
  private volatile CloseReason connectionCloseReason;
  private boolean overflowLogged;

  QmpEventStream(
      EventHub hub, Predicate<QmpEvent> filter, String description, String socket, Logger log) {
    this.hub = hub;
    this.filter = filter;
    this.description = description;
    this.socket = socket;
    this.log = log;
  }

  /** Registers the stream with the hub, so that it starts collecting events. */
  QmpEventStream open() {
    hub.add(sink);
    return this;
  }

  /**
   * Takes the next event, waiting up to {@code timeout} for one. Events that arrived before the
   * connection closed are still returned, in order, before the close is reported. Runs on the
   * caller's thread.
   *
   * @param timeout how long to wait; must be positive
   * @return the next matching event
   * @throws QmpTimeoutException if no matching event arrived in time
   * @throws QmpConnectionClosedException if the connection closed and no buffered event is left
   * @throws QmpProtocolException if the connection closed because the server sent invalid JSON
   * @throws QmpInterruptedException if the thread was interrupted while waiting
   * @throws IllegalStateException if this stream was closed
   */
  public QmpEvent next(Duration timeout) throws QmpException {
    Deadline deadline = Deadline.after(timeout);
    QmpEvent event;
    try {
      event = queue.pollFirst(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for " + description, e);
    }
    if (event == null) {
      throw timedOut(timeout);
    }
    if (event == END) {
      queue.offerFirst(END);
      throw ended();
    }
    return event;
  }

  /**
   * Takes the next buffered event without waiting. Runs on the caller's thread.
   *
   * @return the next event, or empty if none is buffered or the stream has ended
   */
  public Optional<QmpEvent> poll() {
    QmpEvent event = queue.pollFirst();
    if (event == END) {
      queue.offerFirst(END);
      return Optional.empty();
    }
    return Optional.ofNullable(event);
  }

  /**
   * Stops collecting events and wakes a thread blocked in {@link #next(Duration)}, which then
   * throws {@link IllegalStateException}. Idempotent; never throws.
   */
  @Override
  public void close() {
    if (closedByCaller.compareAndSet(false, true)) {
      hub.remove(sink);
      queue.clear();
      queue.offerLast(END);
    }
  }

  private QmpTimeoutException timedOut(Duration timeout) {
    return new QmpTimeoutException(
        "timed out after " + Deadline.describe(timeout) + " waiting for " + description + " on "
            + socket,
        description,
        timeout);
  }

  private QmpException ended() {
    CloseReason reason = connectionCloseReason;
    if (closedByCaller.get() || reason == null) {
      throw new IllegalStateException("the event stream for " + description + " is closed");
    }
    return reason.failure(description, null);
  }

  private void enqueue(QmpEvent event) {
    if (queue.size() >= MAX_BUFFERED_EVENTS) {
      queue.pollFirst();
      if (!overflowLogged) {
        overflowLogged = true;
        log.warn(
            "event stream for {} on {} is full with {} events and drops the oldest from now on; "
                + "take events with next() or close the stream",
            description,
            socket,
            MAX_BUFFERED_EVENTS);
      }
    }
    queue.offerLast(event);
  }

  /** Receives events from the hub on the reader thread. */
  private final class Sink implements EventHub.Sink {

    @Override
    public void deliver(QmpEvent event) {
      if (filter.test(event)) {
        enqueue(event);
      }
    }

    @Override
    public void connectionClosed(CloseReason reason) {
      connectionCloseReason = reason;
      queue.offerLast(END);
    }
  }
}
