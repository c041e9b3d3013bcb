package dev.xray.api;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * A connection to a VM's first serial port. Not thread-safe: use it from one thread, and close it
 * so that other clients (such as {@code xray console}) can connect.
 */
public interface SerialConsole extends AutoCloseable {
  /**
   * Sends {@code text} as typed.
   *
   * @param text the characters to send; add {@code "\n"} to end a line
   */
  void send(String text);

  /**
   * Reads output until {@code pattern} is found in it and returns everything read up to and
   * including the match. Output after the match stays buffered for the next call.
   *
   * @param pattern the pattern to find
   * @param timeout how long to wait
   * @return the output read, up to and including the match
   * @throws XrayTimeoutException if the pattern does not appear in time; the message shows the
   *     output read so far
   */
  String readUntil(Pattern pattern, Duration timeout);

  /**
   * Reads the next line of output and returns it without its line end and without terminal
   * control sequences.
   *
   * @param timeout how long to wait
   * @return the line
   * @throws XrayTimeoutException if no complete line arrives in time
   */
  String readLine(Duration timeout);

  /**
   * Returns the raw bytes the guest prints, for programs that relay the console, such as
   * {@code xray console}. Do not mix it with {@link #readUntil} or {@link #readLine}, which
   * buffer what they read.
   *
   * @return the stream of the guest's output
   */
  java.io.InputStream inputStream();

  /**
   * Returns the raw stream of bytes typed into the guest's serial port.
   *
   * @return the stream of the guest's input
   */
  java.io.OutputStream outputStream();

  @Override
  void close();
}
