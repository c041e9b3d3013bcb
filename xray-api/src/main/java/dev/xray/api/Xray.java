package dev.xray.api;

import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * The entry point: the base images and VMs of one xray home folder.
 *
 * <pre>{@code
 * Xray xray = Xray.openDefault();                 // XRAY_HOME, else ~/.xray
 * xray.bases().importImage(Path.of("debian.qcow2"), "debian", false);
 * Vm vm = xray.vms().create(VmSpec.builder("web").base("debian").memory(2048).build());
 * vm.start();
 * vm.snapshots().create("clean");
 * }</pre>
 *
 * <p>Instances are thread-safe and hold no resources, so they need no closing. Several instances
 * and several processes may use one home folder at once: all state lives in its files.
 *
 * <h2>Limits</h2>
 *
 * <p>xray runs QEMU on Linux and macOS hosts only. It uses QEMU's internal qcow2 snapshots, so
 * every writable drive of a VM is qcow2. It does not migrate VMs between hosts.
 */
public interface Xray {
  /**
   * Opens the home folder at {@code home}, creating it (mode 0700) if it does not exist. The
   * implementation is the first {@link XrayProvider} that {@link ServiceLoader} finds.
   *
   * @param home the home folder
   * @return the home's bases and VMs
   * @throws HostException if no implementation, such as {@code xray-core}, is present
   */
  static Xray open(Path home) {
    return provider().open(home);
  }

  /**
   * Opens the home folder named by {@code XRAY_HOME}, or {@code ~/.xray} when it is unset.
   *
   * @return the home's bases and VMs
   * @see #open(Path)
   */
  static Xray openDefault() {
    return open(defaultHome());
  }

  /**
   * Returns the default home folder.
   *
   * @return the folder {@code XRAY_HOME} names, or {@code ~/.xray} when it is unset or empty
   */
  static Path defaultHome() {
    String env = System.getenv("XRAY_HOME");
    if (env != null && !env.isEmpty()) {
      return Path.of(env).toAbsolutePath();
    }
    // ~ as the shell means it: $HOME, which Java's user.home does not follow.
    String home = System.getenv("HOME");
    return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"),
        ".xray");
  }

  private static XrayProvider provider() {
    return ServiceLoader.load(XrayProvider.class, Xray.class.getClassLoader())
        .findFirst()
        .orElseThrow(() -> new HostException(
            "no xray implementation on the class path: add the dev.xray:xray-core dependency"));
  }

  /**
   * Returns the home folder.
   *
   * @return the home folder, as an absolute path
   */
  Path home();

  /**
   * Returns the base images of the home folder.
   *
   * @return the bases
   */
  Bases bases();

  /**
   * Returns the VMs of the home folder.
   *
   * @return the VMs
   */
  Vms vms();
}
