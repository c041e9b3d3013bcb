package dev.xray.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A QEMU version as reported by the QMP greeting and by {@code query-version}.
 *
 * @param major the major version, such as 7 in 7.2.0
 * @param minor the minor version
 * @param micro the micro version
 * @param packageName the build's package string, such as "Debian 1:7.2+dfsg-7"; empty if none
 */
public record QmpVersion(int major, int minor, int micro, String packageName) {

  /**
   * Creates a version.
   *
   * @param major the major version
   * @param minor the minor version
   * @param micro the micro version
   * @param packageName the package string, empty if none
   * @throws NullPointerException if {@code packageName} is null
   */
  public QmpVersion {
    Objects.requireNonNull(packageName, "packageName");
  }

  /**
   * Returns whether this version is the given major.minor release or a later one.
   *
   * @param requiredMajor the major version needed
   * @param requiredMinor the minor version needed
   * @return {@code true} if this version is at least {@code requiredMajor.requiredMinor}
   */
  public boolean isAtLeast(int requiredMajor, int requiredMinor) {
    if (major != requiredMajor) {
      return major > requiredMajor;
    }
    return minor >= requiredMinor;
  }

  /**
   * Parses the QAPI {@code VersionInfo} object: {@code {"qemu": {"major": 7, "minor": 2,
   * "micro": 0}, "package": "..."}}.
   *
   * @param versionInfo the object to parse
   * @param source where the object came from, used in the error message
   * @return the parsed version
   * @throws QmpProtocolException if a version number is missing or not an integer
   */
  static QmpVersion parse(JsonNode versionInfo, String source) throws QmpProtocolException {
    JsonNode qemu = versionInfo == null ? null : versionInfo.get("qemu");
    if (qemu == null || !qemu.isObject()) {
      throw new QmpProtocolException(source + " has no 'qemu' version object: " + versionInfo);
    }
    JsonNode packageNode = versionInfo.get("package");
    String packageName = packageNode != null && packageNode.isTextual() ? packageNode.asText() : "";
    return new QmpVersion(
        versionNumber(qemu, "major", source),
        versionNumber(qemu, "minor", source),
        versionNumber(qemu, "micro", source),
        packageName);
  }

  private static int versionNumber(JsonNode qemu, String field, String source)
      throws QmpProtocolException {
    JsonNode value = qemu.get(field);
    if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new QmpProtocolException(
          source + " has an invalid '" + field + "' version number: " + qemu);
    }
    return value.intValue();
  }

  /** Returns the version as "major.minor.micro". */
  @Override
  public String toString() {
    return major + "." + minor + "." + micro;
  }
}
