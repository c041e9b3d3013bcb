package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * Thrown when the server replies to a command with an error.
 *
 * <p>For a QMP error reply ({@code {"error": {"class": ..., "desc": ...}, "id": ...}}) this keeps
 * the command name, the arguments that were sent, the error class (such as {@code
 * CommandNotFound} or {@code GenericError}), the human-readable description and the whole reply.
 * The QMP specification asks clients not to parse the description, so branch on {@link
 * #errorClass()} only.
 *
 * <p>Two failures have no QMP error class, and {@link #errorClass()} is empty for them: an HMP
 * command run through {@code human-monitor-command} whose output starts with "Error:", and a
 * failed job ({@link QmpJobException}), whose error QEMU reports only as text in {@code
 * query-jobs}.
 */
public class QmpCommandException extends QmpException {

  /** The command that was sent. */
  private final String command;
  private final transient ObjectNode arguments;
  /** The QMP error class, or null when the server reported none. */
  private final String errorClass;
  /** The server's description of the error. */
  private final String description;
  private final transient JsonNode reply;

  /**
   * Creates an exception.
   *
   * @param message the full message
   * @param command the command that was sent, such as {@code query-status}
   * @param arguments the arguments that were sent, or {@code null}; the exception keeps a copy
   * @param errorClass the QMP error class, or {@code null} when the server reported none
   * @param description the error text from the server
   * @param reply the message that carried the error, or {@code null}
   */
  public QmpCommandException(
      String message,
      String command,
      ObjectNode arguments,
      String errorClass,
      String description,
      JsonNode reply) {
    super(message);
    this.command = command;
    this.arguments = arguments == null ? null : arguments.deepCopy();
    this.errorClass = errorClass;
    this.description = description;
    this.reply = reply;
  }

  /**
   * Returns the name of the command that failed.
   *
   * @return the command name as sent in {@code execute}
   */
  public String command() {
    return command;
  }

  /**
   * Returns a copy of the arguments that were sent with the command.
   *
   * @return the arguments, or empty when the command had none
   */
  public Optional<ObjectNode> arguments() {
    return Optional.ofNullable(arguments).map(ObjectNode::deepCopy);
  }

  /**
   * Returns the QMP error class, such as {@code CommandNotFound}, {@code DeviceNotFound} or
   * {@code GenericError}.
   *
   * @return the error class, or empty for HMP errors and job errors, which have none
   */
  public Optional<String> errorClass() {
    return Optional.ofNullable(errorClass);
  }

  /**
   * Returns the error text from the server. It is meant for people and may change between QEMU
   * versions.
   *
   * @return the {@code desc} of a QMP error, the HMP output, or the job's error text
   */
  public String description() {
    return description;
  }

  /**
   * Returns the message that carried the error: the QMP reply, the HMP output as a JSON string,
   * or the job's entry from {@code query-jobs}.
   *
   * @return the raw reply, or {@code null} if none was kept
   */
  public JsonNode reply() {
    return reply;
  }
}
