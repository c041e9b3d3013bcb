package dev.xray.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.XrayException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray list}: every VM with its status and resources. */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "List VMs: name, status, base, memory, vCPUs and SSH port.")
final class ListCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Option(names = "--json", description = "print JSON instead of a table")
  boolean json;

  /** One row of the listing; a VM whose config is unreadable still gets a row. */
  private record Row(String name, String status, VmSpec spec, String error) {}

  @Override
  public Integer call() {
    List<Row> rows = parent.xray().vms().list().stream().map(ListCommand::describe).toList();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ArrayNode array = Output.Json.MAPPER.createArrayNode();
      for (Row row : rows) {
        ObjectNode node = array.addObject();
        node.put("name", row.name());
        node.put("status", row.status());
        if (row.spec() != null) {
          node.put("base", row.spec().base());
          node.put("memory_mib", row.spec().memoryMiB());
          node.put("cpus", row.spec().cpus());
          if (row.spec().sshPort().isPresent()) {
            node.put("ssh_port", row.spec().sshPort().getAsInt());
          } else {
            node.putNull("ssh_port");
          }
        }
        if (row.error() != null) {
          node.put("error", row.error());
        }
      }
      Output.json(out, array);
      return 0;
    }
    if (rows.isEmpty()) {
      out.println("No VMs. Create one with 'xray create NAME --base BASE'.");
      return 0;
    }
    List<List<String>> table = Output.newTable("NAME", "STATUS", "BASE", "MEMORY", "CPUS", "SSH");
    for (Row row : rows) {
      if (row.spec() == null) {
        table.add(List.of(row.name(), row.status(), "?", "?", "?", row.error()));
        continue;
      }
      table.add(List.of(row.name(), row.status(), row.spec().base(),
          row.spec().memoryMiB() + " MiB", Integer.toString(row.spec().cpus()),
          row.spec().sshPort().isPresent() ? "127.0.0.1:" + row.spec().sshPort().getAsInt()
              : "-"));
    }
    Output.table(out, table);
    return 0;
  }

  private static Row describe(Vm vm) {
    try {
      VmSpec vmSpec = vm.spec();
      VmStatus status = vm.status();
      return new Row(vm.name(), status.label(), vmSpec, null);
    } catch (XrayException e) {
      return new Row(vm.name(), "damaged", null, e.getMessage());
    }
  }
}
