package dev.xray.qmp;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;

/**
 * The session layer of a QMP connection: one reader thread that parses every message from the
 * server, matches replies to calls by {@code id}, and hands events to the {@link EventHub}.
 *
 * <p>Calls run on the caller's thread. Each gets an id {@code xray-<n>}, registers itself as
 * pending, writes its request under a lock (so requests from many threads never interleave on
 * the socket), and waits on a future that the reader thread completes.
 */
final class QmpSession {

  /** Prefix of the ids this client puts on its requests. */
  static final String ID_PREFIX = "xray-";

  /**
   * How many ids of timed-out calls are remembered, so that their late replies are dropped at
   * DEBUG. A late reply to an older one is logged at WARN as unknown, and still dropped.
   */
  private static final int MAX_ABANDONED_IDS = 1024;

  /** How many replies with unknown ids are logged at WARN before the rest go to DEBUG. */
  private static final int MAX_UNMATCHED_WARNINGS = 10;

  private final QmpTransport transport;
  private final String socket;
  private final ObjectMapper mapper;
  private final Logger log;
  private final WireLog wire;
  private final EventHub events;
  private final String threadName;

  private final Object stateLock = new Object();
  private final Map<String, PendingCall> pending = new HashMap<>();
  private final Map<String, String> abandoned = new AbandonedIds();
  private volatile CloseReason closeReason;

  private final AtomicLong nextId = new AtomicLong(1);
  private final AtomicLong unmatchedReplies = new AtomicLong();
  private final ReentrantLock writeLock = new ReentrantLock();
  private final CompletableFuture<QmpGreeting> greeting = new CompletableFuture<>();
  private Thread reader;

  QmpSession(
      QmpTransport transport,
      ObjectMapper mapper,
      Logger log,
      Logger wireLog,
      EventHub events,
      String threadSuffix) {
    this.transport = transport;
    this.socket = transport.describe();
    this.mapper = mapper;
    this.log = log;
    this.wire = new WireLog(wireLog);
    this.events = events;
    this.threadName = "xray-qmp-reader-" + threadSuffix;
  }

  /** Starts the reader thread. */
  void start() {
    reader = new Thread(this::readLoop, threadName);
    reader.setDaemon(true);
    reader.start();
  }

  String socket() {
    return socket;
  }

  boolean isOpen() {
    return closeReason == null;
  }

  CloseReason closeReason() {
    return closeReason;
  }

  /**
   * Waits for the server's greeting.
   *
   * @throws QmpTimeoutException if none arrives in time, for example because another client
   *     holds the socket
   * @throws QmpProtocolException if the first message is not a greeting or the server closed
   *     the connection without one
   */
  QmpGreeting awaitGreeting(Deadline deadline) throws QmpException {
    try {
      return greeting.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new QmpTimeoutException(
          "timed out after " + Deadline.describe(deadline.timeout())
              + " waiting for the QMP greeting on " + socket
              + "; QEMU serves one client at a time, so another client may be connected",
          "QMP greeting",
          deadline.timeout());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while waiting for the QMP greeting", e);
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    }
  }

  /**
   * Sends a command and waits for its reply.
   *
   * @param executeKey {@code execute}, or {@code exec-oob} for out-of-band execution
   * @param arguments the command's arguments, or {@code null} for none
   * @return the reply's {@code return} value
   */
  JsonNode call(String executeKey, String command, ObjectNode arguments, Deadline deadline)
      throws QmpException {
    String id = ID_PREFIX + nextId.getAndIncrement();
    ObjectNode request = request(executeKey, command, arguments, id);
    byte[] bytes = serialize(request, command);
    PendingCall call = new PendingCall(id, command, arguments);
    register(call);
    send(call, request, bytes, deadline);
    return await(call, deadline);
  }

