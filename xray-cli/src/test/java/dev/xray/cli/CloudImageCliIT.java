package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Vm;
import dev.xray.api.Xray;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cloud-image workflow through the real launcher and the real OpenSSH client: create with a
 * key, {@code start --wait-ssh}, {@code xray ssh}, with HOME in a temporary folder so the user's
 * own ~/.ssh plays no part.
 */
@RequiresQemu
class CloudImageCliIT {
  @TempDir
  Path temp;

  private Path home;
  private Path userHome;

  /** What one run of the launcher printed. */
  record Run(int exitCode, String stdout, String stderr) {}

  @BeforeEach
  void setUp() throws Exception {
    home = temp.resolve("xray home");
    userHome = temp.resolve("user");
    Files.createDirectories(userHome);
    succeed("base", "import", TestGuest.image().toString(), "--name", "tiny", "--link");
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
    env.put("HOME", userHome.toString());
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
    assertThat(run.exitCode()).as("exit code of xray %s; stdout: %s; stderr: %s", List.of(args),
        run.stdout(), run.stderr()).isZero();
    return run;
  }

  private void fails(int exitCode, String message, String... args)
      throws IOException, InterruptedException {
    Run run = xray(args);
    assertThat(run.exitCode()).as("exit code of xray %s; stderr: %s", List.of(args),
        run.stderr()).isEqualTo(exitCode);
    assertThat(run.stderr()).as("stderr of xray %s", List.of(args)).startsWith("xray: ")
        .contains(message);
  }

  /** Makes an ed25519 key pair without a passphrase and returns the private key's path. */
  private Path keyPair(Path privateKey) throws Exception {
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
    Path key = keyPair(temp.resolve("keys/id_ed25519"));
    Run created = succeed("create", "web", "--base", "tiny", "--memory", "256", "--cpus", "1",
        "--ssh-key", key + ".pub");
    assertThat(created.stdout()).contains("Created VM web", "ssh on 127.0.0.1:",
        "cloud-init user xray");
    assertThat(home.resolve("vms/web/seed.iso")).isRegularFile();

    Run started = succeed("start", "web", "--wait-ssh", "--wait-timeout", "300");
    assertThat(started.stdout()).contains("Started VM web", "SSH server of VM web answered");

    Run ssh = succeed("ssh", "web", "--", "echo", "hi");
    assertThat(ssh.stdout().strip()).isEqualTo("hi");
    Run whoami = succeed("ssh", "web", "--", "id", "-un");
    assertThat(whoami.stdout().strip()).isEqualTo("xray");
    assertThat(home.resolve("vms/web/known_hosts")).as("the VM's known_hosts").isRegularFile();
    assertThat(Files.readString(home.resolve("vms/web/known_hosts"))).startsWith("web ");
    assertThat(userHome.resolve(".ssh/known_hosts")).as("HOME's known_hosts").doesNotExist();

    Files.move(key, temp.resolve("keys/moved"));
    fails(1, "the private key " + key + " of VM 'web' is missing", "ssh", "web", "--", "true");
    succeed("stop", "web", "--force");
    fails(1, "VM 'web' is not running; start it with 'xray start web --wait-ssh'", "ssh", "web");
  }

  @Test
  void defaultKeyIsFoundAndNamed() throws Exception {
    Path key = keyPair(userHome.resolve(".ssh/id_ed25519"));

    Run created = succeed("create", "auto", "--base", "tiny", "--user", "ada");

    assertThat(created.stdout()).contains("Using SSH key " + key + ".pub");
    assertThat(created.stdout()).contains("cloud-init user ada");
    assertThat(Files.readString(home.resolve("vms/auto/vm.toml")))
        .contains("ssh_key = \"" + key + ".pub\"", "ssh_user = \"ada\"");
  }

  @Test
  void noSeedCreatesPlainVm() throws Exception {
    keyPair(userHome.resolve(".ssh/id_ed25519"));

    Run created = succeed("create", "plain", "--base", "tiny", "--no-seed");

    assertThat(created.stdout()).doesNotContain("Using SSH key", "cloud-init");
    assertThat(home.resolve("vms/plain/seed.iso")).doesNotExist();
    fails(2, "VM 'plain' has no SSH forward", "ssh", "plain");
    fails(2, "has no SSH forward to wait for", "start", "plain", "--wait-ssh");
  }

  @Test
  void seedOptionErrorsAreUsageErrors() throws Exception {
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
}
