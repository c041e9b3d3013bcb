package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

class RequiresQemuConditionTest {

  @Test
  void enabledWhenBothProgramsAreOnPath() {
    ConditionEvaluationResult result = RequiresQemuCondition.evaluate(Map.of(), program -> true);

    assertThat(result.isDisabled()).isFalse();
  }

  @Test
  void skippedWithReasonWhenProgramIsMissing() {
    ConditionEvaluationResult result =
        RequiresQemuCondition.evaluate(Map.of(), program -> program.equals("qemu-img"));

    assertThat(result.isDisabled()).isTrue();
    assertThat(result.getReason()).contains("qemu-system-x86_64 not found on PATH");
  }

  @Test
  void failsWhenMissingOnCi() {
    assertThatThrownBy(() -> RequiresQemuCondition.evaluate(Map.of("CI", "true"), p -> false))
        .isInstanceOf(ExtensionConfigurationException.class)
        .hasMessageContaining("qemu-system-x86_64 and qemu-img not found on PATH")
        .hasMessageContaining("CI=true or XRAY_REQUIRE_QEMU=1");
  }

  @Test
  void failsWhenMissingAndRequiredExplicitly() {
    Map<String, String> environment = Map.of("XRAY_REQUIRE_QEMU", "1", "CI", "false");

    assertThatThrownBy(() -> RequiresQemuCondition.evaluate(environment, p -> false))
        .isInstanceOf(ExtensionConfigurationException.class);
  }

  @Test
  void skippedWhenCiIsNotTrue() {
    Map<String, String> environment = Map.of("CI", "1", "XRAY_REQUIRE_QEMU", "0");

    assertThat(RequiresQemuCondition.evaluate(environment, p -> false).isDisabled()).isTrue();
  }
}
