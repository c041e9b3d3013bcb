package dev.xray.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Architecture;
import dev.xray.core.testing.QemuCondition;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The test guest with a cloud-init NoCloud seed on a virtio-scsi CD, attached the way xray
 * attaches it. The tests check the seed's files and host name on the serial console, and an ssh
 * login with the seed's key through a user networking forward. QEMU runs directly under TCG, so
 * they check the guest image alone.
 */
@RequiresQemu
class GuestSeedIT {
  // The x86_64 guest reaches its ready line in 6 to 14 s under TCG on a loaded 2-core host, and
  // the aarch64 guest in about 12 s. The margin covers other QEMU tests on the same host.
  private static final Duration BOOT = Duration.ofSeconds(180);
  private static final Duration SSH = Duration.ofSeconds(120);
  private static final String SSH_INSTALL = "apt-get install openssh-client";
  private static final String ISO_INSTALL = "apt-get install genisoimage";
  private static final String AARCH64_INSTALL = "apt-get install qemu-system-arm qemu-efi-aarch64 "
      + "binutils-aarch64-linux-gnu";

  @TempDir
  Path temp;

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killQemu() throws InterruptedException {
    for (Process process : processes) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("QEMU %d exited", process.pid())
            .isTrue();
      }
    }
  }

  @Test
  void seedFilesAndHostNameOnSerial() throws Exception {
    requirePrograms(ISO_INSTALL, "genisoimage");
    Path seed = writeSeed("seed", "files-vm", "#cloud-config\nhostname: files-vm\nusers:\n"
        + "  - name: nokey\n    shell: /bin/bash\n");
    Files.writeString(seed.resolve("network-config"), "version: 2\nethernets: {}\n");
    // A name longer than ISO 9660's 8.3 names, with bytes that are not text.
    Files.write(seed.resolve("a-long-seed-file-name.bin"), new byte[] {0, 1, 2, (byte) 255, 10});
    Path iso = makeIso(seed, "-J", "-r");

    List<String> lines = bootToReady(Architecture.X86_64, seedArguments(iso), freePort());

    assertThat(seedLines(lines)).containsExactlyElementsOf(expectedSeedLines(seed, "files-vm"));
    // The user in user-data has no ssh_authorized_keys, so no SSH server starts.
    assertThat(lines).noneMatch(line -> line.startsWith("SSHD-STARTED"));
  }

  @Test
  void noSeedPrintsSeedNone() throws Exception {
    List<String> lines = bootToReady(Architecture.X86_64, List.of(), freePort());

    assertThat(seedLines(lines)).containsExactly("SEED-NONE");
    assertThat(lines).noneMatch(line -> line.startsWith("SSHD-STARTED"));
  }

  @Test
  void emptyCdDrivePrintsSeedNone() throws Exception {
    List<String> lines = bootToReady(Architecture.X86_64,
        List.of("-device", "virtio-scsi-pci,id=scsi0", "-device", "scsi-cd,bus=scsi0.0"),
        freePort());

    assertThat(seedLines(lines)).containsExactly("SEED-NONE");
  }

  @Test
  void sshLoginWithSeedKey() throws Exception {
    requirePrograms(ISO_INSTALL, "genisoimage");
    requirePrograms(SSH_INSTALL, "ssh", "ssh-keygen");
    Path key = generateKey();
    Path seed = writeSeed("seed", "ssh-vm", userData("ssh-vm", "ada", key));
    int port = freePort();

    List<String> lines = bootToReady(Architecture.X86_64,
        seedArguments(makeIso(seed, "-J", "-r")), port);

    assertThat(seedLines(lines)).containsExactlyElementsOf(expectedSeedLines(seed, "ssh-vm"));
    assertThat(lines).contains("SSHD-STARTED 22");
    assertThat(ssh(port, key, "ada", "echo hi")).isEqualTo("hi\n");
    assertThat(ssh(port, key, "ada", "id -un; hostname; cat ~/.ssh/authorized_keys"))
        .isEqualTo("ada\nssh-vm\n" + Files.readString(key.resolveSibling("id.pub")));
  }

  /** Joliet names without Rock Ridge, on the aarch64 guest on QEMU's virt machine. */
  @Test
  void aarch64JolietSeedAndSshLogin() throws Exception {
    requirePrograms(AARCH64_INSTALL, "qemu-system-aarch64", "aarch64-linux-gnu-objcopy");
    if (!Files.isReadable(Path.of(aarch64Firmware()))) {
      skipOrFail("missing " + aarch64Firmware() + " (" + AARCH64_INSTALL + ")");
    }
    requirePrograms(ISO_INSTALL, "genisoimage");
    requirePrograms(SSH_INSTALL, "ssh", "ssh-keygen");
    Path key = generateKey();
    Path seed = writeSeed("seed", "arm-vm", userData("arm-vm", "grace", key));
    int port = freePort();

    List<String> lines = bootToReady(Architecture.AARCH64, seedArguments(makeIso(seed, "-J")),
        port);

    assertThat(seedLines(lines)).containsExactlyElementsOf(expectedSeedLines(seed, "arm-vm"));
    assertThat(lines).contains("SSHD-STARTED 22");
    assertThat(ssh(port, key, "grace", "echo hi; uname -m")).isEqualTo("hi\naarch64\n");
  }

  /** Writes meta-data and user-data as xray writes them into folder {@code name}. */
  private Path writeSeed(String name, String hostName, String userData) throws IOException {
    Path seed = Files.createDirectories(temp.resolve(name));
    Files.writeString(seed.resolve("meta-data"),
        "instance-id: iid-" + hostName + "\nlocal-hostname: " + hostName + "\n");
    Files.writeString(seed.resolve("user-data"), userData);
    return seed;
  }

  private static String userData(String hostName, String user, Path key) throws IOException {
    String publicKey = Files.readString(key.resolveSibling("id.pub")).strip();
    return "#cloud-config\n"
        + "hostname: " + hostName + "\n"
        + "users:\n"
        + "  - name: " + user + "\n"
        + "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
        + "    shell: /bin/bash\n"
        + "    lock_passwd: true\n"
        + "    ssh_authorized_keys:\n"
        + "      - " + publicKey + "\n";
  }

  /** The serial lines that the seed's files and host name must give, in order. */
  private static List<String> expectedSeedLines(Path seed, String hostName) throws IOException {
    List<String> expected = new ArrayList<>();
    try (Stream<Path> files = Files.list(seed)) {
      for (Path file : files.sorted().toList()) {
        expected.add("SEED-FILE " + file.getFileName() + " " + Files.size(file) + " "
            + Sha256.of(file));
      }
    }
    expected.add("SEED-DONE");
    expected.add("SEED-HOSTNAME " + hostName);
    return expected;
  }

  private static List<String> seedLines(List<String> lines) {
    return lines.stream().filter(line -> line.startsWith("SEED-")).toList();
  }

  private Path makeIso(Path folder, String... nameOptions) throws Exception {
    Path iso = temp.resolve(folder.getFileName() + ".iso");
    List<String> command = new ArrayList<>(List.of("genisoimage", "-quiet", "-V", "cidata"));
    command.addAll(List.of(nameOptions));
    command.addAll(List.of("-o", iso.toString(), folder.toString()));
    run(command, Duration.ofSeconds(60));
    return iso;
  }

  private Path generateKey() throws Exception {
    Path key = temp.resolve("ssh").resolve("id");
    Files.createDirectories(key.getParent());
    run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "guest-seed-test", "-f",
        key.toString()), Duration.ofSeconds(30));
    return key;
  }

  /** Runs {@code command} as {@code user} over ssh through the forward and returns its stdout. */
  private String ssh(int port, Path key, String user, String command) throws Exception {
    Path home = Files.createDirectories(temp.resolve("ssh-home"));
    List<String> ssh = List.of("ssh", "-F", "/dev/null", "-o", "BatchMode=yes",
        "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=60",
        "-o", "UserKnownHostsFile=" + home.resolve("known_hosts"),
        "-o", "StrictHostKeyChecking=accept-new",
        "-p", Integer.toString(port), "-i", key.toString(), user + "@127.0.0.1", "--", command);
    ProcessBuilder builder = new ProcessBuilder(ssh)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectError(temp.resolve("ssh.err").toFile());
    builder.environment().put("HOME", home.toString());
    Process process = builder.start();
    String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(SSH.toSeconds(), TimeUnit.SECONDS)).as("ssh exited").isTrue();
    assertThat(process.exitValue()).as("exit code of %s, stderr: %s", ssh,
        Files.readString(temp.resolve("ssh.err"))).isZero();
    return stdout;
  }

  /** Returns the QEMU arguments with which xray attaches a seed ISO. */
  private static List<String> seedArguments(Path iso) {
    return List.of(
        "-blockdev", "driver=file,filename=" + iso + ",node-name=seed-file,read-only=on",
        "-blockdev", "driver=raw,file=seed-file,node-name=seed,read-only=on",
        "-device", "virtio-scsi-pci,id=scsi0",
        "-device", "scsi-cd,bus=scsi0.0,drive=seed");
  }

  /**
   * Boots the test guest with the QEMU arguments {@code devices} added and returns the serial
   * console's lines up to and including the ready line.
   */
  private List<String> bootToReady(Architecture architecture, List<String> devices, int sshPort)
      throws Exception {
    Path image = architecture == Architecture.X86_64
        ? TestGuest.image() : TinyGuest.build(Architecture.AARCH64);
    Path run = Files.createDirectories(temp.resolve("run-" + processes.size()));
    Path disk = run.resolve("disk.qcow2");
    run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-b", image.toString(), "-F", "qcow2",
        disk.toString()), Duration.ofSeconds(60));
    Path serial = run.resolve("serial.log");

    List<String> command = new ArrayList<>(machineArguments(architecture, run));
    command.addAll(List.of(
        "-m", Integer.toString(TinyGuest.MEMORY_MIB), "-smp", "1", "-display", "none",
        "-blockdev", "driver=file,filename=" + disk + ",node-name=disk0-file",
        "-blockdev", "driver=qcow2,file=disk0-file,node-name=disk0",
        "-device", "virtio-blk-pci,drive=disk0,bootindex=1",
        "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:" + sshPort + "-:22",
        "-device", "virtio-net-pci,netdev=n0,romfile=",
        "-chardev", "file,id=serial0,path=" + serial, "-serial", "chardev:serial0"));
    command.addAll(devices);
    Path qemuLog = run.resolve("qemu.log");
    Process qemu = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(qemuLog.toFile()).start();
    processes.add(qemu);

    long deadline = System.nanoTime() + BOOT.toNanos();
    while (true) {
      List<String> lines = serialLines(serial);
      int ready = lines.indexOf(TinyGuest.READY_LINE);
      if (ready >= 0) {
        return lines.subList(0, ready + 1);
      }
      assertThat(qemu.isAlive()).as("QEMU is running; its log: %s", Files.readString(qemuLog))
          .isTrue();
      assertThat(System.nanoTime()).as("time before %s within %s; serial console: %s",
          TinyGuest.READY_LINE, BOOT, lines).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private static List<String> machineArguments(Architecture architecture, Path run)
      throws IOException {
    if (architecture == Architecture.X86_64) {
      Path vars = Files.copy(Path.of("/usr/share/OVMF/OVMF_VARS_4M.fd"), run.resolve("vars.fd"));
      return List.of("qemu-system-x86_64", "-nodefaults", "-no-user-config",
          "-machine", "q35", "-accel", "tcg", "-cpu", "max",
          "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
          "-drive", "if=pflash,format=raw,file=" + vars);
    }
    Path vars = Files.copy(Path.of("/usr/share/AAVMF/AAVMF_VARS.fd"), run.resolve("vars.fd"));
    return List.of("qemu-system-aarch64", "-nodefaults", "-no-user-config",
        "-machine", "virt,gic-version=max", "-accel", "tcg", "-cpu", "cortex-a57",
        "-drive", "if=pflash,format=raw,readonly=on,file=" + aarch64Firmware(),
        "-drive", "if=pflash,format=raw,file=" + vars);
  }

  private static String aarch64Firmware() {
    return "/usr/share/AAVMF/AAVMF_CODE.fd";
  }

  /** The serial log's complete lines, without carriage returns. */
  private static List<String> serialLines(Path serial) throws IOException {
    if (!Files.exists(serial)) {
      return List.of();
    }
    String text = new String(Files.readAllBytes(serial), StandardCharsets.UTF_8);
    int end = text.lastIndexOf('\n');
    return end < 0 ? List.of() : text.substring(0, end).replace("\r", "").lines().toList();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void run(List<String> command, Duration timeout) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)).as("%s exited", command)
        .isTrue();
    assertThat(process.exitValue()).as("exit code of %s: %s", command, output).isZero();
  }

  /**
   * Skips the test when one of {@code programs} is not on the PATH, or fails when QEMU tests
   * must run.
   */
  private static void requirePrograms(String install, String... programs) throws Exception {
    List<String> missing = new ArrayList<>();
    for (String program : programs) {
      Process process = new ProcessBuilder("sh", "-c", "command -v \"$0\"", program)
          .redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      if (process.waitFor() != 0) {
        missing.add(program);
      }
    }
    if (!missing.isEmpty()) {
      skipOrFail("missing " + String.join(", ", missing) + " (" + install + ")");
    }
  }

  /** Skips the test with {@code reason}, or fails it when QEMU tests must run. */
  private static void skipOrFail(String reason) {
    if (QemuCondition.isRequired()) {
      throw new IllegalStateException("tests need QEMU here (CI=true or XRAY_REQUIRE_QEMU=1) "
          + "but this one cannot run: " + reason);
    }
    Assumptions.abort(reason);
  }
}
