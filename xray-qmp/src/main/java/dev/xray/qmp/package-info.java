/**
 * A client for the QEMU Machine Protocol (QMP) over unix sockets.
 *
 * <p>{@link dev.xray.qmp.QmpClient} is the entry point: it connects, negotiates capabilities,
 * sends commands with unique ids, matches replies on one reader thread, delivers events to
 * streams and listeners, and runs background jobs such as {@code snapshot-save} to their end.
 * Every failure is a checked {@link dev.xray.qmp.QmpException}, whose Javadoc draws the
 * exception tree.
 *
 * <p>The layers are package-private: a transport (the unix socket), a session (greeting, ids,
 * the reader thread, events) and the typed commands on the client. The protocol rules follow
 * the QMP specification in QEMU's {@code docs/interop/qmp-spec.rst}.
 *
 * <p>Parameters and return values are non-null unless their documentation says otherwise.
 *
 * <p>For tests of code that uses this client, {@link dev.xray.qmp.testing.FakeQmpServer} is a
 * scripted QMP server on a unix socket.
 */
package dev.xray.qmp;
