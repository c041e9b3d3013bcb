/**
 * A JUnit 5 extension that gives a test class or test its own throwaway xray VM: {@link
 * dev.xray.junit.XrayTest} and {@link dev.xray.junit.XrayVm}.
 */
module dev.xray.junit {
  requires transitive dev.xray.api;
  requires transitive org.junit.jupiter.api;
  requires dev.xray.core;
  requires org.slf4j;

  exports dev.xray.junit;
}
