package dev.xray.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The xray command-line launcher, run on one home folder with TCG forced. Its class data sharing
 * archive goes to a cache folder of the benchmarks, never to the user's.
 */
final class Cli {
  /** The system property with the launcher's path, which bench/run sets. */
  static final String LAUNCHER_PROPERTY = "xray.launcher";
  /**
   * The system property with the folder used as the launcher's XDG_CACHE_HOME, which bench/run
   * sets so that all harnesses share one archive. Without it, each JVM uses a new temporary
   * folder.
   */
  static final String CACHE_PROPERTY = "xray.bench.cache";
  private static final String DEFAULT_LAUNCHER = "xray-cli/target/xray/bin/xray";
  /** How long the launcher's first run may take to write its archive in the background. */
  private static final long ARCHIVE_TIMEOUT_MILLIS = 120_000;

  private static Path cache;

  private final Path launcher;
  private final Map<String, String> environment;

  private Cli(Path launcher, Map<String, String> environment) {
    this.launcher = launcher;
    this.environment = environment;
  }

  /**
   * Returns the launcher named by {@value #LAUNCHER_PROPERTY}, or the one the build leaves under
   * the working folder, for the home folder {@code home}. The first call in a JVM waits until
   * the launcher has written its class data sharing archive, so that no timed run competes with
   * that background work.
   *
   * @throws IOException if the launcher is missing
   */
  static Cli forHome(Path home) throws IOException, InterruptedException {
    Path launcher = Path.of(System.getProperty(LAUNCHER_PROPERTY, DEFAULT_LAUNCHER))
        .toAbsolutePath();
    if (!Files.isExecutable(launcher)) {
      throw new IOException("the xray launcher " + launcher + " is missing; build it with "
          + "'mvn -B install -DskipTests' or set -D" + LAUNCHER_PROPERTY);
    }
    Map<String, String> environment = new HashMap<>();
    environment.put("XRAY_HOME", home.toString());
    environment.put("XRAY_ACCEL", "tcg");
    environment.put("XRAY_JAVA_OPTS", "");
    environment.put("XRAY_CDS", "1");
    environment.put("XDG_CACHE_HOME", cache(launcher, home).toString());
    return new Cli(launcher, environment);
  }

  /** Returns a launcher that runs with environment variable {@code name} set to {@code value}. */
  Cli with(String name, String value) {
    Map<String, String> changed = new HashMap<>(environment);
    changed.put(name, value);
    return new Cli(launcher, changed);
  }

  Path launcher() {
    return launcher;
  }

  /** Runs {@code xray ARGS} and returns its wall time in milliseconds. */
  double time(String... args) throws IOException, InterruptedException {
    return Commands.time(Commands.concat(List.of(launcher.toString()), args), environment, null);
  }

  /** Returns the benchmarks' cache folder, preparing the launcher's archive there on first use. */
  private static synchronized Path cache(Path launcher, Path home)
      throws IOException, InterruptedException {
    if (cache != null) {
      return cache;
    }
    String configured = System.getProperty(CACHE_PROPERTY);
    Path folder;
    if (configured != null) {
      folder = Files.createDirectories(Path.of(configured));
    } else {
      Path created = Files.createTempDirectory("xray-bench-cache-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          BenchHome.deleteRecursively(created);
        } catch (IOException e) {
          System.err.println("cannot delete " + created + ": " + e.getMessage());
        }
      }));
      folder = created;
    }
    cache = folder;
    awaitArchive(new Cli(launcher, Map.of("XRAY_HOME", home.toString(), "XDG_CACHE_HOME",
        folder.toString(), "XRAY_CDS", "1", "XRAY_JAVA_OPTS", "")), folder);
    return folder;
  }

  /**
   * Runs {@code xray --version} once and, if the launcher made its archive folder
   * {@code xray/cds} under the cache, waits until an archive appears there. A launcher without
   * class data sharing makes no such folder, so nothing is awaited.
   */
  private static void awaitArchive(Cli cli, Path cacheFolder)
      throws IOException, InterruptedException {
    Path archives = cacheFolder.resolve("xray").resolve("cds");
    cli.time("--version");
    if (!Files.isDirectory(archives)) {
      return;
    }
    long deadline = System.currentTimeMillis() + ARCHIVE_TIMEOUT_MILLIS;
    while (!hasArchive(archives)) {
      if (System.currentTimeMillis() > deadline) {
        throw new IOException("the xray launcher wrote no class data sharing archive to "
            + archives + " within " + ARCHIVE_TIMEOUT_MILLIS / 1000 + " s of its first run");
      }
      Thread.sleep(50);
    }
  }

  private static boolean hasArchive(Path archives) throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(archives, "*.jsa")) {
      return files.iterator().hasNext();
    }
  }
}
