package dev.xray.core;

import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import dev.xray.api.SerialConsole;
import dev.xray.core.internal.AtomicFiles;
import dev.xray.core.internal.HostPlatform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tiny UEFI test guest built from Debian packages: a GPT disk (a qcow2 file of about 17 MiB for
 * x86_64) whose EFI system partition contains a unified kernel image (Debian's cloud kernel and a
 * busybox initramfs). It boots under TCG in seconds, prints {@link #READY_LINE} on its first
 * serial port, then runs a root shell there with the prompt {@link #PROMPT} and terminal echo
 * off. The ACPI power button powers it off.
 *
 * <p>Before the ready line it reads a cloud-init NoCloud seed from a CD labelled {@code cidata}
 * on virtio-scsi, as xray attaches it, and prints {@code SEED-FILE NAME SIZE SHA256} for each
 * file, then {@code SEED-DONE}. Without a seed it prints {@code SEED-NONE}. It sets the host name
 * from {@code local-hostname}. When the first user of {@code user-data} has
 * {@code ssh_authorized_keys}, it creates that user, configures QEMU user networking's address
 * 10.0.2.15 and starts dropbear on port 22, then prints {@code SSHD-STARTED 22}. The guest has
 * neither sudo nor bash, so the user's {@code sudo} and {@code shell} entries have no effect.
 *
 * <p>The build needs {@code apt-get}, {@code dpkg-deb}, mtools, dosfstools, fdisk, cpio, binutils
 * and qemu-img, and Debian's package lists; it mounts nothing and needs no root. Images are cached
 * by content under {@code $XDG_CACHE_HOME/xray/guest}: the key is the build script and the exact
 * package versions, so a second build with the same packages returns the cached file at once.
 */
public final class TinyGuest {
  /** The line the guest prints on its serial console when its shell is ready. */
  public static final String READY_LINE = "GUEST-READY";
  /** The guest shell's prompt, printed without a newline. */
  public static final String PROMPT = "guest# ";
  /** The guest memory the image needs, in MiB: UEFI firmware fails below 160. */
  public static final int MEMORY_MIB = 256;

  private static final java.util.concurrent.atomic.AtomicLong COMMANDS =
      new java.util.concurrent.atomic.AtomicLong();
  private static final Logger log = LoggerFactory.getLogger(TinyGuest.class);
  private static final String SCRIPT = "guest/build-guest.sh";
  private static final long BUILD_TIMEOUT_MINUTES = 15;

  private TinyGuest() {}

  /**
   * Runs one shell command in the guest through its serial console and returns its output, with
   * line ends as {@code \n} and without prompts. Call it only after {@link #READY_LINE}: keys
   * typed while the firmware starts can stop the boot in a menu.
   *
   * <p>An end marker echoed after the command delimits its output, because a prompt alone is
   * ambiguous: a console that connects just after the ready line also receives the shell's first
   * prompt, which would otherwise end the first command early.
   *
   * @param console the guest's serial console, connected
   * @param command a shell command line
   * @param timeout how long to wait for the command to end
   * @return what the command printed
   * @throws dev.xray.api.XrayTimeoutException if the command does not end in time
   */
  public static String runCommand(SerialConsole console, String command, Duration timeout) {
    String marker = "XRAY-END-" + COMMANDS.incrementAndGet();
    console.send(command + "\necho " + marker + "\n");
    String output = console.readUntil(
        Pattern.compile(Pattern.quote(marker) + "\r?\n" + Pattern.quote(PROMPT)), timeout);
    output = output.substring(0, output.lastIndexOf(marker));
    if (output.endsWith(PROMPT)) {
      output = output.substring(0, output.length() - PROMPT.length());
    }
    while (output.startsWith(PROMPT)) {
      output = output.substring(PROMPT.length());
    }
    return output.replace("\r\n", "\n");
  }

  /**
   * Returns the default cache folder.
   *
   * @return {@code $XDG_CACHE_HOME/xray/guest}, or {@code ~/.cache/xray/guest} when {@code
   *     XDG_CACHE_HOME} is unset or empty
   */
  public static Path defaultCacheDirectory() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path cache = xdg != null && !xdg.isEmpty()
        ? Path.of(xdg) : HostPlatform.userHome().resolve(".cache");
    return cache.resolve("xray").resolve("guest");
  }

  /**
   * Builds the guest for {@code architecture} into the default cache folder, or returns the
   * cached image.
   *
   * @param architecture the guest's architecture
   * @return the qcow2 image
   * @throws HostException if the host lacks the build tools or the build fails
   * @see #build(Architecture, Path)
   */
  public static Path build(Architecture architecture) {
    return build(architecture, defaultCacheDirectory());
  }

  /**
   * Builds the guest into {@code cacheDirectory}, or returns the cached image, and returns the
   * qcow2 file's path. Build progress goes to the log at DEBUG.
   *
   * @param architecture the guest's architecture
   * @param cacheDirectory the folder of built images, keyed by their content
   * @return the qcow2 image
   * @throws HostException if the host lacks the build tools (the message names them and their
   *     packages) or the build fails
   */
  public static Path build(Architecture architecture, Path cacheDirectory) {
    long startNanos = System.nanoTime();
    Path script = extractScript();
    try {
      List<String> command = List.of("bash", script.toString(), "--arch",
          architecture.qemuName(), "--cache-dir", cacheDirectory.toAbsolutePath().toString());
      log.debug("building the test guest: {}", command);
      Process process = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
      StringBuilder stderr = new StringBuilder();
      Thread errors = drain(process.getErrorStream(), stderr);
      String stdout = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new HostException("building the test guest took more than "
            + BUILD_TIMEOUT_MINUTES + " minutes; see the build output with --verbose");
      }
      errors.join();
      if (process.exitValue() != 0) {
        throw new HostException("cannot build the test guest:\n" + lastLines(stderr, 12));
      }
      List<String> lines = stdout.lines().filter(line -> !line.isBlank()).toList();
      Path image = Path.of(lines.get(lines.size() - 1).strip());
      if (!Files.isRegularFile(image)) {
        throw new HostException("the test guest build reported " + image + ", which is missing");
      }
      log.info("test guest {} ready in {} ms", image, (System.nanoTime() - startNanos)
          / 1_000_000);
      return image;
    } catch (IOException e) {
      throw new HostException("cannot run the test guest build (it needs bash): "
          + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HostException("interrupted while building the test guest", e);
    } finally {
      try {
        Files.deleteIfExists(script);
      } catch (IOException e) {
        log.debug("cannot delete {}: {}", script, e.getMessage());
      }
    }
  }

  private static Path extractScript() {
    try (InputStream in = TinyGuest.class.getResourceAsStream(SCRIPT)) {
      if (in == null) {
        throw new HostException("the test guest build script " + SCRIPT + " is missing from "
            + "xray-core's jar");
      }
      Path script = Files.createTempFile("xray-build-guest-", ".sh");
      AtomicFiles.setMode(script, "rwx------");
      Files.write(script, in.readAllBytes());
      return script;
    } catch (IOException e) {
      throw new HostException("cannot write the test guest build script to a temporary file: "
          + e.getMessage(), e);
    }
  }

  private static Thread drain(InputStream in, StringBuilder sink) {
    Thread thread = new Thread(() -> {
      try (in) {
        byte[] bytes = in.readAllBytes();
        String text = new String(bytes, StandardCharsets.UTF_8);
        text.lines().forEach(line -> log.debug("guest build: {}", line));
        synchronized (sink) {
          sink.append(text);
        }
      } catch (IOException e) {
        log.debug("cannot read the guest build's output: {}", e.getMessage());
      }
    }, "xray-guest-build-output");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static String lastLines(StringBuilder text, int count) {
    List<String> lines;
    synchronized (text) {
      lines = new ArrayList<>(text.toString().lines().toList());
    }
    return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
  }
}
