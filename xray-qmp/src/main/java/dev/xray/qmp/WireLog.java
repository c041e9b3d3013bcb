package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The wire log: one DEBUG line per QMP message, {@code --> json} for sent and {@code <-- json}
 * for received, on the logger {@code dev.xray.qmp.wire} (plus the connection's suffix).
 *
 * <p>The values of members named {@code password} are replaced by {@code "<redacted>"}, and a
 * line longer than {@value #MAX_LOGGED_CHARS} characters is cut. The line format is meant for
 * people and may change.
 */
final class WireLog {

  /** Maximum characters of one message in the wire log; the rest is replaced by a count. */
  static final int MAX_LOGGED_CHARS = 64 * 1024;

  private static final TextNode REDACTED = TextNode.valueOf("<redacted>");

  private final Logger logger;

  WireLog(Logger logger) {
    this.logger = logger;
  }

  void sent(JsonNode message) {
    if (logger.isDebugEnabled()) {
      logger.debug("--> {}", render(message));
    }
  }

  void received(JsonNode message) {
    if (logger.isDebugEnabled()) {
      logger.debug("<-- {}", render(message));
    }
  }

  /** Cuts {@code text} to {@link #MAX_LOGGED_CHARS} characters, saying how many were left out. */
  static String abbreviate(String text) {
    if (text.length() <= MAX_LOGGED_CHARS) {
      return text;
    }
    int omitted = text.length() - MAX_LOGGED_CHARS;
    return text.substring(0, MAX_LOGGED_CHARS) + "... (" + omitted + " more characters)";
  }

  private static String render(JsonNode message) {
    JsonNode shown = containsPassword(message) ? redact(message.deepCopy()) : message;
    return abbreviate(shown.toString());
  }

  private static boolean containsPassword(JsonNode node) {
    if (node.isObject() && node.has("password")) {
      return true;
    }
    for (JsonNode child : node) {
      if (child.isContainerNode() && containsPassword(child)) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode redact(JsonNode node) {
    if (node.isObject()) {
      ObjectNode object = (ObjectNode) node;
      for (Map.Entry<String, JsonNode> field : object.properties()) {
        if (field.getKey().equals("password")) {
          field.setValue(REDACTED);
        } else {
          redact(field.getValue());
        }
      }
    } else if (node.isArray()) {
      node.forEach(WireLog::redact);
    }
    return node;
  }
}
