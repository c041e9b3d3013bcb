package dev.xray.qmp.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scripted QMP server on a unix socket, for testing code that talks QMP without starting
 * QEMU.
 *
 * <pre>{@code
 * @Test
 * void pausesTheVm(@TempDir Path dir) throws Exception {
 *   try (FakeQmpServer server = FakeQmpServer.start(dir)) {
 *     server.onCommand("stop").reply("{}").event("STOP");
 *     try (QmpClient client = QmpClient.connect(server.socketPath())) {
 *       client.stop();
 *     }
 *     assertThat(server.receivedCommandNames()).contains("stop");
 *   }
 * }
 * }</pre>
 *
 * <h2>Behaviour</h2>
 *
 * Like QEMU, the server serves one client at a time: a second client is accepted by the
 * kernel but gets no greeting until the first disconnects. On connect it sends the greeting
 * configured on the {@link Builder} (by default QEMU 7.2.0 offering {@code oob}), or a raw text,
 * or nothing. Each command is then handled by the oldest matching {@link CommandScript} that
 * has uses left. Without one, {@code qmp_capabilities} gets {@code {}}, {@code quit} gets
 * {@code {}} and then the connection is closed, and any other command gets a {@code
 * CommandNotFound} error, as QEMU replies. Scripts can send events before or after replies,
 * replies out of order, wrong ids, raw bytes and partial messages, and can pause, stall or
 * close the connection. {@link #sendEvent(String, String)} pushes an event at any moment from
 * the test's thread.
 *
 * <h2>Threads</h2>
 *
 * One thread, {@code fake-qmp-server}, accepts clients and runs the scripts. The other methods
 * may be called from any thread.
 *
 * <h2>Limits</h2>
 *
 * The server does not check that the client negotiated capabilities before other commands, and
 * it ignores requests that are not JSON objects. It closes a connection whose input is not
 * valid JSON.
 */
public final class FakeQmpServer implements Closeable {

  /** File name of the socket inside the folder given to {@link #builder(Path)}. */
  public static final String SOCKET_FILE_NAME = "qmp.sock";

  static final ObjectMapper MAPPER = JsonMapper.builder().build();

  private static final Logger LOG = LoggerFactory.getLogger(FakeQmpServer.class);

  private final Path socketPath;
  private final AFUNIXServerSocket serverSocket;
  private final byte[] greeting;
  private final int chunkBytes;
  private final Duration chunkPause;
  private final List<CommandScript> scripts = new CopyOnWriteArrayList<>();
  private final List<ObjectNode> received = new ArrayList<>();
  private final Thread acceptThread;
  private volatile FakeQmpConnection current;
  private volatile boolean closed;
  private int connectionCount;

  private FakeQmpServer(Builder builder, AFUNIXServerSocket serverSocket) {
    this.socketPath = builder.socketPath;
    this.serverSocket = serverSocket;
    this.greeting = builder.greetingBytes();
    this.chunkBytes = builder.chunkBytes;
    this.chunkPause = builder.chunkPause;
    this.acceptThread = new Thread(this::acceptLoop, "fake-qmp-server");
    this.acceptThread.setDaemon(true);
  }

  /**
   * Starts a server with the default greeting on {@code directory/qmp.sock}.
   *
   * @param directory an existing folder, such as a JUnit {@code @TempDir}
   * @return the running server; close it after the test
   * @throws IOException if the socket cannot be bound
   */
  public static FakeQmpServer start(Path directory) throws IOException {
    return builder(directory).start();
  }

  /**
   * Returns a builder for a server on {@code directory/qmp.sock}.
   *
   * @param directory an existing folder; its path plus "/qmp.sock" must fit in a unix socket
   *     address (107 bytes on Linux)
   * @return a new builder
   */
  public static Builder builder(Path directory) {
    return new Builder(directory.resolve(SOCKET_FILE_NAME));
  }

  /**
   * Returns the path of the server's unix socket.
   *
   * @return the socket path to connect to
   */
  public Path socketPath() {
    return socketPath;
  }

  /**
   * Adds a script for a command. Add scripts before the client sends the command.
   *
   * @param command the command name to match
   * @return the new, empty script; add steps to it
   */
  public CommandScript onCommand(String command) {
    CommandScript script = new CommandScript(Objects.requireNonNull(command, "command"));
    scripts.add(script);
    return script;
  }

  /**
   * Adds a script that matches every command, {@code qmp_capabilities} included. Scripts added
   * earlier for a specific command still take precedence while they have uses left.
   *
   * @return the new, empty script
   */
  public CommandScript onAnyCommand() {
    CommandScript script = new CommandScript(null);
    scripts.add(script);
    return script;
  }

  /**
   * Sends an event to the connected client now, from the caller's thread.
   *
   * @param name the event name
   * @param dataJson the {@code data} member as JSON text, or {@code null} for none
   * @throws IOException if writing fails
   * @throws IllegalStateException if no client is connected
   */
  public void sendEvent(String name, String dataJson) throws IOException {
    JsonNode data = dataJson == null ? null : MAPPER.readTree(dataJson);
    connection().write(FakeQmpConnection.line(FakeQmpConnection.event(name, data)));
  }

  /**
   * Sends text exactly as given to the connected client now, from the caller's thread.
   *
   * @param text the text to write, encoded as UTF-8
   * @throws IOException if writing fails
   * @throws IllegalStateException if no client is connected
   */
  public void sendRaw(String text) throws IOException {
    connection().write(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Closes the current client connection, if any; the server then waits for the next one. */
  public void disconnectClient() {
    FakeQmpConnection connection = current;
    if (connection != null) {
      connection.close();
    }
  }

  /**
   * Returns every request received so far, from all connections, in order.
   *
   * @return a copy of the requests
   */
  public synchronized List<ObjectNode> receivedCommands() {
    List<ObjectNode> copies = new ArrayList<>();
    received.forEach(request -> copies.add(request.deepCopy()));
    return copies;
  }

  /**
   * Returns the command names received so far, in order.
   *
   * @return the names, such as ["qmp_capabilities", "query-status"]
   */
  public synchronized List<String> receivedCommandNames() {
    List<String> names = new ArrayList<>();
    received.forEach(request -> names.add(FakeQmpConnection.commandName(request)));
    return names;
  }

  /**
   * Waits until a request for {@code command} has been received, counting earlier ones too.
   *
   * @param command the command name
   * @param timeout how long to wait
   * @return the first such request, or empty if none arrived in time
   * @throws InterruptedException if the thread is interrupted
   */
  public synchronized Optional<ObjectNode> awaitCommand(String command, Duration timeout)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (ObjectNode request : received) {
        if (command.equals(FakeQmpConnection.commandName(request))) {
          return Optional.of(request.deepCopy());
        }
      }
      long remaining = end - System.nanoTime();
      if (remaining <= 0) {
        return Optional.empty();
      }
      TimeUnit.NANOSECONDS.timedWait(this, remaining);
    }
  }

  /**
   * Returns how many client connections the server has accepted.
   *
   * @return the number of accepted connections, including the current one
   */
  public synchronized int connectionCount() {
    return connectionCount;
  }

  /**
   * Stops the server: closes the client connection and the socket, ends the server thread and
   * deletes the socket file. Idempotent.
   */
  @Override
  public void close() {
    closed = true;
    try {
      serverSocket.close();
    } catch (IOException e) {
      LOG.debug("ignored an error while closing the fake QMP server socket", e);
    }
    disconnectClient();
    acceptThread.interrupt();
    try {
      acceptThread.join(2000);
      Files.deleteIfExists(socketPath);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.debug("could not delete {}", socketPath, e);
    }
  }

  synchronized void recordRequest(ObjectNode request) {
    received.add(request);
    notifyAll();
  }

  CommandScript scriptFor(String command) {
    for (CommandScript script : scripts) {
      if (script.claim(command)) {
        return script;
      }
    }
    return null;
  }

  private FakeQmpConnection connection() {
    FakeQmpConnection connection = current;
    if (connection == null) {
      throw new IllegalStateException("no client is connected to " + socketPath);
    }
    return connection;
  }

  private void start() {
    acceptThread.start();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket socket = serverSocket.accept();
        FakeQmpConnection connection =
            new FakeQmpConnection(socket, this, chunkBytes, chunkPause);
        current = connection;
        synchronized (this) {
          connectionCount++;
        }
        connection.serve(greeting);
        current = null;
      } catch (IOException e) {
        if (!closed) {
          LOG.debug("fake QMP server on {} stopped accepting", socketPath, e);
        }
        return;
      }
    }
  }

  /** Builder for {@link FakeQmpServer}; {@link #start()} binds the socket. */
  public static final class Builder {

    private final Path socketPath;
    private int major = 7;
    private int minor = 2;
    private int micro = 0;
    private String packageName = "xray-fake";
    private List<String> capabilities = List.of("oob");
    private byte[] rawGreeting;
    private boolean sendGreeting = true;
    private int chunkBytes;
    private Duration chunkPause = Duration.ZERO;

    private Builder(Path socketPath) {
      this.socketPath = socketPath;
    }

    /**
     * Sets the QEMU version in the greeting.
     *
     * @param major the major version; default 7
     * @param minor the minor version; default 2
     * @param micro the micro version; default 0
     * @return this builder
     */
    public Builder version(int major, int minor, int micro) {
      this.major = major;
      this.minor = minor;
      this.micro = micro;
      return this;
    }

    /**
     * Sets the package string in the greeting.
     *
     * @param packageName the package string; default "xray-fake"
     * @return this builder
     */
    public Builder packageName(String packageName) {
      this.packageName = Objects.requireNonNull(packageName, "packageName");
      return this;
    }

    /**
     * Sets the capabilities the greeting offers.
     *
     * @param names the capability names; default {@code oob}
     * @return this builder
     */
    public Builder capabilities(String... names) {
      this.capabilities = List.of(names);
      return this;
    }

    /**
     * Sends this text instead of a greeting, exactly as given, for tests of bad greetings.
     *
     * @param text the text to send on connect
     * @return this builder
     */
    public Builder rawGreeting(String text) {
      return rawGreeting(Objects.requireNonNull(text, "text").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends these bytes instead of a greeting, exactly as given, for tests of bad greetings.
     *
     * @param bytes the bytes to send on connect
     * @return this builder
     */
    public Builder rawGreeting(byte[] bytes) {
      this.rawGreeting = Objects.requireNonNull(bytes, "bytes").clone();
      this.sendGreeting = true;
      return this;
    }

    /**
     * Sends no greeting at all, as a QMP socket does while another client is connected.
     *
     * @return this builder
     */
    public Builder noGreeting() {
      this.sendGreeting = false;
      return this;
    }

    /**
     * Splits every write into chunks with a pause after each, so a client sees one message
     * arrive in many small reads.
     *
     * @param chunkBytes bytes per write, at least 1
     * @param pause the pause after each chunk; {@link Duration#ZERO} for none
     * @return this builder
     */
    public Builder splitWrites(int chunkBytes, Duration pause) {
      if (chunkBytes < 1) {
        throw new IllegalArgumentException("chunkBytes must be at least 1: " + chunkBytes);
      }
      this.chunkBytes = chunkBytes;
      this.chunkPause = Objects.requireNonNull(pause, "pause");
      return this;
    }

    /**
     * Binds the socket and starts serving.
     *
     * @return the running server
     * @throws IOException if the socket cannot be bound, for example because the path is too
     *     long or already in use
     */
    public FakeQmpServer start() throws IOException {
      AFUNIXServerSocket socket = AFUNIXServerSocket.newInstance();
      socket.bind(AFUNIXSocketAddress.of(socketPath));
      FakeQmpServer server = new FakeQmpServer(this, socket);
      server.start();
      LOG.debug("fake QMP server listening on {}", socketPath);
      return server;
    }

    private byte[] greetingBytes() {
      if (!sendGreeting) {
        return null;
      }
      if (rawGreeting != null) {
        return rawGreeting.clone();
      }
      ObjectNode message = MAPPER.createObjectNode();
      ObjectNode qmp = message.putObject("QMP");
      ObjectNode version = qmp.putObject("version");
      version.putObject("qemu").put("micro", micro).put("minor", minor).put("major", major);
      version.put("package", packageName);
      capabilities.forEach(qmp.putArray("capabilities")::add);
      return FakeQmpConnection.line(message);
    }
  }
}
