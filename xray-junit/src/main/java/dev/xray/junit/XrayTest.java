package dev.xray.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Registers {@link XrayExtension} on a test class, which starts a VM for each field annotated
 * {@link XrayVm}.
 *
 * <pre>{@code
 * @XrayTest
 * class GuestTest {
 *   @XrayVm(tinyGuest = true)
 *   static Vm shared;          // one VM for the whole class
 *
 *   @XrayVm(tinyGuest = true)
 *   Vm fresh;                  // a new VM for each test
 *
 *   @Test
 *   void runsCommand() {
 *     try (SerialConsole console = fresh.openConsole()) {
 *       assertThat(TinyGuest.runCommand(console, "echo hi", Duration.ofSeconds(20)))
 *           .isEqualTo("hi\n");
 *     }
 *   }
 * }
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 *
 * <ul>
 *   <li>A {@code static} field gets one VM for the whole class. It is started before the
 *       class's {@code @BeforeAll} methods run, and killed and removed after its {@code @AfterAll}
 *       methods.
 *   <li>An instance field gets a new VM for each test. It is started before the {@code
 *       @BeforeEach} methods run, and killed and removed after the {@code @AfterEach} methods,
 *       whether the test passed or failed.
 *   <li>With {@link XrayVm#warm()}, an instance field's VM is booted once per class, frozen as a
 *       {@link dev.xray.api.VmTemplate}, and each test gets a clone started from that state.
 * </ul>
 *
 * <p>All VMs of a class live in one xray home folder: a new temporary folder for each test class,
 * deleted after the class, or the folder that the system property {@value
 * XrayExtension#HOME_PROPERTY} names, which is kept. VM names are derived from the test class,
 * method and field, so the files of a failed test are easy to find.
 *
 * <h2>Hosts without QEMU</h2>
 *
 * <p>When QEMU, {@code qemu-img} or UEFI firmware is missing, or the tiny test guest cannot be
 * built, the class is disabled with the reason instead of failing. When the environment variable
 * {@code XRAY_REQUIRE_QEMU} is {@code 1}, the class fails instead, so that a CI run that has
 * QEMU cannot pass by skipping every VM test.
 *
 * <h2>Limits</h2>
 *
 * <ul>
 *   <li>Only sequential test execution was tested. A VM whose derived name is taken, for example
 *       by another JVM in a shared home, gets the suffix {@code -2}, {@code -3} and so on, but
 *       parallel execution was not verified.
 *   <li>VMs get no SSH or other port forwards, because {@link XrayVm} has no attribute for them.
 *       A VM from {@link XrayVm#image()} or {@link XrayVm#base()} has the host's architecture,
 *       and the tiny guest is always x86_64.
 *   <li>The extension closes VMs through the {@link
 *       org.junit.jupiter.api.extension.ExtensionContext.Store}, which closes {@link
 *       AutoCloseable} values from JUnit 5.13 on. It fails the class when the configuration
 *       parameter {@code junit.jupiter.extensions.store.close.autocloseable.enabled} is {@code
 *       false}, because VMs would then outlive their tests.
 *   <li>Fields annotated {@link XrayVm} in a class without {@code @XrayTest} (or {@code
 *       @ExtendWith(XrayExtension.class)}) are left {@code null}.
 * </ul>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(XrayExtension.class)
public @interface XrayTest {}
