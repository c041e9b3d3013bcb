package dev.xray.core.internal;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.HostException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The host xray runs on: its operating system, CPU architecture, and which accelerator can run a
 * guest. Tests build one for a simulated host with {@link #of}.
 */
public final class HostPlatform {
  /**
   * Returns the user's home folder as the shell's {@code ~} means it: {@code $HOME}, else the
   * JVM's {@code user.home}. On Linux, Java reads user.home from the password database and
   * does not follow {@code $HOME}, which QEMU and the shell do.
   *
   * @return the home folder
   */
  public static Path userHome() {
    String home = System.getenv("HOME");
    return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"));
  }

  /** Environment variable that overrides the accelerator: kvm, hvf, tcg or auto. */
  public static final String ACCEL_VARIABLE = "XRAY_ACCEL";

  /** The operating systems whose accelerators xray can choose. */
  public enum Os { LINUX, MACOS, OTHER }

  private final Os os;
  private final Architecture architecture;
  private final Path root;

  private HostPlatform(Os os, Architecture architecture, Path root) {
    this.os = os;
    this.architecture = architecture;
    this.root = root;
  }

  /** Returns the real host. */
  public static HostPlatform current() {
    String name = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    Os os = name.contains("linux") ? Os.LINUX : name.contains("mac") ? Os.MACOS : Os.OTHER;
    return new HostPlatform(os, Architecture.host(), Path.of("/"));
  }

  /**
   * Returns a simulated host whose {@code /dev} and {@code /sys} are read under {@code root}.
   */
  public static HostPlatform of(Os os, Architecture architecture, Path root) {
    return new HostPlatform(os, architecture, root);
  }

  public Os os() {
    return os;
  }

  public Architecture architecture() {
    return architecture;
  }

  /** The accelerator for one start, and the warning to show when xray fell back to TCG. */
  public record AcceleratorChoice(Accelerator accelerator, boolean forced,
      Optional<String> warning) {}

  /**
   * Chooses the accelerator. {@code requested} comes from the caller or vm.toml; the
   * {@code XRAY_ACCEL} value, when set, takes its place unless the caller forced one for this
   * start ({@code explicit}).
   *
   * @throws HostException if a forced accelerator cannot work on this host
   */
  public AcceleratorChoice chooseAccelerator(Architecture guest, Accelerator requested,
      boolean explicit, String environmentValue) {
    Accelerator wanted = requested;
    if (!explicit && environmentValue != null && !environmentValue.isBlank()) {
      try {
        wanted = Accelerator.parse(environmentValue.strip());
      } catch (IllegalArgumentException e) {
        throw new HostException("invalid " + ACCEL_VARIABLE + "='" + environmentValue
            + "': expected auto, kvm, hvf or tcg");
      }
    }
    if (wanted != Accelerator.AUTO) {
      try {
        checkForced(wanted, guest);
      } catch (HostException e) {
        boolean fromEnvironment = !explicit && environmentValue != null
            && !environmentValue.isBlank();
        if (fromEnvironment) {
          throw new HostException(e.getMessage() + " (" + ACCEL_VARIABLE + "=" + environmentValue
              + " requested it; unset " + ACCEL_VARIABLE + " or set it to tcg)", e);
        }
        throw e;
      }
      return new AcceleratorChoice(wanted, true, Optional.empty());
    }
    if (guest != architecture) {
      return new AcceleratorChoice(Accelerator.TCG, false, Optional.empty());
    }
    Accelerator native_ = os == Os.MACOS ? Accelerator.HVF : Accelerator.KVM;
    Optional<String> problem = os == Os.MACOS ? hvfProblem() : kvmProblem();
    if (os == Os.OTHER) {
      return new AcceleratorChoice(Accelerator.TCG, false, Optional.empty());
    }
    if (problem.isEmpty()) {
      return new AcceleratorChoice(native_, false, Optional.empty());
    }
    return new AcceleratorChoice(Accelerator.TCG, false, Optional.of(native_.qemuName()
        + " is not usable (" + problem.get() + "); using tcg, which is much slower. Set "
        + ACCEL_VARIABLE + "=tcg to silence this warning"));
  }

  private void checkForced(Accelerator wanted, Architecture guest) {
    if (wanted == Accelerator.TCG) {
      return;
    }
    if (guest != architecture) {
      throw new HostException(wanted.qemuName() + " cannot run a " + guest.qemuName()
          + " guest on a " + architecture.qemuName() + " host; use --accel tcg");
    }
    boolean rightOs = wanted == Accelerator.KVM ? os == Os.LINUX : os == Os.MACOS;
    if (!rightOs) {
      String alternatives = os == Os.MACOS ? "hvf or --accel tcg"
          : os == Os.LINUX ? "kvm or --accel tcg" : "tcg";
      throw new HostException(wanted.qemuName() + " is not available on this operating system;"
          + " use --accel " + alternatives);
    }
    Optional<String> problem = wanted == Accelerator.KVM ? kvmDeviceProblem() : hvfProblem();
    if (problem.isPresent()) {
      throw new HostException(wanted.qemuName() + " was requested but is not usable: "
          + problem.get() + "; use --accel tcg");
    }
  }

  /** Returns why KVM cannot be used, or empty when it looks usable. */
  Optional<String> kvmProblem() {
    Optional<String> device = kvmDeviceProblem();
    if (device.isPresent()) {
      return device;
    }
    if (architecture == Architecture.X86_64) {
      Path modules = root.resolve("sys/module");
      boolean hardware = Files.isDirectory(modules.resolve("kvm_intel"))
          || Files.isDirectory(modules.resolve("kvm_amd"));
      if (!hardware && Files.isDirectory(modules.resolve("kvm"))) {
        // A /dev/kvm without kvm_intel or kvm_amd is a software KVM such as kvm_pvm, on which
        // firmware stops with "KVM internal error" at its first instructions.
        return Optional.of("/dev/kvm is not backed by kvm_intel or kvm_amd");
      }
    }
    return Optional.empty();
  }

  private Optional<String> kvmDeviceProblem() {
    Path device = root.resolve("dev/kvm");
    if (!Files.exists(device)) {
      return Optional.of("/dev/kvm does not exist");
    }
    if (!Files.isReadable(device) || !Files.isWritable(device)) {
      return Optional.of("no read and write access to /dev/kvm; add the user to the kvm group");
    }
    return Optional.empty();
  }

  private Optional<String> hvfProblem() {
    if (os != Os.MACOS) {
      return Optional.of("hvf exists only on macOS");
    }
    try {
      ProcessRunner.Result result = ProcessRunner.run(
          List.of("/usr/sbin/sysctl", "-n", "kern.hv_support"), null, Duration.ofSeconds(5));
      if (result.succeeded() && result.stdout().strip().equals("1")) {
        return Optional.empty();
      }
      return Optional.of("sysctl kern.hv_support is not 1");
    } catch (IOException e) {
      return Optional.of("cannot run sysctl: " + e.getMessage());
    }
  }
}
