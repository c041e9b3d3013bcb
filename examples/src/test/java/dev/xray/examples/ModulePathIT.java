package dev.xray.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a small program and the CLI with the built jars on the module path, so that a missing
 * {@code exports}, {@code uses}, {@code provides} or {@code opens} in a module descriptor fails
 * here instead of in a user's program. The tests in the other modules cannot catch that, because
 * surefire and failsafe patch them into the module under test.
 */
class ModulePathIT {
  /** The program's module, which the test compiles because Maven does not build it. */
  private static final Path PROGRAM_SOURCES = Path.of("src/test/modular");
  private static final String PROGRAM_MODULE = "dev.xray.examples.modular";
  private static final long PROCESS_TIMEOUT_SECONDS = 120;

  @TempDir
  Path temp;

  @Test
  void programUsesEveryModule() throws Exception {
    Path classes = temp.resolve("classes");
    compileProgram(classes);
    Path home = temp.resolve("home");

    ProcessResult result = runJava(List.of("--module-path", classes + ":" + modulePath(),
        "-m", PROGRAM_MODULE + "/dev.xray.examples.modular.ModularCheck", home.toString()),
        home);

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output()).contains("provider=dev.xray.core ");
    assertThat(result.output()).contains(" home=true bases=0 vms=0 ");
    assertThat(result.output()).contains(" qmp=running ");
    assertThat(result.output()).containsPattern(" host-missing=[0-9]+ ");
    assertThat(result.output()).contains(" junit=dev.xray.junit");
  }

  @Test
  void cliListsBasesAsJson() throws Exception {
    Path home = temp.resolve("cli-home");

    ProcessResult result = runJava(List.of("--module-path", modulePath(),
        "-m", "dev.xray.cli/dev.xray.cli.Main", "base", "list", "--json"), home);

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(result.output().strip()).isEqualTo("[ ]");
    assertThat(home).isDirectory();
  }

  /** Returns the runtime class path of this module, which the build writes to a file. */
  private static String modulePath() throws IOException {
    String file = System.getProperty("xray.modulePathFile");
    assertThat(file).as("system property xray.modulePathFile").isNotNull();
    return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
  }

  private void compileProgram(Path classes) throws IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    assertThat(compiler).as("the JDK's compiler").isNotNull();
    StringWriter diagnostics = new StringWriter();
    List<String> options = List.of("--module-path", modulePath(),
        "--module-source-path", PROGRAM_SOURCES.toString(), "--module", PROGRAM_MODULE,
        "-Xlint:all", "-d", classes.toString());

    boolean compiled = compiler.getTask(diagnostics, null, null, options, null, null).call();

    assertThat(compiled).as(diagnostics.toString()).isTrue();
  }

  /** Runs {@code java} with {@code arguments}, {@code XRAY_HOME} set to {@code home}. */
  private ProcessResult runJava(List<String> arguments, Path home)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(arguments);
    Path output = temp.resolve("output-" + System.nanoTime() + ".txt");
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    builder.environment().put("XRAY_HOME", home.toString());
    Process process = builder.start();
    boolean exited = process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    assertThat(exited).as("%s exits within %d s", command, PROCESS_TIMEOUT_SECONDS).isTrue();
    return new ProcessResult(process.exitValue(), Files.readString(output));
  }

  private record ProcessResult(int exitCode, String output) {}
}
