package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/** Parsing of event messages and building of event filters. */
final class QmpEvents {

  private static final long MICROS_PER_SECOND = 1_000_000;

  private QmpEvents() {}

  /**
   * Parses {@code {"event": name, "data": {...}, "timestamp": {"seconds": s, "microseconds":
   * us}}}.
   *
   * @return the event, or {@code null} if the name is not a string or the data is not an object
   */
  static QmpEvent parse(JsonNode message, ObjectMapper mapper) {
    JsonNode name = message.get("event");
    if (name == null || !name.isTextual()) {
      return null;
    }
    JsonNode data = message.get("data");
    ObjectNode dataObject;
    if (data == null || data.isNull()) {
      dataObject = mapper.createObjectNode();
    } else if (data.isObject()) {
      dataObject = (ObjectNode) data;
    } else {
      return null;
    }
    return new QmpEvent(name.textValue(), dataObject, timestamp(message.get("timestamp")));
  }

  /**
   * Returns the string member {@code field} of {@code node}.
   *
   * @return the text, or {@code null} if {@code node} is not an object or the member is missing
   *     or not a string
   */
  static String text(JsonNode node, String field) {
    JsonNode value = node == null ? null : node.get(field);
    return value != null && value.isTextual() ? value.textValue() : null;
  }

  /** Returns a filter that accepts events with any of {@code names}, or all events if none. */
  static Predicate<QmpEvent> named(String... names) {
    if (names.length == 0) {
      return event -> true;
    }
    List<String> accepted = List.copyOf(Arrays.asList(names));
    return event -> accepted.contains(event.name());
  }

  /** Describes the events a name filter accepts, for messages: "event STOP or RESUME". */
  static String describeNames(String... names) {
    if (names.length == 0) {
      return "any event";
    }
    return "event " + String.join(" or ", names);
  }

  private static Instant timestamp(JsonNode timestamp) {
    if (timestamp == null) {
      return null;
    }
    JsonNode seconds = timestamp.get("seconds");
    JsonNode micros = timestamp.get("microseconds");
    if (seconds == null || micros == null || !seconds.canConvertToLong()
        || !micros.canConvertToLong()) {
      return null;
    }
    long secondsValue = seconds.asLong();
    long microsValue = micros.asLong();
    if (secondsValue < 0 || microsValue < 0 || microsValue >= MICROS_PER_SECOND) {
      return null;
    }
    try {
      return Instant.ofEpochSecond(secondsValue, microsValue * 1000);
    } catch (DateTimeException e) {
      return null;
    }
  }
}
