package dev.xray.cli;

import dev.xray.api.Accelerator;
import dev.xray.api.Architecture;
import dev.xray.api.BaseImage;
import dev.xray.api.Display;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code xray create}: a new VM as a copy-on-write overlay on a base image. */
@Command(name = "create", mixinStandardHelpOptions = true,
    description = "Create a VM as a copy-on-write overlay on a base image (no data is copied).")
final class CreateCommand implements Callable<Integer> {
  @ParentCommand
  XrayCommand parent;

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "NAME", description = "name of the new VM")
  String name;

  @Option(names = "--base", paramLabel = "BASE", description = "base image to build on; without"
      + " it, a terminal shows a numbered list to pick from")
  String base;

  @Option(names = "--memory", paramLabel = "MiB", description = "guest memory in MiB "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "" + VmSpec.DEFAULT_MEMORY_MIB)
  int memory;

  @Option(names = "--cpus", paramLabel = "N", description = "number of vCPUs "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "" + VmSpec.DEFAULT_CPUS)
  int cpus;

  @Option(names = "--ssh-port", paramLabel = "PORT", description = "host port on 127.0.0.1 "
      + "forwarded to the guest's port 22 (default: none)")
  Integer sshPort;

  @Option(names = "--forward", paramLabel = "HOST:GUEST", description = "forward TCP port HOST "
      + "on 127.0.0.1 to port GUEST in the guest; repeat it for more ports")
  List<String> forwards = new ArrayList<>();

  @Option(names = "--display", paramLabel = "KIND", description = "none, sdl, gtk or cocoa "
      + "(default: none)", defaultValue = "none")
  String display;

  @Option(names = "--accel", paramLabel = "ACCEL", description = "auto, kvm, hvf or tcg "
      + "(default: auto, or $XRAY_ACCEL)", defaultValue = "auto")
  String accel;

  @Option(names = "--arch", paramLabel = "ARCH", description = "guest architecture: x86_64 or "
      + "aarch64 (default: the host's)")
  String arch;

  @Option(names = "--ssh-key", paramLabel = "FILE.pub", description = "SSH public key that the "
      + "cloud-init seed authorizes (default: ~/.ssh/id_ed25519.pub, id_ecdsa.pub or "
      + "id_rsa.pub, the first that exists)")
  Path sshKey;

  @Option(names = "--user", paramLabel = "NAME", description = "guest user that the seed "
      + "creates, with passwordless sudo, and xray ssh logs in as (default: "
      + VmSpec.DEFAULT_SSH_USER + "; none with --user-data)")
  String user;

  @Option(names = "--user-data", paramLabel = "FILE", description = "cloud-init user-data file "
      + "to put in the seed as it is, in place of the one xray writes")
  Path userData;

  @Option(names = "--no-seed", description = "create no cloud-init seed, even when a default "
      + "SSH key exists")
  boolean noSeed;

  /**
   * The first characters of each user-data format that cloud-init reads: cloud-config, a
   * script, a MIME multi-part file, an include list, a boothook, and a Jinja template.
   */
  static final List<String> USER_DATA_STARTS = List.of("#cloud-config", "#!", "Content-Type:",
      "#include", "#cloud-boothook", "## template: jinja");

  /** The public keys looked for in ~/.ssh when --ssh-key is not given, in this order. */
  static final List<String> DEFAULT_KEYS = List.of("id_ed25519.pub", "id_ecdsa.pub",
      "id_rsa.pub");

  @Override
  public Integer call() {
    checkRange("--memory", memory, VmSpec.MIN_MEMORY_MIB, VmSpec.MAX_MEMORY_MIB,
        " MiB (UEFI firmware needs at least " + VmSpec.MIN_MEMORY_MIB + " MiB)");
    checkRange("--cpus", cpus, 1, VmSpec.MAX_CPUS, "");
    if (sshPort != null) {
      checkRange("--ssh-port", sshPort, 1, 65535, "");
    }
    VmSpec.Builder builder = VmSpec.builder(name)
        .memory(memory)
        .cpus(cpus)
        .display(Display.parse(display))
        .accelerator(Accelerator.parse(accel));
    if (sshPort != null) {
      builder.sshPort(sshPort);
    }
    if (arch != null) {
      builder.architecture(Architecture.parse(arch));
    }
    for (String forward : forwards) {
      addForward(builder, forward);
    }
    PrintWriter out = spec.commandLine().getOut();
    Optional<Path> defaultKey = addSeed(builder);
    builder.base(base != null ? base : pickBase());
    VmSpec vmSpec;
    try {
      vmSpec = builder.build();
    } catch (IllegalStateException e) {
      // The options contradict each other, as when --forward reuses the --ssh-port port.
      throw new ErrorHandler.UsageException(e.getMessage());
    }
    Vm vm = parent.xray().vms().create(vmSpec);
    VmSpec created = vm.spec();
    // Printed only once the VM exists, so that a failed create does not claim to use the key.
    defaultKey.ifPresent(found -> out.printf("Using SSH key %s for the cloud-init seed "
        + "(--ssh-key picks another, --no-seed creates none)%n", found));
    warnAboutSeed(created);
    out.printf("Created VM %s on base %s (%d MiB, %d vCPU%s%s%s)%n", vm.name(), created.base(),
        created.memoryMiB(), created.cpus(), created.cpus() == 1 ? "" : "s",
        created.sshPort().isPresent() ? ", ssh on 127.0.0.1:" + created.sshPort().getAsInt()
            : "",
        created.hasSeed() ? ", cloud-init seed" + created.sshUser().map(login -> " for user "
            + login).orElse("") : "");
    if (created.hasSeed()) {
      out.printf("Start it with 'xray start %s --wait-ssh', then log in with 'xray ssh %s'%n",
          vm.name(), vm.name());
    }
    return 0;
  }

  /**
   * Sets the seed options, or the default SSH key, and returns the default key if it picked
   * one.
   */
  private Optional<Path> addSeed(VmSpec.Builder builder) {
    if (noSeed) {
      List<String> seedOptions = new ArrayList<>();
      if (sshKey != null) {
        seedOptions.add("--ssh-key");
      }
      if (user != null) {
        seedOptions.add("--user");
      }
      if (userData != null) {
        seedOptions.add("--user-data");
      }
      if (!seedOptions.isEmpty()) {
        throw new ErrorHandler.UsageException("--no-seed excludes " + String.join(" and ",
            seedOptions) + ", which only go into the seed; drop one side");
      }
      return Optional.empty();
    }
    Optional<Path> key = Optional.ofNullable(sshKey);
    boolean picked = false;
    if (key.isEmpty() && userData == null) {
      key = defaultKey(userHome());
      picked = key.isPresent();
    }
    if (key.isPresent()) {
      builder.sshKey(key.get());
    }
    if (userData != null) {
      builder.userData(userData);
    }
    if (user != null) {
      if (key.isEmpty() && userData == null) {
        throw new ErrorHandler.UsageException("--user needs a cloud-init seed: pass --ssh-key "
            + "FILE.pub or --user-data FILE (no key found in " + userHome().resolve(".ssh")
            + ")");
      }
      builder.sshUser(user);
    }
    return picked ? key : Optional.empty();
  }

  /** Parses {@code HOST:GUEST} and adds the forward, or fails naming the option. */
  private static void addForward(VmSpec.Builder builder, String forward) {
    String[] ports = forward.split(":", -1);
    if (ports.length == 2) {
      try {
        builder.portForward(Integer.parseInt(ports[0]), Integer.parseInt(ports[1]));
        return;
      } catch (NumberFormatException e) {
        // Falls through to the usage error.
      } catch (IllegalArgumentException e) {
        throw new ErrorHandler.UsageException("invalid --forward '" + forward + "': "
            + e.getMessage());
      }
    }
    throw new ErrorHandler.UsageException("invalid --forward '" + forward + "': expected "
        + "HOST:GUEST, two port numbers such as 8080:80");
  }

  /**
   * Warns on stderr about seeds that create cleanly but will not let anyone log in: a key
   * without its private half beside it, which {@code xray ssh} uses, or a user-data file that
   * cloud-init does not read as any of its formats.
   */
  private void warnAboutSeed(VmSpec created) {
    PrintWriter err = spec.commandLine().getErr();
    created.sshIdentity().filter(identity -> !Files.isRegularFile(identity)).ifPresent(
        identity -> err.printf("xray: warning: no private key %s beside the public key; 'xray "
            + "ssh %s' needs it, or pass -i KEY to it%n", identity, created.name()));
    created.userData().ifPresent(file -> {
      String start;
      try (InputStream in = Files.newInputStream(file)) {
        start = new String(in.readNBytes(64), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return;
      }
      if (USER_DATA_STARTS.stream().noneMatch(start::startsWith)) {
        err.printf("xray: warning: %s starts with none of cloud-init's user-data markers (%s), "
            + "so cloud-init may ignore it%n", file, String.join(", ", USER_DATA_STARTS));
      }
    });
  }

  /** Returns the first of {@link #DEFAULT_KEYS} in {@code home}'s .ssh folder, if any. */
  static Optional<Path> defaultKey(Path home) {
    for (String name : DEFAULT_KEYS) {
      Path key = home.resolve(".ssh").resolve(name);
      if (Files.isRegularFile(key)) {
        return Optional.of(key);
      }
    }
    return Optional.empty();
  }

  /** Returns $HOME, as the shell's ~ means, else the JVM's user.home. */
  static Path userHome() {
    String home = System.getenv("HOME");
    return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"));
  }

  private static void checkRange(String option, int value, int min, int max, String unit) {
    if (value < min || value > max) {
      throw new ErrorHandler.UsageException(option + " must be from " + min + " to " + max + unit
          + ": " + value);
    }
  }

  private String pickBase() {
    List<BaseImage> bases = parent.xray().bases().list();
    if (bases.isEmpty()) {
      throw new ErrorHandler.UsageException("no base images to create VM '" + name + "' from; "
          + "import one first with 'xray base import FILE --name NAME'");
    }
    String names = bases.stream().map(BaseImage::name).collect(Collectors.joining(", "));
    if (!Terminal.isInteractive()) {
      throw new ErrorHandler.UsageException("--base is required when stdin is not a terminal;"
          + " the bases are: " + names);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println("Base images:");
    for (int i = 0; i < bases.size(); i++) {
      out.printf("  %d) %s%n", i + 1, bases.get(i).name());
    }
    String answer = Terminal.ask(out, "Pick a base by number or name [1-" + bases.size()
        + "]: ");
    if (answer == null) {
      throw new ErrorHandler.UsageException("no base was picked (end of input); use --base ("
          + names + ")");
    }
    String choice = answer.strip();
    for (BaseImage base : bases) {
      if (base.name().equals(choice)) {
        return choice;
      }
    }
    try {
      int number = Integer.parseInt(choice);
      if (number >= 1 && number <= bases.size()) {
        return bases.get(number - 1).name();
      }
    } catch (NumberFormatException e) {
      // Neither a base name nor a number, which the error below reports.
    }
    throw new ErrorHandler.UsageException("invalid choice: '" + answer + "'; expected a number "
        + "from 1 to " + bases.size() + ", or use --base (" + names + ")");
  }
}
