package dev.xray.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a field of type {@link dev.xray.api.Vm} or {@link dev.xray.api.EphemeralVm} that {@link
 * XrayExtension} sets to a started VM. A {@code static} field gets one VM for the whole class, and
 * an instance field a new VM for each test. {@link XrayTest} describes when each is started and
 * removed. The field must not be {@code final}.
 *
 * <p>Exactly one of {@link #image()}, {@link #base()} and {@link #tinyGuest()} names the disk the
 * VM starts from. Each VM is a thin qcow2 overlay on it, so the image itself is never written.
 *
 * <pre>{@code
 * @XrayVm(image = "build/debian-12.qcow2", memory = 1024, readyLine = "login:")
 * Vm debian;
 * }</pre>
 */
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface XrayVm {
  /**
   * The path of a qcow2 image to boot, absolute or relative to the working folder. It is imported
   * into the home folder as a base by a symbolic link, so it must stay in place while tests run.
   *
   * @return the image's path, or empty for none
   */
  String image() default "";

  /**
   * The name of a base image that already exists in the home folder. This needs a home folder
   * named by the system property {@value XrayExtension#HOME_PROPERTY}, because a temporary home
   * starts empty.
   *
   * @return the base's name, or empty for none
   */
  String base() default "";

  /**
   * Whether to boot xray's tiny x86_64 test guest ({@link dev.xray.core.TinyGuest}), built from
   * Debian packages on first use and cached. Unless given, memory is then {@link
   * dev.xray.core.TinyGuest#MEMORY_MIB}, cpus is 1, and {@link #readyLine()} is {@link
   * dev.xray.core.TinyGuest#READY_LINE}. After the ready line the extension also waits for the
   * guest's first prompt, so that the test's first {@link
   * dev.xray.core.TinyGuest#runCommand} cannot mistake that prompt for the end of its output.
   *
   * @return whether to boot the tiny test guest
   */
  boolean tinyGuest() default false;

  /**
   * Guest memory in MiB, from {@value dev.xray.api.VmSpec#MIN_MEMORY_MIB}, or 0 for the default:
   * {@value dev.xray.api.VmSpec#DEFAULT_MEMORY_MIB}, or {@value dev.xray.core.TinyGuest#MEMORY_MIB}
   * for the tiny guest.
   *
   * @return the memory in MiB, or 0
   */
  int memory() default 0;

  /**
   * The number of vCPUs, or 0 for the default: {@value dev.xray.api.VmSpec#DEFAULT_CPUS}, or 1
   * for the tiny guest.
   *
   * @return the number of vCPUs, or 0
   */
  int cpus() default 0;

  /**
   * A regular expression that a line of the guest's serial console output must match before the
   * test runs, searched with {@link java.util.regex.Matcher#find()}. Empty means no wait beyond
   * QEMU's start. The tiny guest's default is {@code GUEST-READY}.
   *
   * @return the regular expression, or empty
   */
  String readyLine() default "";

  /**
   * How long to wait for {@link #readyLine()}.
   *
   * @return the timeout in seconds
   */
  int readyTimeoutSeconds() default 180;

  /**
   * Whether to start each test's VM warm, for instance fields only. The VM is booted once for the
   * test class, waits for {@link #readyLine()}, runs {@link #warmUp()}, and is frozen as a {@link
   * dev.xray.api.VmTemplate}. Each test then gets a clone started from the frozen state instead
   * of a booted VM. The template is removed after the class.
   *
   * <p>A clone does not boot, so its serial console never prints the ready line again, and the
   * extension does not wait for it. Every clone has the template's guest identity and clock, and
   * {@link dev.xray.api.VmTemplate} lists the other limits.
   *
   * @return whether to start each test's VM from a frozen template
   */
  boolean warm() default false;

  /**
   * A class, with a constructor that takes no arguments, whose {@link VmWarmUp#warmUp} runs on the
   * VM once it is ready and before the test. With {@link #warm()} it runs once on the template,
   * before the freeze, so that every clone starts with its effects.
   *
   * @return the warm-up class; {@link VmWarmUp.None} does nothing
   */
  Class<? extends VmWarmUp> warmUp() default VmWarmUp.None.class;
}
