package dev.xray.qmp.testing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One client connection of the {@link FakeQmpServer}, served on the server's thread. */
final class FakeQmpConnection {

  private static final Logger LOG = LoggerFactory.getLogger(FakeQmpServer.class);

  private final Socket socket;
  private final FakeQmpServer server;
  private final OutputStream output;
  private final int chunkBytes;
  private final Duration chunkPause;
  private final List<byte[]> deferred = new ArrayList<>();

  FakeQmpConnection(Socket socket, FakeQmpServer server, int chunkBytes, Duration chunkPause)
      throws IOException {
    this.socket = socket;
    this.server = server;
    this.output = socket.getOutputStream();
    this.chunkBytes = chunkBytes;
    this.chunkPause = chunkPause;
  }

  /** Sends the greeting, then handles commands until the client or the server closes. */
  void serve(byte[] greeting) {
    try {
      if (greeting != null) {
        write(greeting);
      }
      readCommands();
    } catch (JsonProcessingException e) {
      LOG.debug("fake QMP server closes a connection that sent invalid JSON", e);
    } catch (IOException e) {
      LOG.debug("fake QMP server connection ended: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close();
    }
  }

  private void readCommands() throws IOException, InterruptedException {
    Reader input = new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8);
    try (JsonParser parser = FakeQmpServer.MAPPER.createParser(input)) {
      while (parser.nextToken() != null) {
        JsonNode request = FakeQmpServer.MAPPER.readTree(parser);
        if (request instanceof ObjectNode) {
          handle((ObjectNode) request);
        }
      }
    }
  }

  private void handle(ObjectNode request) throws IOException, InterruptedException {
    server.recordRequest(request);
    String command = commandName(request);
    FakeQmpExchange exchange = new FakeQmpExchange(this, request);
    CommandScript script = server.scriptFor(command);
    if (script != null) {
      script.run(exchange);
    } else {
      replyByDefault(command, exchange);
    }
  }

  /** Replies to a command that no script matches, the way QEMU does. */
  private void replyByDefault(String command, FakeQmpExchange exchange) throws IOException {
    switch (command) {
      case "qmp_capabilities":
        exchange.reply(FakeQmpServer.MAPPER.createObjectNode());
        break;
      case "quit":
        exchange.reply(FakeQmpServer.MAPPER.createObjectNode());
        close();
        break;
      default:
        exchange.replyError("CommandNotFound", "The command " + command + " has not been found");
    }
  }

  /** Writes bytes, split into chunks with pauses if the server was built that way. */
  synchronized void write(byte[] bytes) throws IOException {
    if (chunkBytes <= 0) {
      output.write(bytes);
      output.flush();
      return;
    }
    for (int offset = 0; offset < bytes.length; offset += chunkBytes) {
      output.write(bytes, offset, Math.min(chunkBytes, bytes.length - offset));
      output.flush();
      pauseBetweenChunks();
    }
  }

  synchronized void defer(byte[] message) {
    deferred.add(message);
  }

  void sendDeferred() throws IOException {
    List<byte[]> messages;
    synchronized (this) {
      messages = new ArrayList<>(deferred);
      deferred.clear();
    }
    for (byte[] message : messages) {
      write(message);
    }
  }

  void close() {
    try {
      socket.close();
    } catch (IOException e) {
      LOG.debug("ignored an error while closing a fake QMP connection", e);
    }
  }

  /**
   * Reads and discards input without replying until the client disconnects or the server
   * closes this connection, as a hung QEMU would.
   */
  void discardInputUntilClosed() {
    byte[] discarded = new byte[8192];
    try {
      InputStream input = socket.getInputStream();
      while (input.read(discarded) >= 0) {
        // Keep reading: only the end of the stream or a closed socket ends the stall.
      }
    } catch (IOException e) {
      LOG.debug("stalled fake QMP connection ended: {}", e.toString());
    }
    close();
  }

  ObjectNode replyTo(ObjectNode request, String member, JsonNode value) {
    ObjectNode reply = FakeQmpServer.MAPPER.createObjectNode();
    reply.set(member, value);
    JsonNode id = request.get("id");
    if (id != null) {
      reply.set("id", id);
    }
    return reply;
  }

  static ObjectNode error(String errorClass, String description) {
    return FakeQmpServer.MAPPER.createObjectNode()
        .put("class", errorClass)
        .put("desc", description);
  }

  static ObjectNode event(String name, JsonNode data) {
    Instant now = Instant.now();
    ObjectNode event = FakeQmpServer.MAPPER.createObjectNode();
    event.putObject("timestamp")
        .put("seconds", now.getEpochSecond())
        .put("microseconds", now.getNano() / 1000);
    event.put("event", name);
    if (data != null) {
      event.set("data", data);
    }
    return event;
  }

  /** Serializes a message followed by CRLF, as QEMU ends every message. */
  static byte[] line(JsonNode message) {
    try {
      byte[] json = FakeQmpServer.MAPPER.writeValueAsBytes(message);
      byte[] line = Arrays.copyOf(json, json.length + 2);
      line[json.length] = '\r';
      line[json.length + 1] = '\n';
      return line;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write a fake QMP message as JSON", e);
    }
  }

  static String commandName(JsonNode request) {
    JsonNode name = request.has("execute") ? request.get("execute") : request.get("exec-oob");
    return name != null && name.isTextual() ? name.textValue() : "";
  }

  private void pauseBetweenChunks() throws IOException {
    if (chunkPause.isZero()) {
      return;
    }
    try {
      Thread.sleep(chunkPause.toMillis(), chunkPause.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted between chunks", e);
    }
  }
}
