package dev.xray.qmp;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * A listener registered with {@link QmpClient#subscribe(String, Consumer)}.
 *
 * <p>The listener runs on the client's event thread, named {@code xray-qmp-events-<name>}: one
 * thread per client, shared by all of its subscriptions, so each listener receives events in
 * the order they arrived. A slow listener delays the other listeners of the same client, but never
 * the replies to calls. An exception thrown by a listener is logged at WARN and the
 * subscription stays active.
 */
public final class QmpSubscription implements AutoCloseable {

  private final String eventName;
  private final Consumer<QmpEvent> listener;
  private final Executor eventThread;
  private final EventHub hub;
  private final Logger log;
  private final Sink sink = new Sink();
  private volatile boolean active = true;

  QmpSubscription(
      String eventName, Consumer<QmpEvent> listener, Executor eventThread, EventHub hub,
      Logger log) {
    this.eventName = eventName;
    this.listener = listener;
    this.eventThread = eventThread;
    this.hub = hub;
    this.log = log;
  }

  /** Registers the subscription with the hub. */
  QmpSubscription open() {
    hub.add(sink);
    return this;
  }

  /**
   * Returns whether {@link #close()} has not been called yet. A subscription on a closed client
   * stays active but receives no more events.
   *
   * @return {@code true} until {@link #close()} is called
   */
  public boolean isActive() {
    return active;
  }

  /**
   * Stops delivering events. After this returns, the listener is not called again, except for a
   * call already running on the event thread. Idempotent; never throws.
   */
  @Override
  public void close() {
    active = false;
    hub.remove(sink);
  }

  private void dispatch(QmpEvent event) {
    if (!active) {
      return;
    }
    try {
      listener.accept(event);
    } catch (RuntimeException e) {
      log.warn("event listener for {} failed on {}; it stays subscribed", eventName, event, e);
    }
  }

  /** Receives events from the hub on the reader thread and passes them to the event thread. */
  private final class Sink implements EventHub.Sink {

    @Override
    public void deliver(QmpEvent event) {
      if (eventName != null && !eventName.equals(event.name())) {
        return;
      }
      try {
        eventThread.execute(() -> dispatch(event));
      } catch (RejectedExecutionException e) {
        log.debug("dropped {} because the client is closing", event);
      }
    }

    @Override
    public void connectionClosed(CloseReason reason) {
      // Nothing to do: listeners get no close notification.
    }
  }
}
