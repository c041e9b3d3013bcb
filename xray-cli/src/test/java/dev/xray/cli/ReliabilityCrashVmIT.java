package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of the {@code xray} process during operations on QEMU: start, and the live snapshot
 * create and revert of a running guest. QEMU is daemonized, so it outlives the killed xray and
 * finishes a snapshot job that was already sent.
 */
@RequiresQemu
class ReliabilityCrashVmIT {
  private static final ReliabilityFigures FIGURES =
      new ReliabilityFigures(ReliabilityCrashVmIT.class);
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);
  private static final Duration SETTLE = Duration.ofSeconds(60);

  @TempDir
  Path temp;

  private ReliabilityCli xray;
  private Path home;
  private ReliabilityKills kills;

  @BeforeEach
  void importBase() throws Exception {
    home = temp.resolve("home");
    xray = new ReliabilityCli(home, Files.createDirectories(temp.resolve("outputs")));
    xray.succeed("base", "import", TestGuest.image().toString(), "--name", "tiny");
    kills = new ReliabilityKills(xray, Map.of("tiny", Sha256.of(home.resolve("bases/tiny.qcow2"))));
  }

  @AfterEach
  void killVms() {
    if (Files.isDirectory(home)) {
      Xray.open(home).vms().list().forEach(Vm::kill);
    }
  }

  private Vm vm(String name) {
    return Xray.open(home).vms().get(name);
  }

  private void record(String operation, ReliabilityKills.Result result) {
    FIGURES.put(operation + ": kill points survived", result.landed());
    FIGURES.put(operation + ": kills that came after the exit", result.missed());
    FIGURES.put(operation + ": hidden leftovers seen after kills", result.leftovers());
    assertThat(result.landed()).as("kills of %s that landed", operation).isGreaterThanOrEqualTo(5);
  }

  /** Waits until the VM's monitor answers again, after a job that a killed xray had started. */
  private void awaitRunning(String name) throws Exception {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    while (true) {
      ReliabilityCli.Run list = xray.run("list");
      if (list.exitCode() == 0 && list.stdout().matches("(?s).*\\n" + name + "\\s+running.*")) {
        return;
      }
      assertThat(System.nanoTime()).as("time until VM %s runs again; last list: %s", name, list)
          .isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  @Test
  void killDuringStart() throws Exception {
    Xray.open(home).vms().create(VmSpec.builder("s").base("tiny").memory(TinyGuest.MEMORY_MIB)
        .cpus(1).build());
    Path vmDirectory = home.resolve("vms/s");
    ReliabilityKills.Result result = kills.killAtEveryPoint("start", new ReliabilityKills.Operation() {
      @Override
      public void prepare() {
        vm("s").kill();
      }

      @Override
      public List<String> command() {
        return List.of("start", "s");
      }

      @Override
      public void runAgain() throws Exception {
        boolean wasRunning = vm("s").status() == VmStatus.RUNNING;
        ReliabilityCli.Run run = xray.run("start", "s");
        if (wasRunning) {
          assertThat(run.errorLines()).as("%s", run).singleElement().asString()
              .contains("already running");
        } else {
          assertThat(run.exitCode()).as("exit code of %s", run).isZero();
        }
        assertThat(ReliabilityHost.qemuPidsOf(vmDirectory)).as("QEMU processes of VM s")
            .hasSize(1);
        assertThat(vm("s").status()).isEqualTo(VmStatus.RUNNING);
      }
    });
    record("start", result);
  }

  @Test
  void killDuringLiveSnapshotCreateAndRevert() throws Exception {
    Xray.open(home).vms().create(VmSpec.builder("l").base("tiny").memory(TinyGuest.MEMORY_MIB)
        .cpus(1).build());
    xray.succeed("start", "l");
    vm("l").awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT);
    try (SerialConsole console = vm("l").openConsole()) {
      TinyGuest.runCommand(console, "echo saved > /tmp/marker", COMMAND);
    }

    ReliabilityKills.Result created = kills.killAtEveryPoint("live snapshot create",
        new ReliabilityKills.Operation() {
          @Override
          public void prepare() {
            if (vm("l").snapshots().list().stream().anyMatch(s -> s.tag().equals("live"))) {
              vm("l").snapshots().delete("live");
            }
          }

          @Override
          public List<String> command() {
            return List.of("snapshot", "create", "l", "live");
          }

          @Override
          public void settle() throws Exception {
            awaitRunning("l");
          }

          @Override
          public void runAgain() throws Exception {
            xray.succeed("snapshot", "create", "l", "live", "--force");
            assertThat(xray.succeed("snapshot", "list", "l").stdout())
                .containsPattern("live\\s+.*live\\s+yes");
          }
        });
    record("live snapshot create", created);

    ReliabilityKills.Result reverted = kills.killAtEveryPoint("live snapshot revert",
        new ReliabilityKills.Operation() {
          @Override
          public void prepare() {
            // runAgain left the VM running.
          }

          @Override
          public List<String> command() {
            return List.of("snapshot", "revert", "l", "live");
          }

          @Override
          public void settle() throws Exception {
            awaitRunning("l");
          }

          @Override
          public void runAgain() throws Exception {
            xray.succeed(command().toArray(String[]::new));
            awaitRunning("l");
          }
        });
    try (SerialConsole console = vm("l").openConsole()) {
      assertThat(TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip())
          .as("guest file after the reverts").isEqualTo("saved");
    }
    record("live snapshot revert", reverted);
  }
}
