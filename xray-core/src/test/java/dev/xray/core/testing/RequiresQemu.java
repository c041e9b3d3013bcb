package dev.xray.core.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks tests that need QEMU, qemu-img, OVMF and the tools that build the test guest. On a
 * machine without them the tests are skipped with the reason, except when the environment
 * variable {@code CI} is {@code true} or {@code XRAY_REQUIRE_QEMU} is {@code 1}: then they fail,
 * so a CI run can never pass by skipping them.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(QemuCondition.class)
public @interface RequiresQemu {}
