package dev.xray.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.xray.api.Xray;
import dev.xray.core.testing.RequiresQemu;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link CreateAndSnapshot} example on the tiny guest, as CI does. */
@RequiresQemu
class CreateAndSnapshotIT {
  @TempDir
  Path temp;

  @Test
  void runsEveryStepAndLeavesHomeEmpty() throws IOException {
    Path home = temp.resolve("home");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      CreateAndSnapshot.run(null, home, out);
    }

    String output = bytes.toString(StandardCharsets.UTF_8);
    assertThat(output).contains("start VM 'example'")
        .contains("wait for the guest to print GUEST-READY")
        .contains("guest kernel: ")
        .contains("take live snapshot 'started'")
        .contains("snapshot started, live=true")
        .contains("stop VM 'example' with the ACPI power button")
        .contains("remove VM 'example'")
        .contains("remove base 'example'")
        .doesNotContain("did not power off");
    Xray xray = Xray.open(home);
    assertThat(xray.vms().list()).isEmpty();
    assertThat(xray.bases().list()).isEmpty();
  }
}
