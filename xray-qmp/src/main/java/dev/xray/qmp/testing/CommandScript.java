package dev.xray.qmp.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The steps the {@link FakeQmpServer} runs when a command arrives, in the order they were added.
 * Made by {@link FakeQmpServer#onCommand(String)}; each method adds a step and returns this
 * script:
 *
 * <pre>{@code
 * server.onCommand("stop")
 *     .event("STOP")            // an event before the reply
 *     .reply("{}")
 *     .event("RESUME");         // and one after it
 * }</pre>
 *
 * <p>A script without a reply step sends no reply, so the client's call times out. A script
 * applies to every matching command unless {@link #times(int)} limits it; when several scripts
 * match, the oldest one with uses left runs. JSON arguments are parsed when the step is added,
 * so a typo fails the test at once with {@link IllegalArgumentException}.
 */
public final class CommandScript {

  private final String command;
  private final List<FakeQmpAction> actions = new CopyOnWriteArrayList<>();
  private final AtomicInteger remainingUses = new AtomicInteger(Integer.MAX_VALUE);

  CommandScript(String command) {
    this.command = command;
  }

  /**
   * Adds a success reply with the request's id.
   *
   * @param returnJson the {@code return} value as JSON text, such as {@code {}} or {@code
   *     {"status": "running", "running": true}}
   * @return this script
   */
  public CommandScript reply(String returnJson) {
    JsonNode value = parse(returnJson);
    return then(exchange -> exchange.reply(value));
  }

  /**
   * Adds an error reply with the request's id.
   *
   * @param errorClass the QMP error class, such as {@code GenericError}
   * @param description the error text
   * @return this script
   */
  public CommandScript replyError(String errorClass, String description) {
    return then(exchange -> exchange.replyError(errorClass, description));
  }

  /**
   * Adds a success reply carrying a chosen id instead of the request's, to test replies that
   * match no call.
   *
   * @param idJson the id as JSON text, such as {@code "\"nobody\""} or {@code 42}
   * @param returnJson the {@code return} value as JSON text
   * @return this script
   */
  public CommandScript replyWithId(String idJson, String returnJson) {
    JsonNode id = parse(idJson);
    JsonNode value = parse(returnJson);
    return then(
        exchange -> {
          var reply = exchange.mapper().createObjectNode();
          reply.set("return", value);
          reply.set("id", id);
          exchange.send(reply);
        });
  }

  /**
   * Adds an event without data.
   *
   * @param name the event name
   * @return this script
   */
  public CommandScript event(String name) {
    return then(exchange -> exchange.sendEvent(name, null));
  }

  /**
   * Adds an event.
   *
   * @param name the event name
   * @param dataJson the {@code data} member as JSON text
   * @return this script
   */
  public CommandScript event(String name, String dataJson) {
    JsonNode data = parse(dataJson);
    return then(exchange -> exchange.sendEvent(name, data));
  }

  /**
   * Adds one {@code JOB_STATUS_CHANGE} event per status, for the job id in the request's {@code
   * job-id} argument, as QEMU sends them for a running job.
   *
   * @param statuses the statuses in order, such as "created", "running", "concluded"
   * @return this script
   */
  public CommandScript jobStatusEvents(String... statuses) {
    List<String> sequence = List.copyOf(Arrays.asList(statuses));
    return then(
        exchange -> {
          String jobId = exchange.arguments().path("job-id").asText();
          for (String status : sequence) {
            var data = exchange.mapper().createObjectNode().put("status", status).put("id", jobId);
            exchange.sendEvent("JOB_STATUS_CHANGE", data);
          }
        });
  }

  /**
   * Keeps a success reply with the request's id, to be sent by a later {@link #sendDeferred()},
   * typically in the script of another command.
   *
   * @param returnJson the {@code return} value as JSON text
   * @return this script
   */
  public CommandScript defer(String returnJson) {
    JsonNode value = parse(returnJson);
    return then(
        exchange -> {
          var reply = exchange.mapper().createObjectNode();
          reply.set("return", value);
          if (exchange.id() != null) {
            reply.set("id", exchange.id());
          }
          exchange.defer(reply);
        });
  }

  /**
   * Sends every reply kept by {@link #defer(String)}, oldest first.
   *
   * @return this script
   */
  public CommandScript sendDeferred() {
    return then(FakeQmpExchange::sendDeferred);
  }

  /**
   * Sends text exactly as given, such as invalid JSON or a partial message.
   *
   * @param text the text to write, encoded as UTF-8
   * @return this script
   */
  public CommandScript raw(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return rawBytes(bytes);
  }

  /**
   * Sends bytes exactly as given.
   *
   * @param bytes the bytes to write
   * @return this script
   */
  public CommandScript rawBytes(byte[] bytes) {
    byte[] copy = bytes.clone();
    return then(exchange -> exchange.sendRaw(copy));
  }

  /**
   * Waits before the next step. The server reads no other command meanwhile, as QEMU does not
   * while a command runs.
   *
   * @param duration how long to wait
   * @return this script
   */
  public CommandScript pause(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    return then(exchange -> Thread.sleep(duration.toMillis()));
  }

  /**
   * Sends the first half of a success reply, then closes the connection.
   *
   * @param returnJson the {@code return} value as JSON text
   * @return this script
   */
  public CommandScript closeAfterPartialReply(String returnJson) {
    JsonNode value = parse(returnJson);
    return then(
        exchange -> {
          var reply = exchange.mapper().createObjectNode();
          reply.set("return", value);
          reply.set("id", exchange.id());
          byte[] whole = exchange.mapper().writeValueAsBytes(reply);
          exchange.sendRaw(Arrays.copyOf(whole, whole.length / 2));
          exchange.closeConnection();
        });
  }

  /**
   * Closes the client connection.
   *
   * @return this script
   */
  public CommandScript closeConnection() {
    return then(FakeQmpExchange::closeConnection);
  }

  /**
   * Stops replying on this connection until the client disconnects, as a hung QEMU would.
   * Input that arrives meanwhile is discarded.
   *
   * @return this script
   */
  public CommandScript stall() {
    return then(FakeQmpExchange::stall);
  }

  /**
   * Adds a custom step.
   *
   * @param action the step
   * @return this script
   */
  public CommandScript then(FakeQmpAction action) {
    actions.add(Objects.requireNonNull(action, "action"));
    return this;
  }

  /**
   * Limits how many commands this script handles. After that, later scripts for the same
   * command apply, or else the default reply.
   *
   * @param uses the number of commands to handle, at least 1
   * @return this script
   */
  public CommandScript times(int uses) {
    if (uses < 1) {
      throw new IllegalArgumentException("uses must be at least 1: " + uses);
    }
    remainingUses.set(uses);
    return this;
  }

  /** Claims one use if this script matches {@code name}. */
  boolean claim(String name) {
    if (command != null && !command.equals(name)) {
      return false;
    }
    return remainingUses.getAndUpdate(uses -> uses > 0 ? uses - 1 : 0) > 0;
  }

  void run(FakeQmpExchange exchange) throws IOException, InterruptedException {
    for (FakeQmpAction action : actions) {
      action.run(exchange);
    }
  }

  private static JsonNode parse(String json) {
    try {
      return FakeQmpServer.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON in a fake QMP script: " + json, e);
    }
  }
}
