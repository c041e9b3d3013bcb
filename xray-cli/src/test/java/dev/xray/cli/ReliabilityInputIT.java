package dev.xray.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.Sha256;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input through the real CLI: bad VM, base and snapshot names, odd XRAY_HOME paths,
 * damaged or disguised images, and a base that disappears or changes under a VM. Each input
 * either works all the way through a start, or is rejected before anything is written; no name
 * or path ever reaches a shell.
 */
@RequiresQemu
class ReliabilityInputIT {
  private static final ReliabilityFigures FIGURES = new ReliabilityFigures(ReliabilityInputIT.class);
  /** The maximum length of a unix socket path on Linux, in bytes. */
  private static final int MAX_SOCKET_PATH = 107;
  private static final int PARALLEL_RUNS = 4;
  private static final String SOCKET_NAME = "/vms/v/console.sock";

  /** Names that no VM, base or snapshot may have; each would be a path, option or shell trap. */
  private static final List<String> BAD_NAMES = List.of("", ".", "..", "a/b", "/abs",
      "../escape", ".hidden", "_under", "a b", " lead", "trail ", "a;touch PWNED",
      "$(touch PWNED)", "`touch PWNED`", "a|touch PWNED", "a&&touch PWNED", "a>PWNED", "a'b",
      "a\"b", "a,b", "a=b", "a:b", "a*", "a?", "a\\b", "a\nb", "a\tb", "a\u001b[31mred", "é",
      "名前", "x😀", "x".repeat(65), "-rf", "--force");

  @TempDir
  Path temp;

  private ReliabilityCli xray;
  private Path home;
  private Path image;
  private Path outputs;

  @BeforeEach
  void importBase() throws Exception {
    home = temp.resolve("home");
    outputs = Files.createDirectories(temp.resolve("outputs"));
    xray = new ReliabilityCli(home, outputs);
    image = TestGuest.image();
    xray.succeed("base", "import", image.toString(), "--name", "tiny");
    xray.succeed("create", "vm", "--base", "tiny", "--memory", "256", "--cpus", "1");
  }

