package dev.xray.junit;

import dev.xray.api.Architecture;
import dev.xray.api.EphemeralVm;
import dev.xray.api.Names;
import dev.xray.api.Vm;
import dev.xray.api.VmSpec;
import dev.xray.core.TinyGuest;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.platform.commons.support.AnnotationSupport;

/** One checked field annotated {@link XrayVm}, with the VM settings it requests. */
final class VmField {
  private final Field field;
  private final XrayVm annotation;
  private final Optional<Pattern> readyLine;

  private VmField(Field field, XrayVm annotation, Optional<Pattern> readyLine) {
    this.field = field;
    this.annotation = annotation;
    this.readyLine = readyLine;
  }

  /**
   * Returns the annotated fields of {@code testClass} and its superclasses, superclass fields
   * first.
   *
   * @throws ExtensionConfigurationException if a field's type, modifiers or annotation values
   *     are invalid. The message names the field and the fix.
   */
  static List<VmField> of(Class<?> testClass) {
    List<VmField> fields = new ArrayList<>();
    for (Field field : AnnotationSupport.findAnnotatedFields(testClass, XrayVm.class)) {
      fields.add(check(field, field.getAnnotation(XrayVm.class)));
    }
    return fields;
  }

  private static VmField check(Field field, XrayVm vm) {
    String name = describe(field);
    if (field.getType() != Vm.class && field.getType() != EphemeralVm.class) {
      throw invalid(name + " has type " + field.getType().getName() + ", but @XrayVm needs a "
          + "field of type dev.xray.api.Vm or dev.xray.api.EphemeralVm; change its type");
    }
    if (Modifier.isFinal(field.getModifiers())) {
      throw invalid(name + " is final, so the extension cannot set it; remove 'final'");
    }
    checkSource(name, vm);
    checkHardware(name, vm);
    if (vm.warm() && Modifier.isStatic(field.getModifiers())) {
      throw invalid(name + " is static and has warm = true, but warm starts apply to instance "
          + "fields: a static field's VM already boots once per class. Remove warm = true, or "
          + "make the field an instance field to get a warm clone for each test");
    }
    if (vm.readyTimeoutSeconds() < 1) {
      throw invalid(name + " has readyTimeoutSeconds = " + vm.readyTimeoutSeconds()
          + "; it must be at least 1");
    }
    checkWarmUp(name, vm.warmUp());
    return new VmField(field, vm, readyLine(name, vm));
  }

  private static void checkSource(String name, XrayVm vm) {
    List<String> sources = new ArrayList<>();
    if (!vm.image().isEmpty()) {
      sources.add("image");
    }
    if (!vm.base().isEmpty()) {
      sources.add("base");
    }
    if (vm.tinyGuest()) {
      sources.add("tinyGuest");
    }
    if (sources.isEmpty()) {
      throw invalid(name + ": @XrayVm needs a disk to boot; set image = \"PATH.qcow2\", base = "
          + "\"NAME\" or tinyGuest = true");
    }
    if (sources.size() > 1) {
      throw invalid(name + ": @XrayVm sets " + String.join(" and ", sources) + ", but exactly "
          + "one of image, base and tinyGuest names the disk to boot; keep one");
    }
    if (!vm.image().isEmpty() && !Files.isRegularFile(Path.of(vm.image()))) {
      throw invalid(name + ": image " + Path.of(vm.image()).toAbsolutePath() + " is not a "
          + "file; give the path of a qcow2 image, absolute or relative to "
          + Path.of("").toAbsolutePath());
    }
    if (!vm.base().isEmpty() && !Names.isValid(vm.base())) {
      throw invalid(name + ": base '" + vm.base() + "' is not a valid base name (1 to 64 "
          + "letters, digits, '.', '_' or '-', starting with a letter or digit)");
    }
  }

  private static void checkHardware(String name, XrayVm vm) {
    if (vm.memory() != 0
        && (vm.memory() < VmSpec.MIN_MEMORY_MIB || vm.memory() > VmSpec.MAX_MEMORY_MIB)) {
      throw invalid(name + " has memory = " + vm.memory() + "; it must be from "
          + VmSpec.MIN_MEMORY_MIB + " to " + VmSpec.MAX_MEMORY_MIB + " MiB, or 0 for the "
          + "default");
    }
    if (vm.cpus() != 0 && (vm.cpus() < 1 || vm.cpus() > VmSpec.MAX_CPUS)) {
      throw invalid(name + " has cpus = " + vm.cpus() + "; it must be from 1 to "
          + VmSpec.MAX_CPUS + ", or 0 for the default");
    }
  }

