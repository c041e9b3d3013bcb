package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Interrupts one xray operation with SIGKILL at many points, and after each kill checks that the
 * home folder is consistent, that {@code xray list} works and that the operation can be run
 * again.
 *
 * <p>The kill points are fixed delays after the launcher starts (most of them land while the JVM
 * starts), fractions of the duration of an uninterrupted run, and the moments when
 * {@code --verbose} output shows that xray has just started a program (qemu-img or QEMU) or sent
 * a QMP command. A program that xray started survives the kill, as it would under a user's
 * Ctrl+\ or an OOM kill, so the check waits for it to end first.
 */
final class ReliabilityKills {
  private static final List<Long> FIXED_DELAYS_MILLIS = List.of(0L, 50L, 100L, 200L, 400L);
  private static final List<Double> FRACTIONS = List.of(0.3, 0.6, 0.9);
  /** A line of --verbose output that marks a step: a program started or a QMP command sent. */
  private static final Pattern STEP = Pattern.compile("ProcessRunner - running \\[|--> \\{");
  private static final int MAX_STEP_POINTS = 5;
  private static final Duration ORPHAN_TIMEOUT = Duration.ofSeconds(60);

  /** One operation to interrupt, with what comes before and after it. */
  interface Operation {
    /** Brings the home to the state the operation starts from. */
    void prepare() throws Exception;

    /** The xray command, without --verbose. */
    List<String> command();

    /** Waits until what the killed command left running has settled, such as a QEMU job. */
    default void settle() throws Exception {}

    /** Runs the operation again and checks that it succeeds, or that it had already finished. */
    void runAgain() throws Exception;
  }

  /** What one operation's kill points came to. */
  record Result(int landed, int missed, int leftovers) {}

  private final ReliabilityCli xray;
  private final Map<String, String> baseChecksums;

  ReliabilityKills(ReliabilityCli xray, Map<String, String> baseChecksums) {
    this.xray = xray;
    this.baseChecksums = baseChecksums;
  }

  /**
   * Kills {@code operation} at every kill point; returns how many kills landed while xray ran
   * (each one survived, or this fails) and how many came after it had exited.
   */
  Result killAtEveryPoint(String label, Operation operation) throws Exception {
    operation.prepare();
    ReliabilityCli.Run clean = xray.run(verbose(operation));
    assertThat(clean.exitCode()).as("exit code of the uninterrupted %s", clean).isZero();
    checkAfter(label + " (uninterrupted)", operation, false);

    List<KillPoint> points = new ArrayList<>();
    for (long delay : FIXED_DELAYS_MILLIS) {
      points.add(KillPoint.after(delay));
    }
    for (double fraction : FRACTIONS) {
      points.add(KillPoint.after(Math.round(clean.millis() * fraction)));
    }
    int steps = countSteps(clean.stderr());
    int stepPoints = Math.min(steps, MAX_STEP_POINTS);
    for (int i = 0; i < stepPoints; i++) {
      // Spread the step points over all steps, first and last included.
      int step = stepPoints == 1 ? 1 : 1 + (int) Math.round(i * (steps - 1.0) / (stepPoints - 1));
      points.add(KillPoint.atStep(step));
    }

    int landed = 0;
    int missed = 0;
    int leftovers = 0;
    for (KillPoint point : points) {
      String context = label + " killed " + point;
      operation.prepare();
      ReliabilityCli.Started started = xray.spawn(verbose(operation));
      point.await(started);
      boolean killed = false;
      if (started.isAlive()) {
        started.process().destroyForcibly();
        killed = true;
      }
      ReliabilityCli.Run run = started.await();
      if (killed && run.exitCode() == 137) {
        landed++;
      } else {
        assertThat(run.exitCode()).as("exit code of %s, which the kill missed", run).isZero();
        missed++;
      }
      leftovers += checkAfter(context, operation, true);
    }
    return new Result(landed, missed, leftovers);
  }

  /** Checks the home, runs {@code xray list} and, after a kill, the operation again. */
  private int checkAfter(String context, Operation operation, boolean runAgain)
      throws Exception {
    Path home = xray.home();
    assertThat(ReliabilityHost.awaitNoProcess("qemu-img", home.toString(), ORPHAN_TIMEOUT))
        .as("qemu-img processes of %s end", context).isTrue();
    operation.settle();
    int leftovers = ReliabilityHome.assertConsistent(home, context, baseChecksums).size();
    ReliabilityCli.Run list = xray.run("list");
    assertThat(list.exitCode()).as("exit code of %s after %s", list, context).isZero();
    if (runAgain) {
      operation.runAgain();
      ReliabilityHome.assertConsistent(home, context + ", then run again", baseChecksums);
    }
    return leftovers;
  }

  private static String[] verbose(Operation operation) {
    List<String> args = new ArrayList<>(operation.command());
    args.add("--verbose");
    return args.toArray(String[]::new);
  }

  private static int countSteps(String output) {
    Matcher matcher = STEP.matcher(output);
    int count = 0;
    while (matcher.find()) {
      count++;
    }
    return count;
  }

  /** When to kill: a delay after the start, or the moment the n-th step shows in stderr. */
  private record KillPoint(long delayMillis, int step) {
    static KillPoint after(long delayMillis) {
      return new KillPoint(delayMillis, 0);
    }

    static KillPoint atStep(int step) {
      return new KillPoint(0, step);
    }

    void await(ReliabilityCli.Started started) throws Exception {
      if (step == 0) {
        long remaining = delayMillis - started.elapsedMillis();
        if (remaining > 0) {
          Thread.sleep(remaining);
        }
        return;
      }
      while (started.isAlive() && countSteps(started.stderrSoFar()) < step) {
        Thread.sleep(1);
      }
    }

    @Override
    public String toString() {
      return step == 0 ? "after " + delayMillis + " ms" : "at step " + step;
    }
  }
}
