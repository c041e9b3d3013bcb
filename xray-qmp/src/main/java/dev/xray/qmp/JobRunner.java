package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;

/**
 * Runs a QEMU background job to its end: start it with a unique {@code job-id}, wait for the
 * {@code JOB_STATUS_CHANGE} event with status {@code concluded}, read the job's error from
 * {@code query-jobs}, and remove the job with {@code job-dismiss}.
 *
 * <p>QEMU 7.2 reports a successful snapshot job as created, running, waiting, pending,
 * concluded, and a failed one as created, running, aborting, concluded. The job command itself
 * returns {@code {}} at once, and a failure shows only as the {@code error} member of the job's
 * {@code query-jobs} entry after it concluded.
 */
final class JobRunner {

  private static final String STATUS_CHANGE = "JOB_STATUS_CHANGE";

  private final QmpClient client;
  private final Logger log;
  private final AtomicLong jobCounter = new AtomicLong(1);

  JobRunner(QmpClient client, Logger log) {
    this.client = client;
    this.log = log;
  }

  void run(String command, ObjectNode arguments, Duration timeout) throws QmpException {
    Deadline deadline = Deadline.after(timeout);
    ObjectNode jobArguments = arguments == null ? client.newArguments() : arguments.deepCopy();
    String jobId = jobId(jobArguments);
    jobArguments.put("job-id", jobId);

    // The stream opens before the command, because the first status changes can arrive
    // before the command's reply.
    String awaited = STATUS_CHANGE + " of job '" + jobId + "'";
    try (QmpEventStream statusChanges = client.openStream(isStatusChangeOf(jobId), awaited)) {
      client.call(command, jobArguments, deadline);
      log.debug("started job '{}' ({})", jobId, command);
      String status = awaitEnd(statusChanges, jobId, command, deadline);
      if (status.equals("null")) {
        // The job dismissed itself (auto-dismiss), so QEMU keeps no result to read.
        log.debug("job '{}' ({}) ended and dismissed itself", jobId, command);
        return;
      }
    }
    finish(jobId, command, jobArguments, deadline);
  }

  private String jobId(ObjectNode arguments) {
    JsonNode given = arguments.get("job-id");
    if (given != null && given.isTextual()) {
      return given.textValue();
    }
    int random = ThreadLocalRandom.current().nextInt() & 0x7fffffff;
    return String.format("xray-job-%d-%08x", jobCounter.getAndIncrement(), random);
  }

  private static Predicate<QmpEvent> isStatusChangeOf(String jobId) {
    return event -> event.name().equals(STATUS_CHANGE)
        && jobId.equals(QmpEvents.text(event.data(), "id"));
  }

  /** Waits for status {@code concluded}, or {@code null} for a job that dismissed itself. */
  private String awaitEnd(
      QmpEventStream statusChanges, String jobId, String command, Deadline deadline)
      throws QmpException {
    String status = "created";
    while (true) {
      QmpEvent event;
      try {
        event = statusChanges.next(Duration.ofNanos(Math.max(1, deadline.remainingNanos())));
      } catch (QmpTimeoutException e) {
        throw jobTimedOut(jobId, command, status, deadline);
      }
      status = String.valueOf(QmpEvents.text(event.data(), "status"));
      log.debug("job '{}' ({}) is now {}", jobId, command, status);
      if (status.equals("concluded") || status.equals("null")) {
        return status;
      }
    }
  }

  private void finish(String jobId, String command, ObjectNode arguments, Deadline deadline)
      throws QmpException {
    JsonNode jobInfo = findJob(client.call("query-jobs", null, deadline), jobId, command);
    String error = QmpEvents.text(jobInfo, "error");
    ObjectNode dismissArguments = client.newArguments().put("id", jobId);
    if (error == null) {
      client.call("job-dismiss", dismissArguments, deadline);
      log.debug("job '{}' ({}) succeeded", jobId, command);
      return;
    }
    QmpJobException failure = new QmpJobException(jobId, command, arguments, error, jobInfo);
    try {
      client.call("job-dismiss", dismissArguments, deadline);
    } catch (QmpException dismissFailure) {
      failure.addSuppressed(dismissFailure);
    }
    log.debug("job '{}' ({}) failed: {}", jobId, command, error);
    throw failure;
  }

  private JsonNode findJob(JsonNode jobs, String jobId, String command)
      throws QmpProtocolException {
    if (jobs != null && jobs.isArray()) {
      for (JsonNode job : jobs) {
        if (jobId.equals(QmpEvents.text(job, "id"))) {
          return job;
        }
      }
    }
    throw new QmpProtocolException(
        "job '" + jobId + "' (" + command + ") concluded, but query-jobs on " + client.socket()
            + " does not list it, so its result is unknown; another client may have dismissed it");
  }

  private QmpTimeoutException jobTimedOut(
      String jobId, String command, String lastStatus, Deadline deadline) {
    return new QmpTimeoutException(
        "timed out after " + Deadline.describe(deadline.timeout()) + " waiting for job '"
            + jobId + "' (" + command + ") on " + client.socket() + " to conclude; its last "
            + "status was '" + lastStatus + "'. The job stays in QEMU: cancel it with "
            + "job-cancel, or remove it with job-dismiss once it has concluded",
        "job '" + jobId + "' to conclude",
        deadline.timeout());
  }
}
