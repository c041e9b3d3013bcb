package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.Xray;
import dev.xray.core.TinyGuest;
import dev.xray.core.internal.AtomicFiles;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of the {@code xray} process during operations that need no running guest: create,
 * remove, base import (of a 512 MiB image, so kills land mid-copy), and the disk-only snapshot
 * create and revert of a stopped VM.
 */
@RequiresQemu
class ReliabilityCrashIT {
  private static final ReliabilityFigures FIGURES = new ReliabilityFigures(ReliabilityCrashIT.class);
  private static final String BIG_SIZE = "512M";

  @TempDir
  Path temp;

  private ReliabilityCli xray;
  private Path home;
  private ReliabilityKills kills;

  @BeforeEach
  void importBase() throws Exception {
    home = temp.resolve("home");
    xray = new ReliabilityCli(home, Files.createDirectories(temp.resolve("outputs")));
    xray.succeed("base", "import", TestGuest.image().toString(), "--name", "tiny");
    kills = new ReliabilityKills(xray, Map.of("tiny", Sha256.of(home.resolve("bases/tiny.qcow2"))));
  }

  private Xray api() {
    return Xray.open(home);
  }

  private void record(String operation, ReliabilityKills.Result result) {
    FIGURES.put(operation + ": kill points survived", result.landed());
    FIGURES.put(operation + ": kills that came after the exit", result.missed());
    FIGURES.put(operation + ": hidden leftovers seen after kills", result.leftovers());
    assertThat(result.landed()).as("kills of %s that landed", operation).isGreaterThanOrEqualTo(5);
  }

  private void createVm(String name) {
    api().vms().create(VmSpec.builder(name).base("tiny").memory(TinyGuest.MEMORY_MIB).cpus(1)
        .build());
  }

  @Test
  void killDuringCreate() throws Exception {
    ReliabilityKills.Result result = kills.killAtEveryPoint("create", new ReliabilityKills.Operation() {
      @Override
      public void prepare() throws IOException {
        AtomicFiles.deleteRecursively(home.resolve("vms/c"));
      }

      @Override
      public List<String> command() {
        return List.of("create", "c", "--base", "tiny", "--memory", "256", "--cpus", "1");
      }

      @Override
      public void runAgain() throws Exception {
        boolean existed = Files.isDirectory(home.resolve("vms/c"));
        ReliabilityCli.Run run = xray.run(command().toArray(String[]::new));
        if (existed) {
          assertThat(run.errorLines()).as("%s", run).singleElement().asString()
              .contains("already exists");
        } else {
          assertThat(run.exitCode()).as("exit code of %s", run).isZero();
        }
        xray.succeed("start", "c");
        xray.succeed("stop", "c", "--force");
      }
    });
    record("create", result);
  }

  @Test
  void killDuringRemove() throws Exception {
    ReliabilityKills.Result result = kills.killAtEveryPoint("remove", new ReliabilityKills.Operation() {
      @Override
      public void prepare() {
        if (api().vms().find("r").isEmpty()) {
          createVm("r");
          api().vms().get("r").snapshots().create("kept");
        }
      }

      @Override
      public List<String> command() {
        return List.of("remove", "r", "--force");
      }

      @Override
      public void runAgain() throws Exception {
        boolean existed = Files.isDirectory(home.resolve("vms/r"));
        ReliabilityCli.Run run = xray.run(command().toArray(String[]::new));
        if (existed) {
          assertThat(run.exitCode()).as("exit code of %s", run).isZero();
        } else {
          assertThat(run.errorLines()).as("%s", run).singleElement().asString()
              .contains("VM 'r' not found");
        }
        assertThat(home.resolve("vms/r")).doesNotExist();
        xray.succeed("create", "r", "--base", "tiny", "--memory", "256");
        xray.succeed("remove", "r", "--force");
      }
    });
    record("remove", result);
  }

  @Test
  void killDuringBaseImport() throws Exception {
    Path big = temp.resolve("big image.qcow2");
    ReliabilityHost.run("qemu-img", "create", "-q", "-f", "qcow2", "-o", "preallocation=falloc",
        big.toString(), BIG_SIZE);
    long size = Files.size(big);
    Path target = home.resolve("bases/big.qcow2");
    ReliabilityKills.Result result = kills.killAtEveryPoint("base import", new ReliabilityKills.Operation() {
      @Override
      public void prepare() throws IOException {
        Files.deleteIfExists(target);
      }

      @Override
      public List<String> command() {
        return List.of("base", "import", big.toString(), "--name", "big");
      }

      @Override
      public void runAgain() throws Exception {
        if (Files.exists(target)) {
          assertThat(Files.size(target)).as("size of an imported base").isEqualTo(size);
          xray.fail(1, "already exists", command().toArray(String[]::new));
        } else {
          xray.succeed(command().toArray(String[]::new));
        }
        assertThat(Files.size(target)).as("size of the imported base").isEqualTo(size);
        assertThat(partials()).as("partial copies after a complete import").isEmpty();
      }
    });
    assertThat(Sha256.of(target)).as("SHA-256 of the imported big base").isEqualTo(Sha256.of(big));
    FIGURES.put("base import: size of the image copied, bytes", size);
    record("base import", result);
  }

  private List<Path> partials() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(home.resolve("bases"),
        ".*.partial")) {
      return java.util.stream.StreamSupport.stream(files.spliterator(), false).toList();
    }
  }

  @Test
  void killDuringStoppedSnapshotCreate() throws Exception {
    createVm("d");
    ReliabilityKills.Result result = kills.killAtEveryPoint("disk-only snapshot create",
        new ReliabilityKills.Operation() {
          @Override
          public void prepare() {
            Vm vm = api().vms().get("d");
            if (vm.snapshots().list().stream().anyMatch(s -> s.tag().equals("offline"))) {
              vm.snapshots().delete("offline");
            }
          }

          @Override
          public List<String> command() {
            return List.of("snapshot", "create", "d", "offline");
          }

          @Override
          public void runAgain() throws Exception {
            xray.succeed("snapshot", "create", "d", "offline", "--force");
            assertThat(xray.succeed("snapshot", "list", "d").stdout())
                .containsPattern("offline\\s+.*disk-only");
          }
        });
    record("disk-only snapshot create", result);
  }

  @Test
  void killDuringStoppedRevert() throws Exception {
    createVm("v");
    api().vms().get("v").snapshots().create("first");
    ReliabilityKills.Result result = kills.killAtEveryPoint("disk-only snapshot revert",
        new ReliabilityKills.Operation() {
          @Override
          public void prepare() {
          }

          @Override
          public List<String> command() {
            return List.of("snapshot", "revert", "v", "first");
          }

          @Override
          public void runAgain() throws Exception {
            xray.succeed(command().toArray(String[]::new));
          }
        });
    record("disk-only snapshot revert", result);
  }
}
