package dev.xray.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Names;
import org.junit.jupiter.api.Test;

class VmNamesTest {
  @Test
  void shortNameIsJoinedWithDots() {
    assertThat(VmNames.derive("GuestTest", "boots", "vm")).isEqualTo("GuestTest.boots.vm");
  }

  @Test
  void invalidCharactersBecomeDashes() {
    assertThat(VmNames.derive("Outer$Inner", "test(int)", "vm"))
        .isEqualTo("Outer-Inner.test-int-.vm");
  }

  @Test
  void nameStartingWithPunctuationGetsPrefix() {
    String name = VmNames.derive("_hidden", "vm");

    assertThat(name).isEqualTo("vm_hidden.vm");
    assertThat(Names.isValid(name)).isTrue();
  }

  @Test
  void longNamesAreCutWithHash() {
    String first = VmNames.derive("AVeryLongTestClassNameForVirtualMachines",
        "aVeryLongTestMethodName", "firstField");
    String second = VmNames.derive("AVeryLongTestClassNameForVirtualMachines",
        "aVeryLongTestMethodName", "secondField");

    assertThat(first).hasSizeLessThanOrEqualTo(VmNames.MAX_LENGTH - 4);
    assertThat(second).hasSizeLessThanOrEqualTo(VmNames.MAX_LENGTH - 4);
    assertThat(first).startsWith("AVeryLongTestClassName");
    assertThat(first).isNotEqualTo(second);
    assertThat(Names.isValid(first)).isTrue();
  }

  @Test
  void candidatesCountFromTwo() {
    assertThat(VmNames.candidate("vm", 0)).isEqualTo("vm");
    assertThat(VmNames.candidate("vm", 1)).isEqualTo("vm-2");
    assertThat(VmNames.candidate("vm", 99)).isEqualTo("vm-100");
  }

  @Test
  void candidateOfLongestNameStaysValid() {
    String longest = VmNames.derive("x".repeat(100));

    assertThat(VmNames.candidate(longest, 99)).hasSizeLessThanOrEqualTo(VmNames.MAX_LENGTH);
    assertThat(Names.isValid(VmNames.candidate(longest, 99))).isTrue();
  }
}
