package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The greeting a QMP server sends when a client connects: {@code {"QMP": {"version": {...},
 * "capabilities": [...]}}}.
 *
 * @param version the QEMU version the server reports
 * @param capabilities the capabilities the server offers, such as {@code oob}; these are the
 *     offered ones, not necessarily the ones the client enabled
 */
public record QmpGreeting(QmpVersion version, List<String> capabilities) {

  /**
   * Creates a greeting and copies the capability list.
   *
   * @param version the QEMU version
   * @param capabilities the offered capabilities
   * @throws NullPointerException if an argument or a capability is null
   */
  public QmpGreeting {
    Objects.requireNonNull(version, "version");
    capabilities = List.copyOf(capabilities);
  }

  /**
   * Returns whether the server offers a capability.
   *
   * @param capability a capability name, such as {@code oob}
   * @return {@code true} if the greeting lists it
   */
  public boolean offers(String capability) {
    return capabilities.contains(capability);
  }

  /**
   * Parses a greeting message. The {@code QMP} member and its version numbers are required. A
   * missing {@code package} or {@code capabilities} is read as empty, and non-string capability
   * entries are skipped, because the specification tells clients to be liberal in what they
   * accept.
   *
   * @param message the first message received on the connection
   * @return the greeting
   * @throws QmpProtocolException if the message is not a QMP greeting
   */
  static QmpGreeting parse(JsonNode message) throws QmpProtocolException {
    JsonNode qmp = message.get("QMP");
    if (qmp == null || !qmp.isObject()) {
      throw new QmpProtocolException(
          "expected the QMP greeting {\"QMP\": {...}} as the first message, received: "
              + WireLog.abbreviate(message.toString()));
    }
    QmpVersion version = QmpVersion.parse(qmp.get("version"), "QMP greeting");
    return new QmpGreeting(version, capabilityNames(qmp.get("capabilities")));
  }

  private static List<String> capabilityNames(JsonNode capabilities) {
    List<String> names = new ArrayList<>();
    if (capabilities != null && capabilities.isArray()) {
      for (JsonNode capability : capabilities) {
        if (capability.isTextual()) {
          names.add(capability.asText());
        }
      }
    }
    return names;
  }
}
