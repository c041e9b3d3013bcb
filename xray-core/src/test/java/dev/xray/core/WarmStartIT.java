package dev.xray.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.api.EphemeralVm;
import dev.xray.api.InvalidStateException;
import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import dev.xray.api.VmEvent;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.VmTemplate;
import dev.xray.api.Xray;
import dev.xray.api.XrayTimeoutException;
import dev.xray.core.testing.Processes;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ephemeral VMs, warm starts from a template, and readiness waits, on the real test guest. */
@RequiresQemu
class WarmStartIT {
  private static final Duration BOOT = Duration.ofSeconds(120);
  private static final Duration COMMAND = Duration.ofSeconds(20);
  private static final Pattern READY = Pattern.compile(TinyGuest.READY_LINE);

  @TempDir
  Path temp;

  private Xray xray;

  @BeforeEach
  void importBase() {
    xray = Xray.open(temp.resolve("home"));
    xray.bases().importImage(TestGuest.image(), "tiny", true);
  }

  private VmSpec.Builder spec(String name) {
    return VmSpec.builder(name).base("tiny").memory(TinyGuest.MEMORY_MIB).cpus(1);
  }

  @Test
  void ephemeralVmRemovesItselfOnClose() throws InterruptedException {
    Path folder;
    long pid;
    try (EphemeralVm vm = xray.vms().createEphemeral(spec("eph").build())) {
      vm.start();
      folder = vm.directory();
      pid = vm.info().pid().getAsLong();
      assertThat(vm.status()).isEqualTo(VmStatus.RUNNING);
    }
    assertThat(folder).doesNotExist();
    assertThat(Processes.isGone(pid, Duration.ofSeconds(10))).as("QEMU %d gone", pid).isTrue();
  }

  @Test
  void leftoverOfDeadOwnerIsRemovedByNextOpen() throws IOException, InterruptedException {
    EphemeralVm vm = xray.vms().createEphemeral(spec("orphan").build());
    vm.start();
    long pid = vm.info().pid().getAsLong();
    Process finished = new ProcessBuilder("true").start();
    long deadPid = finished.pid();
    Files.writeString(vm.directory().resolve("owner"), deadPid + " 0\n");
    finished.onExit().join();

    Xray.open(temp.resolve("home"));
    assertThat(vm.directory()).doesNotExist();
    assertThat(Processes.isGone(pid, Duration.ofSeconds(10))).as("QEMU %d gone", pid).isTrue();
  }

  @Test
  void clonesStartFromTemplateWithoutBootingAndStayIndependent() throws Exception {
    try (VmTemplate template = xray.vms().createTemplate(spec("template").build(), vm -> {
      vm.awaitSerialLine(READY, BOOT);
      try (SerialConsole console = vm.openConsole()) {
        TinyGuest.runCommand(console, "echo template > /tmp/marker", COMMAND);
      }
    })) {
      assertThatThrownBy(() -> xray.vms().get("template").start())
          .isInstanceOf(InvalidStateException.class).hasMessageContaining("template");
      long startNanos = System.nanoTime();
      try (EphemeralVm first = template.startClone("clone-1");
          EphemeralVm second = template.startClone("clone-2")) {
        long twoClonesMillis = (System.nanoTime() - startNanos) / 1_000_000;
        assertThat(twoClonesMillis).as("two warm starts, ms").isPositive();
        try (SerialConsole one = first.openConsole(); SerialConsole two = second.openConsole()) {
          assertThat(TinyGuest.runCommand(one, "cat /tmp/marker", COMMAND).strip())
              .isEqualTo("template");
          TinyGuest.runCommand(one, "echo changed > /tmp/marker", COMMAND);
          assertThat(TinyGuest.runCommand(two, "cat /tmp/marker", COMMAND).strip())
              .isEqualTo("template");
        }
        assertThat(Files.readString(first.directory().resolve("serial.log")))
            .doesNotContain(TinyGuest.READY_LINE);
        assertThatThrownBy(template::close).isInstanceOf(InvalidStateException.class)
            .hasMessageContaining("clone-1");
      }
    }
    assertThat(xray.vms().list()).isEmpty();
  }

  @Test
  void awaitGuestPortWaitsForServerInGuest() throws Exception {
    int hostPort;
    try (ServerSocket free = new ServerSocket(0)) {
      hostPort = free.getLocalPort();
    }
    try (EphemeralVm vm = xray.vms().createEphemeral(spec("web").portForward(hostPort, 8080)
        .build())) {
      vm.start();
      vm.awaitSerialLine(READY, BOOT);
      assertThatThrownBy(() -> vm.awaitGuestPort(8080, Duration.ofSeconds(2)))
          .isInstanceOf(XrayTimeoutException.class).hasMessageContaining("8080");
      try (SerialConsole console = vm.openConsole()) {
        TinyGuest.runCommand(console, "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && "
            + "(nc -l -p 8080 -e echo hello &)", COMMAND);
      }
      assertThat(vm.awaitGuestPort(8080, Duration.ofSeconds(30))).isEqualTo(hostPort);
      assertThatThrownBy(() -> vm.awaitGuestPort(9999, Duration.ofSeconds(1)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void awaitEventSeesShutdownWhileMonitorIsUsed() throws Exception {
    Vm vm = xray.vms().create(spec("events").build());
    vm.start();
    vm.awaitSerialLine(READY, BOOT);
    CompletableFuture<VmEvent> shutdown = CompletableFuture.supplyAsync(
        () -> vm.awaitEvent("SHUTDOWN", Duration.ofSeconds(60)));
    Thread.sleep(500);
    vm.stop(Duration.ofSeconds(30));
    VmEvent event = shutdown.get();
    assertThat(event.name()).isEqualTo("SHUTDOWN");
    assertThat(event.dataJson()).contains("guest-shutdown");
    vm.remove();
  }
}
