package dev.xray.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.xray.api.BaseImage;
import dev.xray.api.Vm;
import dev.xray.api.Xray;
import dev.xray.core.testing.RequiresQemu;
import dev.xray.core.testing.TestGuest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/** VMs from an existing base and from an image path, in a home named by xray.test.home. */
@RequiresQemu
class SharedHomeIT {
  /** Relative to the working folder, which Maven sets to the module's folder. */
  private static final String IMAGE = "target/shared-home-it/guest.qcow2";

  @TempDir
  Path temp;

  @XrayTest
  static class BaseAndImage {
    @XrayVm(base = "tiny", memory = 256, cpus = 1, readyLine = "GUEST-READY")
    static Vm byBase;

    @XrayVm(image = IMAGE, memory = 256, cpus = 1, readyLine = "GUEST-READY")
    Vm byImage;

    static Path home;

    @Test
    void bothVmsRunInSharedHome() {
      home = byBase.directory().getParent().getParent();
      assertThat(byImage.directory().getParent().getParent()).isEqualTo(home);
      assertThat(GuestShell.run(byBase, "echo base")).isEqualTo("base");
      assertThat(GuestShell.run(byImage, "echo image")).isEqualTo("image");
    }
  }

  @Test
  void sharedHomeKeepsBasesAndLosesVms() throws IOException {
    Path home = temp.resolve("home");
    Xray xray = Xray.open(home);
    xray.bases().importImage(TestGuest.image(), "tiny", true);
    Path image = Path.of(IMAGE).toAbsolutePath();
    Files.createDirectories(image.getParent());
    Files.deleteIfExists(image);
    Files.createSymbolicLink(image, TestGuest.image());

    EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
        .selectors(selectClass(BaseAndImage.class))
        .configurationParameter(XrayExtension.HOME_PROPERTY, home.toString()).execute();

    results.testEvents().assertStatistics(stats -> stats.succeeded(1));
    results.containerEvents().assertStatistics(stats -> stats.failed(0));
    assertThat(BaseAndImage.home).isEqualTo(home.toAbsolutePath());
    assertThat(xray.vms().list()).isEmpty();
    List<BaseImage> bases = xray.bases().list();
    assertThat(bases).extracting(BaseImage::name).contains("tiny").hasSize(2);
    assertThat(bases).extracting(BaseImage::linkTarget).contains(Optional.of(image));
    // Removing the linked bases keeps @TempDir from warning about links that leave it.
    bases.forEach(base -> xray.bases().remove(base.name()));
  }
}
