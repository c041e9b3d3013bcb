/**
 * Test support: {@link dev.xray.qmp.testing.FakeQmpServer}, a scripted QMP server on a unix
 * socket that can misbehave in the ways a real server or a broken transport can (no greeting,
 * wrong ids, events between replies, split writes, invalid JSON, stalls, early close).
 *
 * <p>It depends only on this module's own dependencies and on no test framework, so it can be
 * used from any test code.
 */
package dev.xray.qmp.testing;
