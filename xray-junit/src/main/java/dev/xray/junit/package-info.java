/** A JUnit 5 extension that gives a test class or test its own throwaway xray VM. */
package dev.xray.junit;
