package dev.xray.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Checks that every {@code java} code block in README.md and docs/*.md is, line for line, a
 * snippet of {@link ApiSnippets} or {@link JunitSnippets}, which compile in every build. A block
 * may be indented differently from its snippet; nothing else may differ.
 */
class DocSnippetsTest {
  private static final String BEGIN = "// snippet ";
  private static final String END = "// end snippet";
  private static final List<String> SOURCES = List.of("ApiSnippets.java", "JunitSnippets.java");

  /** Returns the project's root folder; Surefire runs in the examples module's folder. */
  private static Path projectRoot() {
    String basedir = System.getProperty("basedir");
    Path module = basedir == null || basedir.isEmpty()
        ? Path.of("").toAbsolutePath() : Path.of(basedir).toAbsolutePath();
    return module.getParent();
  }

  private static List<Path> documents() throws IOException {
    List<Path> documents = new ArrayList<>();
    documents.add(projectRoot().resolve("README.md"));
    try (Stream<Path> files = Files.list(projectRoot().resolve("docs"))) {
      files.filter(file -> file.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    return documents;
  }

  /** Returns the snippets of the snippet sources by name, each without common indentation. */
  static Map<String, String> snippets() throws IOException {
    Path folder = projectRoot().resolve("examples/src/test/java/dev/xray/examples/docs");
    Map<String, String> snippets = new LinkedHashMap<>();
    for (String source : SOURCES) {
      List<String> lines = Files.readAllLines(folder.resolve(source), StandardCharsets.UTF_8);
      String name = null;
      List<String> body = new ArrayList<>();
      for (String line : lines) {
        String stripped = line.strip();
        if (stripped.startsWith(BEGIN)) {
          name = stripped.substring(BEGIN.length());
          body.clear();
        } else if (stripped.equals(END)) {
          assertThat(snippets).as("snippet names in %s", source).doesNotContainKey(name);
          snippets.put(name, normalize(body));
          name = null;
        } else if (name != null) {
          body.add(line);
        }
      }
      assertThat(name).as("snippet without '%s' in %s", END, source).isNull();
    }
    return snippets;
  }

  /** Returns the {@code java} fenced code blocks of a Markdown text, normalized. */
  static List<String> javaBlocks(String markdown) {
    List<String> blocks = new ArrayList<>();
    List<String> body = null;
    String fence = null;
    for (String line : markdown.split("\n", -1)) {
      String stripped = line.strip();
      if (body == null && stripped.equals("```java")) {
        body = new ArrayList<>();
        fence = line.substring(0, line.indexOf('`'));
      } else if (body != null && stripped.equals("```")) {
        blocks.add(normalize(body));
        body = null;
      } else if (body != null) {
        // Inside a list item, the block is indented like its fence.
        body.add(line.startsWith(fence) ? line.substring(fence.length()) : line);
      }
    }
    return blocks;
  }

  /** Removes the indentation that all non-blank lines share, trailing spaces and blank ends. */
  static String normalize(List<String> lines) {
    int indent = lines.stream().filter(line -> !line.isBlank())
        .mapToInt(line -> line.length() - line.stripLeading().length()).min().orElse(0);
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      out.add(line.isBlank() ? "" : line.substring(indent).stripTrailing());
    }
    while (!out.isEmpty() && out.get(0).isEmpty()) {
      out.remove(0);
    }
    while (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1);
    }
    return String.join("\n", out);
  }

  @Test
  void everyDocumentSnippetCompiles() throws IOException {
    Map<String, String> snippets = snippets();
    int checked = 0;
    for (Path document : documents()) {
      List<String> blocks = javaBlocks(Files.readString(document, StandardCharsets.UTF_8));
      for (int i = 0; i < blocks.size(); i++) {
        assertThat(snippets.values())
            .as("java block %d of %s is not a snippet of %s; put its code there between "
                + "'%sNAME' and '%s' and copy it back", i + 1, document, SOURCES, BEGIN, END)
            .contains(blocks.get(i));
        checked++;
      }
    }
    assertThat(checked).as("java blocks found in README.md and docs/").isGreaterThan(10);
  }

  @Test
  void everySnippetIsShown() throws IOException {
    List<String> blocks = new ArrayList<>();
    for (Path document : documents()) {
      blocks.addAll(javaBlocks(Files.readString(document, StandardCharsets.UTF_8)));
    }
    snippets().forEach((name, body) -> assertThat(blocks)
        .as("snippet %s is shown in no document; show it or delete it", name)
        .contains(body));
  }

  @Test
  void blockInListItemLosesIndent() {
    String markdown = "- item:\n\n  ```java\n  int a = 1;\n    int b = 2;\n  ```\n";
    assertThat(javaBlocks(markdown)).containsExactly("int a = 1;\n  int b = 2;");
  }

  @Test
  void otherLanguagesAreIgnored() {
    assertThat(javaBlocks("```sh\nxray list\n```\n```xml\n<a/>\n```\n")).isEmpty();
  }

  @Test
  void normalizeTrimsBlankEnds() {
    assertThat(normalize(List.of("", "    a();  ", "", "      b();", "")))
        .isEqualTo("a();\n\n  b();");
  }
}
