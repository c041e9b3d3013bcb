package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real QEMU, one paused VM per test. Facts checked here were measured on
 * QEMU 7.2; the assertions avoid 7.2-only details where newer releases differ.
 */
@RequiresQemu
class QemuQmpTest {

  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> DISKS = List.of("disk0");

  @TempDir Path dir;

  private QemuProcess qemu;
  private QmpClient client;

  @BeforeEach
  void startQemu() throws Exception {
    qemu = QemuProcess.start(dir);
    client = QmpClient.connect(qemu.socket());
  }

  @AfterEach
  void stopQemu() throws Exception {
    if (client != null) {
      client.close();
    }
    if (qemu != null) {
      qemu.destroy();
      assertThat(qemu.isGone()).as("QEMU pid %d is gone", qemu.pid()).isTrue();
    }
  }

  @Test
  void greetingReportsInstalledQemuVersion() throws Exception {
    Process versionProcess = new ProcessBuilder("qemu-system-x86_64", "--version").start();
    String output =
        new String(versionProcess.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    versionProcess.waitFor();
    Matcher version = Pattern.compile("version (\\d+)\\.(\\d+)\\.(\\d+)").matcher(output);
    assertThat(version.find()).as("version in %s", output).isTrue();

    QmpVersion greeted = client.greeting().version();

    assertThat(greeted.major()).isEqualTo(Integer.parseInt(version.group(1)));
    assertThat(greeted.minor()).isEqualTo(Integer.parseInt(version.group(2)));
    assertThat(greeted.micro()).isEqualTo(Integer.parseInt(version.group(3)));
    assertThat(client.greeting().capabilities()).contains("oob");
    assertThat(client.queryVersion()).isEqualTo(greeted);
  }

  @Test
  void queryStatusReportsPrelaunch() throws Exception {
    QmpStatus status = client.queryStatus();

    assertThat(status.status()).isEqualTo("prelaunch");
    assertThat(status.running()).isFalse();
  }

  @Test
  void queryBlockReturnsArray() throws Exception {
    assertThat(client.queryBlock().isArray()).isTrue();
  }

  @Test
  void unknownCommandFailsWithCommandNotFound() throws Exception {
    assertThatThrownBy(() -> client.execute("no-such-command"))
        .isInstanceOfSatisfying(
            QmpCommandException.class,
            e -> {
              assertThat(e.errorClass()).contains("CommandNotFound");
              assertThat(e.description()).contains("no-such-command");
            });
    assertThat(client.queryStatus().status()).isEqualTo("prelaunch");
  }

  @Test
  void contAndStopEmitResumeAndStopEvents() throws Exception {
    try (QmpEventStream events = client.events("RESUME", "STOP")) {
      client.cont();
      assertThat(events.next(Duration.ofSeconds(5)).name()).isEqualTo("RESUME");
      assertThat(client.queryStatus().status()).isEqualTo("running");

      client.stop();
      assertThat(events.next(Duration.ofSeconds(5)).name()).isEqualTo("STOP");
      assertThat(client.queryStatus()).isEqualTo(new QmpStatus("paused", false, false));
    }
  }

  @Test
  void snapshotSaveLoadAndDeleteSucceed() throws Exception {
    client.snapshotSave("first", "disk0", DISKS, JOB_TIMEOUT);
    assertThat(snapshotNames()).containsExactly("first");

    client.snapshotLoad("first", "disk0", DISKS, JOB_TIMEOUT);
    client.snapshotDelete("first", DISKS, JOB_TIMEOUT);

    assertThat(snapshotNames()).isEmpty();
    assertThat(client.queryJobs()).isEmpty();
  }

  @Test
  void duplicateSnapshotTagFailsJob() throws Exception {
    client.snapshotSave("twice", "disk0", DISKS, JOB_TIMEOUT);

    assertThatThrownBy(() -> client.snapshotSave("twice", "disk0", DISKS, JOB_TIMEOUT))
        .isInstanceOfSatisfying(
            QmpJobException.class,
            e -> {
              assertThat(e.command()).isEqualTo("snapshot-save");
              assertThat(e.description()).contains("'twice'").contains("already exists");
            });
    assertThat(client.queryJobs()).isEmpty();
    assertThat(snapshotNames()).containsExactly("twice");
  }

  @Test
  void failedSnapshotLoadLeavesRestoreVm() throws Exception {
    client.cont();

    assertThatThrownBy(() -> client.snapshotLoad("missing", "disk0", DISKS, JOB_TIMEOUT))
        .isInstanceOf(QmpJobException.class)
        .hasMessageContaining("snapshot-load");

    assertThat(client.queryStatus().status()).isEqualTo("restore-vm");
    assertThat(client.queryJobs()).isEmpty();
    client.cont();
    assertThat(client.queryStatus().status()).isEqualTo("running");
  }

  @Test
  void manyThreadsQueryStatusAtOnce() throws Exception {
    int threads = 8;
    int callsPerThread = 200;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> countPrelaunch(callsPerThread)));
      }
      for (Future<Integer> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).isEqualTo(callsPerThread);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private int countPrelaunch(int calls) throws QmpException {
    int prelaunch = 0;
    for (int i = 0; i < calls; i++) {
      if (client.queryStatus().status().equals("prelaunch")) {
        prelaunch++;
      }
    }
    return prelaunch;
  }

  @Test
  void secondClientWaitsForFirstToClose() throws Exception {
    QmpOptions shortConnect =
        QmpOptions.builder().connectTimeout(Duration.ofMillis(300)).build();

    assertThatThrownBy(() -> QmpClient.connect(qemu.socket(), shortConnect))
        .isInstanceOf(QmpTimeoutException.class)
        .hasMessageContaining("waiting for the QMP greeting");

    client.close();
    try (QmpClient second = QmpClient.connect(qemu.socket())) {
      assertThat(second.queryStatus().status()).isEqualTo("prelaunch");
    }
  }

  @Test
  void humanMonitorCommandOutputAndError() throws Exception {
    assertThat(client.humanMonitorCommand("info status")).contains("prelaunch");

    assertThatThrownBy(() -> client.humanMonitorCommand("device_del no-such-device"))
        .isInstanceOf(QmpCommandException.class)
        .hasMessageContaining("Error: Device 'no-such-device' not found");
  }

  @Test
  void quitEndsQemu() throws Exception {
    client.quit();

    assertThat(client.isOpen()).isFalse();
    assertThat(qemu.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(qemu.process().exitValue()).isZero();
  }

  /**
   * Lists the snapshots of node disk0. The disk is attached with -blockdev only, so no block
   * backend exists and query-block does not list it; query-named-block-nodes does.
   */
  private List<String> snapshotNames() throws QmpException {
    List<String> names = new ArrayList<>();
    for (JsonNode node : client.execute("query-named-block-nodes")) {
      if (node.path("node-name").asText().equals("disk0")) {
        for (JsonNode snapshot : node.path("image").path("snapshots")) {
          names.add(snapshot.path("name").asText());
        }
      }
    }
    return names;
  }
}
