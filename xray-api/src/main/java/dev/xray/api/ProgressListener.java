package dev.xray.api;

/** Receives the progress of a long operation, such as copying a base image. */
@FunctionalInterface
public interface ProgressListener {
  /** A listener that ignores progress. */
  ProgressListener NONE = (done, total) -> { };

  /**
   * Reports that {@code done} of {@code total} bytes are finished. Called at most a few times a
   * second and once at the end, never by two threads at once, but maybe on a thread that watches
   * the operation rather than on the caller's; it must return fast.
   *
   * @param done the bytes finished so far
   * @param total the bytes of the whole operation
   */
  void progress(long done, long total);
}
