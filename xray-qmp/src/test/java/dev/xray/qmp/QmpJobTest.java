package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.qmp.testing.FakeQmpExchange;
import dev.xray.qmp.testing.FakeQmpServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Background jobs against the fake server, scripted the way QEMU 7.2 runs a snapshot job: the
 * command returns {@code {}}, status events follow, and the error is in {@code query-jobs}.
 */
class QmpJobTest {

  private static final Duration LONG = Duration.ofSeconds(5);

  @TempDir Path dir;

  private FakeQmpServer server;
  private QmpClient client;
  private final AtomicReference<String> jobError = new AtomicReference<>();

  @BeforeEach
  void connect() throws Exception {
    server = FakeQmpServer.start(dir);
    server.onCommand("query-jobs").then(this::replyWithLastJob);
    server.onCommand("job-dismiss").reply("{}");
    client = QmpClient.connect(server.socketPath());
  }

  @AfterEach
  void close() {
    client.close();
    server.close();
  }

  @Test
  void snapshotSaveRunsJobToConclusion() throws Exception {
    server
        .onCommand("snapshot-save")
        .jobStatusEvents("created", "running")
        .reply("{}")
        .jobStatusEvents("waiting", "pending", "concluded");

    client.snapshotSave("before-upgrade", "disk0", List.of("disk0", "vars"), LONG);

    JsonNode save = server.awaitCommand("snapshot-save", LONG).orElseThrow();
    JsonNode arguments = save.path("arguments");
    String jobId = arguments.path("job-id").asText();
    assertThat(jobId).startsWith("xray-job-");
    assertThat(arguments.path("tag").asText()).isEqualTo("before-upgrade");
    assertThat(arguments.path("vmstate").asText()).isEqualTo("disk0");
    assertThat(arguments.path("devices").toString()).isEqualTo("[\"disk0\",\"vars\"]");
    assertThat(server.receivedCommandNames())
        .containsSubsequence("snapshot-save", "query-jobs", "job-dismiss");
    JsonNode dismiss = server.awaitCommand("job-dismiss", LONG).orElseThrow();
    assertThat(dismiss.path("arguments").path("id").asText()).isEqualTo(jobId);
  }

  @Test
  void failedJobThrowsJobException() throws Exception {
    jobError.set("Snapshot 'a' already exists in one or more devices");
    server.onCommand("snapshot-save").reply("{}").jobStatusEvents("created", "concluded");

    assertThatThrownBy(() -> client.snapshotSave("a", "disk0", List.of("disk0"), LONG))
        .isInstanceOfSatisfying(
            QmpJobException.class,
            e -> {
              assertThat(e.jobId()).startsWith("xray-job-");
              assertThat(e.command()).isEqualTo("snapshot-save");
              assertThat(e.description()).isEqualTo(jobError.get());
              assertThat(e.errorClass()).isEmpty();
              assertThat(e.arguments().orElseThrow().path("job-id").asText())
                  .isEqualTo(e.jobId());
              assertThat(e.reply().path("status").asText()).isEqualTo("concluded");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "job '" + e.jobId() + "' (snapshot-save) failed: " + jobError.get());
            });
    assertThat(server.receivedCommandNames()).endsWith("job-dismiss");
  }

  @Test
  void eventsOfOtherJobsAreIgnored() throws Exception {
    server
        .onCommand("snapshot-delete")
        .event("JOB_STATUS_CHANGE", "{\"id\": \"someone-else\", \"status\": \"concluded\"}")
        .reply("{}")
        .jobStatusEvents("concluded");

    client.snapshotDelete("a", List.of("disk0"), LONG);

    assertThat(server.receivedCommandNames()).endsWith("query-jobs", "job-dismiss");
  }

  @Test
  void unfinishedJobTimesOut() {
    server.onCommand("snapshot-load").reply("{}").jobStatusEvents("created", "running");

    assertThatThrownBy(
            () -> client.snapshotLoad("a", "disk0", List.of("disk0"), Duration.ofMillis(300)))
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("waiting for job 'xray-job-")
        .hasMessageContaining("its last status was 'running'")
        .hasMessageContaining("job-cancel");
  }

  @Test
  void rejectedJobCommandThrowsCommandException() {
    server.onCommand("snapshot-save").replyError("GenericError", "Parameter 'devices' is missing");

    assertThatThrownBy(() -> client.snapshotSave("a", "disk0", List.of(), LONG))
        .isExactlyInstanceOf(QmpCommandException.class)
        .hasMessageContaining("Parameter 'devices' is missing");
  }

  @Test
  void runJobKeepsCallerJobId() throws Exception {
    server.onCommand("blockdev-create").reply("{}").jobStatusEvents("concluded");
    ObjectNode arguments = client.newArguments().put("job-id", "create0");
    arguments.putObject("options").put("driver", "qcow2");

    client.runJob("blockdev-create", arguments, LONG);

    JsonNode sent = server.awaitCommand("blockdev-create", LONG).orElseThrow();
    assertThat(sent.path("arguments").path("job-id").asText()).isEqualTo("create0");
    assertThat(sent.path("arguments").path("options").path("driver").asText()).isEqualTo("qcow2");
    assertThat(arguments.size()).isEqualTo(2);
  }

  @Test
  void autoDismissedJobEndsWithoutQueryJobs() throws Exception {
    server.onCommand("drive-backup").times(1).reply("{}").jobStatusEvents("concluded", "null");
    server.onCommand("drive-backup").reply("{}").jobStatusEvents("running", "null");

    client.runJob("drive-backup", null, LONG);
    client.runJob("drive-backup", null, LONG);

    assertThat(server.receivedCommandNames()).containsOnlyOnce("query-jobs");
  }

  /** Replies to query-jobs with the job id of the last job command, concluded. */
  private void replyWithLastJob(FakeQmpExchange exchange) throws IOException {
    ArrayNode jobs = exchange.mapper().createArrayNode();
    String lastJobId = null;
    for (ObjectNode request : server.receivedCommands()) {
      JsonNode jobId = request.path("arguments").get("job-id");
      if (jobId != null) {
        lastJobId = jobId.asText();
      }
    }
    ObjectNode job = jobs.addObject();
    job.put("id", lastJobId).put("type", "snapshot-save").put("status", "concluded");
    job.put("current-progress", 1).put("total-progress", 1);
    if (jobError.get() != null) {
      job.put("error", jobError.get());
    }
    exchange.reply(jobs);
  }
}
