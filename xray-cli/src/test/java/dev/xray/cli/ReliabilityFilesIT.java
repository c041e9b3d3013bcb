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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of a home folder: private modes, sockets that other users cannot reach, a base image
 * whose bytes never change, and a home that keeps working after it is moved.
 */
@RequiresQemu
class ReliabilityFilesIT {
  private static final ReliabilityFigures FIGURES = new ReliabilityFigures(ReliabilityFilesIT.class);
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);
  private static final Pattern READY = Pattern.compile(TinyGuest.READY_LINE);
  private static final List<String> SOCKETS = List.of("qmp.sock", "console.sock", "events.sock");

  @TempDir
  Path temp;

  private ReliabilityCli xray;
  private Path home;
  private String baseChecksum;

  @BeforeEach
  void importBase() throws Exception {
    // The temporary folder is opened to other users, so that only xray's own modes keep them
    // out of the home folder.
    Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwxr-xr-x"));
    home = temp.resolve("home");
    xray = new ReliabilityCli(home, Files.createDirectories(temp.resolve("outputs")));
    xray.succeed("base", "import", TestGuest.image().toString(), "--name", "tiny");
    baseChecksum = Sha256.of(home.resolve("bases/tiny.qcow2"));
  }

  @AfterEach
  void killVms() {
    for (Path candidate : List.of(home, temp.resolve("moved here/home two"))) {
      if (Files.isDirectory(candidate)) {
        Xray.open(candidate).vms().list().forEach(Vm::kill);
      }
    }
  }

  private void assertBaseUnchanged(Path currentHome, String after) throws Exception {
    assertThat(Sha256.of(currentHome.resolve("bases/tiny.qcow2")))
        .as("SHA-256 of base tiny after %s", after).isEqualTo(baseChecksum);
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path,
        LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void foldersAndSocketsArePrivate() throws Exception {
    xray.succeed("create", "private", "--base", "tiny", "--memory", "256", "--cpus", "1");
    xray.succeed("start", "private");
    Path vmDirectory = home.resolve("vms/private");
    for (Path folder : List.of(home, home.resolve("bases"), home.resolve("vms"), vmDirectory)) {
      assertThat(mode(folder)).as("mode of %s", folder).isEqualTo("rwx------");
    }
    int sockets = 0;
    for (String name : SOCKETS) {
      Path socket = vmDirectory.resolve(name);
      assertThat(socket).as("socket %s", name).exists();
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(socket);
      assertThat(permissions).as("permissions of %s", socket).doesNotContain(
          PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);
      sockets++;
    }
    assertThat(mode(home.resolve("bases/tiny.qcow2"))).as("mode of the base").isEqualTo("r--r-----");

    int deniedReads = 0;
    if (isRoot()) {
      // nobody can reach the temporary folder but neither the home nor anything inside it.
      assertThat(runAsNobody("ls", temp.toString()).exitCode).isZero();
      for (Path path : List.of(home, vmDirectory, vmDirectory.resolve("qmp.sock"),
          vmDirectory.resolve("console.sock"), home.resolve("bases/tiny.qcow2"))) {
        Outcome outcome = runAsNobody("cat", path.toString());
        assertThat(outcome.exitCode).as("cat %s as nobody: %s", path, outcome.output).isNotZero();
        assertThat(outcome.output).as("cat %s as nobody", path).contains("Permission denied");
        deniedReads++;
      }
    }
    xray.succeed("stop", "private", "--force");
    assertBaseUnchanged(home, "a start");
    FIGURES.put("private folders and sockets checked", 4 + sockets);
    FIGURES.put("reads as user nobody that were denied", deniedReads);
  }

  private record Outcome(int exitCode, String output) {}

  private static boolean isRoot() throws Exception {
    return ReliabilityHost.run("id", "-u").strip().equals("0");
  }

  private static Outcome runAsNobody(String... command) throws Exception {
    List<String> line = new java.util.ArrayList<>(List.of("runuser", "-u", "nobody", "--"));
    line.addAll(List.of(command));
    Process process = new ProcessBuilder(line).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Outcome(process.waitFor(), output);
  }

  @Test
  void movedHomeKeepsVmsAndSnapshots() throws Exception {
    int checks = 0;
    xray.succeed("create", "keep", "--base", "tiny", "--memory", "256", "--cpus", "1");
    xray.succeed("start", "keep");
    Vm vm = Xray.open(home).vms().get("keep");
    vm.awaitSerialLine(READY, BOOT);
    try (SerialConsole console = vm.openConsole()) {
      TinyGuest.runCommand(console, "echo saved > /tmp/marker", COMMAND);
      xray.succeed("snapshot", "create", "keep", "warm");
      assertBaseUnchanged(home, "a live snapshot");
      checks++;
      TinyGuest.runCommand(console, "echo later > /tmp/marker; sync", COMMAND);
    }
    xray.succeed("stop", "keep");
    assertBaseUnchanged(home, "a stop");
    checks++;
    xray.succeed("snapshot", "create", "keep", "cold");
    assertBaseUnchanged(home, "a disk-only snapshot");
    checks++;
    xray.succeed("create", "idle", "--base", "tiny", "--memory", "256", "--cpus", "1");

    Path moved = temp.resolve("moved here/home two");
    Files.createDirectories(moved.getParent());
    Files.move(home, moved);
    assertThat(home).doesNotExist();
    ReliabilityCli movedXray = xray.withHome(moved);
    ReliabilityCli.Run list = movedXray.succeed("list");
    assertThat(list.stdout()).containsPattern("keep\\s+stopped").containsPattern("idle\\s+stopped");
    assertThat(movedXray.succeed("info", "keep").stdout())
        .contains("-> ../../bases/tiny.qcow2").contains("warm").contains("cold");
    try (Stream<Path> files = Files.walk(moved)) {
      for (Path file : files.filter(path -> path.toString().endsWith(".toml")).toList()) {
        assertThat(Files.readString(file)).as("%s", file).doesNotContain(home.toString());
      }
    }

    movedXray.succeed("snapshot", "revert", "keep", "warm");
    movedXray.succeed("start", "keep");
    Vm movedVm = Xray.open(moved).vms().get("keep");
    try (SerialConsole console = movedVm.openConsole()) {
      assertThat(TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip())
          .as("guest memory resumed from live snapshot warm in the moved home")
          .isEqualTo("saved");
    }
    assertBaseUnchanged(moved, "a start that resumed a live snapshot");
    checks++;
    movedXray.succeed("stop", "keep", "--force");
    movedXray.succeed("snapshot", "revert", "keep", "cold");
    movedXray.succeed("start", "keep");
    movedVm.awaitSerialLine(READY, BOOT);
    movedXray.succeed("start", "idle");
    Xray.open(moved).vms().get("idle").awaitSerialLine(READY, BOOT);
    movedXray.succeed("stop", "keep");
    movedXray.succeed("stop", "idle");
    assertBaseUnchanged(moved, "two boots in the moved home");
    checks++;
    movedXray.succeed("snapshot", "delete", "keep", "warm");
    movedXray.succeed("remove", "idle", "--force");
    assertBaseUnchanged(moved, "a remove");
    checks++;
    ReliabilityHome.assertConsistent(moved, "a move of the home", Map.of("tiny", baseChecksum));
    FIGURES.put("base SHA-256 checks after operations, all unchanged", checks);
  }
}
