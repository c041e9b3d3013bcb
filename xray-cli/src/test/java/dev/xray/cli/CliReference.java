package dev.xray.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Renders the Markdown reference of the {@code xray} command, docs/cli.md, from picocli's model
 * of the real command tree: every command that is not hidden, with its synopsis, description,
 * parameters and options, and each option's default value. Hidden commands and options are left
 * out, because they exist for the completion script and are no interface for users.
 */
final class CliReference {
  /** The system property that makes {@link CliReferenceTest} rewrite docs/cli.md. */
  static final String REGENERATE_PROPERTY = "xray.cli.regenerate";

  /** The command that rewrites docs/cli.md, run from the project's root folder. */
  static final String REGENERATE_COMMAND = "mvn -B -q test -pl xray-cli -am "
      + "-Dtest=CliReferenceTest -Dsurefire.failIfNoSpecifiedTests=false -D"
      + REGENERATE_PROPERTY + "=true";

  /** The width of the synopses, in characters: picocli's default. */
  private static final int USAGE_WIDTH = 80;

  private CliReference() {}

  /** Returns docs/cli.md of the project that contains the xray-cli module being tested. */
  static Path documentFile() {
    // Surefire sets basedir to the module's folder; an IDE run starts in it.
    String basedir = System.getProperty("basedir");
    Path module = basedir == null || basedir.isEmpty()
        ? Path.of("").toAbsolutePath() : Path.of(basedir).toAbsolutePath();
    return module.getParent().resolve("docs").resolve("cli.md");
  }

  /** Renders the whole reference, starting with the top-level command of {@code root}. */
  static String render(CommandLine root) {
    // A fixed width keeps the synopses the same on every machine, whatever the terminal or the
    // picocli.usage.width property.
    root.setUsageHelpAutoWidth(false);
    root.setUsageHelpWidth(USAGE_WIDTH);
    StringBuilder out = new StringBuilder();
    out.append("# xray command reference\n\n");
    out.append("<!-- Generated from the picocli model of the xray command by CliReference in "
        + "xray-cli's tests; do not edit. Regenerate with: ").append(REGENERATE_COMMAND)
        .append(" -->\n\n");
    out.append("Every command prints this text, laid out for a terminal, with `--help`. ")
        .append("Exit codes: 0 for success, 1 for a failed operation, 2 for a usage error.\n\n");
    List<CommandLine> commands = new ArrayList<>();
    collect(root, commands);
    out.append("| command | what it does |\n| --- | --- |\n");
    for (CommandLine command : commands) {
      CommandSpec spec = command.getCommandSpec();
      out.append("| [`").append(spec.qualifiedName()).append("`](#")
          .append(anchor(spec.qualifiedName())).append(") | ")
          .append(cell(firstSentence(spec.usageMessage().description()))).append(" |\n");
    }
    out.append('\n');
    for (CommandLine command : commands) {
      renderCommand(command, out);
    }
    return out.toString();
  }

  /** Adds {@code command} and its visible subcommands, depth first, in declaration order. */
  private static void collect(CommandLine command, List<CommandLine> into) {
    into.add(command);
    for (CommandLine sub : command.getSubcommands().values()) {
      // getSubcommands() maps aliases too, so one command can appear under two keys.
      if (!sub.getCommandSpec().usageMessage().hidden() && !into.contains(sub)) {
        collect(sub, into);
      }
    }
  }

  private static void renderCommand(CommandLine command, StringBuilder out) {
    CommandSpec spec = command.getCommandSpec();
    out.append("## ").append(spec.qualifiedName()).append("\n\n");
    out.append("```\n").append(synopsis(command)).append("```\n\n");
    appendText(spec.usageMessage().description(), out);

    List<PositionalParamSpec> parameters = spec.positionalParameters().stream()
        .filter(parameter -> !parameter.hidden()).toList();
    if (!parameters.isEmpty()) {
      out.append("| parameter | required | description |\n| --- | --- | --- |\n");
      for (PositionalParamSpec parameter : parameters) {
        out.append("| `").append(parameter.paramLabel()).append(repeats(parameter)).append("` | ")
            .append(parameter.arity().min() > 0 ? "yes" : "no").append(" | ")
            .append(cell(description(parameter))).append(" |\n");
      }
      out.append('\n');
    }

    boolean root = spec.parent() == null;
    List<OptionSpec> options = spec.options().stream()
        .filter(option -> !option.hidden() && (root || !isCommon(option))).toList();
    if (!options.isEmpty()) {
      out.append("| option | default | description |\n| --- | --- | --- |\n");
      for (OptionSpec option : options) {
        out.append("| `").append(optionNames(option)).append("` | ")
            .append(defaultValue(option)).append(" | ")
            .append(cell(description(option))).append(" |\n");
      }
      out.append('\n');
    }
    List<String> common = spec.options().stream()
        .filter(option -> !option.hidden() && !root && isCommon(option))
        .map(option -> "`" + option.shortestName() + "`").toList();
    if (!common.isEmpty()) {
      out.append("Also takes ").append(String.join(", ", common))
          .append(", as described under [xray](#xray).\n\n");
    }

    List<String> subcommands = new ArrayList<>();
    command.getSubcommands().forEach((name, sub) -> {
      if (!sub.getCommandSpec().usageMessage().hidden() && name.equals(sub.getCommandName())) {
        subcommands.add("[`" + name + "`](#" + anchor(sub.getCommandSpec().qualifiedName())
            + ")");
      }
    });
    if (!subcommands.isEmpty()) {
      out.append("Subcommands: ").append(String.join(", ", subcommands)).append(".\n\n");
    }
    appendText(spec.usageMessage().footer(), out);
  }

