package dev.xray.qmp.testing;

import java.io.IOException;

/**
 * One step of a {@link CommandScript}, run on the fake server's thread when a matching command
 * arrives. Use it for behaviour the script's built-in steps do not cover:
 *
 * <pre>{@code
 * server.onCommand("query-jobs").then(exchange ->
 *     exchange.reply(exchange.mapper().readTree("[]")));
 * }</pre>
 */
@FunctionalInterface
public interface FakeQmpAction {

  /**
   * Runs the step.
   *
   * @param exchange the command being handled, and methods to write to the client
   * @throws IOException if writing to the client fails; the server then drops the connection
   * @throws InterruptedException if the server is closed while the step waits
   */
  void run(FakeQmpExchange exchange) throws IOException, InterruptedException;
}
