package dev.xray.core.internal;

import dev.xray.api.AlreadyExistsException;
import dev.xray.api.EphemeralVm;
import dev.xray.api.InvalidStateException;
import dev.xray.api.Names;
import dev.xray.api.QemuException;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.api.VmStatus;
import dev.xray.api.VmTemplate;
import dev.xray.api.XrayException;
import dev.xray.qmp.QmpClient;
import dev.xray.qmp.QmpException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A warm-start template: a booted VM whose state was saved by a migration to a file, and whose
 * overlay then became the read-only backing file of its clones.
 */
final class LocalVmTemplate implements VmTemplate {
  private static final Logger log = LoggerFactory.getLogger(LocalVmTemplate.class);
  private static final Duration SAVE_TIMEOUT = Duration.ofMinutes(10);

  private final LocalXray xray;
  private final LocalEphemeralVm vm;

  private LocalVmTemplate(LocalXray xray, LocalEphemeralVm vm) {
    this.xray = xray;
    this.vm = vm;
  }

  /** Boots a VM from {@code spec}, runs {@code warmUp}, and freezes it as a template. */
  static LocalVmTemplate create(LocalXray xray, VmSpec spec, Consumer<Vm> warmUp) {
    long startNanos = System.nanoTime();
    LocalEphemeralVm vm = (LocalEphemeralVm) xray.localVms().createEphemeral(spec);
    try {
      vm.start();
      warmUp.accept(vm);
      freeze(vm);
    } catch (RuntimeException e) {
      vm.close();
      throw e;
    }
    log.info("froze VM {} as a warm-start template in {} ms", spec.name(),
        (System.nanoTime() - startNanos) / 1_000_000);
    return new LocalVmTemplate(xray, vm);
  }

  /** Pauses the VM, saves its state to state.bin, ends QEMU, and marks the VM frozen. */
  private static void freeze(LocalEphemeralVm vm) {
    HomeLayout.VmFiles files = vm.files();
    try (FileLocks.Held lock = vm.lock()) {
      QemuProcess.Observation observation = QemuProcess.observe(files);
      if (observation.state() != QemuProcess.PidState.ALIVE) {
        throw new QemuException("VM '" + vm.name() + "' stopped during its warm-up",
            vm.serialTail(), null);
      }
      try (QmpClient qmp = vm.connectMonitor()) {
        qmp.stop();
        var arguments = qmp.newArguments();
        arguments.put("uri", "exec:cat > " + QemuCommandLine.shellQuote(files.stateFile()));
        qmp.execute("migrate", arguments);
        awaitMigration(qmp, vm.name());
        qmp.quit();
      } catch (QmpException e) {
        throw new QemuException("cannot save the state of VM '" + vm.name() + "': "
            + e.getMessage(), e);
      }
      if (!QemuProcess.awaitExit(observation.process().get(), Duration.ofSeconds(30))) {
        throw new QemuException("QEMU of template '" + vm.name() + "' did not quit");
      }
      vm.cleanRunFiles();
      VmConfig.write(files.config(), vm.config().withFrozen(true));
      AtomicFiles.setMode(files.disk(), "r--------");
    } catch (IOException e) {
      throw new XrayException("cannot freeze VM '" + vm.name() + "': " + e, e);
    }
  }

  private static void awaitMigration(QmpClient qmp, String name) throws QmpException {
    long deadline = System.nanoTime() + SAVE_TIMEOUT.toNanos();
    while (true) {
      String status = qmp.execute("query-migrate").path("status").asText("none");
      if (status.equals("completed")) {
        return;
      }
      if (status.equals("failed") || status.equals("cancelled")) {
        throw new QemuException("saving the state of VM '" + name + "' failed (migration "
            + status + ")");
      }
      if (System.nanoTime() > deadline) {
        throw new QemuException("saving the state of VM '" + name + "' took more than "
            + SAVE_TIMEOUT.toMinutes() + " minutes");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new QemuException("interrupted while saving the state of VM '" + name + "'", e);
      }
    }
  }

  @Override
  public String name() {
    return vm.name();
  }

  @Override
  public EphemeralVm startClone(String name) {
    Names.checkVmName(name);
    long startNanos = System.nanoTime();
    createClone(name);
    LocalEphemeralVm clone = new LocalEphemeralVm(xray, name);
    try {
      clone.start();
    } catch (RuntimeException e) {
      clone.close();
      throw e;
    }
    log.info("started clone {} of template {} in {} ms", name, vm.name(),
        (System.nanoTime() - startNanos) / 1_000_000);
    return clone;
  }

  private void createClone(String name) {
    HomeLayout layout = xray.layout();
    Path target = layout.vmDirectory(name);
    Path staging = layout.vmsDirectory().resolve(LocalVms.CREATING_PREFIX + name + "-"
        + UUID.randomUUID());
    HomeLayout.VmFiles template = vm.files();
    VmConfig.Contents templateConfig = vm.config();
    VmSpec templateSpec = templateConfig.spec();
    // Clones share no host ports: two QEMUs cannot listen on one port.
    VmSpec.Builder builder = VmSpec.builder(name).base(templateSpec.base())
        .memory(templateSpec.memoryMiB()).cpus(templateSpec.cpus())
        .display(templateSpec.display()).accelerator(templateSpec.accelerator())
        .architecture(templateSpec.architecture());
    templateSpec.sshKey().ifPresent(builder::sshKey);
    templateSpec.userData().ifPresent(builder::userData);
    templateSpec.sshUser().ifPresent(builder::sshUser);
    try (FileLocks.Held lock = xray.lockHome()) {
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        throw new AlreadyExistsException("VM '" + name + "' already exists; pick another name");
      }
      // The saved state expects the devices the template had, so a seeded template's clones
      // get a copy of its seed, and an SSH forward of their own.
      boolean seeded = templateConfig.seedImage().isPresent();
      VmSpec spec = builder.build();
      if (seeded) {
        spec = spec.toBuilder().sshPort(xray.localVms().pickSshPort(spec)).build();
      }
      AtomicFiles.createPrivateDirectory(staging);
      HomeLayout.VmFiles files = new HomeLayout.VmFiles(staging);
      xray.qemuImg().createOverlay(files.disk(), "../" + vm.name() + "/disk.qcow2", "qcow2");
      Files.copy(template.vars(), files.vars());
      if (seeded) {
        Files.copy(template.directory().resolve(templateConfig.seedImage().get()),
            files.seedImage());
      }
      VmConfig.write(files.config(), new VmConfig.Contents(spec, Optional.empty(),
          Optional.of("../" + vm.name() + "/state.bin"), Optional.of(vm.name()), false,
          seeded ? Optional.of(HomeLayout.SEED_IMAGE) : Optional.empty(), seeded));
      Files.createFile(files.lockFile());
      LocalEphemeralVm.writeOwner(files.ownerFile());
      AtomicFiles.moveAtomically(staging, target);
    } catch (IOException e) {
      throw new XrayException("cannot create clone '" + name + "' of template '" + vm.name()
          + "': " + e, e);
    } finally {
      try {
        AtomicFiles.deleteRecursively(staging);
      } catch (IOException e) {
        log.warn("cannot delete {}: {}", staging, e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    List<String> clones = xray.localVms().namesUsingTemplate(vm.name());
    if (!clones.isEmpty()) {
      throw new InvalidStateException("template '" + vm.name() + "' still backs "
          + String.join(", ", clones) + "; close those clones first", VmStatus.STOPPED);
    }
    vm.close();
  }
}
