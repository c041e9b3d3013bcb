package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status xray reports when reality differs from its files: a QEMU killed from outside, a pid
 * file that names an unrelated process, and a guest that ignores the ACPI power button.
 */
@RequiresQemu
class ReliabilityStatusIT {
  private static final ReliabilityFigures FIGURES =
      new ReliabilityFigures(ReliabilityStatusIT.class);
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);
  private static final Pattern READY = Pattern.compile(TinyGuest.READY_LINE);

  @TempDir
  Path temp;

  private ReliabilityCli xray;
  private Path home;
  private Map<String, String> baseChecksums;

  @BeforeEach
  void importBase() throws Exception {
    home = temp.resolve("home");
    xray = new ReliabilityCli(home, Files.createDirectories(temp.resolve("outputs")));
    xray.succeed("base", "import", TestGuest.image().toString(), "--name", "tiny");
    baseChecksums = Map.of("tiny", Sha256.of(home.resolve("bases/tiny.qcow2")));
  }

  @AfterEach
  void killVms() {
    if (Files.isDirectory(home)) {
      Xray.open(home).vms().list().forEach(Vm::kill);
    }
  }

  private long pidOf(String name) throws Exception {
    return Long.parseLong(Files.readString(home.resolve("vms/" + name + "/pid")).strip());
  }

  @Test
  void qemuKilledFromOutsideIsCrashed() throws Exception {
    xray.succeed("create", "victim", "--base", "tiny", "--memory", "256", "--cpus", "1");
    xray.succeed("start", "victim");
    Xray.open(home).vms().get("victim").awaitSerialLine(READY, BOOT);
    long pid = pidOf("victim");
    ReliabilityHost.signal(pid, "KILL");
    assertThat(ReliabilityHost.awaitExit(pid, Duration.ofSeconds(10))).isTrue();

    assertThat(xray.succeed("list").stdout()).containsPattern("victim\\s+crashed");
    ReliabilityCli.Run info = xray.succeed("info", "victim");
    assertThat(info.stdout()).contains("Status:      crashed");
    assertThat(info.stdout()).doesNotContain("pid " + pid);
    assertThat(info.stdout()).contains("Last lines of serial.log ('xray logs victim' prints all):",
        "  GUEST-READY");

    ReliabilityCli.Run start = xray.succeed("start", "victim");
    assertThat(start.stdout()).contains("Started VM victim");
    assertThat(start.stderr()).as("warning of %s", start)
        .contains("VM 'victim' had crashed: its QEMU (pid " + pid + ") ended without a clean "
            + "shutdown")
        .contains("serial.log:")
        .contains(TinyGuest.READY_LINE);
    assertThat(xray.succeed("list").stdout()).containsPattern("victim\\s+running");
    assertThat(ReliabilityHost.qemuPidsOf(home.resolve("vms/victim"))).hasSize(1);
    xray.succeed("stop", "victim", "--force");
    ReliabilityHome.assertConsistent(home, "a QEMU killed from outside", baseChecksums);
  }

  @Test
  void stalePidNeverSignalled() throws Exception {
    xray.succeed("create", "stale", "--base", "tiny", "--memory", "256", "--cpus", "1");
    Process sleeper = new ProcessBuilder("sleep", "600")
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    try {
      Files.writeString(home.resolve("vms/stale/pid"), sleeper.pid() + "\n");
      int commands = 0;
      assertThat(xray.succeed("list").stdout()).containsPattern("stale\\s+crashed");
      commands++;
      ReliabilityCli.Run info = xray.succeed("info", "stale");
      commands++;
      assertThat(info.stdout()).contains("Status:      crashed")
          .doesNotContain(Long.toString(sleeper.pid()));
      xray.fail(1, "not found", "snapshot", "revert", "stale", "nothing");
      commands++;
      Files.writeString(home.resolve("vms/stale/pid"), sleeper.pid() + "\n");
      assertThat(xray.succeed("stop", "stale").stdout()).contains("is not running (crashed)");
      commands++;

      Files.writeString(home.resolve("vms/stale/pid"), sleeper.pid() + "\n");
      assertThat(xray.succeed("stop", "stale", "--force").stdout()).contains("is not running");
      commands++;
      Files.writeString(home.resolve("vms/stale/pid"), sleeper.pid() + "\n");
      xray.succeed("snapshot", "create", "stale", "cold");
      commands++;
      Files.writeString(home.resolve("vms/stale/pid"), sleeper.pid() + "\n");
      assertThat(xray.succeed("start", "stale").stdout()).contains("Started VM stale");
      commands++;
      assertThat(pidOf("stale")).isNotEqualTo(sleeper.pid());
      xray.succeed("stop", "stale", "--force");
      commands++;
      Files.writeString(home.resolve("vms/stale/pid"), sleeper.pid() + "\n");
      xray.succeed("remove", "stale", "--force");
      commands++;

      assertThat(sleeper.isAlive()).as("the unrelated process after %d commands", commands)
          .isTrue();
      FIGURES.put("commands run on a pid file of an unrelated process, which stayed alive",
          commands);
    } finally {
      sleeper.destroyForcibly();
    }
    ReliabilityHome.assertConsistent(home, "a stale pid file", baseChecksums);
  }

  @Test
  void guestIgnoringPowerButtonTimesOut() throws Exception {
    xray.succeed("create", "stubborn", "--base", "tiny", "--memory", "256", "--cpus", "1");
    xray.succeed("start", "stubborn");
    Vm vm = Xray.open(home).vms().get("stubborn");
    vm.awaitSerialLine(READY, BOOT);
    try (SerialConsole console = vm.openConsole()) {
      // busybox init respawns acpid, so its inittab line goes first: on SIGHUP, init rereads
      // inittab and may already end the acpid it no longer lists.
      String output = TinyGuest.runCommand(console, "sed -i '/acpid/d' /etc/inittab; kill -HUP 1;"
          + " sleep 1; killall acpid 2>/dev/null; sleep 2; pidof acpid || echo no-acpid", COMMAND);
      assertThat(output.strip()).as("acpid in the guest").isEqualTo("no-acpid");
    }
    long pid = pidOf("stubborn");

    ReliabilityCli.Run stop = xray.fail(1, "did not power off within 5 s", "stop", "stubborn",
        "--timeout", "5");
    assertThat(stop.errorLines().get(0)).contains("'xray stop stubborn --force'");
    assertThat(stop.millis()).as("duration of %s", stop).isBetween(5000L, 15000L);
    assertThat(ReliabilityHost.isAlive(pid)).as("QEMU after the timed-out stop").isTrue();
    assertThat(xray.succeed("list").stdout()).containsPattern("stubborn\\s+running");

    assertThat(xray.succeed("stop", "stubborn", "--force").stdout()).contains("Killed VM stubborn");
    assertThat(ReliabilityHost.awaitExit(pid, Duration.ofSeconds(10))).isTrue();
    ReliabilityCli.Run again = xray.succeed("stop", "stubborn");
    assertThat(again.stdout()).contains("VM stubborn is not running (stopped)");
    assertThat(again.stderr()).isEmpty();
    assertThat(xray.succeed("stop", "stubborn", "--force").stdout())
        .contains("VM stubborn is not running (stopped)");
    ReliabilityHome.assertConsistent(home, "a stop that timed out", baseChecksums);
    FIGURES.put("stop --timeout 5 of a guest without acpid, ms", stop.millis());
  }
}
