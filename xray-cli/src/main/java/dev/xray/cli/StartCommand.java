package dev.xray.cli;

import dev.xray.api.Accelerator;
import dev.xray.api.Display;
import dev.xray.api.Vm;
import dev.xray.api.VmInfo;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray start}: start a VM in the background, or in the foreground. */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = {"Start a VM. Returns once QEMU runs and its monitor responds.",
        "With --foreground, prints the serial console until the VM stops; Ctrl+C presses the "
            + "power button, a second Ctrl+C kills it."})
final class StartCommand implements Callable<Integer> {
  private static final Duration FOREGROUND_STOP_TIMEOUT = Duration.ofSeconds(30);

  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "the VM to start")
  String name;

  @Option(names = "--foreground", description = "stay attached: print the serial console "
      + "until the VM stops")
  boolean foreground;

  @Option(names = "--display", paramLabel = "KIND", description = "none, sdl, gtk or cocoa, "
      + "for this start only (default: the VM's setting)")
  String display;

  @Option(names = "--accel", paramLabel = "ACCEL", description = "auto, kvm, hvf or tcg, for "
      + "this start only (default: the VM's setting, or $XRAY_ACCEL)")
  String accel;

  @Option(names = "--wait-ssh", description = "return only once the guest's SSH server responds "
      + "on the VM's SSH forward")
  boolean waitSsh;

  @Option(names = "--wait-timeout", paramLabel = "SECONDS", description = "how long --wait-ssh "
      + "waits (default: ${DEFAULT-VALUE}; a cloud image's first boot under TCG takes minutes)",
      defaultValue = "600")
  int waitTimeout;

  @Override
  public Integer call() throws Exception {
    Vm vm = parent.xray().vms().get(name);
    VmSpec vmSpec = vm.spec();
    if (waitSsh && vmSpec.sshPort().isEmpty()) {
      throw new ErrorHandler.UsageException("VM '" + name + "' has no SSH forward to wait for; "
          + "create it with --ssh-port PORT or --ssh-key FILE.pub");
    }
    if (waitTimeout < 1) {
      throw new ErrorHandler.UsageException("--wait-timeout must be at least 1 second: "
          + waitTimeout);
    }
    if (!waitSsh && spec.commandLine().getParseResult().hasMatchedOption("--wait-timeout")) {
      throw new ErrorHandler.UsageException("--wait-timeout applies only with --wait-ssh; add "
          + "--wait-ssh or drop --wait-timeout");
    }
    boolean paused = vm.status() == VmStatus.PAUSED;
    long startNanos = System.nanoTime();
    if (display != null || accel != null) {
      vm.start(accel != null ? Accelerator.parse(accel) : null,
          display != null ? Display.parse(display) : null);
    } else {
      vm.start();
    }
    PrintWriter out = spec.commandLine().getOut();
    VmInfo info = vm.info();
    // A start may move an SSH port that xray picked, so the port is read after it.
    VmSpec started = info.spec();
    out.printf("%s VM %s (pid %s) in %s%s%n", paused ? "Resumed" : "Started", name,
        info.pid().isPresent() ? Long.toString(info.pid().getAsLong()) : "?",
        Output.seconds(System.nanoTime() - startNanos), sshHint(started));
    if (!vmSpec.sshPort().equals(started.sshPort()) && vmSpec.sshPort().isPresent()) {
      out.printf("The SSH port moved from %d to %d, because another program took %d%n",
          vmSpec.sshPort().getAsInt(), started.sshPort().getAsInt(),
          vmSpec.sshPort().getAsInt());
    }
    if (waitSsh) {
      out.flush();
      int port = vm.awaitSsh(Duration.ofSeconds(waitTimeout));
      out.printf("SSH server of VM %s responded on 127.0.0.1:%d after %s%n", name, port,
          Output.seconds(System.nanoTime() - startNanos));
    }
    if (foreground) {
      return followConsole(vm, out);
    }
    return 0;
  }

  private String sshHint(VmSpec vmSpec) {
    if (vmSpec.sshPort().isEmpty()) {
      return "";
    }
    if (vmSpec.hasSeed()) {
      return "; log in with 'xray ssh " + name + "' (127.0.0.1:" + vmSpec.sshPort().getAsInt()
          + ")";
    }
    return "; ssh -p " + vmSpec.sshPort().getAsInt() + " USER@127.0.0.1";
  }

  /**
   * Copies serial.log to stdout until QEMU exits. The first Ctrl+C (or SIGTERM) presses the
   * power button; a second one kills QEMU.
   */
  private int followConsole(Vm vm, PrintWriter out) throws IOException, InterruptedException {
    ForegroundSignals signals = new ForegroundSignals(vm, FOREGROUND_STOP_TIMEOUT);
    signals.install();
    Path log = vm.directory().resolve("serial.log");
    long offset = 0;
    byte[] buffer = new byte[8192];
    while (vm.status().isAlive()) {
      if (Files.exists(log)) {
        try (RandomAccessFile in = new RandomAccessFile(log.toFile(), "r")) {
          in.seek(offset);
          int count;
          while ((count = in.read(buffer)) > 0) {
            out.print(new String(buffer, 0, count, StandardCharsets.UTF_8));
            offset += count;
          }
          out.flush();
        }
      }
      Thread.sleep(100);
    }
    out.printf("%nVM %s stopped%n", name);
    return signals.interrupted() ? 130 : 0;
  }
}
