package dev.xray.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.xray.api.NotFoundException;
import dev.xray.api.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoCloudSeedTest {
  private static final String KEY =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3ojN0hP4mHKgXSjpEI2W4fhdL9g9kk0oEqTrMW3Dbb";

  @TempDir
  Path temp;

  private Path keyFile(String text) throws IOException {
    Path file = temp.resolve("id_ed25519.pub");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void metaDataHasInstanceIdAndHostName() {
    assertThat(NoCloudSeed.metaData("web", "iid-42"))
        .isEqualTo("instance-id: iid-42\nlocal-hostname: web\n");
  }

  @Test
  void userDataHasUserKeyAndSudo() {
    assertThat(NoCloudSeed.userData("web", "xray", KEY + " ada@host")).isEqualTo("""
        #cloud-config
        hostname: web
        users:
          - name: xray
            sudo: "ALL=(ALL) NOPASSWD:ALL"
            shell: /bin/bash
            lock_passwd: true
            ssh_authorized_keys:
              - %s ada@host
        """.formatted(KEY));
  }

  @Test
  void namesYamlWouldMisreadAreQuoted() {
    assertThat(NoCloudSeed.yamlScalar("web")).isEqualTo("web");
    assertThat(NoCloudSeed.yamlScalar("vm-1.test")).isEqualTo("vm-1.test");
    assertThat(NoCloudSeed.yamlScalar("yes")).isEqualTo("\"yes\"");
    assertThat(NoCloudSeed.yamlScalar("NULL")).isEqualTo("\"NULL\"");
    assertThat(NoCloudSeed.yamlScalar("1e3")).isEqualTo("\"1e3\"");
    assertThat(NoCloudSeed.yamlScalar("0x10")).isEqualTo("\"0x10\"");
  }

  @Test
  void publicKeyKeepsPlainComment() throws IOException {
    assertThat(NoCloudSeed.readPublicKey(keyFile(KEY + " ada@laptop\n")))
        .isEqualTo(KEY + " ada@laptop");
  }

  @Test
  void publicKeyDropsCommentYamlWouldCut() throws IOException {
    assertThat(NoCloudSeed.readPublicKey(keyFile(KEY + " work # laptop\n"))).isEqualTo(KEY);
    assertThat(NoCloudSeed.readPublicKey(keyFile(KEY + " key: value\n"))).isEqualTo(KEY);
  }

  @Test
  void privateKeyIsRejected() throws IOException {
    Path file = keyFile("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH "
        + "PRIVATE KEY-----\n");

    assertThatThrownBy(() -> NoCloudSeed.readPublicKey(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is a private key")
        .hasMessageContaining(file.toString());
  }

  @Test
  void twoKeysAreRejected() throws IOException {
    Path file = keyFile(KEY + " a\n" + KEY + " b\n");

    assertThatThrownBy(() -> NoCloudSeed.readPublicKey(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contains 2 keys");
  }

  @Test
  void garbageKeyIsRejected() throws IOException {
    Path file = keyFile("hello world\n");

    assertThatThrownBy(() -> NoCloudSeed.readPublicKey(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is not an OpenSSH public key");
  }

  @Test
  void missingKeyRaisesNotFound() {
    Path file = temp.resolve("missing.pub");

    assertThatThrownBy(() -> NoCloudSeed.readPublicKey(file))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("ssh-keygen");
  }

  @Test
  void userDataFileIsCopiedVerbatim() throws Exception {
    byte[] own = "#cloud-config\npackages: [htop]\n# ünïcödé\n".getBytes(StandardCharsets.UTF_8);
    Path userData = temp.resolve("user-data.yaml");
    Files.write(userData, own);
    VmSpec spec = VmSpec.builder("web").base("debian").userData(userData).build();

    byte[] image = NoCloudSeed.image(spec, "iid-1");

    String text = new String(image, StandardCharsets.ISO_8859_1);
    assertThat(text).contains(new String(own, StandardCharsets.ISO_8859_1));
    assertThat(text).doesNotContain("ssh_authorized_keys");
  }
}