  /** Returns picocli's synopsis, as {@code --help} prints it without colors. */
  private static String synopsis(CommandLine command) {
    Help help = new Help(command.getCommandSpec(), Help.defaultColorScheme(Help.Ansi.OFF));
    return help.synopsis(0);
  }

  /**
   * Appends description or footer lines: lines indented by two spaces, such as example command
   * lines, become a code block, and the other lines are joined into paragraphs.
   */
  private static void appendText(String[] lines, StringBuilder out) {
    StringBuilder paragraph = new StringBuilder();
    StringBuilder code = new StringBuilder();
    for (String line : lines) {
      if (line.startsWith("  ")) {
        flushParagraph(paragraph, out);
        code.append(line.substring(2)).append('\n');
      } else if (line.isBlank()) {
        flushCode(code, out);
        flushParagraph(paragraph, out);
      } else {
        flushCode(code, out);
        paragraph.append(paragraph.length() == 0 ? "" : " ").append(line.strip());
      }
    }
    flushCode(code, out);
    flushParagraph(paragraph, out);
  }

  private static void flushParagraph(StringBuilder paragraph, StringBuilder out) {
    if (paragraph.length() > 0) {
      out.append(paragraph).append("\n\n");
      paragraph.setLength(0);
    }
  }

  private static void flushCode(StringBuilder code, StringBuilder out) {
    if (code.length() > 0) {
      out.append("```\n").append(code).append("```\n\n");
      code.setLength(0);
    }
  }

  /**
   * Returns whether {@code option} is one that every command takes: --help and --version, which
   * mixinStandardHelpOptions adds, or an option that subcommands inherit, such as --verbose.
   * These are described once, under the top-level command.
   */
  private static boolean isCommon(OptionSpec option) {
    return option.usageHelp() || option.versionHelp() || option.inherited();
  }

  private static String optionNames(OptionSpec option) {
    String names = String.join(", ", option.names());
    if (option.arity().max() > 0) {
      names += "=" + option.paramLabel();
    }
    return names;
  }

  private static String repeats(PositionalParamSpec parameter) {
    return parameter.arity().max() > 1 ? "..." : "";
  }

  /**
   * Returns the default value in code quotes: "required" for a required option, "off" for a
   * switch, or a dash when the option has no default.
   */
  private static String defaultValue(OptionSpec option) {
    if (option.required()) {
      return "required";
    }
    if (option.usageHelp() || option.versionHelp() || option.arity().max() == 0) {
      return "off";
    }
    String value = option.defaultValue();
    return value == null ? "—" : "`" + cell(value) + "`";
  }

  /** Returns the description with picocli's ${DEFAULT-VALUE} variable filled in. */
  private static String description(ArgSpec arg) {
    String text = String.join(" ", arg.description());
    String defaultValue = arg.defaultValue() == null ? "" : arg.defaultValue();
    return text.replace("${DEFAULT-VALUE}", defaultValue);
  }

  /** Returns the first sentence of {@code description}, which may span several lines. */
  private static String firstSentence(String[] description) {
    StringBuilder paragraph = new StringBuilder();
    for (String line : description) {
      if (line.isBlank() || line.startsWith("  ")) {
        break;
      }
      paragraph.append(paragraph.length() == 0 ? "" : " ").append(line.strip());
    }
    int end = paragraph.indexOf(". ");
    return end < 0 ? paragraph.toString() : paragraph.substring(0, end + 1);
  }

  /** Escapes a value for a Markdown table cell. */
  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }

  /** Returns the anchor that GitHub gives a heading. */
  static String anchor(String heading) {
    return heading.toLowerCase(java.util.Locale.ROOT).replace(' ', '-')
        .replaceAll("[^a-z0-9_-]", "");
  }
}
