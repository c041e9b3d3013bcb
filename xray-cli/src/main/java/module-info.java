/** The xray command-line tool; {@code dev.xray.cli.Main} is its main class. It exports nothing. */
module dev.xray.cli {
  requires dev.xray.core;
  requires com.fasterxml.jackson.databind;
  requires info.picocli;
  // ForegroundSignals handles SIGINT and SIGTERM through sun.misc.Signal.
  requires jdk.unsupported;

  // picocli reads and sets the options of the command classes by reflection.
  opens dev.xray.cli to info.picocli;
}
