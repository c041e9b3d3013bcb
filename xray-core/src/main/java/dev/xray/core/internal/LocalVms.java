package dev.xray.core.internal;

import dev.xray.api.AlreadyExistsException;
import dev.xray.api.EphemeralVm;
import dev.xray.api.HostException;
import dev.xray.api.Names;
import dev.xray.api.NotFoundException;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmTemplate;
import dev.xray.api.Vms;
import dev.xray.api.XrayException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The VMs under {@code vms/}. */
final class LocalVms implements Vms {
  private static final Logger log = LoggerFactory.getLogger(LocalVms.class);
  /** Prefix of folders that a create is still filling; they never count as VMs. */
  static final String CREATING_PREFIX = ".creating-";
  /** Prefix of folders that a remove is deleting. */
  static final String REMOVING_PREFIX = ".removing-";
  /**
   * How old a create or remove folder must be to count as interrupted. A create takes
   * milliseconds, so an hour leaves a wide margin for slow disks.
   */
  private static final Duration INTERRUPTED_AGE = Duration.ofHours(1);

  private final LocalXray xray;

  LocalVms(LocalXray xray) {
    this.xray = xray;
  }

  @Override
  public Vm create(VmSpec spec) {
    createFiles(spec, false);
    return new LocalVm(xray, spec.name());
  }

  @Override
  public EphemeralVm createEphemeral(VmSpec spec) {
    createFiles(spec, true);
    return new LocalEphemeralVm(xray, spec.name());
  }

  @Override
  public VmTemplate createTemplate(VmSpec spec, Consumer<Vm> warmUp) {
    return LocalVmTemplate.create(xray, spec, warmUp);
  }

  private void createFiles(VmSpec requested, boolean ephemeral) {
    long startNanos = System.nanoTime();
    HomeLayout layout = xray.layout();
    Path target = layout.vmDirectory(requested.name());
    Path staging = layout.vmsDirectory().resolve(CREATING_PREFIX + requested.name() + "-"
        + UUID.randomUUID());
    // Read the key and user-data files first, so that a wrong path fails before any file is made.
    Optional<byte[]> seed = requested.hasSeed()
        ? Optional.of(NoCloudSeed.image(requested, "iid-" + UUID.randomUUID()))
        : Optional.empty();
    VmSpec spec = requested;
    boolean sshPortAuto = requested.hasSeed() && requested.sshPort().isEmpty();
    try {
      // The slow part, running qemu-img, happens outside the home's lock, so that parallel
      // creates do not queue behind each other. The checks run first to fail fast, and again
      // under the lock, where the name, the base and the ports are settled.
      checkCreatable(requested, target);
      Firmware.FirmwareFiles firmware = Firmware.find(spec.architecture(),
          QemuBinaries.searchPathProgram(spec.architecture()));
      AtomicFiles.createPrivateDirectory(staging);
      HomeLayout.VmFiles files = new HomeLayout.VmFiles(staging);
      try {
        xray.qemuImg().createOverlay(files.disk(), HomeLayout.backingPath(spec.base()),
            "qcow2");
      } catch (XrayException e) {
        if (!Files.exists(xray.layout().base(spec.base()))) {
          throw LocalBases.notFound(spec.base());
        }
        throw e;
      }
      xray.qemuImg().convert(firmware.varsTemplate(), firmware.varsFormat(), files.vars(),
          "qcow2");
      if (seed.isPresent()) {
        AtomicFiles.write(files.seedImage(), seed.get());
      }
      Files.createFile(files.lockFile());
      if (ephemeral) {
        LocalEphemeralVm.writeOwner(files.ownerFile());
      }
      try (FileLocks.Held lock = xray.lockHome()) {
        if (sshPortAuto) {
          spec = requested.toBuilder().sshPort(pickSshPort(requested)).build();
        }
        checkCreatable(spec, target);
        Optional<String> seedImage = seed.map(bytes -> HomeLayout.SEED_IMAGE);
        VmConfig.write(files.config(), new VmConfig.Contents(spec, Optional.empty())
            .withSeed(seedImage, sshPortAuto));
        try {
          AtomicFiles.moveAtomically(staging, target);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
          throw alreadyExists(spec.name());
        }
      }
    } catch (IOException e) {
      throw new XrayException("cannot create VM '" + spec.name() + "': " + e, e);
    } finally {
      deleteQuietly(staging);
    }
    log.info("created VM {} on base {}{} in {} ms", spec.name(), spec.base(),
        seed.isPresent() ? " with a cloud-init seed, ssh on 127.0.0.1:"
            + spec.sshPort().getAsInt() : "",
        (System.nanoTime() - startNanos) / 1_000_000);
  }