  /** Lists every file and folder under {@code root} with its size and modification time. */
  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      List<String> entries = new ArrayList<>();
      for (Path path : paths.sorted().toList()) {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS);
        entries.add(root.relativize(path) + " " + attributes.size() + " "
            + attributes.lastModifiedTime().toMillis());
      }
      return entries;
    }
  }

  /**
   * Fails if a file named PWNED exists where an injected {@code touch PWNED} or {@code >PWNED}
   * would have created it: in a shell's working folder, which is this JVM's or a VM folder.
   */
  private void assertNoInjectedFile() throws IOException {
    for (Path folder : List.of(Path.of("").toAbsolutePath(), temp)) {
      try (Stream<Path> paths = Files.walk(folder, folder.equals(temp) ? 8 : 1)) {
        assertThat(paths.filter(path -> path.getFileName().toString().equals("PWNED")).toList())
            .as("files created by an injected command").isEmpty();
      }
    }
  }

  @Test
  void badNamesRejectedBeforeWriting() throws Exception {
    List<String> before = tree(home);
    List<String[]> commands = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (String name : BAD_NAMES) {
      commands.add(new String[] {"create", name, "--base", "tiny"});
      kinds.add("VM name");
      commands.add(new String[] {"start", name});
      kinds.add("VM name");
      commands.add(new String[] {"base", "import", image.toString(), "--name", name});
      kinds.add("base image name");
      commands.add(new String[] {"snapshot", "create", "vm", name});
      kinds.add("snapshot tag");
    }
    commands.add(new String[] {"snapshot", "create", "vm", "123"});
    kinds.add("snapshot tag");
    commands.add(new String[] {"create", "vm", "--base", "../bases/tiny"});
    kinds.add("base image name");

    int rejected = 0;
    for (int start = 0; start < commands.size(); start += PARALLEL_RUNS) {
      List<ReliabilityCli.Started> batch = new ArrayList<>();
      for (int i = start; i < Math.min(commands.size(), start + PARALLEL_RUNS); i++) {
        batch.add(xray.spawn(commands.get(i)));
      }
      for (int i = 0; i < batch.size(); i++) {
        ReliabilityCli.Run run = batch.get(i).await();
        String kind = kinds.get(start + i);
        assertThat(run.exitCode()).as("exit code of %s", run).isEqualTo(2);
        assertThat(run.errorLines()).as("error lines of %s", run).hasSize(1);
        // picocli reads a name that starts with '-' as an option, and rejects the command line.
        boolean option = run.args().stream().anyMatch(arg -> arg.equals("-rf")
            || arg.equals("--force"));
        if (!option) {
          assertThat(run.errorLines().get(0)).as("error of %s", run).contains(kind);
        }
        assertThat(run.stderr().lines().count()).as("stderr lines of %s", run).isEqualTo(1);
        rejected++;
      }
    }
    assertThat(tree(home)).as("the home after %d rejected commands", rejected)
        .isEqualTo(before);
    assertNoInjectedFile();
    FIGURES.put("bad names tried", BAD_NAMES.size() + 1);
    FIGURES.put("commands with a bad name rejected before writing", rejected);
  }

  @Test
  void oddHomePathsWorkOrFailEarly() throws Exception {
    Path homes = Files.createDirectories(temp.resolve("homes"));
    Map<String, String> cases = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(List.of("with spaces here", "comma,in,name",
        "equals=and:colon", "single'quote", "double\"quote", "semi;touch PWNED",
        "$(touch PWNED)", "`touch PWNED`", "back\\slash", "glob*?[x]", "hash#percent%s",
        "tab\tin", "new\nline", "hömé", "名前", "emoji😀", "x".repeat(300)));
    // Two homes at a time, so at most two QEMUs run at once.
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Map<String, Future<String>> outcomes = new LinkedHashMap<>();
      for (String name : names) {
        Path candidate;
        try {
          candidate = homes.resolve(name);
        } catch (InvalidPathException e) {
          // The JVM's file name encoding (from the locale) cannot hold the name.
          outcomes.put(name, CompletableFuture.completedFuture("not representable here"));
          continue;
        }
        outcomes.put(name, pool.submit(() -> tryHome(candidate)));
      }
      for (Map.Entry<String, Future<String>> outcome : outcomes.entrySet()) {
        cases.put(outcome.getKey(), outcome.getValue().get());
      }
    } finally {
      pool.shutdownNow();
    }

    String prefix = homes.resolve("long").toString() + "/";
    int padding = MAX_SOCKET_PATH - SOCKET_NAME.length() - prefix.length();
    assertThat(padding).as("room for a long home under %s", homes).isPositive();
    Path atLimit = Path.of(prefix + "p".repeat(padding));
    Path overLimit = Path.of(prefix + "p".repeat(padding + 1));
    Path farOver = Path.of(prefix + "p".repeat(padding + 100));
    assertThat((atLimit + SOCKET_NAME).length()).isEqualTo(MAX_SOCKET_PATH);
    cases.put("socket path of 107 bytes", tryHome(atLimit));
    cases.put("socket path of 108 bytes", tryHome(overLimit));
    cases.put("socket path of 207 bytes", tryHome(farOver));

    Path file = homes.resolve("a file");
    Files.writeString(file, "not a folder\n");
    ReliabilityCli.Run onFile = xray.withHome(file).fail(1, "is not a folder", "list");
    assertThat(Files.readString(file)).isEqualTo("not a folder\n");
    cases.put("a regular file (" + onFile.errorLines().get(0) + ")", "rejected");

    assertThat(cases.get("socket path of 107 bytes")).isEqualTo("works");
    assertThat(cases.get("socket path of 108 bytes")).startsWith("rejected");
    assertThat(cases.get("socket path of 207 bytes")).startsWith("rejected");
    assertThat(cases.get("x".repeat(300))).startsWith("rejected");
    for (String name : names.subList(0, 13)) {
      String expected = name.contains("%") ? "rejected" : "works";
      assertThat(cases.get(name)).as("outcome of home %s", name).startsWith(expected);
    }
    assertNoInjectedFile();
    cases.forEach((name, outcome) -> System.out.println("home " + name.replace("\n", "\\n")
        .replace("\t", "\\t") + ": " + outcome));
    FIGURES.put("XRAY_HOME paths tried", cases.size());
    FIGURES.put("XRAY_HOME paths that work through a start",
        cases.values().stream().filter("works"::equals).count());
    FIGURES.put("XRAY_HOME paths rejected before a VM was written",
        cases.values().stream().filter(outcome -> outcome.startsWith("rejected")).count());
  }

  /**
   * Runs import, create, start, list, stop and remove in {@code candidate}; returns "works", or
   * "rejected" when a step fails before it wrote anything, and fails otherwise.
   */
  private String tryHome(Path candidate) throws Exception {
    ReliabilityCli cli = xray.withHome(candidate);
    ReliabilityCli.Run imported = cli.run("base", "import", image.toString(), "--name", "tiny",
        "--link");
    if (imported.exitCode() != 0) {
      assertThat(imported.errorLines()).as("error lines of %s", imported).hasSize(1);
      // Files.exists, unlike a check for absence, is false for a name too long to look up.
      assertThat(Files.exists(candidate)).as("home exists after %s", imported).isFalse();
      return "rejected: " + imported.errorLines().get(0);
    }
    ReliabilityCli.Run created = cli.run("create", "v", "--base", "tiny", "--memory", "256",
        "--cpus", "1");
    if (created.exitCode() != 0) {
      assertThat(created.exitCode()).as("exit code of %s", created).isEqualTo(1);
      assertThat(created.errorLines()).as("error lines of %s", created).singleElement()
          .asString().containsAnyOf("more than the " + MAX_SOCKET_PATH, "contains '%'");
      try (Stream<Path> vms = Files.list(candidate.resolve("vms"))) {
        assertThat(vms.toList()).as("VM folders after %s", created).isEmpty();
      }
      return "rejected: " + created.errorLines().get(0);
    }
    cli.succeed("start", "v");
    assertThat(cli.succeed("list").stdout()).containsPattern("v\\s+running");
    assertThat(ReliabilityHost.qemuPidsOf(candidate.resolve("vms/v"))).hasSize(1);
    cli.succeed("snapshot", "create", "v", "live");
    cli.succeed("stop", "v", "--force");
    cli.succeed("remove", "v", "--force");
    return "works";
  }

  @Test
  void importChecksImageContent() throws Exception {
    Path images = Files.createDirectories(temp.resolve("images"));
    Map<String, Path> rejected = new LinkedHashMap<>();
    Map<String, String> messages = new LinkedHashMap<>();

    Path raw = images.resolve("raw.qcow2");
    ReliabilityHost.run("qemu-img", "convert", "-O", "raw", image.toString(), raw.toString());
    rejected.put("raw", raw);
    messages.put("raw", "is not a qcow2 image");
    Path empty = Files.createFile(images.resolve("empty.qcow2"));
    rejected.put("empty", empty);
    messages.put("empty", "is not a qcow2 image");
    Path vdi = images.resolve("disk.qcow2.vdi");
    ReliabilityHost.run("qemu-img", "convert", "-O", "vdi", image.toString(), vdi.toString());
    rejected.put("vdi", vdi);
    messages.put("vdi", "is not a qcow2 image");
    Path overlay = images.resolve("overlay.qcow2");
    ReliabilityHost.run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
        image.toString(), overlay.toString());
    rejected.put("overlay", overlay);
    messages.put("overlay", "has a backing file");
    Path truncated = images.resolve("truncated.qcow2");
    writePrefix(image, truncated, Files.size(image) / 2);
    rejected.put("truncated", truncated);
    messages.put("truncated", "is damaged or truncated");
    Path headerOnly = images.resolve("header-only.qcow2");
    writePrefix(image, headerOnly, 100_000);
    rejected.put("headerOnly", headerOnly);
    messages.put("headerOnly", "is damaged or truncated");
    rejected.put("corruptBit", patched(images, "corrupt-bit", 72, corruptBit()));
    messages.put("corruptBit", "is marked corrupt");
    rejected.put("refcounts", patched(images, "refcounts", headerField(48), filled(64, 0xff)));
    messages.put("refcounts", "is damaged or truncated");
    rejected.put("l1", patched(images, "l1", headerField(40), filled(64, 0x7f)));
    messages.put("l1", "is damaged or truncated");
    Path magicOnly = images.resolve("magic.qcow2");
    Files.write(magicOnly, new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 3});
    rejected.put("magicOnly", magicOnly);
    messages.put("magicOnly", "cannot read image");
    Path folder = Files.createDirectories(images.resolve("folder.qcow2"));
    rejected.put("folder", folder);
    messages.put("folder", "not a regular file");
    Path fifo = images.resolve("fifo.qcow2");
    ReliabilityHost.run("mkfifo", fifo.toString());
    rejected.put("fifo", fifo);
    messages.put("fifo", "not a regular file");
    rejected.put("devZero", Path.of("/dev/zero"));
    messages.put("devZero", "not a regular file");
    rejected.put("missing", images.resolve("missing.qcow2"));
    messages.put("missing", "not found");
    Path pwned = images.resolve("$(touch PWNED);touch PWNED.qcow2");
    Files.copy(image, pwned);

    List<String> before = tree(home.resolve("bases"));
    for (Map.Entry<String, Path> entry : rejected.entrySet()) {
      xray.fail(1, messages.get(entry.getKey()), "base", "import", entry.getValue().toString(),
          "--name", entry.getKey());
    }
    assertThat(tree(home.resolve("bases"))).as("bases after rejected imports").isEqualTo(before);

    Path disguised = images.resolve("disguised.img");
    Files.copy(image, disguised);
    Path version2 = images.resolve("compat.qcow2");
    ReliabilityHost.run("qemu-img", "convert", "-O", "qcow2", "-o", "compat=0.10",
        image.toString(), version2.toString());
    Path link = images.resolve("link.qcow2");
    Files.createSymbolicLink(link, image);
    Map<String, Path> accepted = Map.of("disguised", disguised, "version2", version2,
        "viaLink", link, "shellName", pwned);
    for (Map.Entry<String, Path> entry : accepted.entrySet()) {
      xray.succeed("base", "import", entry.getValue().toString(), "--name", entry.getKey());
      assertThat(Sha256.of(home.resolve("bases/" + entry.getKey() + ".qcow2")))
          .isEqualTo(Sha256.of(entry.getValue()));
    }
    assertNoInjectedFile();
    ReliabilityHome.assertConsistent(home, "image imports", Map.of());
    FIGURES.put("damaged or disguised images rejected on import", rejected.size());
    FIGURES.put("unusual but valid images accepted", accepted.size());
  }

  private static void writePrefix(Path source, Path target, long length) throws IOException {
    try (RandomAccessFile in = new RandomAccessFile(source.toFile(), "r")) {
      byte[] bytes = new byte[(int) length];
      in.readFully(bytes);
      Files.write(target, bytes);
    }
  }

  /** Copies the test guest image to NAME.qcow2 and writes {@code bytes} at {@code offset}. */
  private Path patched(Path folder, String name, long offset, byte[] bytes) throws IOException {
    Path copy = folder.resolve(name + ".qcow2");
    Files.copy(image, copy);
    copy.toFile().setWritable(true);
    try (RandomAccessFile file = new RandomAccessFile(copy.toFile(), "rw")) {
      file.seek(offset);
      file.write(bytes);
    }
    return copy;
  }

  /** Returns the test image's incompatible-features field (offset 72) with the corrupt bit set. */
  private byte[] corruptBit() throws IOException {
    return ByteBuffer.allocate(8).putLong(headerLong(72) | 2).array();
  }

  /** Returns the offset that the 8-byte header field at {@code fieldOffset} contains. */
  private long headerField(int fieldOffset) throws IOException {
    return headerLong(fieldOffset);
  }

  private long headerLong(int offset) throws IOException {
    try (RandomAccessFile file = new RandomAccessFile(image.toFile(), "r")) {
      file.seek(offset);
      return file.readLong();
    }
  }

  private static byte[] filled(int length, int value) {
    byte[] bytes = new byte[length];
    java.util.Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  @Test
  void missingOrChangedBaseFailsStart() throws Exception {
    Path images = Files.createDirectories(temp.resolve("images"));
    Map<String, String> cases = new LinkedHashMap<>();

    xray.succeed("base", "import", image.toString(), "--name", "gone");
    xray.succeed("create", "orphan", "--base", "gone", "--memory", "256");
    Files.delete(home.resolve("bases/gone.qcow2"));
    cases.put("deleted base", expectNoStart("orphan", "base image 'gone' of VM 'orphan' is "
        + "missing"));

    Path linkTarget = images.resolve("linked.qcow2");
    Files.copy(image, linkTarget);
    xray.succeed("base", "import", linkTarget.toString(), "--name", "linked", "--link");
    xray.succeed("create", "dangling", "--base", "linked", "--memory", "256");
    Files.delete(linkTarget);
    cases.put("link whose target is deleted", expectNoStart("dangling",
        "a link whose target is gone"));

    xray.succeed("base", "import", image.toString(), "--name", "chg");
    xray.succeed("create", "changed", "--base", "chg", "--memory", "256", "--cpus", "1");
    Path base = home.resolve("bases/chg.qcow2");
    Path raw = images.resolve("raw.img");
    ReliabilityHost.run("qemu-img", "convert", "-O", "raw", image.toString(), raw.toString());
    replace(base, raw);
    cases.put("base replaced by a raw image", expectNoStart("changed",
        "base image 'chg' of VM 'changed' changed: " + base + " is not a qcow2 image"));
    Path withBacking = images.resolve("with-backing.qcow2");
    ReliabilityHost.run("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
        image.toString(), withBacking.toString());
    replace(base, withBacking);
    cases.put("base replaced by an overlay", expectNoStart("changed", "now has a backing file"));
    Path larger = images.resolve("larger.qcow2");
    ReliabilityHost.run("qemu-img", "create", "-q", "-f", "qcow2", larger.toString(), "128M");
    replace(base, larger);
    cases.put("base replaced by a larger image", expectNoStart("changed",
        "its virtual size is 134217728 bytes, more than the 67108864 bytes"));

    replace(base, image);
    xray.succeed("start", "changed");
    xray.succeed("stop", "changed", "--force");
    cases.forEach((name, outcome) -> System.out.println(name + ": " + outcome));
    FIGURES.put("missing or changed bases reported before QEMU started", cases.size());
  }

  private static void replace(Path base, Path replacement) throws IOException {
    Files.delete(base);
    Files.copy(replacement, base);
  }

  /** Checks that {@code start} fails with {@code message} and that no QEMU ran for the VM. */
  private String expectNoStart(String vm, String message) throws Exception {
    ReliabilityCli.Run start = xray.fail(1, message, "start", vm);
    Path vmDirectory = home.resolve("vms/" + vm);
    assertThat(ReliabilityHost.qemuPidsOf(vmDirectory)).as("QEMU after %s", start).isEmpty();
    assertThat(vmDirectory.resolve("qemu.log")).as("QEMU's log after %s", start)
        .doesNotExist();
    assertThat(xray.succeed("list").stdout()).containsPattern(vm + "\\s+stopped");
    return start.errorLines().get(0);
  }
}