  /** Closes the connection, failing every pending call. Idempotent. */
  void close() {
    shutdown(CloseReason.caller(socket));
    Thread readerThread = reader;
    if (readerThread != null && readerThread != Thread.currentThread()) {
      try {
        readerThread.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private ObjectNode request(String executeKey, String command, ObjectNode arguments, String id) {
    ObjectNode request = mapper.createObjectNode();
    request.put(executeKey, command);
    if (arguments != null) {
      request.set("arguments", arguments);
    }
    request.put("id", id);
    return request;
  }

  /** Writes the request as one line of JSON. QEMU needs no line end; it keeps traces readable. */
  private byte[] serialize(ObjectNode request, String command) {
    try {
      byte[] json = mapper.writeValueAsBytes(request);
      byte[] message = new byte[json.length + 1];
      System.arraycopy(json, 0, message, 0, json.length);
      message[json.length] = '\n';
      return message;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "arguments of '" + command + "' cannot be written as JSON: " + e.getMessage(), e);
    }
  }

  private void register(PendingCall call) throws QmpConnectionClosedException {
    synchronized (stateLock) {
      CloseReason reason = closeReason;
      if (reason != null) {
        throw reason.notOpen(call.command);
      }
      pending.put(call.id, call);
    }
  }

  private void send(PendingCall call, ObjectNode request, byte[] bytes, Deadline deadline)
      throws QmpException {
    boolean locked;
    try {
      locked = writeLock.tryLock(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abandon(call);
      throw new QmpInterruptedException("interrupted while sending '" + call.command + "'", e);
    }
    if (!locked) {
      abandon(call);
      throw timedOut(call, deadline, "to send");
    }
    try {
      wire.sent(request);
      // NOTE: the write itself is not bounded by the deadline. It blocks only when the server
      // stops reading and the socket buffer is full, and close() ends it.
      transport.write(bytes);
    } catch (IOException e) {
      // Fails every pending call, this one included; await() then throws its exception.
      shutdown(CloseReason.ioFailed(socket, "writing to the socket", e));
    } finally {
      writeLock.unlock();
    }
  }

  private JsonNode await(PendingCall call, Deadline deadline) throws QmpException {
    try {
      return call.future.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      if (abandon(call)) {
        throw timedOut(call, deadline, "for the reply to");
      }
      return completedResult(call);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abandon(call);
      throw new QmpInterruptedException(
          "interrupted while waiting for the reply to '" + call.command + "' on " + socket, e);
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    }
  }

  /** Returns the result of a call that the reader completed just as the caller timed out. */
  private JsonNode completedResult(PendingCall call) throws QmpException {
    try {
      return call.future.get();
    } catch (ExecutionException e) {
      throw rethrowable(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new QmpInterruptedException("interrupted while reading a completed reply", e);
    }
  }

  /**
   * Forgets a pending call whose caller stopped waiting, and remembers its id so that a late
   * reply is dropped instead of reported as unknown.
   *
   * @return {@code false} if the reader already completed the call
   */
  private boolean abandon(PendingCall call) {
    synchronized (stateLock) {
      if (pending.remove(call.id) == null) {
        return false;
      }
      abandoned.put(call.id, call.command);
      return true;
    }
  }

  private QmpTimeoutException timedOut(PendingCall call, Deadline deadline, String waitedFor) {
    String awaited = "reply to '" + call.command + "'";
    return new QmpTimeoutException(
        "timed out after " + Deadline.describe(deadline.timeout()) + " waiting " + waitedFor
            + " '" + call.command + "' (id " + call.id + ") on " + socket
            + "; the connection stays open and a late reply will be dropped",
        awaited,
        deadline.timeout());
  }

  /**
   * Prepares an exception made on the reader thread to be thrown on the caller's thread, so its
   * stack trace shows the caller.
   */
  private static QmpException rethrowable(Throwable cause) {
    if (cause instanceof QmpException) {
      QmpException exception = (QmpException) cause;
      exception.fillInStackTrace();
      return exception;
    }
    throw new IllegalStateException("unexpected failure in the QMP reader thread", cause);
  }

  // Reader thread.

  private void readLoop() {
    // A byte-based parser decodes UTF-8 itself, which is faster than going through a Reader.
    try (JsonParser parser = mapper.createParser(transport.input())) {
      while (parser.nextToken() != null) {
        JsonNode message = mapper.readTree(parser);
        if (message == null) {
          message = NullNode.getInstance();
        }
        wire.received(message);
        dispatch(message);
      }
      shutdown(CloseReason.peer(socket, null));
    } catch (JsonEOFException e) {
      shutdown(CloseReason.peer(socket, "in the middle of a message"));
    } catch (JsonProcessingException e) {
      String detail = "the server sent invalid JSON: " + parseErrorText(e);
      shutdown(CloseReason.protocol(socket, detail, e));
    } catch (QmpTransport.PeerResetException e) {
      shutdown(CloseReason.peer(socket, "with a connection reset"));
    } catch (IOException e) {
      shutdown(CloseReason.ioFailed(socket, "reading from the socket", e));
    } catch (RuntimeException e) {
      log.warn("QMP reader thread for {} failed", socket, e);
      shutdown(CloseReason.ioFailed(socket, "reading from the socket", e));
    }
  }

  private static String parseErrorText(JsonProcessingException e) {
    JsonLocation location = e.getLocation();
    if (location == null) {
      return e.getOriginalMessage();
    }
    return e.getOriginalMessage() + " (line " + location.getLineNr() + ", column "
        + location.getColumnNr() + ")";
  }

  private void dispatch(JsonNode message) {
    if (!greeting.isDone()) {
      acceptGreeting(message);
    } else if (!message.isObject()) {
      warnDropped("a message that is not a JSON object", message);
    } else if (message.has("event")) {
      publishEvent(message);
    } else if (message.has("return") || message.has("error")) {
      routeReply(message);
    } else {
      warnDropped("a message that is neither a reply nor an event", message);
    }
  }

  private void acceptGreeting(JsonNode message) {
    try {
      QmpGreeting parsed = QmpGreeting.parse(message);
      log.debug("received QMP greeting from {}: QEMU {}, capabilities {}",
          socket, parsed.version(), parsed.capabilities());
      greeting.complete(parsed);
    } catch (QmpProtocolException e) {
      greeting.completeExceptionally(e);
      shutdown(CloseReason.protocol(socket, "the server sent an invalid QMP greeting", e));
    }
  }

  private void publishEvent(JsonNode message) {
    QmpEvent event = QmpEvents.parse(message, mapper);
    if (event == null) {
      warnDropped("an event without a valid name or data", message);
      return;
    }
    events.publish(event);
  }

  private void routeReply(JsonNode message) {
    JsonNode idNode = message.get("id");
    String id = idNode != null && idNode.isTextual() ? idNode.textValue() : null;
    PendingCall call = null;
    String lateCommand = null;
    if (id != null) {
      synchronized (stateLock) {
        call = pending.remove(id);
        lateCommand = call == null ? abandoned.remove(id) : null;
      }
    }
    if (call != null) {
      call.complete(message);
    } else if (lateCommand != null) {
      log.debug("dropped the late reply to '{}' (id {}) because its caller timed out",
          lateCommand, id);
    } else {
      warnUnmatched(idNode, message);
    }
  }

  /**
   * Logs a reply that matches no call. The QMP specification says clients drop replies with an
   * unknown id; QEMU also sends an error without id when it cannot parse a request.
   */
  private void warnUnmatched(JsonNode idNode, JsonNode message) {
    long count = unmatchedReplies.incrementAndGet();
    String text = WireLog.abbreviate(message.toString());
    if (count <= MAX_UNMATCHED_WARNINGS) {
      log.warn("dropped a reply from {} whose id {} matches no pending call: {}",
          socket, idNode == null ? "(none)" : idNode, text);
      if (count == MAX_UNMATCHED_WARNINGS) {
        log.warn("dropped {} unmatched replies from {}; further ones are logged at DEBUG",
            count, socket);
      }
    } else {
      log.debug("dropped a reply from {} whose id {} matches no pending call: {}",
          socket, idNode, text);
    }
  }

  private void warnDropped(String what, JsonNode message) {
    log.warn("dropped {} from {}: {}", what, socket, WireLog.abbreviate(message.toString()));
  }

  /**
   * Records why the connection closed, closes the transport, and fails every pending call,
   * the greeting and the event streams. Only the first call has an effect.
   */
  private void shutdown(CloseReason reason) {
    List<PendingCall> failed;
    boolean connected = greeting.isDone() && !greeting.isCompletedExceptionally();
    synchronized (stateLock) {
      if (closeReason != null) {
        return;
      }
      closeReason = reason;
      failed = new ArrayList<>(pending.values());
      pending.clear();
    }
    transport.close();
    for (PendingCall call : failed) {
      call.future.completeExceptionally(reason.failure(call.awaited(), call.command));
    }
    greeting.completeExceptionally(greetingFailure(reason));
    events.close(reason);
    logClosed(reason, failed.size(), connected);
  }

  private QmpException greetingFailure(CloseReason reason) {
    if (reason.kind() == CloseReason.Kind.PEER) {
      return new QmpProtocolException(
          "the server closed the connection to " + socket + " without sending a QMP greeting");
    }
    return reason.failure("the QMP greeting", null);
  }

  /**
   * Logs the close at DEBUG, or at WARN when it was unexpected and no caller learns of it: no
   * call was pending and no connect() was waiting for the greeting.
   */
  private void logClosed(CloseReason reason, int failedCalls, boolean connected) {
    boolean unexpected =
        reason.kind() == CloseReason.Kind.PROTOCOL || reason.kind() == CloseReason.Kind.IO_FAILED;
    if (unexpected && failedCalls == 0 && connected) {
      log.warn("connection to {} was {}", socket, reason.summary());
    } else {
      log.debug("connection to {} was {}; {} pending calls failed",
          socket, reason.summary(), failedCalls);
    }
  }

  /** A call waiting for its reply. */
  private static final class PendingCall {

    final String id;
    final String command;
    final ObjectNode arguments;
    final CompletableFuture<JsonNode> future = new CompletableFuture<>();

    PendingCall(String id, String command, ObjectNode arguments) {
      this.id = id;
      this.command = command;
      this.arguments = arguments;
    }

    String awaited() {
      return "the reply to '" + command + "' (id " + id + ")";
    }

    /** Completes the call from a reply; runs on the reader thread. */
    void complete(JsonNode reply) {
      JsonNode error = reply.get("error");
      if (error == null) {
        future.complete(reply.get("return"));
        return;
      }
      String errorClass = QmpEvents.text(error, "class");
      String description = QmpEvents.text(error, "desc");
      if (description == null) {
        description = error.toString();
      }
      String prefix = errorClass == null ? "" : errorClass + ": ";
      future.completeExceptionally(
          new QmpCommandException(
              "QMP command '" + command + "' failed: " + prefix + description,
              command,
              arguments,
              errorClass,
              description,
              reply));
    }
  }

  /** Ids of abandoned calls, oldest first; the oldest is forgotten beyond the maximum. */
  private static final class AbandonedIds extends LinkedHashMap<String, String> {

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > MAX_ABANDONED_IDS;
    }
  }
}