  /**
   * Returns a port of 127.0.0.1 for the SSH forward of a VM of {@code spec}: free now, and
   * neither another VM's forward nor one of the VM's own port forwards. The kernel picks it from
   * its ephemeral range, so two homes rarely pick the same port; a start that finds the port taken
   * picks again. The caller holds the home's lock, or the VM's lock when it runs a start.
   */
  int pickSshPort(VmSpec spec) {
    String name = spec.name();
    Set<Integer> usedPorts = new TreeSet<>(spec.portForwards().keySet());
    for (Vm other : list()) {
      if (!other.name().equals(name)) {
        readSpecQuietly(other).ifPresent(otherSpec -> usedPorts.addAll(hostPorts(otherSpec)));
      }
    }
    for (int attempt = 0; attempt < 20; attempt++) {
      int port;
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = socket.getLocalPort();
      } catch (IOException e) {
        throw new HostException("cannot find a free port on 127.0.0.1 for the SSH forward of VM '"
            + name + "': " + e.getMessage() + "; pass --ssh-port PORT");
      }
      if (!usedPorts.contains(port)) {
        return port;
      }
    }
    throw new HostException("cannot find a free port on 127.0.0.1 for the SSH forward of VM '"
        + name + "' that no other VM uses; pass --ssh-port PORT");
  }

  private void checkCreatable(VmSpec spec, Path target) throws IOException {
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw alreadyExists(spec.name());
    }
    VmLauncher.checkSocketPaths(xray.layout().vmFiles(spec.name()), HostPlatform.current());
    VmLauncher.checkLogPath(xray.layout().vmFiles(spec.name()));
    if (!Files.exists(xray.layout().base(spec.base()))) {
      throw LocalBases.notFound(spec.base());
    }
    Set<Integer> ports = hostPorts(spec);
    if (ports.isEmpty()) {
      return;
    }
    for (Vm other : list()) {
      Optional<VmSpec> otherSpec = readSpecQuietly(other);
      if (otherSpec.isEmpty()) {
        continue;
      }
      for (int port : hostPorts(otherSpec.get())) {
        if (ports.contains(port)) {
          String option = spec.sshPort().equals(OptionalInt.of(port)) ? "--ssh-port"
              : "port forward";
          throw new AlreadyExistsException("host port " + port + " is already forwarded to VM '"
              + other.name() + "'; pick another " + option);
        }
      }
    }
  }

  /** Returns the host ports on 127.0.0.1 that a VM of {@code spec} listens on. */
  private static Set<Integer> hostPorts(VmSpec spec) {
    Set<Integer> ports = new TreeSet<>(spec.portForwards().keySet());
    spec.sshPort().ifPresent(ports::add);
    return ports;
  }

  private static AlreadyExistsException alreadyExists(String name) {
    return new AlreadyExistsException("VM '" + name + "' already exists; pick another name or "
        + "remove it with 'xray remove " + name + "'");
  }

  @Override
  public List<Vm> list() {
    List<Vm> vms = new ArrayList<>();
    for (String name : names()) {
      vms.add(new LocalVm(xray, name));
    }
    return vms;
  }

  /** Returns the names of VM folders that hold a vm.toml, sorted. */
  List<String> names() {
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> folders = Files.newDirectoryStream(xray.layout().vmsDirectory())) {
      for (Path folder : folders) {
        String name = folder.getFileName().toString();
        if (Names.isValid(name) && Files.isRegularFile(folder.resolve("vm.toml"))) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      throw new XrayException("cannot list " + xray.layout().vmsDirectory() + ": " + e, e);
    }
    names.sort(null);
    return names;
  }

  /** Returns the VMs whose overlay is backed by base {@code base}. */
  List<String> namesUsingBase(String base) {
    List<String> users = new ArrayList<>();
    for (Vm vm : list()) {
      Optional<VmSpec> spec = readSpecQuietly(vm);
      // A VM whose config cannot be read might use the base, so it counts as a user.
      if (spec.isEmpty() || spec.get().base().equals(base)) {
        users.add(vm.name());
      }
    }
    return users;
  }

  /** Returns the warm clones whose overlay is backed by template {@code template}. */
  List<String> namesUsingTemplate(String template) {
    List<String> clones = new ArrayList<>();
    for (String name : names()) {
      try {
        VmConfig.Contents config = VmConfig.read(xray.layout().vmFiles(name).config(), name);
        if (config.template().filter(template::equals).isPresent()) {
          clones.add(name);
        }
      } catch (IOException | IllegalStateException e) {
        log.warn("cannot read the configuration of VM {}: {}", name, e.getMessage());
      }
    }
    return clones;
  }

  /**
   * Removes what dead processes left behind: ephemeral VMs whose owner is gone (clones before
   * templates, so a template's clones never lose their backing file), and folders of creates
   * and removes that were interrupted.
   */
  void removeLeftovers() {
    List<String> orphans = new ArrayList<>();
    for (String name : names()) {
      if (LocalEphemeralVm.ownerIsGone(xray.layout().vmFiles(name).ownerFile())) {
        orphans.add(name);
      }
    }
    orphans.sort(Comparator.comparing((String name) -> isTemplate(name)));
    for (String name : orphans) {
      try {
        LocalEphemeralVm vm = new LocalEphemeralVm(xray, name);
        vm.close();
        log.info("removed ephemeral VM {}, whose owning process is gone", name);
      } catch (RuntimeException e) {
        log.warn("cannot remove ephemeral VM {}, whose owning process is gone: {}", name,
            e.getMessage());
      }
    }
    removeInterruptedFolders();
  }

  private boolean isTemplate(String name) {
    try {
      return VmConfig.read(xray.layout().vmFiles(name).config(), name).frozen();
    } catch (IOException | IllegalStateException e) {
      return false;
    }
  }

  private void removeInterruptedFolders() {
    Instant cutoff = Instant.now().minus(INTERRUPTED_AGE);
    try (DirectoryStream<Path> folders = Files.newDirectoryStream(xray.layout().vmsDirectory(),
        folder -> folder.getFileName().toString().startsWith(CREATING_PREFIX)
            || folder.getFileName().toString().startsWith(REMOVING_PREFIX))) {
      for (Path folder : folders) {
        if (Files.getLastModifiedTime(folder).toInstant().isBefore(cutoff)) {
          log.info("deleting {}, left by an interrupted create or remove", folder);
          deleteQuietly(folder);
        }
      }
    } catch (IOException e) {
      log.warn("cannot look for interrupted creates in {}: {}", xray.layout().vmsDirectory(),
          e.getMessage());
    }
  }

  private static Optional<VmSpec> readSpecQuietly(Vm vm) {
    try {
      return Optional.of(vm.spec());
    } catch (RuntimeException e) {
      log.warn("cannot read the configuration of VM {}: {}", vm.name(), e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public Optional<Vm> find(String name) {
    Names.checkVmName(name);
    if (!Files.isRegularFile(xray.layout().vmFiles(name).config())) {
      return Optional.empty();
    }
    return Optional.of(new LocalVm(xray, name));
  }

  @Override
  public Vm get(String name) {
    return find(name).orElseThrow(() -> notFound(name));
  }

  static NotFoundException notFound(String name) {
    return new NotFoundException("VM '" + name + "' not found; 'xray list' shows the VMs");
  }

  private static void deleteQuietly(Path folder) {
    try {
      AtomicFiles.deleteRecursively(folder);
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", folder, e.getMessage());
    }
  }
}
