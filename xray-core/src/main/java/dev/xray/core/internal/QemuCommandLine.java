package dev.xray.core.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.Display;
import dev.xray.api.VmSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds the QEMU command line of a VM.
 *
 * <p>Drives are {@code -blockdev} nodes with JSON values, so paths need no escaping. The UEFI
 * code and variable store are attached as {@code pflash0} and {@code pflash1} through machine
 * properties. QEMU starts paused ({@code -S}) and daemonized: it forks only after the machine is
 * set up, so start-up errors reach the parent's stderr, and {@code -D} sends later messages to
 * {@code qemu.log}.
 */
public final class QemuCommandLine {
  /** Node name of the VM's overlay; live snapshots store the RAM state here. */
  public static final String DISK_NODE = "disk0";
  /** Node name of the UEFI variable store. */
  public static final String VARS_NODE = "firmware-vars";
  /**
   * Node name of the cloud-init seed. It is read-only and raw, so it is left out of
   * {@link #snapshotNodes()}: snapshot-save lists its drives explicitly and never needs the seed.
   */
  public static final String SEED_NODE = "seed";

  private static final ObjectMapper JSON = new ObjectMapper();

  private QemuCommandLine() {}

  /** Returns the writable nodes every snapshot covers, disk first. */
  public static List<String> snapshotNodes() {
    return List.of(DISK_NODE, VARS_NODE);
  }

  /** Returns the command line; every path in it is absolute. */
  public static List<String> build(Path program, VmSpec spec, Accelerator accelerator,
      Display display, Firmware.FirmwareFiles firmware, HomeLayout.VmFiles files) {
    return build(program, spec, accelerator, display, firmware, files, Optional.empty());
  }

  /**
   * Returns the command line that, when {@code incomingState} is present, loads that saved state
   * file as an incoming migration instead of booting. Every path in it is absolute.
   */
  public static List<String> build(Path program, VmSpec spec, Accelerator accelerator,
      Display display, Firmware.FirmwareFiles firmware, HomeLayout.VmFiles files,
      Optional<Path> incomingState) {
    return build(program, spec, accelerator, display, firmware, files, incomingState,
        Optional.empty());
  }

  /**
   * Returns the command line that also attaches {@code seedImage}, when present, as a read-only
   * SCSI CD on a virtio-scsi controller, where cloud images look for a NoCloud seed. Every path
   * in it is absolute.
   */
  public static List<String> build(Path program, VmSpec spec, Accelerator accelerator,
      Display display, Firmware.FirmwareFiles firmware, HomeLayout.VmFiles files,
      Optional<Path> incomingState, Optional<Path> seedImage) {
    List<String> args = new ArrayList<>();
    args.add(program.toString());
    args.addAll(List.of("-name", "guest=" + spec.name() + ",debug-threads=on"));
    args.addAll(List.of("-nodefaults", "-no-user-config"));
    args.addAll(List.of("-machine", machine(spec.architecture(), accelerator)));
    args.addAll(List.of("-accel", accelerator.qemuName()));
    args.addAll(List.of("-cpu", cpu(spec.architecture(), accelerator)));
    args.addAll(List.of("-m", Integer.toString(spec.memoryMiB())));
    args.addAll(List.of("-smp", Integer.toString(spec.cpus())));

    if (firmware.codeFormat().equals("raw")) {
      args.addAll(blockdev(fileNode("firmware-code", firmware.code(), true)));
    } else {
      args.addAll(blockdev(fileNode("firmware-code-file", firmware.code(), true)));
      args.addAll(blockdev(
          formatNode("firmware-code", firmware.codeFormat(), "firmware-code-file", true)));
    }
    args.addAll(blockdev(fileNode("firmware-vars-file", files.vars(), false)));
    args.addAll(blockdev(formatNode(VARS_NODE, "qcow2", "firmware-vars-file", false)));
    args.addAll(blockdev(fileNode("disk0-file", files.disk(), false)));
    args.addAll(blockdev(formatNode(DISK_NODE, "qcow2", "disk0-file", false)));
    args.addAll(List.of("-device", "virtio-blk-pci,drive=" + DISK_NODE + ",id=disk0-device,"
        + "bootindex=1"));
    if (seedImage.isPresent()) {
      args.addAll(blockdev(fileNode("seed-file", seedImage.get(), true)));
      args.addAll(blockdev(formatNode(SEED_NODE, "raw", "seed-file", true)));
      args.addAll(List.of("-device", "virtio-scsi-pci,id=scsi0"));
      args.addAll(List.of("-device", "scsi-cd,bus=scsi0.0,drive=" + SEED_NODE));
    }

    StringBuilder forwards = new StringBuilder();
    if (spec.sshPort().isPresent()) {
      forwards.append(",hostfwd=tcp:127.0.0.1:").append(spec.sshPort().getAsInt()).append("-:22");
    }
    spec.portForwards().forEach((host, guest) ->
        forwards.append(",hostfwd=tcp:127.0.0.1:").append(host).append("-:").append(guest));
    args.addAll(List.of("-netdev", "user,id=net0" + forwards));
    args.addAll(List.of("-device", "virtio-net-pci,netdev=net0,romfile="));

    args.addAll(List.of("-chardev", "socket,id=serial0,path=" + escape(files.consoleSocket())
        + ",server=on,wait=off,logfile=" + escape(files.serialLog())));
    args.addAll(List.of("-serial", "chardev:serial0"));
    args.addAll(List.of("-chardev", "socket,id=monitor,path=" + escape(files.qmpSocket())
        + ",server=on,wait=off"));
    args.addAll(List.of("-mon", "chardev=monitor,mode=control"));
    args.addAll(List.of("-chardev", "socket,id=events,path=" + escape(files.eventSocket())
        + ",server=on,wait=off"));
    args.addAll(List.of("-mon", "chardev=events,mode=control"));

    args.addAll(displayArgs(spec.architecture(), display));
    args.addAll(List.of("-pidfile", files.pidFile().toString()));
    args.addAll(List.of("-D", files.qemuLog().toString()));
    args.add("-daemonize");
    args.add("-S");
    incomingState.ifPresent(
        state -> args.addAll(List.of("-incoming", "exec:cat " + shellQuote(state))));
    return args;
  }

