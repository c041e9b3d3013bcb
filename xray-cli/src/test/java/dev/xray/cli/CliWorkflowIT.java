package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.testing.Processes;
import dev.xray.core.testing.QemuCondition;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole workflow through the real {@code xray} launcher, run as a user would: a subprocess
 * with a temporary {@code XRAY_HOME}, checked by exit code, stdout and stderr. HOME is the test's
 * temporary folder too, so create's default key lookup finds only the keys a test makes there.
 * The seed tests log in with the real OpenSSH client and check that it wrote no known_hosts
 * there. OpenSSH finds ~ through the password database rather than HOME, so only xray's options
 * keep it from the account's own ~/.ssh/known_hosts.
 */
@RequiresQemu
class CliWorkflowIT {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);

  @TempDir
  Path temp;

  private Path home;
  private Path image;

  /** What one run of the launcher printed. */
  record Run(int exitCode, String stdout, String stderr) {}

  @BeforeEach
  void setUp() {
    home = temp.resolve("home with space");
    image = TestGuest.image();
  }

  @AfterEach
  void killLeftovers() {
    if (Files.isDirectory(home)) {
      Xray.open(home).vms().list().forEach(Vm::kill);
    }
  }

  private Run xray(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("xray.launcher"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    Map<String, String> env = builder.environment();
    env.put("XRAY_HOME", home.toString());
    env.put("XRAY_ACCEL", "tcg");
    // create seeds a VM with ~/.ssh's default key, so a key of the developer's must not count.
    env.put("HOME", temp.toString());
    env.put("XDG_CACHE_HOME", temp.resolve(".cache").toString());
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Path stdout = Files.createTempFile(temp, "stdout", ".txt");
    Path stderr = Files.createTempFile(temp, "stderr", ".txt");
    builder.redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    Process process = builder.start();
    if (!process.waitFor(6, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("xray " + String.join(" ", args) + " did not finish");
    }
    return new Run(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
  }

  private Run succeed(String... args) throws IOException, InterruptedException {
    Run run = xray(args);
    assertThat(run.exitCode()).as("exit code of xray %s; stderr: %s", List.of(args),
        run.stderr()).isZero();
    return run;
  }

  private void fails(int exitCode, String message, String... args)
      throws IOException, InterruptedException {
    Run run = xray(args);
    assertThat(run.exitCode()).as("exit code of xray %s", List.of(args)).isEqualTo(exitCode);
    assertThat(run.stderr()).as("stderr of xray %s", List.of(args)).startsWith("xray: ")
        .contains(message);
    assertThat(run.stderr().strip().lines().filter(line -> line.startsWith("xray: ")).count())
        .as("error lines of xray %s", List.of(args)).isEqualTo(1);
  }

  private List<String> homeEntries() throws IOException {
    try (Stream<Path> paths = Files.walk(home)) {
      return paths.map(path -> home.relativize(path).toString()).sorted().toList();
    }
  }

  @Test
  void helpAndVersion() throws Exception {
    assertThat(succeed("--help").stdout()).contains("base", "create", "snapshot", "demo");
    assertThat(succeed("snapshot", "--help").stdout()).contains("create", "revert");
    assertThat(succeed("create", "--help").stdout()).contains("--memory=MiB", "--ssh-port");
    Run version = succeed("--version");
    assertThat(version.stdout()).containsPattern("xray \\d+\\.\\d+").contains("QEMU emulator");
    fails(2, "Unknown option", "list", "--bogus");
    Run bare = xray();
    assertThat(bare.exitCode()).isEqualTo(2);
    assertThat(bare.stderr()).contains("Usage: xray");
  }

  @Test
  void firstRunWritesTheClassDataArchive() throws Exception {
    Path archives = temp.resolve(".cache/xray/cds");
    succeed("list");

    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!hasArchive(archives)) {
      assertThat(System.nanoTime()).as("an archive in %s within 120 s of the first run",
          archives).isLessThan(deadline);
      Thread.sleep(200);
    }
    // The training run leaves no temporary folders behind, and later runs map the archive.
    try (Stream<Path> left = Files.list(archives)) {
      assertThat(left.map(path -> path.getFileName().toString())).allMatch(
          name -> name.endsWith(".jsa"));
    }
    assertThat(succeed("list").stdout()).contains("No VMs");
  }

  private static boolean hasArchive(Path archives) throws IOException {
    if (!Files.isDirectory(archives)) {
      return false;
    }
    try (Stream<Path> files = Files.list(archives)) {
      return files.anyMatch(path -> path.getFileName().toString().endsWith(".jsa"));
    }
  }

  @Test
  void wholeWorkflowOnRealGuest() throws Exception {
    int sshPort = freePort();
    assertThat(succeed("base", "import", image.toString(), "--name", "tiny").stdout())
        .contains("Imported base tiny");
    String baseChecksum = Sha256.of(home.resolve("bases/tiny.qcow2"));
    assertThat(succeed("base", "list").stdout()).contains("tiny", "64.0 MiB");
    assertThat(succeed("create", "vm1", "--base", "tiny", "--memory", "256", "--cpus", "1",
        "--ssh-port", Integer.toString(sshPort)).stdout()).contains("Created VM vm1");
    rejectsBadInput();

    assertThat(succeed("start", "vm1").stdout()).contains("Started VM vm1");
    assertThat(succeed("list").stdout()).containsPattern("vm1\\s+running\\s+tiny\\s+256 MiB\\s+1"
        + "\\s+127\\.0\\.0\\.1:" + sshPort);
    fails(1, "already running", "start", "vm1");
    liveSnapshotRestoresMemory();

    fails(1, "used by VM vm1", "base", "remove", "tiny");
    fails(1, "is running; stop it with 'xray stop vm1'", "remove", "vm1");
    Run stop = succeed("stop", "vm1");
    assertThat(stop.stdout()).contains("Stopped VM vm1");
    assertThat(succeed("list").stdout()).containsPattern("vm1\\s+stopped");
    assertThat(home.resolve("vms/vm1/serial.log")).content()
        .contains("GUEST-POWERBUTTON: powering off");
    assertThat(succeed("stop", "vm1").stdout()).contains("not running");

    stoppedSnapshots();
    assertThat(succeed("info", "vm1").stdout()).contains("Disk chain:",
        "-> ../../bases/tiny.qcow2", "live", "Forwards:    none");
    int webPort = sshPort + 1;
    succeed("create", "web", "--base", "tiny", "--memory", "256", "--forward", webPort + ":80");
    assertThat(succeed("info", "web").stdout())
        .contains("Forwards:    127.0.0.1:" + webPort + " -> 80");
    assertThat(succeed("info", "web", "--json").stdout())
        .containsPattern("\"port_forwards\" : \\{\\s*\"" + webPort + "\" : 80");
    succeed("remove", "web", "--force");

    succeed("start", "vm1");
    long pid = Long.parseLong(Files.readString(home.resolve("vms/vm1/pid")).strip());
    assertThat(succeed("remove", "vm1", "--force").stdout()).contains("Removed VM vm1");
    assertThat(Processes.isGone(pid, Duration.ofSeconds(10))).as("QEMU %d gone", pid).isTrue();
    assertThat(home.resolve("vms/vm1")).doesNotExist();
    assertThat(Sha256.of(home.resolve("bases/tiny.qcow2"))).isEqualTo(baseChecksum);
    succeed("base", "remove", "tiny");
    assertThat(succeed("list").stdout()).contains("No VMs");
  }

  @Test
  void foregroundStartStopsVmOnSigterm() throws Exception {
    succeed("base", "import", image.toString(), "--name", "tiny", "--link");
    succeed("create", "fg", "--base", "tiny", "--memory", "256", "--cpus", "1");
    ProcessBuilder builder = new ProcessBuilder(System.getProperty("xray.launcher"), "start",
        "fg", "--foreground");
    builder.environment().put("XRAY_HOME", home.toString());
    builder.environment().put("XRAY_ACCEL", "tcg");
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Path stdout = temp.resolve("foreground.txt");
    builder.redirectOutput(stdout.toFile()).redirectErrorStream(true);
    Process process = builder.start();
    long deadline = System.nanoTime() + BOOT.toNanos();
    while (!Files.readString(stdout).contains(TinyGuest.READY_LINE)) {
      assertThat(process.isAlive()).as("xray start --foreground exited early: %s",
          Files.readString(stdout)).isTrue();
      assertThat(System.nanoTime()).as("ready line in foreground output").isLessThan(deadline);
      Thread.sleep(100);
    }
    process.destroy();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("foreground xray exits").isTrue();
    assertThat(Files.readString(stdout)).contains("GUEST-POWERBUTTON: powering off");
    assertThat(succeed("list").stdout()).containsPattern("fg\\s+stopped");
  }

  private void rejectsBadInput() throws Exception {
    Path notAnImage = temp.resolve("notes.txt");
    Files.writeString(notAnImage, "plain text, not a disk image\n".repeat(50));
    List<String> before = homeEntries();
    fails(1, "already exists", "create", "vm1", "--base", "tiny");
    fails(1, "not found", "create", "vm2", "--base", "nope");
    fails(2, "invalid VM name", "create", "a/b", "--base", "tiny");
    fails(2, "invalid VM name", "create", "..", "--base", "tiny");
    fails(2, "--memory must be from 160", "create", "vm2", "--base", "tiny", "--memory", "0");
    fails(2, "--cpus must be from 1", "create", "vm2", "--base", "tiny", "--cpus", "-1");
    fails(2, "invalid --forward '80': expected HOST:GUEST", "create", "vm2", "--base", "tiny",
        "--forward", "80");
    fails(2, "invalid --forward '70000:80'", "create", "vm2", "--base", "tiny", "--forward",
        "70000:80");
    fails(2, "--wait-timeout applies only with --wait-ssh", "start", "vm1", "--wait-timeout",
        "5");
    fails(2, "is both the SSH port and a port forward", "create", "vm2", "--base", "tiny",
        "--ssh-port", "2299", "--forward", "2299:80");
    fails(2, "--ssh-port must be from 1 to 65535: 70000", "create", "vm2", "--base", "tiny",
        "--ssh-port", "70000");
    fails(2, "Unknown option: '-x'", "create", "vmx", "-x", "--base", "tiny");
    fails(2, "Unmatched argument", "frobnicate");
    fails(2, "--base is required", "create", "vm2");
    fails(1, "not found", "base", "import", temp.resolve("missing.qcow2").toString(), "--name",
        "x");
    fails(1, "not a qcow2 image", "base", "import", notAnImage.toString(), "--name", "x");
    fails(1, "already exists", "base", "import", image.toString(), "--name", "tiny");
    fails(1, "VM 'ghost' not found", "info", "ghost");
    fails(1, "VM 'ghost' not found", "start", "ghost");
    fails(1, "base image 'ghost' not found", "base", "remove", "ghost");
    fails(1, "snapshot 'nope' of VM 'vm1' not found", "snapshot", "revert", "vm1", "nope");
    fails(2, "invalid snapshot tag", "snapshot", "create", "vm1", "123");
    assertThat(homeEntries()).isEqualTo(before);
  }

  private void liveSnapshotRestoresMemory() throws Exception {
    Vm vm = Xray.open(home).vms().get("vm1");
    vm.awaitSerialLine(Pattern.compile(TinyGuest.READY_LINE), BOOT);
    try (SerialConsole console = vm.openConsole()) {
      TinyGuest.runCommand(console, "echo before > /tmp/marker", COMMAND);
      assertThat(succeed("snapshot", "create", "vm1", "s1").stdout())
          .contains("Took live snapshot s1");
      fails(1, "already exists", "snapshot", "create", "vm1", "s1");
      TinyGuest.runCommand(console, "echo after > /tmp/marker", COMMAND);
      succeed("snapshot", "revert", "vm1", "s1");
      assertThat(TinyGuest.runCommand(console, "cat /tmp/marker", COMMAND).strip())
          .isEqualTo("before");
    }
    assertThat(succeed("snapshot", "list", "vm1").stdout()).containsPattern("s1\\s+.*live");
    assertThat(succeed("snapshot", "list", "vm1", "--json").stdout())
        .contains("\"tag\" : \"s1\"", "\"live\" : true");
    assertThat(succeed("list", "--json").stdout()).contains("\"status\" : \"running\"");
  }

  private void stoppedSnapshots() throws Exception {
    Path disk = home.resolve("vms/vm1/disk.qcow2");
    Path vars = home.resolve("vms/vm1/vars.qcow2");
    assertThat(succeed("snapshot", "create", "vm1", "off1").stdout())
        .contains("Took disk-only snapshot off1");
    assertThat(qemuImgSnapshots(disk)).contains("off1", "s1");
    assertThat(qemuImgSnapshots(vars)).contains("off1");
    assertThat(succeed("snapshot", "list", "vm1").stdout()).containsPattern("off1\\s+.*disk-only");
    succeed("snapshot", "revert", "vm1", "off1");
    succeed("snapshot", "delete", "vm1", "off1");
    assertThat(qemuImgSnapshots(disk)).doesNotContain("off1").contains("s1");
    assertThat(qemuImgSnapshots(vars)).doesNotContain("off1");
    fails(1, "not found", "snapshot", "delete", "vm1", "off1");
  }

  /** Makes an ed25519 key pair without a passphrase and returns the private key's path. */
  private Path keyPair(Path privateKey) throws Exception {
    QemuCondition.assumeProgram("ssh-keygen", "openssh-client");
    QemuCondition.assumeProgram("ssh", "openssh-client");
    Files.createDirectories(privateKey.getParent());
    Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
        "xray-test", "-f", privateKey.toString()).redirectErrorStream(true).start();
    String output = new String(keygen.getInputStream().readAllBytes());
    assertThat(keygen.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(keygen.exitValue()).as("ssh-keygen: %s", output).isZero();
    return privateKey;
  }

  @Test
  void waitSshThenSshRunsCommand() throws Exception {
    succeed("base", "import", image.toString(), "--name", "tiny", "--link");
    Path key = keyPair(temp.resolve("keys/id_ed25519"));
    Run created = succeed("create", "web", "--base", "tiny", "--memory", "256", "--cpus", "1",
        "--ssh-key", key + ".pub");
    assertThat(created.stdout()).contains("Created VM web", "ssh on 127.0.0.1:",
        "cloud-init seed for user xray");
    assertThat(home.resolve("vms/web/seed.iso")).isRegularFile();

    Run started = succeed("start", "web", "--wait-ssh", "--wait-timeout", "300");
    assertThat(started.stdout()).contains("Started VM web", "SSH server of VM web responded");

    Run ssh = succeed("ssh", "web", "--", "echo", "hi");
    assertThat(ssh.stdout().strip()).isEqualTo("hi");
    Run whoami = succeed("ssh", "web", "--", "id", "-un");
    assertThat(whoami.stdout().strip()).isEqualTo("xray");
    Path knownHosts = home.resolve("vms/web/known_hosts");
    assertThat(knownHosts).as("the VM's known_hosts").isRegularFile();
    assertThat(Files.readString(knownHosts)).startsWith("web ssh-");
    assertThat(temp.resolve(".ssh/known_hosts")).as("HOME's known_hosts").doesNotExist();

    succeed("snapshot", "create", "web", "booted");
    succeed("snapshot", "revert", "web", "booted");
    assertThat(knownHosts).as("known_hosts after a revert").doesNotExist();
    assertThat(succeed("ssh", "web", "--", "echo", "again").stdout().strip()).isEqualTo("again");

    Files.move(key, temp.resolve("keys/moved"));
    fails(1, "the private key " + key + " of VM 'web' is missing", "ssh", "web", "--", "true");
    succeed("stop", "web", "--force");
    fails(1, "VM 'web' is not running; start it with 'xray start web --wait-ssh'", "ssh", "web");
  }

  @Test
  void defaultKeyIsFoundAndNamed() throws Exception {
    succeed("base", "import", image.toString(), "--name", "tiny", "--link");
    Path key = keyPair(temp.resolve(".ssh/id_ed25519"));

    Run created = succeed("create", "auto", "--base", "tiny", "--user", "ada");

    assertThat(created.stdout()).contains("Using SSH key " + key + ".pub");
    assertThat(created.stdout()).contains("cloud-init seed for user ada");
    assertThat(Files.readString(home.resolve("vms/auto/vm.toml")))
        .contains("ssh_key = \"" + key + ".pub\"", "ssh_user = \"ada\"");
  }

  @Test
  void noSeedCreatesPlainVm() throws Exception {
    succeed("base", "import", image.toString(), "--name", "tiny", "--link");
    keyPair(temp.resolve(".ssh/id_ed25519"));

    Run created = succeed("create", "plain", "--base", "tiny", "--no-seed");

    assertThat(created.stdout()).doesNotContain("Using SSH key", "cloud-init");
    assertThat(home.resolve("vms/plain/seed.iso")).doesNotExist();
    fails(2, "VM 'plain' has no SSH forward", "ssh", "plain");
    fails(2, "has no SSH forward to wait for", "start", "plain", "--wait-ssh");
  }

  @Test
  void seedOptionErrorsAreUsageErrors() throws Exception {
    succeed("base", "import", image.toString(), "--name", "tiny", "--link");
    Path key = keyPair(temp.resolve("keys/id_ed25519"));

    fails(2, "--no-seed excludes --ssh-key", "create", "a", "--base", "tiny", "--no-seed",
        "--ssh-key", key + ".pub");
    fails(2, "--user needs a cloud-init seed", "create", "b", "--base", "tiny", "--user", "ada");
    fails(2, "expected a name ending in .pub", "create", "c", "--base", "tiny", "--ssh-key",
        key.toString());
    fails(1, "not found", "create", "d", "--base", "tiny", "--ssh-key",
        temp.resolve("missing.pub").toString());
    fails(2, "invalid user name 'Ada'", "create", "e", "--base", "tiny", "--ssh-key",
        key + ".pub", "--user", "Ada");
    assertThat(Xray.open(home).vms().list()).as("VMs after failed creates").isEmpty();
  }

  private static String qemuImgSnapshots(Path image) throws Exception {
    Process process = new ProcessBuilder("qemu-img", "snapshot", "-l", image.toString())
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("qemu-img snapshot -l: %s", output).isZero();
    return output;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
