package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class QmpOptionsTest {

  @Test
  void defaultsMatchDocumentedValues() {
    QmpOptions options = QmpOptions.defaults();

    assertThat(options.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(options.commandTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(options.enableOob()).isFalse();
    assertThat(options.loggerName()).isEmpty();
  }

  @Test
  void toBuilderCopiesEveryOption() {
    QmpOptions options =
        QmpOptions.builder()
            .connectTimeout(Duration.ofSeconds(1))
            .commandTimeout(Duration.ofSeconds(2))
            .enableOob(true)
            .loggerName("vm1")
            .build();

    QmpOptions copy = options.toBuilder().build();

    assertThat(copy.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(copy.commandTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(copy.enableOob()).isTrue();
    assertThat(copy.loggerName()).contains("vm1");
  }

  @Test
  void nonPositiveTimeoutIsRejected() {
    assertThatThrownBy(() -> QmpOptions.builder().commandTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("commandTimeout must be positive: PT0S");
    assertThatThrownBy(() -> QmpOptions.builder().connectTimeout(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("connectTimeout must be positive: PT-1S");
  }

  @Test
  void blankLoggerNameIsRejected() {
    assertThatThrownBy(() -> QmpOptions.builder().loggerName(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("loggerName must not be blank");
  }

  @Test
  void durationsAreDescribedInReadableUnits() {
    assertThat(Deadline.describe(Duration.ofMillis(200))).isEqualTo("200 ms");
    assertThat(Deadline.describe(Duration.ofSeconds(5))).isEqualTo("5 s");
    assertThat(Deadline.describe(Duration.ofMillis(1500))).isEqualTo("1.5 s");
  }
}
