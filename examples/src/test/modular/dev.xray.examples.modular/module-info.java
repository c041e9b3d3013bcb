/**
 * A program that uses every xray library module from the module path, compiled and run by
 * {@code ModulePathIT}.
 */
module dev.xray.examples.modular {
  requires dev.xray.core;
  requires dev.xray.qmp;
  requires dev.xray.junit;
}
