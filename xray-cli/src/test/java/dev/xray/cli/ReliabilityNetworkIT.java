package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.api.AlreadyExistsException;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host ports: forwards listen on 127.0.0.1 only, two VMs never get the same host port, and a
 * port that another program has bound is reported before QEMU starts. No traffic leaves loopback.
 */
@RequiresQemu
class ReliabilityNetworkIT {
  private static final ReliabilityFigures FIGURES =
      new ReliabilityFigures(ReliabilityNetworkIT.class);
  private static final int PARALLEL_CREATES = 8;

  @TempDir
  Path temp;

  private ReliabilityCli xray;
  private Path home;

  @BeforeEach
  void importBase() throws Exception {
    home = temp.resolve("home");
    xray = new ReliabilityCli(home, Files.createDirectories(temp.resolve("outputs")));
    xray.succeed("base", "import", TestGuest.image().toString(), "--name", "tiny", "--link");
  }

  @AfterEach
  void killVms() {
    if (Files.isDirectory(home)) {
      Xray.open(home).vms().list().forEach(Vm::kill);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private List<String> vmFolders() throws IOException {
    try (var entries = Files.list(home.resolve("vms"))) {
      return entries.map(path -> path.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void forwardsListenOnLoopbackOnly() throws Exception {
    int sshPort = freePort();
    int webPort = freePort();
    Xray.open(home).vms().create(VmSpec.builder("net").base("tiny").memory(TinyGuest.MEMORY_MIB)
        .cpus(1).sshPort(sshPort).portForward(webPort, 8080).build());
    xray.succeed("start", "net");
    String sockets = ReliabilityHost.run("ss", "-ltn");
    for (int port : List.of(sshPort, webPort)) {
      assertThat(ReliabilityHost.listenAddresses(port)).as("addresses listening on port %d",
          port).containsExactly("127.0.0.1");
      assertThat(sockets).as("ss -ltn").containsPattern("127\\.0\\.0\\.1:" + port + "\\s")
          .doesNotContainPattern("(0\\.0\\.0\\.0|\\*|\\[::\\]):" + port + "\\s");
    }
    assertThat(xray.succeed("list").stdout()).contains("127.0.0.1:" + sshPort);
    xray.succeed("stop", "net", "--force");
    assertThat(ReliabilityHost.listenAddresses(sshPort)).as("listeners after the stop").isEmpty();
    FIGURES.put("forwarded ports checked to listen on 127.0.0.1 only", 2);
  }

  @Test
  void duplicateHostPortRejectedAtCreate() throws Exception {
    int port = freePort();
    int forwarded = freePort();
    xray.succeed("create", "first", "--base", "tiny", "--ssh-port", Integer.toString(port));
    Xray.open(home).vms().create(VmSpec.builder("web").base("tiny").portForward(forwarded, 80)
        .build());
    List<String> before = vmFolders();
    int rejected = 0;

    xray.fail(1, "host port " + port + " is already forwarded to VM 'first'", "create",
        "second", "--base", "tiny", "--ssh-port", Integer.toString(port));
    rejected++;
    xray.fail(1, "host port " + forwarded + " is already forwarded to VM 'web'", "create",
        "third", "--base", "tiny", "--ssh-port", Integer.toString(forwarded));
    rejected++;
    assertThatThrownBy(() -> Xray.open(home).vms().create(VmSpec.builder("fourth").base("tiny")
        .portForward(port, 80).build())).isInstanceOf(AlreadyExistsException.class)
        .hasMessageContaining("host port " + port + " is already forwarded to VM 'first'");
    rejected++;
    assertThatThrownBy(() -> Xray.open(home).vms().create(VmSpec.builder("fifth").base("tiny")
        .portForward(forwarded, 443).build())).isInstanceOf(AlreadyExistsException.class);
    rejected++;
    assertThat(vmFolders()).as("VM folders after rejected creates").isEqualTo(before);

    // Creates that race for one new port: the home lock lets exactly one of them take it.
    int contested = freePort();
    List<ReliabilityCli.Started> racers = new ArrayList<>();
    for (int i = 0; i < PARALLEL_CREATES; i++) {
      racers.add(xray.spawn("create", "racer" + i, "--base", "tiny", "--ssh-port",
          Integer.toString(contested)));
    }
    int won = 0;
    for (ReliabilityCli.Started racer : racers) {
      ReliabilityCli.Run run = racer.await();
      if (run.exitCode() == 0) {
        won++;
      } else {
        assertThat(run.errorLines()).as("%s", run).singleElement().asString()
            .contains("host port " + contested + " is already forwarded to VM 'racer");
        rejected++;
      }
    }
    assertThat(won).as("creates that got port %d", contested).isEqualTo(1);
    assertThat(vmFolders()).hasSize(before.size() + 1);
    ReliabilityHome.assertConsistent(home, "rejected creates", java.util.Map.of());
    FIGURES.put("creates rejected for a host port another VM has", rejected);
  }

  @Test
  void takenPortIsReportedBeforeStart() throws Exception {
    int port = freePort();
    xray.succeed("create", "blocked", "--base", "tiny", "--memory", "256", "--cpus", "1",
        "--ssh-port", Integer.toString(port));
    Path vmDirectory = home.resolve("vms/blocked");
    int reported = 0;
    for (InetAddress address : List.of(InetAddress.getLoopbackAddress(),
        InetAddress.getByName("0.0.0.0"))) {
      try (ServerSocket holder = new ServerSocket()) {
        holder.bind(new InetSocketAddress(address, port));
        xray.fail(1, "port " + port + " on 127.0.0.1, forwarded to VM 'blocked', is already in "
            + "use", "start", "blocked");
        assertThat(ReliabilityHost.qemuPidsOf(vmDirectory)).as("QEMU with the port held on %s",
            address).isEmpty();
        assertThat(vmDirectory.resolve("qemu.log")).doesNotExist();
        reported++;
      }
    }
    xray.succeed("start", "blocked");
    assertThat(ReliabilityHost.listenAddresses(port)).containsExactly("127.0.0.1");
    xray.succeed("stop", "blocked", "--force");
    FIGURES.put("ports held by another program and reported before QEMU started", reported);
  }
}
