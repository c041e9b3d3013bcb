package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class MainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Test
  void subcommandsRegisteredByCommandName() {
    for (Map.Entry<String, Class<?>> entry : XrayCommand.SUBCOMMANDS.entrySet()) {
      Command command = entry.getValue().getAnnotation(Command.class);
      assertThat(command).as(entry.getValue().getName()).isNotNull();
      assertThat(command.name()).isEqualTo(entry.getKey());
    }
  }

  @Test
  void subcommandNameIsFirstNonOption() {
    assertThat(Main.subcommandName("list")).isEqualTo("list");
    assertThat(Main.subcommandName("-v", "snapshot", "list", "web")).isEqualTo("snapshot");
    assertThat(Main.subcommandName("--verbose", "--help")).isNull();
    assertThat(Main.subcommandName("--", "list")).isNull();
    assertThat(Main.subcommandName()).isNull();
  }

  @Test
  void knownSubcommandBuiltAlone() {
    CommandLine commandLine = newCommandLine("list");

    assertThat(commandLine.getSubcommands()).containsOnlyKeys("list");
  }

  @Test
  void unknownSubcommandBuildsAll() {
    assertThat(newCommandLine("lst").getSubcommands().keySet())
        .containsExactlyElementsOf(XrayCommand.SUBCOMMANDS.keySet());
    assertThat(newCommandLine(null).getSubcommands().keySet())
        .containsExactlyElementsOf(XrayCommand.SUBCOMMANDS.keySet());
  }

  @Test
  void usageHelpListsVisibleCommands() {
    CommandLine commandLine = newCommandLine(null);

    commandLine.usage(new PrintWriter(out));

    assertThat(out.toString()).contains("  base ", "  snapshot ", "  demo ")
        .doesNotContain("__complete");
  }

  @Test
  void addedSubcommandInheritsVerbose() {
    CommandLine commandLine = newCommandLine("list");

    int exitCode = commandLine.execute("list", "-v", "--no-such-option");

    assertThat(exitCode).isEqualTo(ErrorHandler.USAGE);
    assertThat(err.toString()).contains("--no-such-option");
    assertThat(commandLine.getSubcommands().get("list").getCommandSpec()
        .findOption("--verbose")).isNotNull();
  }

  private CommandLine newCommandLine(String name) {
    return Main.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true), false,
        name);
  }
}
