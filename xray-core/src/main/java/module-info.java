/**
 * The xray implementation on local QEMU processes. Applications use the API in module {@code
 * dev.xray.api} through {@link dev.xray.api.Xray#open(java.nio.file.Path)}; this module exports
 * only the provider, the test guest builder and the host check.
 */
module dev.xray.core {
  requires transitive dev.xray.api;
  requires dev.xray.qmp;
  requires com.fasterxml.jackson.databind;
  requires org.newsclub.net.unix;
  requires org.slf4j;
  // tomlj 1.1.1 has no module descriptor; its manifest names the automatic module.
  requires org.tomlj;

  exports dev.xray.core;

  provides dev.xray.api.XrayProvider with dev.xray.core.LocalXrayProvider;
}
