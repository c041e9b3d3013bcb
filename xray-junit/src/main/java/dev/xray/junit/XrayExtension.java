package dev.xray.junit;

import dev.xray.api.AlreadyExistsException;
import dev.xray.api.Architecture;
import dev.xray.api.EphemeralVm;
import dev.xray.api.HostException;
import dev.xray.api.Vm;
import dev.xray.api.VmTemplate;
import dev.xray.api.XrayException;
import dev.xray.core.TinyGuest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.TestAbortedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JUnit 5 extension behind {@link XrayTest}: it starts a VM for each field annotated {@link
 * XrayVm} and removes it when the test or class it belongs to ends. {@link XrayTest} describes
 * the lifecycle, the home folder and the limits.
 *
 * <p>Each VM is an {@link EphemeralVm} stored, wrapped in an {@link AutoCloseable}, in the {@link
 * ExtensionContext.Store} of its test (instance fields) or class (static fields), so JUnit closes
 * it when that context ends, also after a failure. When a test, or a {@code @BeforeEach}, {@code
 * @AfterEach}, {@code @BeforeAll} or {@code @AfterAll} method fails, the last {@value
 * SerialTail#LINES} lines of each of its VMs' serial console are published as a report entry
 * {@code xray.serial.VM-NAME} and added to the failure as a suppressed exception, so a CI log
 * shows what the guest printed.
 *
 * <p>Register it with {@link XrayTest}, or with {@code @ExtendWith(XrayExtension.class)}. An
 * instance keeps no mutable state, because everything lives in the extension context's store.
 * Parallel test execution was not verified.
 */
public final class XrayExtension implements ExecutionCondition, BeforeAllCallback,
    BeforeEachCallback, TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
  /**
   * The system property, or JUnit configuration parameter, that names a shared xray home folder.
   * Without it each test class gets a new temporary home.
   */
  public static final String HOME_PROPERTY = "xray.test.home";
  /** JUnit's switch for closing {@link AutoCloseable} store values, since JUnit 5.13. */
  static final String CLOSE_PARAMETER =
      "junit.jupiter.extensions.store.close.autocloseable.enabled";
  /** The prefix of the report entries that contain a VM's serial console output. */
  static final String REPORT_KEY_PREFIX = "xray.serial.";

  private static final Namespace NAMESPACE = Namespace.create(XrayExtension.class);
  private static final Logger log = LoggerFactory.getLogger(XrayExtension.class);
  private static final int MAX_NAME_ATTEMPTS = 100;
  private static final Pattern TINY_GUEST_PROMPT =
      Pattern.compile(Pattern.quote(TinyGuest.PROMPT));

  private final HostCheck hostCheck;

  /** Creates the extension; JUnit calls this for {@link XrayTest}. */
  public XrayExtension() {
    this(new HostCheck());
  }

  XrayExtension(HostCheck hostCheck) {
    this.hostCheck = hostCheck;
  }

  /** The outcome of building the tiny guest once per test run. */
  private record TinyGuestBuild(Path image, HostException failure) {}

  /** The outcome of checking the host once per test run and set of architectures. */
  private record HostProblems(List<String> messages) {}

  /** The VMs that one extension context started, for failure reports. */
  private static final class TrackedVms {
    final List<VmResource> resources = new CopyOnWriteArrayList<>();
  }

  /**
   * Disables a test class with the reason when this host cannot run the VMs of its {@link XrayVm}
   * fields. Test methods are always enabled, because their class was checked. A misconfigured
   * class, or one whose host lacks QEMU while {@code XRAY_REQUIRE_QEMU=1},
   * stays enabled so that {@link #beforeAll} fails it with the error.
   */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (context.getTestMethod().isPresent() || context.getTestClass().isEmpty()) {
      return ConditionEvaluationResult.enabled("the xray extension checks test classes only");
    }
    List<VmField> fields;
    try {
      checkStoreClosesValues(context);
      fields = VmField.of(context.getRequiredTestClass());
    } catch (ExtensionConfigurationException e) {
      // JUnit wraps an error thrown here in its own exception, but beforeAll throws it as is.
      return ConditionEvaluationResult.enabled("misconfigured: " + e.getMessage());
    }
    List<String> problems = hostProblems(context, fields);
    if (problems.isEmpty()) {
      return ConditionEvaluationResult.enabled("xray can run the VMs of this class");
    }
    if (hostCheck.isRequired()) {
      return ConditionEvaluationResult.enabled("QEMU is required, so beforeAll fails the class");
    }
    return ConditionEvaluationResult.disabled(hostReason(problems));
  }

  private static String hostReason(List<String> problems) {
    return "xray cannot run VMs on this host: " + String.join("; ", problems);
  }

  /** Returns what this host lacks to run the VMs of {@code fields}, or an empty list. */
  private List<String> hostProblems(ExtensionContext context, List<VmField> fields) {
    if (fields.isEmpty()) {
      return List.of();
    }
    Set<Architecture> architectures = EnumSet.noneOf(Architecture.class);
    fields.forEach(field -> architectures.add(field.architecture()));
    ExtensionContext.Store root = context.getRoot().getStore(NAMESPACE);
    List<String> problems = new ArrayList<>(root.getOrComputeIfAbsent(
        "host problems " + architectures,
        key -> new HostProblems(hostCheck.missing(architectures)), HostProblems.class)
        .messages());
    if (problems.isEmpty() && fields.stream().anyMatch(VmField::tinyGuest)) {
      HostException failure = tinyGuestBuild(context).failure();
      if (failure != null) {
        problems.add(failure.getMessage());
      }
    }
    return problems;
  }

  /**
   * Checks the class's fields and host, then starts the VMs of its static fields.
   *
   * @throws ExtensionConfigurationException if a field is misconfigured, even on a host without
   *     QEMU. The message names the field and the fix.
   * @throws HostException if this host cannot run the VMs, which reaches this point only when
   *     {@code XRAY_REQUIRE_QEMU=1}, or when JUnit's conditions are deactivated
   */
  @Override
  public void beforeAll(ExtensionContext context) {
    checkStoreClosesValues(context);
    List<VmField> fields = VmField.of(context.getRequiredTestClass());
    List<String> problems = hostProblems(context, fields);
    if (!problems.isEmpty()) {
      String requiredNote = hostCheck.isRequired() ? " (tests fail instead of skipping because "
          + "XRAY_REQUIRE_QEMU=1)" : "";
      throw new HostException(hostReason(problems) + requiredNote);
    }
    for (VmField field : fields) {
      if (field.isStatic()) {
        String name = VmNames.derive(context.getRequiredTestClass().getSimpleName(),
            field.name());
        field.set(null, startVm(context, field, name));
      }
    }
  }

  /** Starts, or clones from a template, the VMs of the test instances' instance fields. */
  @Override
  public void beforeEach(ExtensionContext context) {
    String method = context.getRequiredTestMethod().getName();
    for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
      for (VmField field : VmField.of(instance.getClass())) {
        if (field.isStatic()) {
          continue;
        }
        String name = VmNames.derive(context.getRequiredTestClass().getSimpleName(), method,
            field.name());
        field.set(instance, field.warm()
            ? startClone(context, field, name) : startVm(context, field, name));
      }
    }
  }

  /** Creates, starts and prepares a VM for {@code field}, stored in {@code context}. */
  private EphemeralVm startVm(ExtensionContext context, VmField field, String name) {
    long startNanos = System.nanoTime();
    TestHome home = home(context);
    String base = baseFor(context, home, field);
    EphemeralVm vm = withUniqueName(name,
        candidate -> home.xray().vms().createEphemeral(field.spec(candidate, base)));
    VmResource resource = track(context, vm, field);
    try {
      vm.start();
      prepare(vm, field);
    } catch (RuntimeException e) {
      attachSerialTail(context, resource, e);
      throw e;
    }
    log.info("VM {} for {} ready in {} ms", vm.name(), field.describe(),
        (System.nanoTime() - startNanos) / 1_000_000);
    return vm;
  }

  /** Starts a clone of {@code field}'s template, creating the template on first use. */
  private EphemeralVm startClone(ExtensionContext context, VmField field, String name) {
    ExtensionContext classContext = classContext(context);
    TestHome home = home(classContext);
    String base = baseFor(context, home, field);
    String templateName = VmNames.derive(classContext.getRequiredTestClass().getSimpleName(),
        field.name(), "template");
    VmTemplate template = classContext.getStore(NAMESPACE).getOrComputeIfAbsent(
        "template " + field.key(),
        key -> createTemplate(context, home, field, templateName, base),
        TemplateResource.class).template();
    EphemeralVm vm = withUniqueName(name, template::startClone);
    track(context, vm, field);
    return vm;
  }

  private TemplateResource createTemplate(ExtensionContext context, TestHome home,
      VmField field, String name, String base) {
    try {
      VmTemplate template = withUniqueName(name, candidate -> home.xray().vms().createTemplate(
          field.spec(candidate, base), vm -> prepareTemplate(context, vm, field)));
      return TemplateResource.of(field, template);
    } catch (RuntimeException e) {
      return TemplateResource.failed(field, e);
    }
  }

  /**
   * Prepares a template's VM, and on failure publishes its serial output, because the template
   * creation then removes the VM.
   */
  private static void prepareTemplate(ExtensionContext context, Vm vm, VmField field) {
    try {
      prepare(vm, field);
    } catch (RuntimeException e) {
      SerialTail tail = SerialTail.read(vm.name(), vm.directory());
      context.publishReportEntry(REPORT_KEY_PREFIX + vm.name(), tail.text());
      e.addSuppressed(tail);
      throw e;
    }
  }

  /** Waits for the field's ready line, then runs its warm-up. */
  private static void prepare(Vm vm, VmField field) {
    field.readyLine().ifPresent(line -> vm.awaitSerialLine(line, field.readyTimeout()));
    if (field.tinyGuest()) {
      // The tiny guest prints its first prompt just after its ready line. A console opened
      // before that prompt reaches the serial port would take it for the end of the first
      // command's output, so TinyGuest.runCommand would return "" and then lag one command
      // behind. Once the prompt is in serial.log it has passed the port.
      vm.awaitSerialLine(TINY_GUEST_PROMPT, field.readyTimeout());
    }
    VmWarmUp warmUp;
    try {
      warmUp = field.newWarmUp();
    } catch (ReflectiveOperationException e) {
      throw new ExtensionConfigurationException("cannot create the warmUp of "
          + field.describe() + ": " + e, e);
    }
    try {
      warmUp.warmUp(vm);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new XrayException("warm-up " + warmUp.getClass().getName() + " of "
          + field.describe() + " failed on VM '" + vm.name() + "': " + e, e);
    }
  }

  /**
   * Calls {@code create} with {@code name}, then {@code name-2}, {@code name-3} and so on while
   * the name is taken, for example by a VM of another JVM in a shared home.
   */
  private static <T> T withUniqueName(String name, Function<String, T> create) {
    AlreadyExistsException lastCollision = null;
    for (int attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
      try {
        return create.apply(VmNames.candidate(name, attempt));
      } catch (AlreadyExistsException e) {
        lastCollision = e;
      }
    }
    throw lastCollision;
  }

  private static VmResource track(ExtensionContext context, EphemeralVm vm, VmField field) {
    VmResource resource = new VmResource(vm, field);
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    store.put("vm " + vm.name(), resource);
    trackedVms(context).resources.add(resource);
    return resource;
  }

  private static TrackedVms trackedVms(ExtensionContext context) {
    // The key names the context because store lookups fall back to the parent contexts.
    return context.getStore(NAMESPACE).getOrComputeIfAbsent(
        "vms of " + context.getUniqueId(), key -> new TrackedVms(), TrackedVms.class);
  }

  private static TestHome home(ExtensionContext context) {
    ExtensionContext classContext = classContext(context);
    String shared = classContext.getConfigurationParameter(HOME_PROPERTY).orElse(null);
    return classContext.getStore(NAMESPACE).getOrComputeIfAbsent("home",
        key -> TestHome.open(shared), TestHome.class);
  }

  private String baseFor(ExtensionContext context, TestHome home, VmField field) {
    Path tinyGuest = null;
    if (field.tinyGuest()) {
      TinyGuestBuild build = tinyGuestBuild(context);
      if (build.failure() != null) {
        throw new HostException("cannot build xray's tiny test guest: "
            + build.failure().getMessage(), build.failure());
      }
      tinyGuest = build.image();
    }
    return home.baseFor(field, tinyGuest);
  }

  private static TinyGuestBuild tinyGuestBuild(ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("tiny guest", key -> {
      try {
        return new TinyGuestBuild(TinyGuest.build(Architecture.X86_64), null);
      } catch (HostException e) {
        return new TinyGuestBuild(null, e);
      }
    }, TinyGuestBuild.class);
  }

  /** Returns the nearest enclosing context of a test class: {@code context} or an ancestor. */
  private static ExtensionContext classContext(ExtensionContext context) {
    ExtensionContext current = context;
    while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
      current = current.getParent().get();
    }
    return current;
  }

  private static void checkStoreClosesValues(ExtensionContext context) {
    if (context.getConfigurationParameter(CLOSE_PARAMETER).map(String::trim)
        .filter("false"::equalsIgnoreCase).isPresent()) {
      throw new ExtensionConfigurationException("the JUnit configuration parameter "
          + CLOSE_PARAMETER + " is false, so JUnit would not close the VMs that the xray "
          + "extension stores and they would outlive their tests; remove that setting");
    }
  }

  /** Attaches the serial output of the test's VMs to {@code throwable}, then rethrows it. */
  @Override
  public void handleTestExecutionException(ExtensionContext context, Throwable throwable)
      throws Throwable {
    attachSerialTails(context, throwable);
    throw throwable;
  }

  /** Attaches the serial output of the VMs to a failure of a {@code @BeforeAll} method. */
  @Override
  public void handleBeforeAllMethodExecutionException(ExtensionContext context,
      Throwable throwable) throws Throwable {
    attachSerialTails(context, throwable);
    throw throwable;
  }

  /** Attaches the serial output of the VMs to a failure of a {@code @BeforeEach} method. */
  @Override
  public void handleBeforeEachMethodExecutionException(ExtensionContext context,
      Throwable throwable) throws Throwable {
    attachSerialTails(context, throwable);
    throw throwable;
  }

  /** Attaches the serial output of the VMs to a failure of an {@code @AfterEach} method. */
  @Override
  public void handleAfterEachMethodExecutionException(ExtensionContext context,
      Throwable throwable) throws Throwable {
    attachSerialTails(context, throwable);
    throw throwable;
  }

  /** Attaches the serial output of the VMs to a failure of an {@code @AfterAll} method. */
  @Override
  public void handleAfterAllMethodExecutionException(ExtensionContext context,
      Throwable throwable) throws Throwable {
    attachSerialTails(context, throwable);
    throw throwable;
  }

  /** Attaches the serial output of every VM of {@code context} and its ancestors. */
  private static void attachSerialTails(ExtensionContext context, Throwable throwable) {
    if (throwable instanceof TestAbortedException) {
      return;
    }
    for (ExtensionContext current = context; current != null;
        current = current.getParent().orElse(null)) {
      TrackedVms tracked = current.getStore(NAMESPACE)
          .get("vms of " + current.getUniqueId(), TrackedVms.class);
      if (tracked != null) {
        tracked.resources.forEach(resource -> attachSerialTail(context, resource, throwable));
      }
    }
  }

  private static void attachSerialTail(ExtensionContext context, VmResource resource,
      Throwable throwable) {
    String vmName = resource.vm().name();
    for (Throwable suppressed : throwable.getSuppressed()) {
      if (suppressed instanceof SerialTail tail && tail.vmName().equals(vmName)) {
        return;
      }
    }
    SerialTail tail = resource.serialTail();
    context.publishReportEntry(REPORT_KEY_PREFIX + vmName, tail.text());
    throwable.addSuppressed(tail);
  }
}
