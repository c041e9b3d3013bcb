package dev.xray.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.api.SnapshotInfo;
import dev.xray.api.Vm;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray snapshot}: create, list, revert and delete snapshots. */
@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = {"Manage snapshots: live ones of running VMs, disk-only ones of stopped VMs.",
        "A live snapshot contains the memory, so reverting to it resumes the guest where it",
        "was. A snapshot of a stopped VM contains its disks only."},
    subcommands = {SnapshotCommand.Create.class, SnapshotCommand.ListSnapshots.class,
        SnapshotCommand.Revert.class, SnapshotCommand.Delete.class})
final class SnapshotCommand implements Runnable {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  Vm vm(String name) {
    return parent.xray().vms().get(name);
  }

  static void printSnapshots(PrintWriter out, List<SnapshotInfo> snapshots) {
    if (snapshots.isEmpty()) {
      out.println("No snapshots.");
      return;
    }
    List<List<String>> rows = Output.newTable("TAG", "DATE", "RAM STATE", "GUEST CLOCK", "KIND",
        "REVERTIBLE");
    for (SnapshotInfo snapshot : snapshots) {
      rows.add(List.of(snapshot.tag(), Output.localTime(snapshot.created()),
          Output.bytes(snapshot.vmStateSize()), Output.clock(snapshot.guestClock()),
          snapshot.live() ? "live" : "disk-only",
          snapshot.revertible() ? "yes" : "no (stop the VM first)"));
    }
    Output.table(out, rows);
  }

  static ArrayNode toJson(List<SnapshotInfo> snapshots) {
    ArrayNode array = Output.Json.MAPPER.createArrayNode();
    for (SnapshotInfo snapshot : snapshots) {
      ObjectNode node = array.addObject();
      node.put("tag", snapshot.tag());
      node.put("created", snapshot.created().toString());
      node.put("vm_state_size", snapshot.vmStateSize());
      node.put("guest_clock_ms", snapshot.guestClock().toMillis());
      node.put("live", snapshot.live());
      node.put("revertible", snapshot.revertible());
    }
    return array;
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Take a snapshot: live (with memory) if the VM runs, disk-only if stopped.")
  static final class Create implements Callable<Integer> {
    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "the VM")
    String name;

    @Parameters(index = "1", paramLabel = "TAG", description = "the snapshot's name")
    String tag;

    @Option(names = "--force", description = "replace an existing snapshot of the same tag")
    boolean force;

    @Override
    public Integer call() {
      long startNanos = System.nanoTime();
      Vm vm = snapshot.vm(name);
      String label = vm.status().isAlive()
          ? "Saving the RAM state of VM " + name + " (up to " + vm.spec().memoryMiB() + " MiB)"
          : "Taking disk-only snapshot of VM " + name;
      SnapshotInfo info = ProgressBar.whileRunning(label,
          progress -> vm.snapshots().create(tag, force, progress));
      spec.commandLine().getOut().printf("Took %s snapshot %s of VM %s in %s%n",
          info.live() ? "live" : "disk-only", tag, name,
          Output.seconds(System.nanoTime() - startNanos));
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "List a VM's snapshots.")
  static final class ListSnapshots implements Callable<Integer> {
    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "the VM")
    String name;

    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Override
    public Integer call() {
      List<SnapshotInfo> snapshots = snapshot.vm(name).snapshots().list();
      if (json) {
        Output.json(spec.commandLine().getOut(), toJson(snapshots));
      } else {
        printSnapshots(spec.commandLine().getOut(), snapshots);
      }
      return 0;
    }
  }

  @Command(name = "revert", mixinStandardHelpOptions = true,
      description = "Revert a VM to a snapshot.")
  static final class Revert implements Callable<Integer> {
    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "the VM")
    String name;

    @Parameters(index = "1", paramLabel = "TAG", description = "the snapshot")
    String tag;

    @Override
    public Integer call() {
      long startNanos = System.nanoTime();
      Vm vm = snapshot.vm(name);
      boolean running = vm.status().isAlive();
      ProgressBar.whileRunning("Reverting VM " + name + " to snapshot " + tag, progress -> {
        vm.snapshots().revert(tag, progress);
        return null;
      });
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Reverted VM %s to snapshot %s in %s%n", name, tag,
          Output.seconds(System.nanoTime() - startNanos));
      if (!running && vm.snapshots().list().stream()
          .anyMatch(s -> s.tag().equals(tag) && s.live())) {
        out.printf("The next 'xray start %s' resumes the guest where the snapshot was taken.%n",
            name);
      }
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete a snapshot.")
  static final class Delete implements Callable<Integer> {
    @ParentCommand
    SnapshotCommand snapshot;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "the VM")
    String name;

    @Parameters(index = "1", paramLabel = "TAG", description = "the snapshot")
    String tag;

    @Override
    public Integer call() {
      snapshot.vm(name).snapshots().delete(tag);
      spec.commandLine().getOut().printf("Deleted snapshot %s of VM %s%n", tag, name);
      return 0;
    }
  }
}
