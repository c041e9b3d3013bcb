package dev.xray.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {
  static Stream<String> validNames() {
    return Stream.of("a", "Z", "7", "web", "Debian-12.5", "my_vm", "a-", "a.", "a_", "a..b",
        "0-0", "x".repeat(Names.MAX_LENGTH), "9" + "z".repeat(Names.MAX_LENGTH - 1));
  }

  static Stream<String> invalidNames() {
    return Stream.of("", ".", "..", "/", "a/b", "/a", "a/", "a b", " a", "a ", "\u00e9",
        "vm\u00e9", "\u65e5\u672c", "\uff41", "a\u0000", "a\n", "\tb", "a\u0007b", "a\u007f",
        "-a", ".hidden", "_a", "a,b", "a=b", "a:b", "a\\b", "a*", "a\"b", "a'b",
        "x".repeat(Names.MAX_LENGTH + 1));
  }

  @ParameterizedTest
  @MethodSource("validNames")
  void validVmNameIsReturned(String name) {
    assertThat(Names.checkVmName(name)).isEqualTo(name);
  }

  @ParameterizedTest
  @MethodSource("validNames")
  void validBaseNameIsReturned(String name) {
    assertThat(Names.checkBaseName(name)).isEqualTo(name);
  }

  @ParameterizedTest
  @MethodSource("validNames")
  void validNameIsValid(String name) {
    assertThat(Names.isValid(name)).isTrue();
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void invalidVmNameIsRejected(String name) {
    assertThatThrownBy(() -> Names.checkVmName(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("VM name");
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void invalidBaseNameIsRejected(String name) {
    assertThatThrownBy(() -> Names.checkBaseName(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base image name");
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void invalidSnapshotTagIsRejected(String tag) {
    assertThatThrownBy(() -> Names.checkSnapshotTag(tag))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("snapshot tag");
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void invalidNameIsNotValid(String name) {
    assertThat(Names.isValid(name)).isFalse();
  }

  @Test
  void nullIsRejectedEverywhere() {
    assertThatThrownBy(() -> Names.checkVmName(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> Names.checkBaseName(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> Names.checkSnapshotTag(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must not be empty");
    assertThat(Names.isValid(null)).isFalse();
  }

  @Test
  void emptyNameMessageStatesTheRule() {
    assertThatThrownBy(() -> Names.checkVmName(""))
        .hasMessageContaining("must not be empty")
        .hasMessageContaining("1 to 64");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1", "0", "42", "007", "1234567890"})
  void allDigitTagIsRejectedOnlyForSnapshots(String digits) {
    assertThat(Names.checkVmName(digits)).isEqualTo(digits);
    assertThat(Names.checkBaseName(digits)).isEqualTo(digits);
    assertThatThrownBy(() -> Names.checkSnapshotTag(digits))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("all-digit");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1a", "a1", "2024-01-01", "1.0", "0_", "clean"})
  void tagWithNonDigitIsAccepted(String tag) {
    assertThat(Names.checkSnapshotTag(tag)).isEqualTo(tag);
  }

  @Test
  void lengthLimitIs64Characters() {
    String longest = "a".repeat(64);

    assertThat(Names.checkVmName(longest)).isEqualTo(longest);
    assertThatThrownBy(() -> Names.checkVmName(longest + "a"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void messageQuotesTheInvalidName() {
    assertThatThrownBy(() -> Names.checkVmName("a b"))
        .hasMessageContaining("'a b'")
        .hasMessageContaining("letters, digits");
  }

  @Test
  void messageEscapesControlCharacters() {
    assertThatThrownBy(() -> Names.checkVmName("a\u001b[2Jb"))
        .hasMessageContaining("a\\u001b[2Jb")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\u001b"));
  }

  @Test
  void messageShortensVeryLongNames() {
    String huge = "b".repeat(10_000);

    assertThatThrownBy(() -> Names.checkVmName(huge))
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300))
        .hasMessageContaining("b".repeat(80))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("b".repeat(81)));
  }
}
