package dev.xray.core.internal;

import dev.xray.api.NotFoundException;
import dev.xray.api.VmSpec;
import dev.xray.api.XrayException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The cloud-init NoCloud seed of a VM: an ISO 9660 image labelled {@code cidata} with
 * {@code meta-data} (instance id and host name) and {@code user-data}. The user-data that xray
 * writes creates one user with passwordless sudo, a locked password and the VM's SSH key. A
 * user-data file of the spec is copied byte for byte instead.
 */
final class NoCloudSeed {
  /** The volume label that cloud-init's NoCloud data source looks for. */
  static final String VOLUME_ID = "cidata";
  /** The largest SSH public key file xray reads; a 16384-bit RSA key is about 2.8 KiB. */
  private static final int MAX_KEY_FILE_BYTES = 16 * 1024;
  /** A public key line of OpenSSH's authorized_keys format, without options. */
  private static final Pattern KEY_LINE = Pattern.compile("(ssh-ed25519|ssh-rsa|ssh-dss"
      + "|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\\.com"
      + "|sk-ecdsa-sha2-nistp256@openssh\\.com) ([A-Za-z0-9+/]+={0,3})(?: (.*))?");
  /** Plain YAML 1.1 scalars that a parser would not read as a string. */
  private static final Pattern YAML_NON_STRING = Pattern.compile(
      "(?i)(y|n|yes|no|true|false|on|off|null|~)|[-+.]?[0-9][0-9a-z_.:+-]*");

  private NoCloudSeed() {}

  /**
   * Returns the seed image of {@code spec}, reading its SSH key and user-data file.
   *
   * @throws NotFoundException if the key or user-data file is missing
   * @throws IllegalArgumentException if the key file contains no valid public key, or the files are
   *     too large for the seed
   */
  static byte[] image(VmSpec spec, String instanceId) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("meta-data", metaData(spec.name(), instanceId).getBytes(StandardCharsets.UTF_8));
    byte[] userData;
    if (spec.userData().isPresent()) {
      userData = readUserData(spec.userData().get());
    } else {
      String key = readPublicKey(spec.sshKey().orElseThrow());
      userData = userData(spec.name(), spec.sshUser().orElseThrow(), key)
          .getBytes(StandardCharsets.UTF_8);
    }
    files.put("user-data", userData);
    return IsoImage.write(VOLUME_ID, files);
  }

  static String metaData(String hostName, String instanceId) {
    return "instance-id: " + yamlScalar(instanceId) + "\n"
        + "local-hostname: " + yamlScalar(hostName) + "\n";
  }

  static String userData(String hostName, String user, String publicKeyLine) {
    return "#cloud-config\n"
        + "hostname: " + yamlScalar(hostName) + "\n"
        + "users:\n"
        + "  - name: " + yamlScalar(user) + "\n"
        + "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n"
        + "    shell: /bin/bash\n"
        + "    lock_passwd: true\n"
        + "    ssh_authorized_keys:\n"
        + "      - " + publicKeyLine + "\n";
  }

  /**
   * Returns {@code value} as a YAML scalar: plain, as the seed's format has it, unless YAML would
   * read it as a boolean, null or number, which VM and user names can look like ({@code 1e3},
   * {@code yes}); then double-quoted. Callers pass names of letters, digits and {@code ._-}.
   */
  static String yamlScalar(String value) {
    return YAML_NON_STRING.matcher(value).matches() ? '"' + value + '"' : value;
  }

  /**
   * Reads the one public key in {@code file} and returns it as {@code TYPE BASE64 [COMMENT]}.
   * A comment that YAML would cut (one with {@code #} or {@code ": "}) or that contains control
   * characters is left out, since the guest's sshd ignores comments.
   *
   * @throws NotFoundException if the file is missing
   * @throws IllegalArgumentException if it is a private key, or contains no key or more than one
   */
  static String readPublicKey(Path file) {
    byte[] bytes = readFile(file, "SSH public key", MAX_KEY_FILE_BYTES);
    String text = new String(bytes, StandardCharsets.UTF_8);
    if (text.contains("PRIVATE KEY")) {
      throw new IllegalArgumentException("SSH key file " + file + " is a private key; pass the "
          + "public key, " + file + ".pub");
    }
    List<String> lines = text.lines().map(String::strip)
        .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
    if (lines.size() != 1) {
      throw new IllegalArgumentException("SSH key file " + file + " contains " + lines.size()
          + " keys; expected one public key line, as ssh-keygen writes to FILE.pub");
    }
    var matcher = KEY_LINE.matcher(lines.get(0).replaceAll("\\s+", " "));
    if (!matcher.matches()) {
      throw new IllegalArgumentException("SSH key file " + file + " is not an OpenSSH public "
          + "key (expected 'ssh-ed25519 AAAA... comment', as ssh-keygen writes to FILE.pub)");
    }
    String key = matcher.group(1) + " " + matcher.group(2);
    String comment = matcher.group(3);
    if (comment == null || comment.isEmpty() || comment.contains("#")
        || comment.contains(": ") || comment.endsWith(":")
        || comment.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      return key;
    }
    return key + " " + comment;
  }

  private static byte[] readUserData(Path file) {
    return readFile(file, "user-data file", IsoImage.MAX_CONTENT_BYTES);
  }

  private static byte[] readFile(Path file, String description, int maxBytes) {
    try {
      if (Files.isDirectory(file)) {
        throw new IllegalArgumentException(description + " " + file + " is a folder; pass a file");
      }
      long size = Files.size(file);
      if (size > maxBytes) {
        throw new IllegalArgumentException(String.format(Locale.ROOT, "%s %s is %d bytes, more "
            + "than the %d xray accepts", description, file, size, maxBytes));
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      String fix = description.startsWith("SSH") ? "create a key with 'ssh-keygen -t ed25519'"
          : "check the path";
      throw new NotFoundException(description + " " + file + " not found; " + fix);
    } catch (IOException e) {
      throw new XrayException("cannot read " + description + " " + file + ": " + e, e);
    }
  }
}
