/**
 * The xray command-line tool, whose main class is {@code dev.xray.cli.Main}. It exports no
 * packages.
 */
module dev.xray.cli {
  requires dev.xray.core;
  // The hidden __train command talks to xray-qmp's fake monitor.
  requires dev.xray.qmp;
  requires com.fasterxml.jackson.databind;
  requires info.picocli;
  // ForegroundSignals handles SIGINT and SIGTERM through sun.misc.Signal.
  requires jdk.unsupported;

  // picocli reads and sets the options of the command classes by reflection.
  opens dev.xray.cli to info.picocli;
}
