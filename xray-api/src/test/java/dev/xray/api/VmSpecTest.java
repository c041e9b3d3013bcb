package dev.xray.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmSpecTest {
  private static VmSpec.Builder web() {
    return VmSpec.builder("web").base("debian");
  }

  private static VmSpec full() {
    return web().memory(4096).cpus(4).sshPort(2222).display(Display.SDL)
        .accelerator(Accelerator.KVM).architecture(Architecture.AARCH64).build();
  }

  @Test
  void builderDefaults() {
    VmSpec spec = web().build();

    assertThat(spec.name()).isEqualTo("web");
    assertThat(spec.base()).isEqualTo("debian");
    assertThat(spec.memoryMiB()).isEqualTo(2048);
    assertThat(spec.cpus()).isEqualTo(2);
    assertThat(spec.sshPort()).isEmpty();
    assertThat(spec.display()).isEqualTo(Display.NONE);
    assertThat(spec.accelerator()).isEqualTo(Accelerator.AUTO);
    assertThat(spec.architecture()).isEqualTo(Architecture.host());
  }

  @Test
  void builderSetsEveryField() {
    VmSpec spec = full();

    assertThat(spec.memoryMiB()).isEqualTo(4096);
    assertThat(spec.cpus()).isEqualTo(4);
    assertThat(spec.sshPort()).hasValue(2222);
    assertThat(spec.display()).isEqualTo(Display.SDL);
    assertThat(spec.accelerator()).isEqualTo(Accelerator.KVM);
    assertThat(spec.architecture()).isEqualTo(Architecture.AARCH64);
  }

  @Test
  void buildWithoutBaseRaisesIllegalState() {
    VmSpec.Builder builder = VmSpec.builder("web");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("'web'")
        .hasMessageContaining("base(NAME)");
  }

  @Test
  void invalidVmNameIsRejectedByBuilder() {
    assertThatThrownBy(() -> VmSpec.builder("../etc"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("VM name");
  }

  @Test
  void invalidBaseNameIsRejected() {
    VmSpec.Builder builder = VmSpec.builder("web");

    assertThatThrownBy(() -> builder.base("a/b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base image name");
  }

  @ParameterizedTest
  @ValueSource(ints = {160, 161, 2048, 1024 * 1024})
  void memoryInRangeIsAccepted(int memory) {
    assertThat(web().memory(memory).build().memoryMiB()).isEqualTo(memory);
  }

  @ParameterizedTest
  @ValueSource(ints = {159, 0, -1, 1024 * 1024 + 1, Integer.MAX_VALUE, Integer.MIN_VALUE})
  void memoryOutOfRangeIsRejected(int memory) {
    VmSpec.Builder builder = web();

    assertThatThrownBy(() -> builder.memory(memory))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("memory")
        .hasMessageContaining(Integer.toString(memory));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 255})
  void cpusInRangeAreAccepted(int cpus) {
    assertThat(web().cpus(cpus).build().cpus()).isEqualTo(cpus);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 256, Integer.MAX_VALUE})
  void cpusOutOfRangeAreRejected(int cpus) {
    VmSpec.Builder builder = web();

    assertThatThrownBy(() -> builder.cpus(cpus))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cpus");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 22, 2222, 65535})
  void sshPortInRangeIsAccepted(int port) {
    assertThat(web().sshPort(port).build().sshPort()).hasValue(port);
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 65536, Integer.MIN_VALUE})
  void sshPortOutOfRangeIsRejected(int port) {
    VmSpec.Builder builder = web();

    assertThatThrownBy(() -> builder.sshPort(port))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sshPort");
  }

  @Test
  void sshPortZeroRemovesTheForward() {
    VmSpec spec = web().sshPort(2222).sshPort(0).build();

    assertThat(spec.sshPort()).isEmpty();
  }

  @Test
  void rejectedValueKeepsThePreviousOne() {
    VmSpec.Builder builder = web().memory(4096).cpus(8);

    assertThatThrownBy(() -> builder.memory(10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.cpus(0)).isInstanceOf(IllegalArgumentException.class);
    VmSpec spec = builder.build();
    assertThat(spec.memoryMiB()).isEqualTo(4096);
    assertThat(spec.cpus()).isEqualTo(8);
  }

  @Test
  void nullEnumsAreRejected() {
    VmSpec.Builder builder = web();

    assertThatThrownBy(() -> builder.display(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.accelerator(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> builder.architecture(null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void toBuilderRoundTripIsEqual() {
    VmSpec spec = full();

    VmSpec copy = spec.toBuilder().build();

    assertThat(copy).isEqualTo(spec);
    assertThat(copy.hashCode()).isEqualTo(spec.hashCode());
    assertThat(copy.toString()).isEqualTo(spec.toString());
  }

  @Test
  void toBuilderChangeLeavesOriginalAlone() {
    VmSpec spec = full();

    VmSpec changed = spec.toBuilder().memory(8192).build();

    assertThat(changed.memoryMiB()).isEqualTo(8192);
    assertThat(spec.memoryMiB()).isEqualTo(4096);
    assertThat(changed).isNotEqualTo(spec);
  }

  @Test
  void equalSpecsHaveEqualHashCodes() {
    VmSpec first = full();
    VmSpec second = full();

    assertThat(first).isEqualTo(second);
    assertThat(first.hashCode()).isEqualTo(second.hashCode());
  }

  @Test
  void everyFieldTakesPartInEquals() {
    VmSpec spec = full();
    List<UnaryOperator<VmSpec.Builder>> changes = List.of(
        b -> VmSpec.builder("db").base("debian").memory(4096).cpus(4).sshPort(2222)
            .display(Display.SDL).accelerator(Accelerator.KVM)
            .architecture(Architecture.AARCH64),
        b -> b.base("ubuntu"),
        b -> b.memory(4097),
        b -> b.cpus(5),
        b -> b.sshPort(2223),
        b -> b.sshPort(0),
        b -> b.display(Display.GTK),
        b -> b.accelerator(Accelerator.TCG),
        b -> b.architecture(Architecture.X86_64));

    for (UnaryOperator<VmSpec.Builder> change : changes) {
      VmSpec other = change.apply(spec.toBuilder()).build();
      assertThat(other).as(other.toString()).isNotEqualTo(spec);
      assertThat(spec).as(other.toString()).isNotEqualTo(other);
    }
  }

  @Test
  void notEqualToNullOrOtherTypes() {
    VmSpec spec = full();

    assertThat(spec.equals(null)).isFalse();
    assertThat(spec.equals("web")).isFalse();
  }

  @Test
  void toStringNamesTheValues() {
    String text = full().toString();

    assertThat(text).contains("name=web");
    assertThat(text).contains("base=debian");
    assertThat(text).contains("memoryMiB=4096");
    assertThat(text).contains("display=sdl");
    assertThat(text).contains("accelerator=kvm");
    assertThat(text).contains("architecture=aarch64");
  }

  @Test
  void sshKeyImpliesSeedAndDefaultUser() {
    VmSpec spec = web().sshKey(java.nio.file.Path.of("/home/ada/.ssh/id_ed25519.pub")).build();

    assertThat(spec.hasSeed()).isTrue();
    assertThat(spec.sshUser()).hasValue(VmSpec.DEFAULT_SSH_USER);
    assertThat(spec.sshIdentity()).hasValue(java.nio.file.Path.of("/home/ada/.ssh/id_ed25519"));
  }

  @Test
  void noSeedByDefault() {
    VmSpec spec = web().build();

    assertThat(spec.hasSeed()).isFalse();
    assertThat(spec.sshKey()).isEmpty();
    assertThat(spec.sshUser()).isEmpty();
    assertThat(spec.userData()).isEmpty();
  }

  @Test
  void relativeKeyPathBecomesAbsolute() {
    VmSpec spec = web().sshKey(java.nio.file.Path.of("keys/id.pub")).build();

    assertThat(spec.sshKey().get()).isAbsolute();
  }

  @Test
  void keyWithoutPubSuffixIsRejected() {
    assertThatThrownBy(() -> web().sshKey(java.nio.file.Path.of("/home/ada/.ssh/id_ed25519")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ending in .pub");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Ada", "1ada", "ada smith", "root",
      "a234567890123456789012345678901234"})
  void invalidUserNamesAreRejected(String user) {
    assertThatThrownBy(() -> web().sshUser(user))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + user + "'");
  }

  @Test
  void userDataHasNoDefaultUser() {
    VmSpec spec = web().userData(java.nio.file.Path.of("/tmp/user-data")).build();

    assertThat(spec.hasSeed()).isTrue();
    assertThat(spec.sshUser()).isEmpty();
  }

  @Test
  void userWithoutSeedFailsBuild() {
    VmSpec.Builder builder = web().sshUser("ada");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("sshKey(PATH)");
  }

  @Test
  void seedFieldsSurviveWithName() {
    VmSpec spec = web().userData(java.nio.file.Path.of("/tmp/user-data")).sshUser("ada").build();

    VmSpec renamed = spec.withName("other");

    assertThat(renamed.userData()).isEqualTo(spec.userData());
    assertThat(renamed.sshUser()).hasValue("ada");
    assertThat(renamed.toBuilder().build()).isEqualTo(renamed);
  }
}
