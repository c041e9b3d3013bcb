/**
 * A JUnit 5 extension that gives a test class or test its own throwaway xray VM: annotate the
 * class with {@link dev.xray.junit.XrayTest} and a {@link dev.xray.api.Vm} field with {@link
 * dev.xray.junit.XrayVm}.
 */
package dev.xray.junit;
