/**
 * The xray API: {@link dev.xray.api.Xray} and the interfaces, values and exceptions it returns.
 * An implementation, such as the one in module {@code dev.xray.core}, provides {@link
 * dev.xray.api.XrayProvider}.
 */
module dev.xray.api {
  exports dev.xray.api;

  uses dev.xray.api.XrayProvider;
}
