package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SerialLogTest {
  private static final String ESC = "\u001b";

  @TempDir
  Path folder;

  private Path log() {
    return folder.resolve("serial.log");
  }

  private void append(String text) throws IOException {
    append(text.getBytes(StandardCharsets.UTF_8));
  }

  private void append(byte[] bytes) throws IOException {
    Files.write(log(), bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "colour|<ESC>[0;32mOK<ESC>[0m|OK",
      "bold colour|<ESC>[0;1;31mFAILED<ESC>[0m unit|FAILED unit",
      "clear screen and home|<ESC>[2J<ESC>[01;01Hboot|boot",
      "erase line|<ESC>[2Kline|line",
      "hide cursor|<ESC>[?25lquiet<ESC>[?25h|quiet",
      "character set|<ESC>(Btext<ESC>)0|text",
      "edk2 set mode|<ESC>[=3hBdsDxe: loading|BdsDxe: loading",
      "function key|a<ESC>[2~b|ab",
      "carriage return|progress 50%<CR>|progress 50%",
      "brackets without escape|[  OK  ] Started|[  OK  ] Started"})
  void cleanRemovesTerminalSequences(String label, String raw, String expected) {
    String line = raw.replace("<ESC>", ESC).replace("<CR>", "\r");

    assertThat(SerialLog.clean(line)).isEqualTo(expected);
  }

  @Test
  void missingFileGivesNoLines() throws IOException {
    SerialLog serial = new SerialLog(log());

    assertThat(serial.readNewLines()).isEmpty();
    assertThat(serial.pendingText()).isEmpty();
  }

  @Test
  void readsLinesAddedSinceLastCall() throws IOException {
    SerialLog serial = new SerialLog(log());
    append("one\ntwo\n");

    assertThat(serial.readNewLines()).containsExactly("one", "two");
    assertThat(serial.readNewLines()).isEmpty();

    append("three\n");
    assertThat(serial.readNewLines()).containsExactly("three");
  }

  @Test
  void fileCreatedAfterFirstReadIsFound() throws IOException {
    SerialLog serial = new SerialLog(log());
    assertThat(serial.readNewLines()).isEmpty();

    append("late\n");

    assertThat(serial.readNewLines()).containsExactly("late");
  }

  @Test
  void lineSplitAcrossReadsIsJoined() throws IOException {
    SerialLog serial = new SerialLog(log());

    append("hel");
    assertThat(serial.readNewLines()).isEmpty();
    assertThat(serial.pendingText()).isEqualTo("hel");

    append("lo\nwor");
    assertThat(serial.readNewLines()).containsExactly("hello");
    assertThat(serial.pendingText()).isEqualTo("wor");

    append("ld\n");
    assertThat(serial.readNewLines()).containsExactly("world");
    assertThat(serial.pendingText()).isEmpty();
  }

  @Test
  void escapeSplitAcrossReadsIsRemoved() throws IOException {
    SerialLog serial = new SerialLog(log());

    append("a" + ESC + "[0;3");
    assertThat(serial.readNewLines()).isEmpty();

    append("2mb\n");
    assertThat(serial.readNewLines()).containsExactly("ab");
  }

  @Test
  void characterSplitAcrossReadsIsDecoded() throws IOException {
    SerialLog serial = new SerialLog(log());
    byte[] text = "caf\u00e9 \u2713\n".getBytes(StandardCharsets.UTF_8);

    List<String> lines = new ArrayList<>();
    for (byte b : text) {
      append(new byte[] {b});
      lines.addAll(serial.readNewLines());
    }

    assertThat(lines).containsExactly("caf\u00e9 \u2713");
  }

  @Test
  void crlfLinesLoseTheCarriageReturn() throws IOException {
    SerialLog serial = new SerialLog(log());
    append("one\r\ntwo\r\n");

    assertThat(serial.readNewLines()).containsExactly("one", "two");
  }

  @Test
  void promptWithoutNewlineIsPending() throws IOException {
    SerialLog serial = new SerialLog(log());
    append("login ok\n" + ESC + "[1mroot@guest:~#" + ESC + "[0m ");

    assertThat(serial.readNewLines()).containsExactly("login ok");
    assertThat(serial.pendingText()).isEqualTo("root@guest:~# ");
  }

  @Test
  void shorterFileStartsOver() throws IOException {
    SerialLog serial = new SerialLog(log());
    append("first run, line one\nfirst run, line two\n");
    assertThat(serial.readNewLines()).hasSize(2);

    Files.writeString(log(), "second\n");

    assertThat(serial.readNewLines()).containsExactly("second");
  }

  @Test
  void shorterFileDropsPendingText() throws IOException {
    SerialLog serial = new SerialLog(log());
    append("a long line from the first run without newline");
    assertThat(serial.readNewLines()).isEmpty();

    Files.writeString(log(), "new\n");

    assertThat(serial.readNewLines()).containsExactly("new");
    assertThat(serial.pendingText()).isEmpty();
  }

  @Test
  void emptiedFileStartsOver() throws IOException {
    SerialLog serial = new SerialLog(log());
    append("old\n");
    assertThat(serial.readNewLines()).containsExactly("old");

    Files.writeString(log(), "");
    assertThat(serial.readNewLines()).isEmpty();

    append("fresh\n");
    assertThat(serial.readNewLines()).containsExactly("fresh");
  }

  @Test
  void largeOutputIsReadInChunks() throws IOException {
    SerialLog serial = new SerialLog(log());
    StringBuilder text = new StringBuilder();
    int count = 30_000;
    for (int i = 0; i < count; i++) {
      text.append(String.format("line %05d of the boot log, padded to sixty bytes......%n", i));
    }
    append(text.toString());

    List<String> lines = new ArrayList<>();
    int calls = 0;
    List<String> batch;
    while (!(batch = serial.readNewLines()).isEmpty()) {
      lines.addAll(batch);
      calls++;
    }

    assertThat(calls).isGreaterThan(1);
    assertThat(lines).hasSize(count);
    assertThat(lines.get(0)).startsWith("line 00000");
    assertThat(lines.get(count - 1)).startsWith("line 29999");
  }

  @Test
  void tailOfMissingFileIsEmpty() {
    assertThat(SerialLog.tail(log(), 5)).isEmpty();
  }

  @Test
  void tailReturnsLastLinesCleaned() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= 10; i++) {
      text.append(ESC).append("[0;32m").append("line ").append(i).append(ESC).append("[0m\r\n");
    }
    append(text.toString());

    assertThat(SerialLog.tail(log(), 3)).containsExactly("line 8", "line 9", "line 10");
  }

  @Test
  void tailSkipsBlankLines() throws IOException {
    append("a\n\n   \n" + ESC + "[2J\nb\n\n");

    assertThat(SerialLog.tail(log(), 5)).containsExactly("a", "b");
  }

  @Test
  void tailIncludesTextAfterLastNewline() throws IOException {
    append("a\nb\nprompt$ ");

    assertThat(SerialLog.tail(log(), 2)).containsExactly("b", "prompt$ ");
  }

  @Test
  void tailOfZeroLinesIsEmpty() throws IOException {
    append("a\nb\n");

    assertThat(SerialLog.tail(log(), 0)).isEmpty();
  }

  @Test
  void tailOfLargeFileDropsPartialLine() throws IOException {
    append("x".repeat(100_000) + "\nlast but one\nlast\n");

    assertThat(SerialLog.tail(log(), 10)).containsExactly("last but one", "last");
  }

  @Test
  void tailOfLargeFileGivesWholeLines() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 5000; i++) {
      text.append("line ").append(i).append(" ").append("-".repeat(40)).append('\n');
    }
    append(text.toString());

    List<String> tail = SerialLog.tail(log(), 10_000);

    assertThat(tail).isNotEmpty();
    assertThat(tail.get(tail.size() - 1)).startsWith("line 4999 ");
    for (String line : tail) {
      assertThat(line).matches("line \\d+ -{40}");
    }
  }
}
