package dev.xray.examples;

import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.Xray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Creates a VM from a qcow2 image, starts it, takes a live snapshot, lists the snapshots, and
 * removes everything again. Usage: {@code CreateAndSnapshot IMAGE.qcow2 [HOME]}; without HOME it
 * works in a temporary home folder.
 */
public final class CreateAndSnapshot {
  private CreateAndSnapshot() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: CreateAndSnapshot IMAGE.qcow2 [HOME]");
      System.exit(2);
    }
    Path home = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("xray-example-");
    Xray xray = Xray.open(home);
    xray.bases().importImage(Path.of(args[0]), "example", true);
    Vm vm = xray.vms().create(VmSpec.builder("example").base("example").memory(256).cpus(1)
        .build());
    try {
      vm.start();
      SnapshotInfo snapshot = vm.snapshots().create("started");
      System.out.printf("took snapshot %s with %d bytes of RAM state%n", snapshot.tag(),
          snapshot.vmStateSize());
      for (SnapshotInfo each : vm.snapshots().list()) {
        System.out.printf("  %s live=%s%n", each.tag(), each.live());
      }
      vm.stop(Duration.ofSeconds(30));
    } finally {
      vm.kill();
      vm.remove();
      xray.bases().remove("example");
    }
  }
}
