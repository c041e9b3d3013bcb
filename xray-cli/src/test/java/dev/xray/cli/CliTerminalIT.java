package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Vm;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLI commands that talk to a person: prompts under a pseudo-terminal (made by util-linux
 * {@code script}), the serial console, logs, ssh and shell completion.
 */
@RequiresQemu
class CliTerminalIT {
  @TempDir
  Path temp;

  private Path home;
  private String launcher;

  /** What one run printed, stdout and stderr merged when run under a terminal. */
  record Run(int exitCode, String output) {}

  @BeforeEach
  void setUp() throws Exception {
    home = temp.resolve("home");
    launcher = System.getProperty("xray.launcher");
    run(null, launcher, "base", "import", TestGuest.image().toString(), "--name", "tiny",
        "--link");
    run(null, launcher, "base", "import", TestGuest.image().toString(), "--name", "other",
        "--link");
  }

  @AfterEach
  void killLeftovers() {
    if (Files.isDirectory(home)) {
      Xray.open(home).vms().list().forEach(Vm::kill);
    }
  }

  private Run run(String input, String... command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("XRAY_HOME", home.toString());
    builder.environment().put("XRAY_ACCEL", "tcg");
    // create seeds a VM with ~/.ssh's default key, so a key of the developer's must not count.
    builder.environment().put("HOME", temp.toString());
    builder.environment().put("PATH", temp.resolve("bin") + ":" + System.getenv("PATH"));
    Process process = builder.start();
    try (OutputStream stdin = process.getOutputStream()) {
      if (input != null) {
        stdin.write(input.getBytes(StandardCharsets.UTF_8));
      }
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("%s finished", List.of(command))
        .isTrue();
    return new Run(process.exitValue(), output);
  }

  /** Runs xray under a pseudo-terminal, typing {@code input}. */
  private Run underTerminal(String input, String xrayArgs) throws Exception {
    return run(input, "script", "-qec", launcher + " " + xrayArgs, "/dev/null");
  }

  @Test
  void pickerOffersBasesOnTerminal() throws Exception {
    Run picked = underTerminal("2\n", "create picked --memory 256");
    assertThat(picked.exitCode()).as(picked.output()).isZero();
    assertThat(picked.output()).contains("1) other", "2) tiny", "Created VM picked on base tiny");
    Run bad = underTerminal("9\n", "create other-vm --memory 256");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.output()).contains("invalid choice: '9'");
    Run piped = run("", launcher, "create", "piped");
    assertThat(piped.exitCode()).isEqualTo(2);
    assertThat(piped.output()).contains("--base is required", "other, tiny");
  }

  @Test
  void removeAsksOnTerminalOnly() throws Exception {
    run(null, launcher, "create", "doomed", "--base", "tiny", "--memory", "256");
    Run kept = underTerminal("n\n", "remove doomed");
    assertThat(kept.output()).contains("Remove VM doomed", "Kept VM doomed");
    assertThat(home.resolve("vms/doomed")).isDirectory();
    Run piped = run("y\n", launcher, "remove", "doomed");
    assertThat(piped.exitCode()).isEqualTo(2);
    assertThat(piped.output()).contains("use --force");
    Run removed = underTerminal("y\n", "remove doomed");
    assertThat(removed.exitCode()).as(removed.output()).isZero();
    assertThat(home.resolve("vms/doomed")).doesNotExist();
  }

  @Test
  void consoleLogsSshAndCompletion() throws Exception {
    int sshPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      sshPort = free.getLocalPort();
    }
    run(null, launcher, "create", "box", "--base", "tiny", "--memory", "256", "--cpus", "1",
        "--ssh-port", Integer.toString(sshPort));
    Run start = run(null, launcher, "start", "box");
    assertThat(start.exitCode()).as(start.output()).isZero();
    waitForReadyLine();

    Run console = attachConsole("echo typed-into-console\n");
    assertThat(console.exitCode()).as(console.output()).isZero();
    assertThat(console.output()).contains("typed-into-console", "Detached from VM box");
    assertThat(run(null, launcher, "logs", "box").output()).contains(TinyGuest.READY_LINE,
        "typed-into-console");

    Path fakeSsh = temp.resolve("bin/ssh");
    Files.createDirectories(fakeSsh.getParent());
    Files.writeString(fakeSsh, "#!/bin/sh\necho \"ssh $*\"\n");
    Files.setPosixFilePermissions(fakeSsh, PosixFilePermissions.fromString("rwx------"));
    Run ssh = run(null, launcher, "ssh", "box", "-l", "debian", "--", "uname", "-a");
    assertThat(ssh.output()).contains("ssh -p " + sshPort + " -o HostKeyAlias=box -o "
        + "StrictHostKeyChecking=accept-new -o UserKnownHostsFile=\"" + home.resolve("vms/box")
        + "/known_hosts\" -o GlobalKnownHostsFile=/dev/null -o HashKnownHosts=no -o "
        + "LogLevel=ERROR -l debian "
        + "127.0.0.1 uname -a");

    Run completion = run(null, launcher, "completion", "bash");
    assertThat(completion.output()).contains("complete -F _xray xray");
    assertThat(run(null, launcher, "__complete", "vms").output().lines().toList())
        .containsExactly("box");
    assertThat(run(null, launcher, "__complete", "bases").output().lines().toList())
        .containsExactly("other", "tiny");
    assertThat(run(null, launcher, "remove", "box", "--force").exitCode()).isZero();
  }

  /** Attaches to VM box, types {@code input}, waits for the guest, then presses Ctrl+]. */
  private Run attachConsole(String input) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(launcher, "console", "box")
        .redirectErrorStream(true);
    builder.environment().put("XRAY_HOME", home.toString());
    Path output = temp.resolve("console.txt");
    builder.redirectOutput(output.toFile());
    Process process = builder.start();
    try (OutputStream stdin = process.getOutputStream()) {
      Thread.sleep(1000);
      stdin.write(input.getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      Thread.sleep(2000);
      stdin.write(ConsoleCommand.DETACH);
    }
    assertThat(process.waitFor(1, TimeUnit.MINUTES)).as("xray console detaches").isTrue();
    return new Run(process.exitValue(), Files.readString(output));
  }

  private void waitForReadyLine() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    Path log = home.resolve("vms/box/serial.log");
    while (!Files.exists(log) || !Files.readString(log).contains(TinyGuest.READY_LINE)) {
      assertThat(System.nanoTime()).as("ready line of VM box").isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
