package bench;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Ingest benchmark contender 2: the original Java connector's approach on the DataStax java-driver
 * 4.x. Reads Airbyte messages (one JSON object per line) from --input, parses each with Jackson,
 * and for each RECORD executes one prepared INSERT with executeAsync, at most --window in flight
 * (a Semaphore). Prints one JSON line with the counts on stdout.
 */
public final class JavaDriverBench {
  public static void main(String[] argv) throws Exception {
    String hosts = "127.0.0.1", user = "", password = "", keyspace = "bench", table = "airbyte_raw_users";
    String input = null;
    int port = 9042, window = 1024;
    for (int i = 0; i + 1 < argv.length; i += 2) {
      String v = argv[i + 1];
      switch (argv[i]) {
        case "--hosts": hosts = v; break;
        case "--port": port = Integer.parseInt(v); break;
        case "--user": user = v; break;
        case "--password": password = v; break;
        case "--keyspace": keyspace = v; break;
        case "--table": table = v; break;
        case "--window": window = Integer.parseInt(v); break;
        case "--input": input = v; break;
        default: throw new IllegalArgumentException("unknown option " + argv[i]);
      }
    }
    if (input == null) throw new IllegalArgumentException("--input FILE is required");

    long t0 = System.nanoTime();
    // One connection per node (the driver's default); let the window, not the driver's
    // per-connection limit (1024 by default), bound the requests in flight.
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
        .withInt(DefaultDriverOption.CONNECTION_MAX_REQUESTS, Math.max(1024, window))
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(12))
        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, "LOCAL_QUORUM")
        .withString(DefaultDriverOption.PROTOCOL_COMPRESSION, "none")
        // Netty's graceful shutdown waits a 2 s quiet period by default: not ingest work.
        .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
        .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
        .build();
    var builder = CqlSession.builder().withConfigLoader(config).withLocalDatacenter("datacenter1");
    for (String h : hosts.split(",")) builder = builder.addContactPoint(new InetSocketAddress(h.trim(), port));
    if (!user.isEmpty()) builder = builder.withAuthCredentials(user, password);

    ObjectMapper mapper = new ObjectMapper();
    long rows = 0, other = 0, lines = 0;
    double connectS, insertS;
    try (CqlSession session = builder.build()) {
      PreparedStatement insert = session.prepare(SimpleStatement.newInstance(
          "INSERT INTO \"" + keyspace + "\".\"" + table
              + "\" (\"_airbyte_ab_id\", \"_airbyte_data\", \"_airbyte_emitted_at\") VALUES (?, ?, ?)")
          .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM)
          .setIdempotent(true));
      connectS = (System.nanoTime() - t0) / 1e9;

      long t1 = System.nanoTime();
      Semaphore permits = new Semaphore(window);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      try (BufferedReader in = Files.newBufferedReader(Paths.get(input), StandardCharsets.UTF_8)) {
        String line;
        while ((line = in.readLine()) != null) {
          lines++;
          JsonNode msg = mapper.readTree(line);
          if (!"RECORD".equals(msg.path("type").asText())) {
            other++;
            continue;
          }
          JsonNode record = msg.get("record");
          String data = mapper.writeValueAsString(record.get("data"));
          Instant emittedAt = Instant.ofEpochMilli(record.get("emitted_at").asLong());
          permits.acquire();
          Throwable f = failure.get();
          if (f != null) throw new RuntimeException("insert failed", f);
          session.executeAsync(insert.bind(UUID.randomUUID(), data, emittedAt))
              .whenComplete((rs, err) -> {
                if (err != null) failure.compareAndSet(null, err);
                permits.release();
              });
          rows++;
        }
      }
      permits.acquire(window);  // every request answered
      Throwable f = failure.get();
      if (f != null) throw new RuntimeException("insert failed", f);
      insertS = (System.nanoTime() - t1) / 1e9;
    }
    System.out.printf("{\"contender\":\"java\",\"rows\":%d,\"other_lines\":%d,\"connect_s\":%.3f,\"insert_s\":%.3f}%n",
        rows, other, connectS, insertS);
  }
}
