package dev.xray.junit;

import dev.xray.api.VmTemplate;
import dev.xray.api.XrayException;

/**
 * The warm-start template of one field, or the failure that prevented it, stored once per test
 * class. Keeping the failure means later tests fail at once with its cause instead of booting
 * again.
 */
final class TemplateResource implements AutoCloseable {
  private final VmField field;
  private final VmTemplate template;
  private final RuntimeException failure;

  private TemplateResource(VmField field, VmTemplate template, RuntimeException failure) {
    this.field = field;
    this.template = template;
    this.failure = failure;
  }

  static TemplateResource of(VmField field, VmTemplate template) {
    return new TemplateResource(field, template, null);
  }

  static TemplateResource failed(VmField field, RuntimeException failure) {
    return new TemplateResource(field, null, failure);
  }

  /**
   * Returns the template.
   *
   * @throws XrayException if creating it failed, with that failure as its cause
   */
  VmTemplate template() {
    if (failure != null) {
      throw new XrayException("cannot create the warm-start template of " + field.describe()
          + ": " + failure.getMessage(), failure);
    }
    return template;
  }

  /** Deletes the template; its clones were closed before, with their tests. */
  @Override
  public void close() {
    if (template != null) {
      template.close();
    }
  }
}
