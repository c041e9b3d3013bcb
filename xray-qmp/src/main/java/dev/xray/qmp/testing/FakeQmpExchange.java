package dev.xray.qmp.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A command received by the {@link FakeQmpServer}, passed to each {@link FakeQmpAction} that
 * handles it. Its methods write to the client connection that sent the command, on the server's
 * thread.
 */
public final class FakeQmpExchange {

  private final FakeQmpConnection connection;
  private final ObjectNode request;

  FakeQmpExchange(FakeQmpConnection connection, ObjectNode request) {
    this.connection = connection;
    this.request = request;
  }

  /**
   * Returns the whole request as received.
   *
   * @return the request object, such as {@code {"execute": "stop", "id": "xray-2"}}
   */
  public ObjectNode request() {
    return request;
  }

  /**
   * Returns the command name, from {@code execute} or {@code exec-oob}.
   *
   * @return the command name, or an empty string if the request has neither
   */
  public String command() {
    return FakeQmpConnection.commandName(request);
  }

  /**
   * Returns the request's arguments.
   *
   * @return the {@code arguments} object, or an empty object if there is none
   */
  public ObjectNode arguments() {
    JsonNode arguments = request.get("arguments");
    return arguments != null && arguments.isObject()
        ? (ObjectNode) arguments
        : mapper().createObjectNode();
  }

  /**
   * Returns the request's {@code id}.
   *
   * @return the id, or {@code null} if the request has none
   */
  public JsonNode id() {
    return request.get("id");
  }

  /**
   * Returns the JSON mapper the server uses, for building replies.
   *
   * @return the mapper
   */
  public ObjectMapper mapper() {
    return FakeQmpServer.MAPPER;
  }

  /**
   * Sends a success reply with the request's id: {@code {"return": value, "id": id}}.
   *
   * @param returnValue the {@code return} member
   * @throws IOException if writing fails
   */
  public void reply(JsonNode returnValue) throws IOException {
    send(connection.replyTo(request, "return", returnValue));
  }

  /**
   * Sends an error reply with the request's id: {@code {"error": {"class": ..., "desc": ...},
   * "id": id}}.
   *
   * @param errorClass the QMP error class, such as {@code GenericError}
   * @param description the error text
   * @throws IOException if writing fails
   */
  public void replyError(String errorClass, String description) throws IOException {
    send(connection.replyTo(request, "error", FakeQmpConnection.error(errorClass, description)));
  }

  /**
   * Sends an event with the current time as its timestamp.
   *
   * @param name the event name
   * @param data the {@code data} member, or {@code null} to leave it out
   * @throws IOException if writing fails
   */
  public void sendEvent(String name, JsonNode data) throws IOException {
    send(FakeQmpConnection.event(name, data));
  }

  /**
   * Sends one JSON message, followed by CRLF as QEMU does.
   *
   * @param message the message
   * @throws IOException if writing fails
   */
  public void send(JsonNode message) throws IOException {
    connection.write(FakeQmpConnection.line(message));
  }

  /**
   * Sends bytes exactly as given, for malformed or partial messages.
   *
   * @param bytes the bytes to write
   * @throws IOException if writing fails
   */
  public void sendRaw(byte[] bytes) throws IOException {
    connection.write(bytes);
  }

  /**
   * Sends text exactly as given, encoded as UTF-8.
   *
   * @param text the text to write
   * @throws IOException if writing fails
   */
  public void sendRaw(String text) throws IOException {
    sendRaw(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Keeps a message to be sent later by {@link #sendDeferred()}, for example while handling
   * another command, so that replies go out in a different order than the requests came.
   *
   * @param message the message to keep
   */
  public void defer(JsonNode message) {
    connection.defer(FakeQmpConnection.line(message));
  }

  /**
   * Sends every deferred message, oldest first.
   *
   * @throws IOException if writing fails
   */
  public void sendDeferred() throws IOException {
    connection.sendDeferred();
  }

  /** Closes the client connection; the server then waits for the next client. */
  public void closeConnection() {
    connection.close();
  }

  /**
   * Sends nothing more on this connection, as a hung QEMU would, until the client disconnects
   * or the server is closed. Input that arrives meanwhile is discarded, and the connection is
   * closed afterwards.
   */
  public void stall() {
    connection.discardInputUntilClosed();
  }
}
