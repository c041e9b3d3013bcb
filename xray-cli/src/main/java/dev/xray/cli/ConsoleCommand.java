package dev.xray.cli;

import dev.xray.api.SerialConsole;
import dev.xray.api.Vm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code xray console}: attach the terminal to the guest's first serial port. Ctrl+] detaches,
 * as in telnet and virsh; the VM keeps running.
 */
@Command(name = "console", mixinStandardHelpOptions = true,
    description = {"Attach to the VM's serial console. Press Ctrl+] to detach; the VM keeps "
        + "running.", "Only one client can be attached at a time."})
final class ConsoleCommand implements Callable<Integer> {
  /** The byte Ctrl+] sends. */
  static final int DETACH = 0x1d;

  @ParentCommand
  XrayCommand parent;

  @Parameters(paramLabel = "NAME", description = "the VM")
  String name;

  @Override
  public Integer call() throws Exception {
    Vm vm = parent.xray().vms().get(name);
    try (SerialConsole console = vm.openConsole()) {
      boolean raw = Terminal.isInteractive() && setRawMode(true);
      System.err.printf("Connected to the serial console of VM %s. Press Ctrl+] to detach.%s",
          name, raw ? "\r\n" : "\n");
      try {
        relay(console, System.in, System.out);
      } finally {
        if (raw) {
          setRawMode(false);
        }
      }
      System.err.printf("%nDetached from VM %s%n", name);
    }
    return 0;
  }

  /** Copies guest output to {@code out} and {@code in} to the guest until Ctrl+] or EOF. */
  static void relay(SerialConsole console, InputStream in, PrintStream out)
      throws InterruptedException {
    Thread guestToTerminal = new Thread(() -> {
      byte[] buffer = new byte[8192];
      try {
        InputStream guest = console.inputStream();
        int count;
        while ((count = guest.read(buffer)) > 0) {
          out.write(buffer, 0, count);
          out.flush();
        }
      } catch (IOException e) {
        // The console closed because we detached or the VM stopped.
      }
    }, "xray-console-output");
    guestToTerminal.setDaemon(true);
    guestToTerminal.start();
    try {
      OutputStream guest = console.outputStream();
      int key;
      while ((key = in.read()) >= 0 && key != DETACH && guestToTerminal.isAlive()) {
        guest.write(key);
        guest.flush();
      }
    } catch (IOException e) {
      // The VM stopped; nothing more can be typed.
    }
    console.close();
    guestToTerminal.join(1000);
  }

  /** Switches the controlling terminal to raw mode and back, with stty. */
  private static boolean setRawMode(boolean raw) {
    List<String> args = raw ? List.of("stty", "raw", "-echo") : List.of("stty", "sane");
    try {
      Process process = new ProcessBuilder(args).redirectInput(ProcessBuilder.Redirect.INHERIT)
          .start();
      return process.waitFor(5, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
