package dev.xray.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.xray.core.internal.QemuCommandLine;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The floor that xray's VM operations are measured against: a blocking JDK socket to a VM's QMP
 * monitor, hand-written commands, and the replies and events read line by line on the calling
 * thread. Unlike {@link BareQmp} it keeps events, so it can wait for a job to conclude.
 */
final class BareMonitor implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final SocketChannel channel;
  private final BufferedReader in;
  private final OutputStream out;
  /** Events read while waiting for a reply, oldest first. */
  private final Deque<JsonNode> events = new ArrayDeque<>();

  /** Connects, reads the greeting and leaves capabilities negotiation mode. */
  BareMonitor(Path socket) throws IOException {
    channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
        StandardCharsets.UTF_8));
    out = Channels.newOutputStream(channel);
    in.readLine();
    execute("{\"execute\":\"qmp_capabilities\"}");
  }

  /**
   * Sends one command, written as JSON, and returns its {@code return} value.
   *
   * @throws IOException if QEMU replies with an error or closes the monitor
   */
  JsonNode execute(String command) throws IOException {
    out.write((command + "\n").getBytes(StandardCharsets.UTF_8));
    while (true) {
      JsonNode message = read();
      if (message.has("return")) {
        return message.get("return");
      }
      if (message.has("error")) {
        throw new IOException(command + " failed: " + message.get("error"));
      }
      events.add(message);
    }
  }

  /**
   * Runs a snapshot job ({@code snapshot-save}, {@code snapshot-load} or
   * {@code snapshot-delete}) on the VM's overlay and variable store with job id {@code jobId},
   * waits for its {@code JOB_STATUS_CHANGE} to {@code concluded}, and dismisses it. Like the job
   * commands themselves, this does not check whether the job succeeded.
   */
  void runSnapshotJob(String command, String jobId, String tag) throws IOException {
    String vmstate = command.equals("snapshot-delete") ? ""
        : "\"vmstate\":\"" + QemuCommandLine.DISK_NODE + "\",";
    execute("{\"execute\":\"" + command + "\",\"arguments\":{\"job-id\":\"" + jobId
        + "\",\"tag\":\"" + tag + "\"," + vmstate + "\"devices\":[\"" + QemuCommandLine.DISK_NODE
        + "\",\"" + QemuCommandLine.VARS_NODE + "\"]}}");
    awaitJobConcluded(jobId);
    execute("{\"execute\":\"job-dismiss\",\"arguments\":{\"id\":\"" + jobId + "\"}}");
  }

  private void awaitJobConcluded(String jobId) throws IOException {
    while (true) {
      JsonNode event = events.isEmpty() ? read() : events.removeFirst();
      JsonNode data = event.path("data");
      if (event.path("event").asText().equals("JOB_STATUS_CHANGE")
          && data.path("id").asText().equals(jobId)
          && data.path("status").asText().equals("concluded")) {
        return;
      }
    }
  }

  private JsonNode read() throws IOException {
    String line = in.readLine();
    if (line == null) {
      throw new IOException("QEMU closed the monitor");
    }
    return JSON.readTree(line);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
