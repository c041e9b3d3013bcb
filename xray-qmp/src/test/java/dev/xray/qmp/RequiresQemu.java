package dev.xray.qmp;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks tests that start a real {@code qemu-system-x86_64} and use {@code qemu-img}.
 *
 * <p>When either program is missing from {@code PATH}, the tests are skipped with a reason that
 * names it. They fail instead when the environment variable {@code CI} is {@code true} or
 * {@code XRAY_REQUIRE_QEMU} is {@code 1}, so that a build machine without QEMU cannot pass by
 * skipping them.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresQemuCondition.class)
@interface RequiresQemu {}
