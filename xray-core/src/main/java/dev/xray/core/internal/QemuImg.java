package dev.xray.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.xray.api.DiskImage;
import dev.xray.api.ImageException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Runs {@code qemu-img} and turns its failures into {@link ImageException}s. */
public final class QemuImg {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration SHORT = Duration.ofMinutes(2);
  private static final Duration LONG = Duration.ofHours(2);

  private final Path program;

  public QemuImg(Path program) {
    this.program = program;
  }

  /** A snapshot as {@code qemu-img info} lists it. */
  public record ImageSnapshot(String id, String tag, long vmStateSize, Instant created,
      Duration guestClock) {}

  /**
   * Returns {@code qemu-img info --output=json} for one image. With {@code shared}, the image may
   * be in use by a running QEMU ({@code -U}); the result may then lag QEMU's latest writes.
   */
  public JsonNode info(Path image, boolean shared) {
    List<String> args = new ArrayList<>(List.of("info", "--output=json"));
    if (shared) {
      args.add("-U");
    }
    args.add(image.toString());
    ProcessRunner.Result result = run(args, null, SHORT, "read image " + image);
    try {
      return JSON.readTree(result.stdout());
    } catch (IOException e) {
      throw new ImageException("qemu-img info returned invalid JSON for " + image + ": "
          + e.getMessage());
    }
  }

  /** The outcome of {@code qemu-img check}. */
  public record CheckResult(int exitCode, String summary) {
    /** Returns whether the image has no corruption; leaked clusters only waste space. */
    public boolean consistent() {
      return exitCode == 0 || exitCode == 3;
    }
  }

  /**
   * Checks a qcow2 image's metadata ({@code qemu-img check}); exit code 2 means corruption,
   * 3 leaked clusters only, 1 that the check could not finish.
   */
  public CheckResult check(Path image) {
    List<String> command = List.of(program.toString(), "check", "-f", "qcow2",
        image.toString());
    try {
      ProcessRunner.Result result = ProcessRunner.run(command, null, LONG);
      String output = (result.stdout() + "\n" + result.stderr()).strip();
      String summary = output.lines().filter(line -> !line.isBlank())
          .reduce((first, second) -> second).orElse("no output");
      return new CheckResult(result.exitCode(), summary);
    } catch (IOException e) {
      throw new ImageException("cannot run " + program + " to check " + image + ": "
          + e.getMessage());
    }
  }

  /** Returns the image's format, virtual size, file size and backing file. */
  public DiskImage describe(Path image, boolean shared) {
    return toDiskImage(image, info(image, shared));
  }

  /** Returns the image chain from {@code image} down to its last backing file. */
  public List<DiskImage> chain(Path image, boolean shared) {
    List<String> args = new ArrayList<>(List.of("info", "--output=json", "--backing-chain"));
    if (shared) {
      args.add("-U");
    }
    args.add(image.toString());
    ProcessRunner.Result result = run(args, null, SHORT, "read the disk chain of " + image);
    List<DiskImage> chain = new ArrayList<>();
    try {
      Path current = image;
      for (JsonNode node : JSON.readTree(result.stdout())) {
        Path path = node.hasNonNull("filename") ? Path.of(node.get("filename").asText()) : current;
        chain.add(toDiskImage(path, node));
      }
    } catch (IOException e) {
      throw new ImageException("qemu-img info returned invalid JSON for " + image + ": "
          + e.getMessage());
    }
    return chain;
  }

  /** Returns the snapshots recorded in {@code image}, oldest first. */
  public List<ImageSnapshot> snapshots(Path image, boolean shared) {
    return snapshotsOf(info(image, shared));
  }

  static List<ImageSnapshot> snapshotsOf(JsonNode info) {
    List<ImageSnapshot> snapshots = new ArrayList<>();
    for (JsonNode node : info.path("snapshots")) {
      Instant created = Instant.ofEpochSecond(node.path("date-sec").asLong(),
          node.path("date-nsec").asLong());
      Duration clock = Duration.ofSeconds(node.path("vm-clock-sec").asLong(),
          node.path("vm-clock-nsec").asLong());
      snapshots.add(new ImageSnapshot(node.path("id").asText(), node.path("name").asText(),
          node.path("vm-state-size").asLong(), created, clock));
    }
    return snapshots;
  }

  /**
   * Creates a qcow2 overlay whose backing file is recorded exactly as {@code backingFile}, which
   * qemu-img resolves relative to the overlay's folder.
   */
  public void createOverlay(Path overlay, String backingFile, String backingFormat) {
    run(List.of("create", "-q", "-f", "qcow2", "-F", backingFormat, "-b", backingFile,
        overlay.toString()), overlay.getParent(), SHORT, "create overlay " + overlay);
  }

  /** Converts an image to another format, for example a raw UEFI variable store to qcow2. */
  public void convert(Path source, String sourceFormat, Path target, String targetFormat) {
    run(List.of("convert", "-q", "-f", sourceFormat, "-O", targetFormat, source.toString(),
        target.toString()), null, LONG, "convert " + source + " to " + target);
  }

  /** Takes an internal snapshot of a stopped image ({@code qemu-img snapshot -c}). */
  public void createSnapshot(Path image, String tag) {
    run(List.of("snapshot", "-c", tag, image.toString()), null, LONG,
        "create snapshot '" + tag + "' in " + image);
  }

  /** Reverts a stopped image to an internal snapshot ({@code qemu-img snapshot -a}). */
  public void applySnapshot(Path image, String tag) {
    run(List.of("snapshot", "-a", tag, image.toString()), null, LONG,
        "revert " + image + " to snapshot '" + tag + "'");
  }

  /** Deletes an internal snapshot from a stopped image ({@code qemu-img snapshot -d}). */
  public void deleteSnapshot(Path image, String tag) {
    run(List.of("snapshot", "-d", tag, image.toString()), null, LONG,
        "delete snapshot '" + tag + "' from " + image);
  }

  private DiskImage toDiskImage(Path path, JsonNode info) {
    return new DiskImage(path, info.path("format").asText("unknown"),
        info.path("virtual-size").asLong(), info.path("actual-size").asLong(),
        text(info, "backing-filename"), text(info, "backing-filename-format"));
  }

  private static Optional<String> text(JsonNode node, String field) {
    return node.hasNonNull(field) ? Optional.of(node.get(field).asText()) : Optional.empty();
  }

  private ProcessRunner.Result run(List<String> args, Path workingDirectory, Duration timeout,
      String what) {
    List<String> command = new ArrayList<>();
    command.add(program.toString());
    command.addAll(args);
    ProcessRunner.Result result;
    try {
      result = ProcessRunner.run(command, workingDirectory, timeout);
    } catch (IOException e) {
      throw new ImageException("cannot run " + program + " to " + what + ": " + e.getMessage());
    }
    if (!result.succeeded()) {
      String stderr = result.stderrTail(4000);
      throw new ImageException("failed to " + what + ": " + firstLine(stderr), command,
          result.exitCode(), stderr);
    }
    return result;
  }

  private static String firstLine(String text) {
    String line = text.lines().findFirst().orElse("qemu-img failed without a message");
    return line.replaceFirst("^qemu-img: ", "");
  }
}