  static String machine(Architecture architecture, Accelerator accelerator) {
    String pflash = ",pflash0=firmware-code,pflash1=" + VARS_NODE;
    if (architecture == Architecture.X86_64) {
      return "q35" + pflash;
    }
    // gic-version=max picks GICv3 where the accelerator supports it; HVF needs
    // highmem=on for more than 3 GiB of guest memory (QEMU 7.0+ chooses it by itself).
    return "virt,gic-version=max" + pflash;
  }

  static String cpu(Architecture architecture, Accelerator accelerator) {
    if (accelerator == Accelerator.KVM || accelerator == Accelerator.HVF) {
      return "host";
    }
    // Under TCG, cortex-a57 boots an aarch64 guest about twice as fast as max, which emulates
    // pointer authentication.
    return architecture == Architecture.X86_64 ? "max" : "cortex-a57";
  }

  private static List<String> displayArgs(Architecture architecture, Display display) {
    // NOTE: a window (sdl, gtk, cocoa) under -daemonize was not tried on macOS, where Cocoa may
    // refuse to run in a forked process; --display none is the tested case.
    if (display == Display.NONE) {
      return List.of("-display", "none");
    }
    return List.of("-device", "virtio-gpu-pci", "-device", "qemu-xhci", "-device", "usb-kbd",
        "-device", "usb-tablet", "-display", display.qemuName());
  }

  private static ObjectNode fileNode(String nodeName, Path file, boolean readOnly) {
    ObjectNode node = JSON.createObjectNode();
    node.put("driver", "file");
    node.put("node-name", nodeName);
    node.put("filename", file.toString());
    if (readOnly) {
      node.put("read-only", true);
    }
    return node;
  }

  private static ObjectNode formatNode(String nodeName, String driver, String file,
      boolean readOnly) {
    ObjectNode node = JSON.createObjectNode();
    node.put("driver", driver);
    node.put("node-name", nodeName);
    node.put("file", file);
    if (readOnly) {
      node.put("read-only", true);
    }
    return node;
  }

  private static List<String> blockdev(ObjectNode node) {
    return List.of("-blockdev", node.toString());
  }

  /**
   * Quotes a path for the {@code /bin/sh -c} that QEMU runs an {@code exec:} migration URI with,
   * so that no character of the path is interpreted by the shell.
   */
  static String shellQuote(Path path) {
    return "'" + path.toString().replace("'", "'\\''") + "'";
  }

  /** Escapes a path for QEMU's comma-separated option syntax, where ',' is written ',,'. */
  static String escape(Path path) {
    return path.toString().replace(",", ",,");
  }
}
