/**
 * A QEMU Machine Protocol client over unix sockets ({@link dev.xray.qmp.QmpClient}), and a
 * scripted fake QMP server for tests ({@link dev.xray.qmp.testing.FakeQmpServer}).
 */
module dev.xray.qmp {
  // Commands take and return Jackson trees (ObjectNode, JsonNode).
  requires transitive com.fasterxml.jackson.databind;
  requires org.newsclub.net.unix;
  // junixsocket-common loads its JNI library from this module's jar, but does not require it,
  // so without this line the module would not be resolved on the module path.
  requires com.kohlschutter.junixsocket.nativecommon;
  requires org.slf4j;

  exports dev.xray.qmp;
  exports dev.xray.qmp.testing;
}
