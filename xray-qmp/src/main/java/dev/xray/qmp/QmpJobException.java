package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Thrown when a background job, such as {@code snapshot-save}, concludes with an error.
 *
 * <p>Job commands return {@code {}} as soon as the job is created. The failure is visible only in
 * the job's {@code error} member of {@code query-jobs} once the job has concluded, so the
 * exception carries that text as {@link #description()} and that {@code query-jobs} entry as
 * {@link #reply()}. {@link #errorClass()} is empty because QEMU reports no error class for jobs.
 *
 * <p>An error reply to the job command itself (for example a missing argument) is a plain {@link
 * QmpCommandException}, because no job was created.
 */
public class QmpJobException extends QmpCommandException {

  /** The id of the failed job. */
  private final String jobId;

  /**
   * Creates an exception.
   *
   * @param jobId the id of the failed job
   * @param command the command that started the job
   * @param arguments the arguments sent with that command, including {@code job-id}
   * @param error the job's error text from {@code query-jobs}
   * @param jobInfo the job's entry from {@code query-jobs}
   */
  public QmpJobException(
      String jobId, String command, ObjectNode arguments, String error, JsonNode jobInfo) {
    super(
        "job '" + jobId + "' (" + command + ") failed: " + error,
        command,
        arguments,
        null,
        error,
        jobInfo);
    this.jobId = jobId;
  }

  /**
   * Returns the id of the job that failed, as passed in {@code job-id}.
   *
   * @return the job id
   */
  public String jobId() {
    return jobId;
  }
}
