package dev.xray.api;

import java.time.Instant;

/**
 * An event that QEMU sent on a VM's monitor.
 *
 * @param name the QMP event name, for example {@code SHUTDOWN} or {@code RESUME}
 * @param timestamp when QEMU sent it
 * @param dataJson the event's {@code data} member as JSON text, {@code {}} when it has none
 */
public record VmEvent(String name, Instant timestamp, String dataJson) {}
