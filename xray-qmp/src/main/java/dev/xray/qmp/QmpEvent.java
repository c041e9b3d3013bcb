package dev.xray.qmp;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Objects;

/**
 * An asynchronous QMP event, such as {@code STOP}, {@code RESUME}, {@code SHUTDOWN} or {@code
 * JOB_STATUS_CHANGE}.
 *
 * <p>The same {@code data} object is handed to every stream and listener that receives the
 * event, so treat it as read-only.
 *
 * @param name the event name
 * @param data the event's {@code data} member, or an empty object when the event has none
 * @param timestamp when QEMU emitted the event, with microsecond precision; {@code null} when the
 *     server sent no usable timestamp (QEMU sends -1 when it cannot read the host clock)
 */
public record QmpEvent(String name, ObjectNode data, Instant timestamp) {

  /**
   * Creates an event.
   *
   * @param name the event name
   * @param data the event data; an empty object when the event has none
   * @param timestamp when QEMU emitted the event, or {@code null} if unknown
   * @throws NullPointerException if {@code name} or {@code data} is null
   */
  public QmpEvent {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(data, "data");
  }
}
