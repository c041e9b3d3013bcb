package dev.xray.examples.docs;

import dev.xray.api.Accelerator;
import dev.xray.api.AlreadyExistsException;
import dev.xray.api.BaseImage;
import dev.xray.api.DiskImage;
import dev.xray.api.EphemeralVm;
import dev.xray.api.HostException;
import dev.xray.api.ImageException;
import dev.xray.api.InvalidStateException;
import dev.xray.api.NotFoundException;
import dev.xray.api.ProgressListener;
import dev.xray.api.QemuException;
import dev.xray.api.SerialConsole;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmEvent;
import dev.xray.api.VmInfo;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.VmTemplate;
import dev.xray.api.Xray;
import dev.xray.api.XrayException;
import dev.xray.api.XrayTimeoutException;
import dev.xray.qmp.QmpClient;
import dev.xray.qmp.QmpEvent;
import dev.xray.qmp.QmpException;
import dev.xray.qmp.QmpSubscription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * The Java snippets of README.md and docs/, each between a {@code // snippet NAME} line and a
 * {@code // end snippet} line. They compile in every build, and {@link DocSnippetsTest} fails when
 * a snippet in a document is not one of them, so the documents cannot show code that does not
 * compile. The methods are never called: they would create VMs in the user's home folder.
 */
@SuppressWarnings("unused")
final class ApiSnippets {
  private ApiSnippets() {}

  static void quickStart() {
    // snippet quick-start
    Xray xray = Xray.openDefault();                      // XRAY_HOME, else ~/.xray
    xray.bases().importImage(Path.of("debian.qcow2"), "debian", false);
    Vm vm = xray.vms().create(VmSpec.builder("web").base("debian").memory(2048).build());
    vm.start();
    vm.snapshots().create("clean");
    // end snippet
  }

  static void openHome() {
    // snippet open-home
    Xray xray = Xray.open(Path.of("/var/tmp/ci-vms"));   // created with mode 0700 if missing
    Path home = xray.home();                             // the absolute path
    // end snippet
  }

  static void bases(Xray xray) {
    // snippet bases
    BaseImage debian = xray.bases().importImage(Path.of("debian-12.qcow2"), "debian", false,
        (done, total) -> System.out.printf("%d of %d bytes%n", done, total));
    BaseImage linked = xray.bases().importImage(Path.of("/images/alpine.qcow2"), "alpine", true);
    for (BaseImage base : xray.bases().list()) {
      System.out.println(base.name() + " " + base.virtualSize() + " " + base.linked());
    }
    xray.bases().remove("alpine");         // InvalidStateException while a VM uses it
    // end snippet
  }

  static void createVm(Xray xray) {
    // snippet create-vm
    VmSpec spec = VmSpec.builder("web")
        .base("debian")
        .memory(4096)                      // MiB
        .cpus(4)
        .sshPort(2222)                     // 127.0.0.1:2222 -> guest port 22
        .portForward(8080, 80)             // 127.0.0.1:8080 -> guest port 80
        .build();
    Vm vm = xray.vms().create(spec);
    // end snippet
  }

  static void lifecycle(Xray xray) {
    // snippet lifecycle
    Vm vm = xray.vms().get("web");         // NotFoundException if there is none
    vm.start();                            // returns when the monitor responds and vCPUs run
    VmStatus status = vm.status();         // RUNNING
    try {
      vm.stop(Duration.ofSeconds(30));     // ACPI power button, pressed every 2 s
    } catch (XrayTimeoutException e) {
      vm.kill();                           // the guest ignored the button
    }
    vm.remove();                           // overlay, snapshots and folder
    // end snippet
  }

  static void startWithAccelerator(Vm vm) {
    // snippet start-override
    vm.start(Accelerator.TCG, null);       // this start only; null keeps the display
    // end snippet
  }

  static void info(Vm vm) {
    // snippet info
    VmInfo info = vm.info();
    System.out.println(info.status() + ", pid " + info.pid());
    for (DiskImage image : info.diskChain()) {          // overlay first, base last
      System.out.println(image.path() + " backed by " + image.backingFile().orElse("-"));
    }
    // end snippet
  }

  static void liveSnapshot(Vm vm) {
    // snippet live-snapshot
    vm.start();
    SnapshotInfo clean = vm.snapshots().create("clean");  // live: RAM, devices, disks
    // ... change the guest ...
    vm.snapshots().revert("clean");        // the guest continues from that moment
    vm.snapshots().create("clean", true);  // replace the snapshot of that tag
    // end snippet
  }

  static void cloudImage(Xray xray) {
    // snippet cloud-image
    VmSpec spec = VmSpec.builder("web").base("debian")
        .sshKey(Path.of(System.getenv("HOME"), ".ssh", "id_ed25519.pub"))
        .sshUser("ada")                                   // optional, default "xray"
        .build();
    Vm vm = xray.vms().create(spec);
    vm.start();
    int port = vm.awaitSsh(Duration.ofMinutes(10));       // the SSH forward's host port
    // end snippet
  }

  static void snapshotProgress(Vm vm) {
    // snippet snapshot-progress
    ProgressListener progress = (done, total) ->
        System.out.printf("%d of at most %d MiB%n", done >> 20, total >> 20);
    vm.snapshots().create("big", false, progress);   // bytes of RAM state written
    vm.snapshots().revert("big", progress);          // bytes of saved state read
    // end snippet
  }

  static void stoppedSnapshot(Vm vm) {
    // snippet stopped-snapshot
    vm.stop(Duration.ofSeconds(30));
    SnapshotInfo disks = vm.snapshots().create("before-upgrade");  // disk-only
    System.out.println(disks.live());      // false: vmStateSize() is 0
    vm.snapshots().revert("before-upgrade");
    vm.start();                            // boots from the reverted disk
    // end snippet
  }

  static void revertStoppedToLive(Vm vm) {
    // snippet resume-live
    vm.stop(Duration.ofSeconds(30));
    vm.snapshots().revert("clean");        // a live snapshot, reverted while stopped
    vm.start();                            // resumes the saved RAM instead of booting
    // end snippet
  }

  static void listSnapshots(Vm vm) {
    // snippet list-snapshots
    for (SnapshotInfo snapshot : vm.snapshots().list()) {   // oldest first
      System.out.printf("%s live=%s revertible=%s guest clock %s%n", snapshot.tag(),
          snapshot.live(), snapshot.revertible(), snapshot.guestClock());
    }
    vm.snapshots().delete("before-upgrade");
    // end snippet
  }

  static void awaitSerialLine(Vm vm) {
    // snippet await-serial-line
    vm.start();
    String line = vm.awaitSerialLine(Pattern.compile("login:"), Duration.ofMinutes(2));
    // end snippet
  }

  static void awaitGuestPort(Vm vm) {
    // snippet await-guest-port
    int hostPort = vm.awaitGuestPort(22, Duration.ofMinutes(2));   // 2222 for sshPort(2222)
    // end snippet
  }

  static void awaitSsh(Vm vm) {
    // snippet await-ssh
    vm.start();
    int sshPort = vm.awaitSsh(Duration.ofMinutes(10));   // the host port of the SSH forward
    // end snippet
  }

  static void awaitEvent(Vm vm) {
    // snippet await-event
    VmEvent event = vm.awaitEvent("SHUTDOWN", Duration.ofMinutes(1));
    System.out.println(event.timestamp() + " " + event.dataJson());   // {"guest":true,...}
    // end snippet
  }

  static void ephemeral(Xray xray) {
    // snippet ephemeral
    VmSpec spec = VmSpec.builder("test-1").base("debian").memory(1024).build();
    try (EphemeralVm vm = xray.vms().createEphemeral(spec)) {
      vm.start();
      vm.awaitSerialLine(Pattern.compile("login:"), Duration.ofMinutes(2));
      // ... use the VM ...
    }                                      // killed and removed, also after an exception
    // end snippet
  }

  static void template(Xray xray) {
    // snippet template
    Pattern ready = Pattern.compile("login:");
    VmSpec spec = VmSpec.builder("warm").base("debian").memory(1024).build();
    try (VmTemplate template = xray.vms().createTemplate(spec,
        vm -> vm.awaitSerialLine(ready, Duration.ofMinutes(2)))) {
      for (int i = 1; i <= 3; i++) {
        try (EphemeralVm clone = template.startClone("warm-" + i)) {
          // runs from the moment the template was frozen, without booting
        }
      }
    }                                      // the template is removed after its clones
    // end snippet
  }

  static void console(Vm vm) {
    // snippet console
    try (SerialConsole console = vm.openConsole()) {      // one client at a time
      console.readUntil(Pattern.compile("login: $"), Duration.ofMinutes(2));
      console.send("root\n");
      String next = console.readLine(Duration.ofSeconds(10));
    }
    // end snippet
  }

  static void qmpEvents(Vm vm) throws QmpException {
    // snippet qmp-events
    Path events = vm.directory().resolve("events.sock");
    try (QmpClient qmp = QmpClient.connect(events);
        QmpSubscription stops = qmp.subscribe("STOP", (QmpEvent event) ->
            System.out.println("paused at " + event.timestamp()))) {
      qmp.awaitEvent("SHUTDOWN", null, Duration.ofMinutes(10));
    }
    // end snippet
  }

  static void errors(Xray xray, VmSpec spec) {
    // snippet errors
    try {
      Vm vm = xray.vms().create(spec);
      vm.start();
    } catch (AlreadyExistsException | NotFoundException e) {
      System.err.println(e.getMessage());  // names the VM or base, and what to do
    } catch (QemuException e) {
      e.logTail().forEach(System.err::println);           // QEMU's last log lines
    } catch (ImageException e) {
      System.err.println(e.command() + " exited with " + e.exitCode() + ": " + e.stderr());
    } catch (HostException | InvalidStateException | XrayTimeoutException e) {
      System.err.println(e.getMessage());
    } catch (XrayException e) {
      System.err.println("xray failed: " + e.getMessage());
    }
    // end snippet
  }
}
