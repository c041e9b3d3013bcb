package dev.xray.examples;

import dev.xray.api.Architecture;
import dev.xray.api.SerialConsole;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.Xray;
import dev.xray.api.XrayTimeoutException;
import dev.xray.core.TinyGuest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Creates a VM from a qcow2 image, starts it, takes a live snapshot, lists the snapshots, stops
 * the VM and removes everything again, printing each step with its duration.
 *
 * <p>Usage: {@code CreateAndSnapshot [IMAGE.qcow2] [--home DIR]}. Without an image it builds and
 * boots xray's tiny test guest, waits for its ready line and runs a command in it. Without
 * {@code --home} it works in a temporary home folder that it deletes at the end.
 */
public final class CreateAndSnapshot {
  private static final String NAME = "example";
  /** Memory for an image given on the command line, in MiB: enough for a small cloud image. */
  private static final int IMAGE_MEMORY_MIB = 1024;
  private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

  private CreateAndSnapshot() {}

  public static void main(String[] args) throws IOException {
    Path image = null;
    Path home = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--home") && i + 1 < args.length) {
        home = Path.of(args[++i]);
      } else if (!args[i].startsWith("-") && image == null) {
        image = Path.of(args[i]);
      } else {
        System.err.println("usage: CreateAndSnapshot [IMAGE.qcow2] [--home DIR]");
        System.exit(2);
      }
    }
    run(image, home, System.out);
  }

  /**
   * Runs the example. A null {@code image} means the tiny test guest, and a null {@code home} a
   * temporary home folder that is deleted at the end. Each step prints one line to {@code out}.
   */
  public static void run(Path image, Path home, PrintStream out) throws IOException {
    boolean tinyGuest = image == null;
    Path base = tinyGuest ? step(out, "build the tiny test guest (cached after the first time)",
        () -> TinyGuest.build(Architecture.X86_64)) : image;
    boolean temporary = home == null;
    Path folder = temporary ? Files.createTempDirectory("xray-example-") : home;
    try {
      Xray xray = Xray.open(folder);
      out.println("xray home: " + xray.home());
      out.println("image: " + base);
      step(out, "import the image as base '" + NAME + "' (by link)",
          () -> xray.bases().importImage(base, NAME, true));
      try {
        createSnapshotAndStop(xray, tinyGuest, out);
      } finally {
        step(out, "remove base '" + NAME + "'", () -> {
          xray.bases().remove(NAME);
          return null;
        });
      }
    } finally {
      if (temporary) {
        deleteRecursively(folder);
        out.println("deleted " + folder);
      }
    }
  }

  private static void createSnapshotAndStop(Xray xray, boolean tinyGuest, PrintStream out) {
    VmSpec spec = VmSpec.builder(NAME).base(NAME)
        .memory(tinyGuest ? TinyGuest.MEMORY_MIB : IMAGE_MEMORY_MIB).cpus(1).build();
    Vm vm = step(out, "create VM '" + NAME + "' (" + spec.memoryMiB() + " MiB, 1 vCPU)",
        () -> xray.vms().create(spec));
    try {
      step(out, "start VM '" + NAME + "'", () -> {
        vm.start();
        return null;
      });
      if (tinyGuest) {
        step(out, "wait for the guest to print " + TinyGuest.READY_LINE, () -> {
          vm.awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT_TIMEOUT);
          // The shell prints its first prompt just after the ready line. A console opened before
          // that would take the prompt for the end of the first command's output.
          return vm.awaitSerialLine(Pattern.compile(Pattern.quote(TinyGuest.PROMPT)),
              BOOT_TIMEOUT);
        });
        String kernel = step(out, "run 'uname -r' in the guest", () -> {
          try (SerialConsole console = vm.openConsole()) {
            return TinyGuest.runCommand(console, "uname -r", Duration.ofSeconds(30)).strip();
          }
        });
        out.println("  guest kernel: " + kernel);
      }
      SnapshotInfo snapshot = step(out, "take live snapshot 'started'",
          () -> vm.snapshots().create("started"));
      out.printf("  %s holds %d bytes of RAM and device state%n", snapshot.tag(),
          snapshot.vmStateSize());
      for (SnapshotInfo each : vm.snapshots().list()) {
        out.printf("  snapshot %s, live=%s%n", each.tag(), each.live());
      }
      stop(vm, out);
    } finally {
      vm.kill();
      step(out, "remove VM '" + NAME + "'", () -> {
        vm.remove();
        return null;
      });
    }
  }

  /**
   * Presses the ACPI power button, and kills the VM when the guest ignores it, as one that is
   * still booting may.
   */
  private static void stop(Vm vm, PrintStream out) {
    try {
      step(out, "stop VM '" + NAME + "' with the ACPI power button", () -> {
        vm.stop(STOP_TIMEOUT);
        return null;
      });
    } catch (XrayTimeoutException e) {
      out.println("  the guest did not power off: " + e.getMessage().lines().findFirst()
          .orElse(""));
      step(out, "kill VM '" + NAME + "'", () -> {
        vm.kill();
        return null;
      });
    }
  }

  /** Runs {@code action}, then prints {@code description} with how long it took. */
  private static <T> T step(PrintStream out, String description, Supplier<T> action) {
    long startNanos = System.nanoTime();
    T result = action.get();
    out.printf("%-60s %6d ms%n", description, (System.nanoTime() - startNanos) / 1_000_000);
    return result;
  }

  private static void deleteRecursively(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    }
  }
}