  private static void checkWarmUp(String name, Class<? extends VmWarmUp> warmUp) {
    if (Modifier.isAbstract(warmUp.getModifiers())) {
      throw invalid(name + ": warmUp " + warmUp.getName() + " is abstract or an interface; "
          + "name a class that implements VmWarmUp");
    }
    try {
      warmUp.getDeclaredConstructor();
    } catch (NoSuchMethodException e) {
      String inner = warmUp.isMemberClass() && !Modifier.isStatic(warmUp.getModifiers())
          ? " (an inner class needs its outer instance: make it a static nested class)" : "";
      throw invalid(name + ": warmUp " + warmUp.getName() + " has no constructor without "
          + "arguments" + inner + "; add one");
    }
  }

  private static Optional<Pattern> readyLine(String name, XrayVm vm) {
    String regex = vm.readyLine();
    if (regex.isEmpty() && vm.tinyGuest()) {
      regex = Pattern.quote(TinyGuest.READY_LINE);
    }
    if (regex.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Pattern.compile(regex));
    } catch (PatternSyntaxException e) {
      throw invalid(name + " has readyLine = \"" + vm.readyLine() + "\", which is not a valid "
          + "regular expression: " + e.getDescription());
    }
  }

  private static ExtensionConfigurationException invalid(String message) {
    return new ExtensionConfigurationException(message);
  }

  private static String describe(Field field) {
    return "field " + field.getDeclaringClass().getName() + "." + field.getName();
  }

  /** Returns {@code field CLASS.NAME}, for messages. */
  String describe() {
    return describe(field);
  }

  String name() {
    return field.getName();
  }

  /** Returns a key that identifies the field among all fields of all classes. */
  String key() {
    return field.getDeclaringClass().getName() + "#" + field.getName();
  }

  boolean isStatic() {
    return Modifier.isStatic(field.getModifiers());
  }

  boolean warm() {
    return annotation.warm();
  }

  boolean tinyGuest() {
    return annotation.tinyGuest();
  }

  /** Returns the image to import, resolved against the working folder, if the field names one. */
  Optional<Path> image() {
    return annotation.image().isEmpty()
        ? Optional.empty() : Optional.of(Path.of(annotation.image()).toAbsolutePath());
  }

  /** Returns the existing base that the field names, if it names one. */
  Optional<String> base() {
    return annotation.base().isEmpty() ? Optional.empty() : Optional.of(annotation.base());
  }

  Architecture architecture() {
    return tinyGuest() ? Architecture.X86_64 : Architecture.host();
  }

  Optional<Pattern> readyLine() {
    return readyLine;
  }

  Duration readyTimeout() {
    return Duration.ofSeconds(annotation.readyTimeoutSeconds());
  }

  /** Returns the spec of a VM called {@code name} on {@code base}, with this field's hardware. */
  VmSpec spec(String name, String base) {
    int memory = annotation.memory() != 0 ? annotation.memory()
        : tinyGuest() ? TinyGuest.MEMORY_MIB : VmSpec.DEFAULT_MEMORY_MIB;
    int cpus = annotation.cpus() != 0 ? annotation.cpus() : tinyGuest() ? 1 : VmSpec.DEFAULT_CPUS;
    return VmSpec.builder(name).base(base).memory(memory).cpus(cpus)
        .architecture(architecture()).build();
  }

  /** Creates the field's warm-up with its constructor that takes no arguments. */
  VmWarmUp newWarmUp() throws ReflectiveOperationException {
    Constructor<? extends VmWarmUp> constructor = annotation.warmUp().getDeclaredConstructor();
    constructor.setAccessible(true);
    return constructor.newInstance();
  }

  /** Sets the field of {@code testInstance}, or the static field when it is null, to {@code vm}. */
  void set(Object testInstance, EphemeralVm vm) {
    try {
      field.setAccessible(true);
      field.set(testInstance, vm);
    } catch (IllegalAccessException | RuntimeException e) {
      throw new ExtensionConfigurationException("cannot set " + describe() + ": " + e, e);
    }
  }
}
