package dev.xray.junit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SerialTailTest {
  @TempDir
  Path vmDirectory;

  @Test
  void keepsLastFortyLines() throws IOException {
    String log = IntStream.rangeClosed(1, 100).mapToObj(i -> "line " + i)
        .collect(Collectors.joining("\r\n", "", "\r\n"));
    Files.writeString(vmDirectory.resolve("serial.log"), log);

    SerialTail tail = SerialTail.read("vm", vmDirectory);

    assertThat(tail.text().lines()).hasSize(SerialTail.LINES);
    assertThat(tail.text()).startsWith("line 61\n").endsWith("line 100");
    assertThat(tail.getMessage()).startsWith("serial console of VM 'vm', last lines of "
        + vmDirectory.resolve("serial.log") + ":\nline 61");
    assertThat(tail.getStackTrace()).isEmpty();
  }

  @Test
  void removesTerminalControlSequencesAndBlankLines() throws IOException {
    Files.writeString(vmDirectory.resolve("serial.log"),
        "\u001b[2J\u001b[01;01HBdsDxe: loading\r\n\r\n\u001b[=3hGUEST-READY\r\n");

    assertThat(SerialTail.read("vm", vmDirectory).text())
        .isEqualTo("BdsDxe: loading\nGUEST-READY");
  }

  @Test
  void readsOnlyEndOfLargeLog() throws IOException {
    StringBuilder log = new StringBuilder();
    while (log.length() < 200_000) {
      log.append("x".repeat(99)).append('\n');
    }
    log.append("last line\n");
    Files.writeString(vmDirectory.resolve("serial.log"), log);

    String text = SerialTail.read("vm", vmDirectory).text();

    assertThat(text.lines()).hasSize(SerialTail.LINES);
    assertThat(text.lines()).allMatch(line -> line.equals("x".repeat(99))
        || line.equals("last line"));
    assertThat(text).endsWith("last line");
  }

  @Test
  void missingLogSaysVmNeverStarted() {
    assertThat(SerialTail.read("vm", vmDirectory).text())
        .isEqualTo("(no serial.log: the VM never started)");
  }

  @Test
  void emptyLogSaysSo() throws IOException {
    Files.writeString(vmDirectory.resolve("serial.log"), "");

    assertThat(SerialTail.read("vm", vmDirectory).text()).isEqualTo("(serial.log is empty)");
  }
}
