package dev.xray.qmp;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Settings for one QMP connection. Instances are immutable; make them with {@link #builder()}.
 *
 * <pre>{@code
 * QmpOptions options = QmpOptions.builder()
 *     .connectTimeout(Duration.ofSeconds(2))
 *     .commandTimeout(Duration.ofSeconds(10))
 *     .loggerName("vm1")
 *     .build();
 * }</pre>
 *
 * <h2>Timeouts</h2>
 *
 * The connect timeout bounds all of {@link QmpClient#connect(java.nio.file.Path, QmpOptions)}:
 * opening the socket, waiting for the greeting and negotiating capabilities. It has to cover the
 * greeting because a QMP socket serves one client at a time: a second client is accepted but
 * gets no greeting until the first one disconnects. The command timeout is the default for each
 * call that takes no explicit timeout. Neither is a deadline for a longer task, such as booting
 * a VM, which needs its own limit.
 */
public final class QmpOptions {

  /** Default for {@link #connectTimeout()}: 5 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Default for {@link #commandTimeout()}: 30 seconds. */
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

  private static final QmpOptions DEFAULTS = builder().build();

  private final Duration connectTimeout;
  private final Duration commandTimeout;
  private final boolean enableOob;
  private final String loggerName;

  private QmpOptions(Builder builder) {
    this.connectTimeout = builder.connectTimeout;
    this.commandTimeout = builder.commandTimeout;
    this.enableOob = builder.enableOob;
    this.loggerName = builder.loggerName;
  }

  /**
   * Returns the default options: 5 s to connect, 30 s per command, no out-of-band execution and
   * the shared loggers.
   *
   * @return the default options
   */
  public static QmpOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Returns a builder that starts from the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder that starts from these options.
   *
   * @return a new builder with this instance's settings
   */
  public Builder toBuilder() {
    return new Builder()
        .connectTimeout(connectTimeout)
        .commandTimeout(commandTimeout)
        .enableOob(enableOob)
        .loggerName(loggerName);
  }

  /**
   * Returns the maximum time to open the socket, read the greeting and negotiate capabilities.
   *
   * @return the connect timeout; default 5 s
   */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /**
   * Returns the maximum time a call waits for its reply when no timeout is passed to it.
   *
   * @return the command timeout; default 30 s
   */
  public Duration commandTimeout() {
    return commandTimeout;
  }

  /**
   * Returns whether the client asks the server to enable the {@code oob} capability
   * (out-of-band execution).
   *
   * @return {@code true} to enable it; default {@code false}
   */
  public boolean enableOob() {
    return enableOob;
  }

  /**
   * Returns the suffix for this connection's logger names. With a suffix {@code vm1}, the client
   * logs to {@code dev.xray.qmp.vm1} and {@code dev.xray.qmp.wire.vm1}, so one connection's log
   * lines can be filtered from the others. The suffix also names the client's threads.
   *
   * @return the suffix, or empty to log to {@code dev.xray.qmp} and {@code dev.xray.qmp.wire}
   */
  public Optional<String> loggerName() {
    return Optional.ofNullable(loggerName);
  }

  @Override
  public String toString() {
    return "QmpOptions{connectTimeout="
        + connectTimeout
        + ", commandTimeout="
        + commandTimeout
        + ", enableOob="
        + enableOob
        + ", loggerName="
        + loggerName
        + "}";
  }

  /** Builder for {@link QmpOptions}. Setters return the builder; {@link #build()} ends it. */
  public static final class Builder {

    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
    private boolean enableOob;
    private String loggerName;

    private Builder() {}

    /**
     * Sets the maximum time to connect, read the greeting and negotiate capabilities.
     *
     * @param timeout a positive duration; default 5 s
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = requirePositive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Sets the maximum time a call waits for its reply when no timeout is passed to it.
     *
     * @param timeout a positive duration; default 30 s
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder commandTimeout(Duration timeout) {
      this.commandTimeout = requirePositive(timeout, "commandTimeout");
      return this;
    }

    /**
     * Sets whether to enable the {@code oob} capability during negotiation. If it is enabled
     * and the server does not offer it, connecting fails with {@link QmpConnectException}.
     *
     * @param enable {@code true} to enable out-of-band execution; default {@code false}
     * @return this builder
     */
    public Builder enableOob(boolean enable) {
      this.enableOob = enable;
      return this;
    }

    /**
     * Sets the suffix for this connection's logger and thread names.
     *
     * @param name a non-blank suffix such as a VM name, or {@code null} for none
     * @return this builder
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Builder loggerName(String name) {
      if (name != null && name.isBlank()) {
        throw new IllegalArgumentException("loggerName must not be blank: \"" + name + "\"");
      }
      this.loggerName = name;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return immutable options with this builder's settings
     */
    public QmpOptions build() {
      return new QmpOptions(this);
    }

    private static Duration requirePositive(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isZero() || timeout.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive: " + timeout);
      }
      return timeout;
    }
  }
}
