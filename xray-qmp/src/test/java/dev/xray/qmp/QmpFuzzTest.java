package dev.xray.qmp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.xray.qmp.testing.CommandScript;
import dev.xray.qmp.testing.FakeQmpServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds the client random server output: random bytes, truncated valid messages and random
 * JSON, in place of the greeting or of a reply. Seeds 0 to 299 are fixed, so a failure names a
 * seed that reproduces it. Every operation must end within its timeout plus {@link #SLACK}, and
 * may throw only {@link QmpException} subclasses.
 */
class QmpFuzzTest {

  private static final int CASES = 300;
  private static final Duration TIMEOUT = Duration.ofMillis(150);

  /** Allowance for scheduling delays on a loaded machine, far shorter than a real hang. */
  private static final Duration SLACK = Duration.ofSeconds(1);

  private static final ObjectMapper MAPPER = JsonMapper.builder().build();
  private static final List<String> KEYS =
      List.of("QMP", "version", "qemu", "major", "minor", "micro", "package", "capabilities",
          "return", "error", "class", "desc", "id", "event", "data", "timestamp", "seconds",
          "microseconds", "status", "running", "singlestep");
  private static final List<String> IDS = List.of("xray-1", "xray-2", "xray-3", "xray-99");

  @TempDir Path dir;

  private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();

  @Test
  void fuzzedOutputNeverHangsClient() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<String> failures = new ArrayList<>();
    try {
      List<Future<String>> cases = new ArrayList<>();
      for (int seed = 0; seed < CASES; seed++) {
        int caseSeed = seed;
        cases.add(pool.submit(() -> runCase(caseSeed)));
      }
      for (int seed = 0; seed < CASES; seed++) {
        String failure = awaitCase(cases.get(seed), seed);
        if (failure != null) {
          failures.add(failure);
        }
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(failures).isEmpty();
    assertThat(outcomes).containsKeys("success", "QmpProtocolException", "QmpTimeoutException",
        "QmpConnectionClosedException");
  }

  private static String awaitCase(Future<String> result, int seed) throws Exception {
    try {
      return result.get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return "seed " + seed + ": the case did not end within 30 s";
    }
  }

  /** Runs one case and returns a failure description, or {@code null} if it passed. */
  private String runCase(int seed) throws Exception {
    Random random = new Random(seed);
    Path caseDir = Files.createDirectories(dir.resolve("c" + seed));
    int kind = random.nextInt(7);
    FakeQmpServer.Builder builder = FakeQmpServer.builder(caseDir);
    if (kind < 3) {
      builder.rawGreeting(greetingPayload(kind, random));
    }
    try (FakeQmpServer server = builder.start()) {
      if (kind == 6) {
        scriptEnding(server.onCommand("qmp_capabilities").rawBytes(randomJson(random)), random);
      } else if (kind >= 3) {
        scriptEnding(server.onCommand("query-status").rawBytes(replyPayload(kind, random)),
            random);
      }
      return exercise(server, seed);
    }
  }

  private String exercise(FakeQmpServer server, int seed) {
    QmpOptions options =
        QmpOptions.builder().connectTimeout(TIMEOUT).commandTimeout(TIMEOUT).build();
    long start = System.nanoTime();
    try (QmpClient client = QmpClient.connect(server.socketPath(), options)) {
      String slow = overran("connect", start, seed);
      if (slow != null) {
        return slow;
      }
      for (int call = 0; call < 2; call++) {
        long callStart = System.nanoTime();
        try {
          client.queryStatus();
          record("success");
        } catch (QmpException e) {
          record(e.getClass().getSimpleName());
        }
        slow = overran("query-status", callStart, seed);
        if (slow != null) {
          return slow;
        }
      }
      return null;
    } catch (QmpException e) {
      record(e.getClass().getSimpleName());
      return overran("connect", start, seed);
    } catch (RuntimeException | Error e) {
      return "seed " + seed + ": threw " + e;
    }
  }

  private static String overran(String operation, long startNanos, int seed) {
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    if (elapsed.compareTo(TIMEOUT.plus(SLACK)) > 0) {
      return "seed " + seed + ": " + operation + " took " + elapsed.toMillis() + " ms";
    }
    return null;
  }

  private void record(String outcome) {
    outcomes.computeIfAbsent(outcome, key -> new AtomicInteger()).incrementAndGet();
  }

  /** Ends the script by closing the connection, stalling, or more garbage and closing. */
  private static void scriptEnding(CommandScript script, Random random) {
    int ending = random.nextInt(10);
    if (ending < 6) {
      script.closeConnection();
    } else if (ending < 8) {
      script.stall();
    } else {
      script.rawBytes(randomBytes(random)).closeConnection();
    }
  }

  private static byte[] greetingPayload(int kind, Random random) throws Exception {
    switch (kind) {
      case 0:
        return randomBytes(random);
      case 1:
        return truncate(validGreeting(), random);
      default:
        return random.nextBoolean() ? randomJson(random) : mutatedGreeting(random);
    }
  }

  private static byte[] replyPayload(int kind, Random random) throws Exception {
    switch (kind) {
      case 3:
        return randomBytes(random);
      case 4:
        return truncatedAfterValidMessages(random);
      default:
        return random.nextInt(8) == 0 ? deepNesting() : randomMessages(random);
    }
  }

  private static byte[] randomBytes(Random random) {
    byte[] bytes = new byte[random.nextInt(300)];
    String jsonish = "{}[]\":,0123456789-.eE truefalsn\\u\r\n";
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = random.nextBoolean()
          ? (byte) jsonish.charAt(random.nextInt(jsonish.length()))
          : (byte) random.nextInt(256);
    }
    return bytes;
  }

  private static byte[] truncate(byte[] message, Random random) {
    return Arrays.copyOf(message, 1 + random.nextInt(message.length - 1));
  }

  private static byte[] validGreeting() throws Exception {
    return line(MAPPER.readTree("{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
        + "\"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}"));
  }

  private static byte[] mutatedGreeting(Random random) throws Exception {
    ObjectNode greeting = (ObjectNode) MAPPER.readTree(validGreeting());
    ObjectNode version = (ObjectNode) greeting.path("QMP").path("version");
    String target = KEYS.get(random.nextInt(KEYS.size()));
    if (random.nextBoolean()) {
      ((ObjectNode) version.path("qemu")).set(target, randomValue(random, 2));
    } else {
      ((ObjectNode) greeting.path("QMP")).set(target, randomValue(random, 2));
    }
    return line(greeting);
  }

  /**
   * Returns an event and a reply to the first query-status (id xray-2, after qmp_capabilities
   * took xray-1), then a cut-off copy of them, so the first call can succeed and the second
   * reads the truncated message.
   */
  private static byte[] truncatedAfterValidMessages(Random random) throws Exception {
    ByteArrayOutputStream valid = new ByteArrayOutputStream();
    valid.write(line(MAPPER.readTree("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
        + "\"event\": \"STOP\"}")));
    valid.write(line(MAPPER.readTree("{\"return\": {\"status\": \"running\", "
        + "\"running\": true}, \"id\": \"xray-2\"}")));
    byte[] whole = valid.toByteArray();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    if (random.nextBoolean()) {
      bytes.write(whole);
    }
    bytes.write(truncate(whole, random));
    return bytes.toByteArray();
  }

  private static byte[] randomMessages(Random random) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int count = 1 + random.nextInt(4);
    for (int i = 0; i < count; i++) {
      ObjectNode message = JsonNodeFactory.instance.objectNode();
      int shape = random.nextInt(4);
      if (shape == 0) {
        message.set("return", randomValue(random, 0));
      } else if (shape == 1) {
        message.set("error", randomValue(random, 1));
      } else if (shape == 2) {
        message.set("event", randomValue(random, 3));
        message.set("data", randomValue(random, 1));
        message.set("timestamp", randomValue(random, 1));
      } else {
        message.set(KEYS.get(random.nextInt(KEYS.size())), randomValue(random, 0));
      }
      if (random.nextInt(4) != 0) {
        message.set("id", random.nextBoolean()
            ? JsonNodeFactory.instance.textNode(IDS.get(random.nextInt(IDS.size())))
            : randomValue(random, 3));
      }
      bytes.write(random.nextInt(10) == 0 ? line(randomValue(random, 0)) : line(message));
    }
    return bytes.toByteArray();
  }

  private static byte[] randomJson(Random random) throws Exception {
    return line(randomValue(random, 0));
  }

  private static byte[] deepNesting() {
    return ("[".repeat(5000) + "]".repeat(5000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static JsonNode randomValue(Random random, int depth) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    switch (random.nextInt(depth >= 3 ? 6 : 8)) {
      case 0:
        return nodes.nullNode();
      case 1:
        return nodes.booleanNode(random.nextBoolean());
      case 2:
        long[] edges = {0, -1, 1, Integer.MAX_VALUE + 1L, Long.MIN_VALUE, Long.MAX_VALUE};
        return nodes.numberNode(edges[random.nextInt(edges.length)]);
      case 3:
        return nodes.numberNode(random.nextDouble() * 1e12 - 5e11);
      case 4:
        return nodes.textNode(randomText(random));
      case 5:
        return nodes.textNode(random.nextBoolean() ? "running" : "paused");
      case 6:
        ArrayNode array = nodes.arrayNode();
        for (int i = random.nextInt(4); i > 0; i--) {
          array.add(randomValue(random, depth + 1));
        }
        return array;
      default:
        ObjectNode object = nodes.objectNode();
        for (int i = random.nextInt(5); i > 0; i--) {
          object.set(KEYS.get(random.nextInt(KEYS.size())), randomValue(random, depth + 1));
        }
        return object;
    }
  }

  private static String randomText(Random random) {
    StringBuilder text = new StringBuilder();
    for (int i = random.nextInt(12); i > 0; i--) {
      text.appendCodePoint(random.nextBoolean() ? 32 + random.nextInt(95) : random.nextInt(0x2FFF));
    }
    return text.toString();
  }

  private static byte[] line(JsonNode message) throws Exception {
    return (MAPPER.writeValueAsString(message) + "\r\n").getBytes(StandardCharsets.UTF_8);
  }
}
