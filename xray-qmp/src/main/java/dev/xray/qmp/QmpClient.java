package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client for the QEMU Machine Protocol over a unix socket.
 *
 * <pre>{@code
 * try (QmpClient qmp = QmpClient.connect(Path.of("/run/vm1/qmp.sock"))) {
 *   System.out.println(qmp.greeting().version());       // 7.2.0
 *   try (QmpEventStream stops = qmp.events("STOP")) {
 *     qmp.stop();
 *     stops.next(Duration.ofSeconds(5));
 *   }
 *   JsonNode block = qmp.execute("query-block");
 * }
 * }</pre>
 *
 * <h2>Threads</h2>
 *
 * Every call runs on the caller's thread and blocks until its reply arrives or its timeout
 * expires. One reader thread per connection, {@code xray-qmp-reader-<name>}, parses everything
 * the server sends and matches each reply to its call by {@code id}, so events and replies that
 * arrive in any order never reach the wrong call. Many threads may call at once on one client;
 * their requests are written one at a time. Subscription listeners run on a separate event
 * thread, {@code xray-qmp-events-<name>}. {@code <name>} is {@link QmpOptions#loggerName()} or
 * else the socket's file name.
 *
 * <h2>Timeouts</h2>
 *
 * Connecting is bounded by {@link QmpOptions#connectTimeout()}, which also covers the greeting,
 * because QEMU serves one client per socket and greets a second client only after the first
 * leaves. Each call is bounded by its own timeout, {@link QmpOptions#commandTimeout()} unless
 * one is passed. A call that times out throws {@link QmpTimeoutException} and leaves the
 * connection open and usable: QEMU may still run the command, and when its reply arrives it is
 * dropped (logged at DEBUG), so it never reaches a later call.
 *
 * <h2>Failures</h2>
 *
 * An error reply fails only its own call, with {@link QmpCommandException}. A reply whose id
 * matches no call breaks the protocol, but the client only logs it at WARN and drops it, as the
 * QMP specification asks. The connection closes, and every pending call and event stream fails,
 * when the server closes the socket ({@link QmpConnectionClosedException}) or sends bytes that
 * are not JSON ({@link QmpProtocolException}), because after invalid JSON the start of the next
 * message cannot be found.
 *
 * <h2>Logging</h2>
 *
 * Steps such as "negotiating capabilities" go to the logger {@code dev.xray.qmp} at DEBUG. Every
 * message sent and received goes to {@code dev.xray.qmp.wire} at DEBUG, one line each, as
 * {@code --> json} and {@code <-- json}, with {@code password} values redacted; set that logger
 * to INFO to keep the steps without the traffic. WARN is used only when something is wrong:
 * protocol violations, a failing listener or filter, a full event stream, and failures that no
 * caller would otherwise see. {@link QmpOptions#loggerName()} appends a suffix to both names.
 *
 * <h2>Limits</h2>
 *
 * <ul>
 *   <li>Unix sockets only: no TCP, no file descriptor passing ({@code getfd}, {@code add-fd}).
 *   <li>No reconnect: after the connection closes, connect a new client.
 *   <li>A write that the server never reads (its socket buffer full) is not bounded by the
 *       call's timeout; only waiting for the write lock and for the reply are.
 *   <li>Typed methods cover the commands xray needs; send any other command with {@link
 *       #execute(String, ObjectNode, Duration)}.
 * </ul>
 */
public final class QmpClient implements Closeable {

  /** Name of the lifecycle and protocol logger; a connection's suffix is appended after a dot. */
  public static final String LOGGER_NAME = "dev.xray.qmp";

  /** Name of the wire logger; a connection's suffix is appended after a dot. */
  public static final String WIRE_LOGGER_NAME = "dev.xray.qmp.wire";

  private static final ObjectMapper MAPPER = JsonMapper.builder().build();

  private final Path socket;
  private final QmpOptions options;
  private final QmpSession session;
  private final EventHub hub;
  private final QmpGreeting greeting;
  private final boolean oobEnabled;
  private final Logger log;
  private final String threadSuffix;
  private final JobRunner jobs;
  private ExecutorService eventThread;

  private QmpClient(
      Path socket,
      QmpOptions options,
      QmpSession session,
      EventHub hub,
      QmpGreeting greeting,
      Logger log,
      String threadSuffix) {
    this.socket = socket;
    this.options = options;
    this.session = session;
    this.hub = hub;
    this.greeting = greeting;
    this.oobEnabled = options.enableOob();
    this.log = log;
    this.threadSuffix = threadSuffix;
    this.jobs = new JobRunner(this, log);
  }

  /**
   * Connects with {@link QmpOptions#defaults()}. See {@link #connect(Path, QmpOptions)}.
   *
   * @param socket the path of QEMU's QMP unix socket
   * @return a connected client in command mode
   * @throws QmpException as described for {@link #connect(Path, QmpOptions)}
   */
  public static QmpClient connect(Path socket) throws QmpException {
    return connect(socket, QmpOptions.defaults());
  }

  /**
   * Connects to a QMP unix socket, reads and checks the greeting, and negotiates capabilities
   * with {@code qmp_capabilities} (enabling {@code oob} only if the options ask for it). When
   * this returns, the server is in command mode. All of it must finish within {@link
   * QmpOptions#connectTimeout()}. Runs on the caller's thread; the reader thread starts here.
   *
   * @param socket the path of QEMU's QMP unix socket, as in {@code -qmp
   *     unix:PATH,server=on,wait=off}
   * @param options timeouts, out-of-band execution and logger names
   * @return a connected client; close it when done
   * @throws QmpConnectException if the socket cannot be connected to, {@code oob} was asked for
   *     but not offered, or the server rejected {@code qmp_capabilities}
   * @throws QmpTimeoutException if the greeting or the negotiation reply did not arrive in time,
   *     for example because another client is connected to the socket
   * @throws QmpProtocolException if the server sent something other than a greeting, or closed
   *     the connection without sending one
   * @throws QmpConnectionClosedException if the server closed the connection during negotiation
   */
  public static QmpClient connect(Path socket, QmpOptions options) throws QmpException {
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(options, "options");
    Deadline deadline = Deadline.after(options.connectTimeout());
    String suffix = options.loggerName().orElse(String.valueOf(socket.getFileName()));
    Logger log = LoggerFactory.getLogger(loggerName(LOGGER_NAME, options));
    Logger wireLog = LoggerFactory.getLogger(loggerName(WIRE_LOGGER_NAME, options));

    log.debug("connecting to {}", socket);
    QmpTransport transport = UnixSocketTransport.connect(socket, options.connectTimeout());
    EventHub hub = new EventHub(log);
    QmpSession session = new QmpSession(transport, MAPPER, log, wireLog, hub, suffix);
    session.start();
    try {
      QmpGreeting greeting = session.awaitGreeting(deadline);
      negotiate(session, greeting, socket, options, deadline, log);
      log.debug("connected to {}: QEMU {}", socket, greeting.version());
      return new QmpClient(socket, options, session, hub, greeting, log, suffix);
    } catch (QmpException | RuntimeException e) {
      session.close();
      throw e;
    }
  }

  private static void negotiate(
      QmpSession session,
      QmpGreeting greeting,
      Path socket,
      QmpOptions options,
      Deadline deadline,
      Logger log)
      throws QmpException {
    ObjectNode arguments = null;
    if (options.enableOob()) {
      if (!greeting.offers("oob")) {
        throw new QmpConnectException(
            socket,
            "QMP server at " + socket + " does not offer the 'oob' capability (it offers "
                + greeting.capabilities() + "); connect without enableOob(true)",
            null);
      }
      arguments = MAPPER.createObjectNode();
      arguments.putArray("enable").add("oob");
    }
    log.debug("negotiating capabilities on {}: {}", socket, options.enableOob() ? "oob" : "none");
    try {
      session.call("execute", "qmp_capabilities", arguments, deadline);
    } catch (QmpCommandException e) {
      throw new QmpConnectException(
          socket, "capability negotiation on " + socket + " failed: " + e.getMessage(), e);
    } catch (QmpTimeoutException e) {
      throw new QmpTimeoutException(
          "timed out after " + Deadline.describe(deadline.timeout()) + " connecting to "
              + socket + ": no reply to qmp_capabilities",
          "reply to 'qmp_capabilities'",
          deadline.timeout());
    }
  }

  private static String loggerName(String base, QmpOptions options) {
    return options.loggerName().map(name -> base + "." + name).orElse(base);
  }

  /**
   * Returns the greeting the server sent when this client connected.
   *
   * @return the QEMU version and the capabilities the server offered
   */
  public QmpGreeting greeting() {
    return greeting;
  }

  /**
   * Returns the socket path this client connected to.
   *
   * @return the unix socket path
   */
  public Path socketPath() {
    return socket;
  }

  /**
   * Returns the options this client was connected with.
   *
   * @return the options
   */
  public QmpOptions options() {
    return options;
  }

  // Generic commands.

  /**
   * Runs a command without arguments, with the default command timeout.
   *
   * @param command the QMP command name, such as {@code query-block}
   * @return the reply's {@code return} value; {@code {}} for commands that return nothing
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public JsonNode execute(String command) throws QmpException {
    return execute(command, null, options.commandTimeout());
  }

  /**
   * Runs a command with the default command timeout.
   *
   * @param command the QMP command name
   * @param arguments the command's arguments, or {@code null} for none
   * @return the reply's {@code return} value
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public JsonNode execute(String command, ObjectNode arguments) throws QmpException {
    return execute(command, arguments, options.commandTimeout());
  }

  /**
   * Sends a command and waits for its reply. The request gets a unique {@code id}, and the reader
   * thread matches the reply by it. Runs on the caller's thread; safe to call from many threads
   * at once. Do not change {@code arguments} while the call runs.
   *
   * @param command the QMP command name
   * @param arguments the command's arguments, or {@code null} for none
   * @param timeout how long to wait for the reply; must be positive
   * @return the reply's {@code return} value
   * @throws QmpCommandException if the server replied with an error; the connection stays open
   * @throws QmpTimeoutException if no reply arrived in time; the connection stays open and a
   *     late reply is dropped
   * @throws QmpConnectionClosedException if the client was closed, or the connection closed
   *     before the reply arrived
   * @throws QmpProtocolException if the connection closed because the server sent invalid JSON
   * @throws QmpInterruptedException if the thread was interrupted while waiting
   */
  public JsonNode execute(String command, ObjectNode arguments, Duration timeout)
      throws QmpException {
    return call(requireCommand(command), arguments, Deadline.after(timeout));
  }

  /**
   * Sends a command for out-of-band execution ({@code exec-oob}), which QEMU runs at once, even
   * while earlier in-band commands are still queued. Only commands with {@code "allow-oob":
   * true} in {@code query-qmp-schema} support it, such as {@code migrate-pause}. Runs on the
   * caller's thread.
   *
   * @param command the QMP command name
   * @param arguments the command's arguments, or {@code null} for none
   * @param timeout how long to wait for the reply; must be positive
   * @return the reply's {@code return} value
   * @throws IllegalStateException if the client was not connected with {@code enableOob(true)}
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public JsonNode executeOob(String command, ObjectNode arguments, Duration timeout)
      throws QmpException {
    if (!oobEnabled) {
      throw new IllegalStateException(
          "out-of-band execution is not enabled on " + socket
              + "; connect with QmpOptions.builder().enableOob(true)");
    }
    return session.call("exec-oob", requireCommand(command), arguments, Deadline.after(timeout));
  }

  /**
   * Returns a new, empty JSON object for command arguments.
   *
   * @return an empty object node, made by the client's JSON mapper
   */
  public ObjectNode newArguments() {
    return MAPPER.createObjectNode();
  }

  // Typed commands.

  /**
   * Runs {@code query-status}. Runs on the caller's thread.
   *
   * @return the VM's run state
   * @throws QmpProtocolException if the reply lacks {@code status} or {@code running}
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public QmpStatus queryStatus() throws QmpException {
    JsonNode reply = execute("query-status");
    String status = QmpEvents.text(reply, "status");
    JsonNode running = reply == null ? null : reply.get("running");
    if (status == null || running == null || !running.isBoolean()) {
      throw new QmpProtocolException(
          "reply to query-status on " + socket + " lacks 'status' or 'running': " + reply);
    }
    boolean singlestep = reply.path("singlestep").asBoolean(false);
    return new QmpStatus(status, running.booleanValue(), singlestep);
  }

  /**
   * Runs {@code query-version}. Runs on the caller's thread.
   *
   * @return the QEMU version
   * @throws QmpProtocolException if the reply lacks the version numbers
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public QmpVersion queryVersion() throws QmpException {
    return QmpVersion.parse(execute("query-version"), "reply to query-version on " + socket);
  }

  /**
   * Runs {@code query-block}: every block device with its inserted image, node name and the
   * image's internal snapshots. Runs on the caller's thread.
   *
   * @return the reply, a JSON array of {@code BlockInfo} objects
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public JsonNode queryBlock() throws QmpException {
    return execute("query-block");
  }

  /**
   * Runs {@code query-jobs}. Runs on the caller's thread.
   *
   * @return the reply, a JSON array of {@code JobInfo} objects (QEMU 3.0+)
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public JsonNode queryJobs() throws QmpException {
    return execute("query-jobs");
  }

  /**
   * Runs {@code system_powerdown}, which presses the ACPI power button. The reply comes at once;
   * whether and when the guest shuts down is up to the guest. Open {@code events("SHUTDOWN")}
   * before calling this to wait for the shutdown. Runs on the caller's thread.
   *
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public void systemPowerdown() throws QmpException {
    execute("system_powerdown");
  }

  /**
   * Runs {@code stop}, which pauses the vCPUs. QEMU emits a {@code STOP} event. Runs on the
   * caller's thread.
   *
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public void stop() throws QmpException {
    execute("stop");
  }

  /**
   * Runs {@code cont}, which resumes the vCPUs, also from the {@code prelaunch} state of a VM
   * started with {@code -S} and from {@code restore-vm} after a failed snapshot load. QEMU emits
   * a {@code RESUME} event. Runs on the caller's thread.
   *
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public void cont() throws QmpException {
    execute("cont");
  }

  /**
   * Runs {@code quit}, which makes QEMU exit, and then closes this client. If the connection
   * closes before the reply arrives, that counts as success, because QEMU may close the socket
   * before its reply is read. When this returns, the QEMU process may still be exiting. Runs on
   * the caller's thread.
   *
   * @throws QmpConnectionClosedException if the client was already closed
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public void quit() throws QmpException {
    try {
      call("quit", null, Deadline.after(options.commandTimeout()));
    } catch (QmpConnectionClosedException e) {
      if (!closedByQuit(e)) {
        throw e;
      }
      log.debug("{} closed before the reply to quit, which counts as success", socket);
    } finally {
      close();
    }
  }

  private boolean closedByQuit(QmpConnectionClosedException e) {
    CloseReason reason = session.closeReason();
    return e.pendingCommand().filter("quit"::equals).isPresent()
        && reason != null
        && reason.kind() != CloseReason.Kind.CALLER;
  }

  /**
   * Runs an HMP (human monitor) command through {@code human-monitor-command}, for features that
   * have no QMP command. HMP reports errors as ordinary output, so output starting with "Error:"
   * is thrown as an exception. Runs on the caller's thread.
   *
   * @param commandLine the HMP command line, such as {@code info status}
   * @return the command's output, which QEMU ends with "\r\n" when it is not empty
   * @throws QmpCommandException if the output starts with "Error:"; its {@link
   *     QmpCommandException#errorClass()} is empty and its description is the output
   * @throws QmpProtocolException if the reply is not a string
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public String humanMonitorCommand(String commandLine) throws QmpException {
    return humanMonitorCommand(commandLine, options.commandTimeout());
  }

  /**
   * Runs an HMP command with its own timeout, for slow commands such as {@code savevm}. See
   * {@link #humanMonitorCommand(String)}. Runs on the caller's thread.
   *
   * @param commandLine the HMP command line
   * @param timeout how long to wait for the output; must be positive
   * @return the command's output
   * @throws QmpCommandException if the output starts with "Error:"
   * @throws QmpException as described for {@link #humanMonitorCommand(String)}
   */
  public String humanMonitorCommand(String commandLine, Duration timeout) throws QmpException {
    Objects.requireNonNull(commandLine, "commandLine");
    ObjectNode arguments = newArguments().put("command-line", commandLine);
    JsonNode reply = execute("human-monitor-command", arguments, timeout);
    if (reply == null || !reply.isTextual()) {
      throw new QmpProtocolException(
          "reply to human-monitor-command '" + commandLine + "' on " + socket
              + " is not a string: " + reply);
    }
    String output = reply.textValue();
    if (output.startsWith("Error:")) {
      throw new QmpCommandException(
          "HMP command '" + commandLine + "' failed: " + output.strip(),
          "human-monitor-command",
          arguments,
          null,
          output.strip(),
          reply);
    }
    return output;
  }

  // Jobs.

  /**
   * Saves a live snapshot of the VM (RAM, device state and disks) with the {@code snapshot-save}
   * job, and waits until it has finished. The vCPUs are paused while it runs. Needs QEMU 6.0+.
   * Runs on the caller's thread.
   *
   * @param tag the snapshot name; QEMU rejects a tag that already exists on any of {@code
   *     devices}
   * @param vmstateNode the block node name that receives the RAM and device state
   * @param devices the block node names to snapshot; include every writable node, because a
   *     snapshot that leaves one out cannot be restored consistently
   * @param timeout the maximum time for the whole job
   * @throws QmpJobException if the job failed, for example "Snapshot 'x' already exists in one
   *     or more devices"
   * @throws QmpException as described for {@link #runJob(String, ObjectNode, Duration)}
   */
  public void snapshotSave(String tag, String vmstateNode, List<String> devices, Duration timeout)
      throws QmpException {
    ObjectNode arguments = newArguments();
    arguments.put("tag", Objects.requireNonNull(tag, "tag"));
    arguments.put("vmstate", Objects.requireNonNull(vmstateNode, "vmstateNode"));
    arguments.set("devices", nodeNames(devices));
    runJob("snapshot-save", arguments, timeout);
  }

  /**
   * Restores a snapshot saved by {@link #snapshotSave} with the {@code snapshot-load} job, and
   * waits until it has finished. Needs QEMU 6.0+. A failed load, even of a tag that does not
   * exist, leaves a running VM paused in status {@code restore-vm}, and a VM started with {@code
   * -S} in {@code prelaunch} (measured on QEMU 7.2); {@link #cont()} resumes it. Runs on the
   * caller's thread.
   *
   * @param tag the snapshot name
   * @param vmstateNode the block node name that holds the RAM and device state
   * @param devices the block node names to restore
   * @param timeout the maximum time for the whole job
   * @throws QmpJobException if the job failed
   * @throws QmpException as described for {@link #runJob(String, ObjectNode, Duration)}
   */
  public void snapshotLoad(String tag, String vmstateNode, List<String> devices, Duration timeout)
      throws QmpException {
    ObjectNode arguments = newArguments();
    arguments.put("tag", Objects.requireNonNull(tag, "tag"));
    arguments.put("vmstate", Objects.requireNonNull(vmstateNode, "vmstateNode"));
    arguments.set("devices", nodeNames(devices));
    runJob("snapshot-load", arguments, timeout);
  }

  /**
   * Deletes a snapshot from the given block nodes with the {@code snapshot-delete} job, and waits
   * until it has finished. Needs QEMU 6.0+. Runs on the caller's thread.
   *
   * @param tag the snapshot name
   * @param devices the block node names to delete it from
   * @param timeout the maximum time for the whole job
   * @throws QmpJobException if the job failed
   * @throws QmpException as described for {@link #runJob(String, ObjectNode, Duration)}
   */
  public void snapshotDelete(String tag, List<String> devices, Duration timeout)
      throws QmpException {
    ObjectNode arguments = newArguments();
    arguments.put("tag", Objects.requireNonNull(tag, "tag"));
    arguments.set("devices", nodeNames(devices));
    runJob("snapshot-delete", arguments, timeout);
  }

  /**
   * Runs a job command and blocks until the job has ended. Adds a unique {@code job-id} to a copy
   * of the arguments (unless they already contain one, which is then used), opens an event
   * stream for that job, sends the command, waits for {@code JOB_STATUS_CHANGE} with status
   * {@code concluded}, reads the job's error from {@code query-jobs}, and removes the job with
   * {@code job-dismiss}. A job started with {@code auto-dismiss: true} removes itself, so its
   * error cannot be read and only its end is awaited. Needs the job commands of QEMU 3.0+. Runs
   * on the caller's thread.
   *
   * @param command a command that starts a job, such as {@code snapshot-save}
   * @param arguments the command's arguments without {@code job-id}, or {@code null}
   * @param timeout the maximum time for the whole job, including the follow-up commands
   * @throws QmpJobException if the job concluded with an error; the job has been dismissed
   * @throws QmpCommandException if the server rejected the command, so no job was started
   * @throws QmpTimeoutException if the job did not conclude in time; it is left in QEMU, and the
   *     message names its id so it can be cancelled with {@code job-cancel}
   * @throws QmpException as described for {@link #execute(String, ObjectNode, Duration)}
   */
  public void runJob(String command, ObjectNode arguments, Duration timeout)
      throws QmpException {
    jobs.run(requireCommand(command), arguments, timeout);
  }

  // Events.

  /**
   * Opens a stream of the events with the given names, collecting from this moment on. Open it
   * before sending the command that causes the events, so an event that arrives right after the
   * reply (such as {@code SHUTDOWN} after {@code system_powerdown}) is never missed. Close it
   * when done.
   *
   * @param eventNames the event names to collect; none to collect every event
   * @return an open stream
   */
  public QmpEventStream events(String... eventNames) {
    String[] names = eventNames.clone();
    return openStream(QmpEvents.named(names), QmpEvents.describeNames(names));
  }

  /**
   * Opens a stream of the events that pass {@code filter}, collecting from this moment on. The
   * filter runs on the reader thread, so it must be fast and must not block; an exception it
   * throws is logged at WARN and counts as no match.
   *
   * @param filter selects the events to collect
   * @return an open stream
   */
  public QmpEventStream events(Predicate<QmpEvent> filter) {
    Objects.requireNonNull(filter, "filter");
    return openStream(filter, "an event matching the filter");
  }

  /**
   * Calls {@code listener} for every event named {@code eventName} from now on, until the
   * subscription or the client is closed. The listener runs on this client's event thread,
   * {@code xray-qmp-events-<name>}, which all subscriptions of the client share, so events
   * reach it in the order they arrived. The listener may call this client.
   *
   * @param eventName the event name to listen for, or {@code null} for every event
   * @param listener called once per event
   * @return the subscription; close it to stop the calls
   */
  public QmpSubscription subscribe(String eventName, Consumer<QmpEvent> listener) {
    Objects.requireNonNull(listener, "listener");
    return new QmpSubscription(eventName, listener, eventThread(), hub, log).open();
  }

  /**
   * Waits for the next event that arrives from now on with the given name and passing the
   * filter. Events that arrived before this call are not considered; to catch an event caused by
   * a command, open {@link #events(String...)} before sending it instead. Runs on the caller's
   * thread.
   *
   * @param eventName the event name, or {@code null} for any name
   * @param filter a further condition, or {@code null} for none; runs on the reader thread
   * @param timeout how long to wait; must be positive
   * @return the event
   * @throws QmpTimeoutException if no such event arrived in time
   * @throws QmpConnectionClosedException if the connection closed first
   * @throws QmpException as described for {@link QmpEventStream#next(Duration)}
   */
  public QmpEvent awaitEvent(String eventName, Predicate<QmpEvent> filter, Duration timeout)
      throws QmpException {
    Predicate<QmpEvent> named = eventName == null ? QmpEvents.named() : QmpEvents.named(eventName);
    Predicate<QmpEvent> matches = filter == null ? named : named.and(filter);
    String description = eventName == null ? "any event" : "event " + eventName;
    try (QmpEventStream stream = openStream(matches, description)) {
      return stream.next(timeout);
    }
  }

  // Lifecycle.

  /**
   * Returns whether the connection is open. It closes when {@link #close()} or {@link #quit()}
   * is called, when the server closes the socket, or when the server sends invalid JSON.
   *
   * @return {@code true} while calls can be sent
   */
  public boolean isOpen() {
    return session.isOpen();
  }

  /**
   * Closes the connection. Pending calls fail with {@link QmpConnectionClosedException}, event
   * streams end, and the event thread stops after running the listener calls already queued.
   * Idempotent; never throws. QEMU keeps running and accepts the next client.
   */
  @Override
  public void close() {
    session.close();
    ExecutorService thread;
    synchronized (this) {
      thread = eventThread;
    }
    if (thread != null) {
      thread.shutdown();
    }
  }

  @Override
  public String toString() {
    return "QmpClient{" + socket + (isOpen() ? "" : ", closed") + "}";
  }

  // Package-private helpers for JobRunner.

  JsonNode call(String command, ObjectNode arguments, Deadline deadline) throws QmpException {
    return session.call("execute", command, arguments, deadline);
  }

  QmpEventStream openStream(Predicate<QmpEvent> filter, String description) {
    return new QmpEventStream(hub, filter, description, session.socket(), log).open();
  }

  String socket() {
    return session.socket();
  }

  private synchronized ExecutorService eventThread() {
    if (eventThread == null) {
      String name = "xray-qmp-events-" + threadSuffix;
      eventThread =
          Executors.newSingleThreadExecutor(
              task -> {
                Thread thread = new Thread(task, name);
                thread.setDaemon(true);
                return thread;
              });
    }
    return eventThread;
  }

  private static String requireCommand(String command) {
    Objects.requireNonNull(command, "command");
    if (command.isBlank()) {
      throw new IllegalArgumentException("command must not be blank");
    }
    return command;
  }

  private ArrayNode nodeNames(List<String> devices) {
    Objects.requireNonNull(devices, "devices");
    ArrayNode names = MAPPER.createArrayNode();
    devices.forEach(device -> names.add(Objects.requireNonNull(device, "device name")));
    return names;
  }
}
