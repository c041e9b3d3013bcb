package dev.xray.api;

import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The immutable description of a VM: its name, base image and hardware.
 *
 * <pre>{@code
 * VmSpec spec = VmSpec.builder("web").base("debian").memory(4096).cpus(4).sshPort(2222).build();
 * Vm vm = xray.vms().create(spec);
 * }</pre>
 *
 * <p>Defaults: 2048 MiB of memory, 2 vCPUs, no SSH port forward, no display, the accelerator
 * chosen by xray, the host's architecture, and no cloud-init seed.
 *
 * <p>A VM with an {@link Builder#sshKey SSH key} or {@link Builder#userData user-data file} gets a
 * cloud-init NoCloud seed: a read-only CD with {@code meta-data} and {@code user-data}, which
 * cloud images such as Ubuntu's, Debian's and Fedora's read on their first boot. Without
 * {@link Builder#sshPort}, such a VM gets an SSH forward on a free port of 127.0.0.1 when it is
 * created.
 *
 * <pre>{@code
 * VmSpec spec = VmSpec.builder("web").base("ubuntu")
 *     .sshKey(Path.of(System.getenv("HOME"), ".ssh", "id_ed25519.pub")).build();
 * }</pre>
 */
public final class VmSpec {
  /** The default guest memory, in MiB. */
  public static final int DEFAULT_MEMORY_MIB = 2048;
  /** The default number of vCPUs. */
  public static final int DEFAULT_CPUS = 2;
  /** The smallest guest memory xray accepts, in MiB: UEFI firmware (OVMF) needs 160 MiB. */
  public static final int MIN_MEMORY_MIB = 160;
  /** The largest guest memory xray accepts, in MiB (1 TiB). */
  public static final int MAX_MEMORY_MIB = 1024 * 1024;
  /** The largest number of vCPUs xray accepts. */
  public static final int MAX_CPUS = 255;
  /**
   * The user that a cloud-init seed creates when none is set. A name of xray's own, because
   * cloud images differ in their default user (ubuntu, debian, fedora) and a seed that lists
   * users replaces that default user.
   */
  public static final String DEFAULT_SSH_USER = "xray";
  /** User names a seed accepts: the portable subset of useradd's rule, at most 32 characters. */
  private static final Pattern USER_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

  private final String name;
  private final String base;
  private final int memoryMiB;
  private final int cpus;
  private final int sshPort;
  private final Display display;
  private final Accelerator accelerator;
  private final Architecture architecture;
  private final Map<Integer, Integer> portForwards;
  private final Path sshKey;
  private final String sshUser;
  private final Path userData;

  private VmSpec(Builder builder) {
    this.name = builder.name;
    this.base = builder.base;
    this.memoryMiB = builder.memoryMiB;
    this.cpus = builder.cpus;
    this.sshPort = builder.sshPort;
    this.display = builder.display;
    this.accelerator = builder.accelerator;
    this.architecture = builder.architecture;
    this.portForwards = Collections.unmodifiableMap(new TreeMap<>(builder.portForwards));
    this.sshKey = builder.sshKey;
    this.userData = builder.userData;
    // A user-data file of the caller's creates its own users, so no default is assumed for it.
    boolean xrayWritesUserData = sshKey != null && userData == null;
    this.sshUser = builder.sshUser == null && xrayWritesUserData ? DEFAULT_SSH_USER
        : builder.sshUser;
  }

  /**
   * Returns a builder for a VM called {@code name}.
   *
   * @param name the VM's name; see {@link Names} for the rule
   * @return a builder with the default hardware and no base image
   * @throws IllegalArgumentException if {@code name} is invalid
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /**
   * Returns a builder that starts from this spec's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder builder = new Builder(name);
    builder.base = base;
    builder.memoryMiB = memoryMiB;
    builder.cpus = cpus;
    builder.sshPort = sshPort;
    builder.display = display;
    builder.accelerator = accelerator;
    builder.architecture = architecture;
    builder.portForwards.putAll(portForwards);
    builder.sshKey = sshKey;
    builder.sshUser = sshUser;
    builder.userData = userData;
    return builder;
  }

  /**
   * Returns a copy of this spec for a VM called {@code name}.
   *
   * @param name the copy's name; see {@link Names} for the rule
   * @return the copy, with this spec's base image and hardware
   * @throws IllegalArgumentException if {@code name} is invalid
   */
  public VmSpec withName(String name) {
    Builder builder = toBuilder();
    Builder renamed = new Builder(name);
    renamed.sshKey = builder.sshKey;
    renamed.sshUser = builder.sshUser;
    renamed.userData = builder.userData;
    renamed.base = builder.base;
    renamed.memoryMiB = builder.memoryMiB;
    renamed.cpus = builder.cpus;
    renamed.sshPort = builder.sshPort;
    renamed.display = builder.display;
    renamed.accelerator = builder.accelerator;
    renamed.architecture = builder.architecture;
    renamed.portForwards.putAll(builder.portForwards);
    return new VmSpec(renamed);
  }

  /**
   * Returns the VM's name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the name of the base image that backs the VM's overlay.
   *
   * @return the base image's name
   */
  public String base() {
    return base;
  }

  /**
   * Returns the guest memory.
   *
   * @return the memory, in MiB
   */
  public int memoryMiB() {
    return memoryMiB;
  }

  /**
   * Returns the number of vCPUs.
   *
   * @return the number of vCPUs
   */
  public int cpus() {
    return cpus;
  }

  /**
   * Returns the SSH port forward.
   *
   * @return the host port on 127.0.0.1 forwarded to the guest's port 22, or empty for none
   */
  public OptionalInt sshPort() {
    return sshPort == 0 ? OptionalInt.empty() : OptionalInt.of(sshPort);
  }

  /**
   * Returns how QEMU shows the guest's screen.
   *
   * @return the display
   */
  public Display display() {
    return display;
  }

  /**
   * Returns the accelerator.
   *
   * @return the accelerator, {@link Accelerator#AUTO} when xray chooses
   */
  public Accelerator accelerator() {
    return accelerator;
  }

  /**
   * Returns the guest architecture.
   *
   * @return the architecture
   */
  public Architecture architecture() {
    return architecture;
  }

  /**
   * Returns the extra TCP port forwards; the SSH forward is not among them.
   *
   * @return an unmodifiable map from a host port on 127.0.0.1 to a guest port, sorted by host
   *     port
   */
  public Map<Integer, Integer> portForwards() {
    return portForwards;
  }

  /**
   * Tells whether the VM gets a cloud-init seed.
   *
   * @return true if it has an SSH key or a user-data file
   */
  public boolean hasSeed() {
    return sshKey != null || userData != null;
  }

  /**
   * Returns the SSH public key that the seed authorizes.
   *
   * @return the key file's absolute path, or empty without a key
   */
  public Optional<Path> sshKey() {
    return Optional.ofNullable(sshKey);
  }

  /**
   * Returns the private key that {@code xray ssh} logs in with.
   *
   * @return the public key's path without {@code .pub}, or empty without a key
   */
  public Optional<Path> sshIdentity() {
    return sshKey().map(key -> {
      String file = key.getFileName().toString();
      return key.resolveSibling(file.substring(0, file.length() - ".pub".length()));
    });
  }

  /**
   * Returns the guest user that {@code xray ssh} logs in as: the user that the seed creates
   * ({@value #DEFAULT_SSH_USER} unless set), or with a user-data file, the user set with
   * {@link Builder#sshUser}, if any.
   *
   * @return the user name, or empty
   */
  public Optional<String> sshUser() {
    return Optional.ofNullable(sshUser);
  }

  /**
   * Returns the user-data file that the seed contains verbatim.
   *
   * @return the file's absolute path, or empty without one
   */
  public Optional<Path> userData() {
    return Optional.ofNullable(userData);
  }

  @Override
  public boolean equals(Object other) {
    if (!(other instanceof VmSpec)) {
      return false;
    }
    VmSpec that = (VmSpec) other;
    return name.equals(that.name) && base.equals(that.base) && memoryMiB == that.memoryMiB
        && cpus == that.cpus && sshPort == that.sshPort && display == that.display
        && accelerator == that.accelerator && architecture == that.architecture
        && portForwards.equals(that.portForwards) && Objects.equals(sshKey, that.sshKey)
        && Objects.equals(sshUser, that.sshUser) && Objects.equals(userData, that.userData);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, base, memoryMiB, cpus, sshPort, display, accelerator, architecture,
        portForwards, sshKey, sshUser, userData);
  }

  @Override
  public String toString() {
    return "VmSpec{name=" + name + ", base=" + base + ", memoryMiB=" + memoryMiB + ", cpus="
        + cpus + ", sshPort=" + sshPort + ", display=" + display.qemuName() + ", accelerator="
        + accelerator.qemuName() + ", architecture=" + architecture.qemuName()
        + ", portForwards=" + portForwards + ", sshKey=" + sshKey + ", sshUser=" + sshUser
        + ", userData=" + userData + "}";
  }

  /** A mutable builder of {@link VmSpec}; every setter checks its argument at once. */
  public static final class Builder {
    private final String name;
    private String base;
    private int memoryMiB = DEFAULT_MEMORY_MIB;
    private int cpus = DEFAULT_CPUS;
    private int sshPort;
    private Display display = Display.NONE;
    private Accelerator accelerator = Accelerator.AUTO;
    private Architecture architecture;
    private final Map<Integer, Integer> portForwards = new TreeMap<>();
    private Path sshKey;
    private String sshUser;
    private Path userData;

    private Builder(String name) {
      this.name = Names.checkVmName(name);
    }

    /**
     * Sets the base image by name. Required.
     *
     * @param base the base image's name
     * @return this builder
     * @throws IllegalArgumentException if {@code base} is not a valid name
     */
    public Builder base(String base) {
      this.base = Names.checkBaseName(base);
      return this;
    }

    /**
     * Sets the guest memory. Default 2048.
     *
     * @param memoryMiB the memory in MiB, from 160 to 1048576
     * @return this builder
     * @throws IllegalArgumentException if {@code memoryMiB} is out of range
     */
    public Builder memory(int memoryMiB) {
      if (memoryMiB < MIN_MEMORY_MIB || memoryMiB > MAX_MEMORY_MIB) {
        throw new IllegalArgumentException("memory must be from " + MIN_MEMORY_MIB + " to "
            + MAX_MEMORY_MIB + " MiB (UEFI firmware needs at least " + MIN_MEMORY_MIB
            + "): " + memoryMiB);
      }
      this.memoryMiB = memoryMiB;
      return this;
    }

    /**
     * Sets the number of vCPUs. Default 2.
     *
     * @param cpus the number of vCPUs, from 1 to 255
     * @return this builder
     * @throws IllegalArgumentException if {@code cpus} is out of range
     */
    public Builder cpus(int cpus) {
      if (cpus < 1 || cpus > MAX_CPUS) {
        throw new IllegalArgumentException("cpus must be from 1 to " + MAX_CPUS + ": " + cpus);
      }
      this.cpus = cpus;
      return this;
    }

    /**
     * Sets the host port, from 1 to 65535, that 127.0.0.1 forwards to the guest's SSH port 22; 0
     * removes the forward. Default: no forward.
     *
     * @param port the host port, or 0 for none
     * @return this builder
     * @throws IllegalArgumentException if {@code port} is out of range
     */
    public Builder sshPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("sshPort must be from 1 to 65535 (0 for none): "
            + port);
      }
      this.sshPort = port;
      return this;
    }

    /**
     * Adds a TCP forward from {@code hostPort} on 127.0.0.1 to {@code guestPort} in the guest,
     * both from 1 to 65535. Default: none besides the SSH forward.
     *
     * @param hostPort the port on 127.0.0.1
     * @param guestPort the port in the guest
     * @return this builder
     * @throws IllegalArgumentException if either port is out of range
     */
    public Builder portForward(int hostPort, int guestPort) {
      checkPort("host port", hostPort);
      checkPort("guest port", guestPort);
      portForwards.put(hostPort, guestPort);
      return this;
    }

    private static void checkPort(String what, int port) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(what + " must be from 1 to 65535: " + port);
      }
    }

    /**
     * Sets how the guest's screen is shown. Default {@link Display#NONE}.
     *
     * @param display the display
     * @return this builder
     */
    public Builder display(Display display) {
      this.display = Objects.requireNonNull(display, "display");
      return this;
    }

    /**
     * Sets the accelerator. Default {@link Accelerator#AUTO}.
     *
     * @param accelerator the accelerator
     * @return this builder
     */
    public Builder accelerator(Accelerator accelerator) {
      this.accelerator = Objects.requireNonNull(accelerator, "accelerator");
      return this;
    }

    /**
     * Sets the guest architecture. Default: the host's.
     *
     * @param architecture the architecture
     * @return this builder
     */
    public Builder architecture(Architecture architecture) {
      this.architecture = Objects.requireNonNull(architecture, "architecture");
      return this;
    }

    /**
     * Sets the SSH public key, a file whose name ends in {@code .pub}, that the VM's cloud-init
     * seed authorizes for {@link #sshUser the user}. The file is read when the VM is created;
     * the private key beside it, without {@code .pub}, is what {@code xray ssh} logs in with.
     * Default: none.
     *
     * @param publicKey the public key file
     * @return this builder
     * @throws IllegalArgumentException if the file name does not end in {@code .pub}
     */
    public Builder sshKey(Path publicKey) {
      Objects.requireNonNull(publicKey, "publicKey");
      Path fileName = publicKey.getFileName();
      if (fileName == null || !fileName.toString().endsWith(".pub")
          || fileName.toString().equals(".pub")) {
        throw new IllegalArgumentException("invalid SSH public key file '" + publicKey
            + "': expected a name ending in .pub, such as ~/.ssh/id_ed25519.pub");
      }
      this.sshKey = publicKey.toAbsolutePath().normalize();
      return this;
    }

    /**
     * Sets the guest user that the seed creates, with passwordless sudo and the SSH key: 1 to 32
     * lower-case letters, digits, '_' and '-', starting with a letter or '_', and not root.
     * Needs {@link #sshKey} or {@link #userData}. With a user-data file, xray writes no user and
     * this only names the user that {@code xray ssh} logs in as. Default
     * {@value #DEFAULT_SSH_USER}, or none with a user-data file.
     *
     * @param user the user name
     * @return this builder
     * @throws IllegalArgumentException if the name breaks the rule above
     */
    public Builder sshUser(String user) {
      Objects.requireNonNull(user, "user");
      if (!USER_NAME.matcher(user).matches()) {
        throw new IllegalArgumentException("invalid user name '" + user + "': expected 1 to 32 "
            + "lower-case letters, digits, '_' and '-', starting with a letter or '_'");
      }
      if (user.equals("root")) {
        throw new IllegalArgumentException("invalid user name 'root': cloud images lock root's "
            + "SSH login; pick another user, or keep the default " + DEFAULT_SSH_USER);
      }
      this.sshUser = user;
      return this;
    }

    /**
     * Sets a cloud-init user-data file that the seed contains byte for byte, in place of the
     * one xray writes. The file is read when the VM is created. Default: none.
     *
     * @param file the user-data file
     * @return this builder
     */
    public Builder userData(Path file) {
      this.userData = Objects.requireNonNull(file, "file").toAbsolutePath().normalize();
      return this;
    }

    /**
     * Builds the spec.
     *
     * @return the spec
     * @throws IllegalStateException if no base image was set, if the SSH port is also a port
     *     forward's host port, or if a user was set without an SSH key or user-data file
     */
    public VmSpec build() {
      if (base == null) {
        throw new IllegalStateException("VM '" + name + "' needs a base image: call base(NAME)");
      }
      if (architecture == null) {
        architecture = Architecture.host();
      }
      if (sshPort != 0 && portForwards.containsKey(sshPort)) {
        throw new IllegalStateException("host port " + sshPort + " is both the SSH port and a "
            + "port forward of VM '" + name + "'");
      }
      boolean seeded = sshKey != null || userData != null;
      if (sshUser != null && !seeded) {
        throw new IllegalStateException("VM '" + name + "' has a user but no cloud-init seed: "
            + "call sshKey(PATH) or userData(PATH) too");
      }
      return new VmSpec(this);
    }
  }
}
