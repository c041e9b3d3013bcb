package dev.xray.cli;

import dev.xray.api.Vm;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray logs}: print a VM's serial console log or QEMU's log. */
@Command(name = "logs", mixinStandardHelpOptions = true,
    description = "Print what the VM's first serial port printed since its last start.")
final class LogsCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "the VM")
  String name;

  @Option(names = {"-f", "--follow"}, description = "keep printing new output until the VM "
      + "stops")
  boolean follow;

  @Option(names = "--qemu", description = "print QEMU's own log (qemu.log) instead")
  boolean qemu;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Vm vm = parent.xray().vms().get(name);
    Path log = vm.directory().resolve(qemu ? "qemu.log" : "serial.log");
    PrintWriter out = spec.commandLine().getOut();
    if (!Files.exists(log) && !follow) {
      out.printf("VM %s has no %s yet; it is written while the VM runs%n", name,
          log.getFileName());
      return 0;
    }
    long offset = 0;
    byte[] buffer = new byte[8192];
    do {
      if (Files.exists(log)) {
        try (RandomAccessFile in = new RandomAccessFile(log.toFile(), "r")) {
          if (in.length() < offset) {
            offset = 0;
          }
          in.seek(offset);
          int count;
          while ((count = in.read(buffer)) > 0) {
            out.print(new String(buffer, 0, count, StandardCharsets.UTF_8));
            offset += count;
          }
          out.flush();
        }
      }
      if (follow) {
        Thread.sleep(200);
      }
    } while (follow && vm.status().isAlive());
    return 0;
  }
}
