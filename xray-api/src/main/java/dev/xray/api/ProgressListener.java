package dev.xray.api;

/** Receives the progress of a long operation, such as copying a base image. */
@FunctionalInterface
public interface ProgressListener {
  /** A listener that ignores progress. */
  ProgressListener NONE = (done, total) -> { };

  /**
   * Reports that {@code done} of {@code total} bytes are finished. It is called at most a few
   * times a second and once at the end, by one thread at a time. That thread may be one that
   * watches the operation rather than the caller's, and the call must return fast.
   *
   * @param done the bytes finished so far
   * @param total the bytes of the whole operation
   */
  void progress(long done, long total);
}
