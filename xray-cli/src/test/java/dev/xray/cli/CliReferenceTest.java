package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

class CliReferenceTest {
  private static CommandLine xray() {
    StringWriter sink = new StringWriter();
    return Main.newCommandLine(new PrintWriter(sink), new PrintWriter(sink), false);
  }

  /**
   * Fails when docs/cli.md differs from what the command tree renders. With
   * -Dxray.cli.regenerate=true it rewrites the file first, so the check then passes.
   */
  @Test
  void documentIsCurrent() throws IOException {
    String rendered = CliReference.render(xray());
    Path file = CliReference.documentFile();
    if (Boolean.getBoolean(CliReference.REGENERATE_PROPERTY)) {
      Files.writeString(file, rendered, StandardCharsets.UTF_8);
    }
    assertThat(file).as("%s is missing; create it with: %s", file,
        CliReference.REGENERATE_COMMAND).exists();
    assertThat(Files.readString(file, StandardCharsets.UTF_8))
        .as("%s is out of date with the xray command's options; regenerate it from the project "
            + "folder with: %s", file, CliReference.REGENERATE_COMMAND)
        .isEqualTo(rendered);
  }

  @Test
  void everyVisibleCommandHasSection() {
    String rendered = CliReference.render(xray());
    assertThat(rendered).contains("\n## xray\n");
    for (String command : new String[] {"base import", "base list", "base remove", "create",
        "start", "stop", "list", "info", "snapshot create", "snapshot list", "snapshot revert",
        "snapshot delete", "remove", "console", "logs", "ssh", "completion", "demo"}) {
      assertThat(rendered).as("section of xray %s", command)
          .contains("\n## xray " + command + "\n");
    }
  }

  @Test
  void hiddenCommandIsLeftOut() {
    assertThat(CliReference.render(xray())).doesNotContain("__complete");
  }

  @Test
  void everyOptionOfCreateIsListed() {
    CommandLine create = xray().getSubcommands().get("create");
    String rendered = CliReference.render(xray());
    String section = rendered.substring(rendered.indexOf("\n## xray create\n"),
        rendered.indexOf("\n## ", rendered.indexOf("\n## xray create\n") + 1));
    for (OptionSpec option : create.getCommandSpec().options()) {
      assertThat(section).as("option %s", option.longestName())
          .contains("`" + option.shortestName());
    }
    assertThat(section).contains("| `--memory=MiB` | `2048` | guest memory in MiB (default: "
        + "2048) |");
    assertThat(section).contains("Also takes `-h`, `-V`, `-v`, as described under [xray](#xray).");
  }

  @Test
  void requiredOptionIsMarked() {
    assertThat(CliReference.render(xray())).contains("| `--name=NAME` | required | name of the "
        + "new base |");
  }

  @Command(name = "sample", description = {"Does a sample thing.", "", "  sample --pipe 'a|b'",
      "", "Second paragraph,", "continued."}, footer = "Footer text.")
  static final class Sample implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "1..*", description = "input files")
    String[] files;

    @Option(names = {"-p", "--pipe"}, paramLabel = "TEXT", defaultValue = "x|y",
        description = "a value with a | in it (default: ${DEFAULT-VALUE})")
    String pipe;

    @Option(names = "--flag", description = "a switch")
    boolean flag;

    @Option(names = "--secret", hidden = true, description = "not for users")
    boolean secret;

    @Override
    public Integer call() {
      return 0;
    }
  }

  @Test
  void sampleCommandRendersEveryPart() {
    String rendered = CliReference.render(new CommandLine(new Sample()));
    assertThat(rendered).contains("| [`sample`](#sample) | Does a sample thing. |");
    assertThat(rendered).contains("```\nsample [--flag] [-p=TEXT] FILE...\n```");
    assertThat(rendered).contains("```\nsample --pipe 'a|b'\n```\n\nSecond paragraph, continued.");
    assertThat(rendered).contains("| `FILE...` | yes | input files |");
    assertThat(rendered).contains("| `-p, --pipe=TEXT` | `x\\|y` | a value with a \\| in it "
        + "(default: x\\|y) |");
    assertThat(rendered).contains("| `--flag` | off | a switch |");
    assertThat(rendered).doesNotContain("--secret");
    assertThat(rendered).endsWith("Footer text.\n\n");
  }

  @Test
  void anchorMatchesGitHubHeadingId() {
    assertThat(CliReference.anchor("xray snapshot create")).isEqualTo("xray-snapshot-create");
    assertThat(CliReference.anchor("xray base import")).isEqualTo("xray-base-import");
  }

  @Test
  void documentFileIsUnderProjectDocs() {
    Path file = CliReference.documentFile();
    assertThat(file.getFileName()).hasToString("cli.md");
    assertThat(file.getParent().getFileName()).hasToString("docs");
    assertThat(file.getParent().getParent().resolve("xray-cli")).isDirectory();
  }
}
