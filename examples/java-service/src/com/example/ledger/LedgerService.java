package com.example.ledger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import sun.misc.Signal;

/**
 * ledger-service: account balances over HTTP (GET /accounts/{name}) on
 * server.port (8080), its health on management.server.port (8081,
 * /actuator/health), both from application.properties in the working
 * directory or SERVER_PORT, MANAGEMENT_SERVER_PORT; one X-Ray segment per API request
 * (XRayEmitter). A request's X-Amzn-Trace-Id (from a load balancer or another
 * traced service) gives the segment its trace, parent and sampling decision;
 * without one the request starts a trace, sampled.
 *
 * On SIGTERM (docker stop, ECS) it takes no new request, finishes the open
 * ones, sends their segments and exits 0; xraybake-init then gives the daemon
 * flush_grace to send.
 */
public final class LedgerService {
  private static final Map<String, Long> BALANCES = Map.of("acme", 125_000L, "globex", 98_050L, "initech", 0L);

  private final String name;
  private final XRayEmitter xray;
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean stopping;

  private LedgerService(String name, XRayEmitter xray) {
    this.name = name;
    this.xray = xray;
  }

  /** The environment's ENV, else the property KEY of application.properties, else FALLBACK. */
  private static String setting(Properties props, String env, String key, String fallback) {
    String v = System.getenv(env);
    return v != null && !v.isBlank() ? v : props.getProperty(key, fallback);
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    Path file = Path.of("application.properties");
    if (Files.isReadable(file)) {
      try (var in = Files.newBufferedReader(file)) {
        props.load(in);
      }
    }
    String name = props.getProperty("spring.application.name", "ledger-service");
    int port = Integer.parseInt(setting(props, "SERVER_PORT", "server.port", "8080"));
    int managementPort = Integer.parseInt(setting(props, "MANAGEMENT_SERVER_PORT", "management.server.port", "8081"));
    CountDownLatch term = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), s -> term.countDown());
    Signal.handle(new Signal("INT"), s -> term.countDown());

    try (XRayEmitter xray = new XRayEmitter()) {
      LedgerService service = new LedgerService(name, xray);
      ExecutorService workers = Executors.newFixedThreadPool(8);
      HttpServer api = HttpServer.create(new InetSocketAddress(port), 64);
      api.createContext("/accounts/", service::account);
      api.setExecutor(workers);
      HttpServer management = HttpServer.create(new InetSocketAddress(managementPort), 8);
      management.createContext("/actuator/health", ex -> reply(ex, service.stopping ? 503 : 200,
          service.stopping ? "{\"status\":\"OUT_OF_SERVICE\"}" : "{\"status\":\"UP\"}"));
      api.start();
      management.start();
      System.out.println(name + ": pid " + ProcessHandle.current().pid() + " listening on " + port
          + " (health on " + managementPort + "), segments to " + xray.daemon());

      term.await();
      service.stopping = true;  // new requests get 503 from here on
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (service.open.get() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
      api.stop(0);
      management.stop(0);
      workers.shutdown();
      workers.awaitTermination(5, TimeUnit.SECONDS);
      System.out.println(name + ": stopped");
    }
    System.exit(0);
  }

  private void account(HttpExchange ex) throws IOException {
    open.incrementAndGet();  // before the check: main() sees it, or this request sees stopping
    try {
      if (stopping) {
        ex.getResponseHeaders().set("Connection", "close");
        reply(ex, 503, "{\"error\":\"shutting down\"}");
        return;
      }
      double start = System.currentTimeMillis() / 1000.0;
      String account = ex.getRequestURI().getPath().substring("/accounts/".length());
      Long balance = BALANCES.get(account);
      int status = balance == null ? 404 : 200;
      reply(ex, status, balance == null ? "{\"error\":\"no such account\"}"
                                        : "{\"account\":" + XRayEmitter.quote(account) + ",\"balance_cents\":" + balance + "}");
      segment(ex, start, status);
    } finally {
      open.decrementAndGet();
    }
  }

  /** The request's segment, sent unless the upstream decided not to sample (Sampled=0). */
  private void segment(HttpExchange ex, double start, int status) {
    String root = null, parent = null, sampled = null;
    String header = ex.getRequestHeaders().getFirst("X-Amzn-Trace-Id");
    if (header != null) {
      for (String part : header.split(";")) {
        String[] kv = part.trim().split("=", 2);
        if (kv.length != 2) continue;
        switch (kv[0]) {
          case "Root" -> root = kv[1];
          case "Parent" -> parent = kv[1];
          case "Sampled" -> sampled = kv[1];
          default -> {}
        }
      }
    }
    if ("0".equals(sampled)) return;
    StringBuilder doc = new StringBuilder("{\"name\":").append(XRayEmitter.quote(name))
        .append(",\"id\":\"").append(XRayEmitter.newId()).append('"')
        .append(",\"trace_id\":").append(XRayEmitter.quote(root != null ? root : XRayEmitter.newTraceId()));
    if (parent != null) doc.append(",\"parent_id\":").append(XRayEmitter.quote(parent));
    doc.append(String.format(",\"start_time\":%.6f,\"end_time\":%.6f", start, System.currentTimeMillis() / 1000.0))
        .append(",\"http\":{\"request\":{\"method\":").append(XRayEmitter.quote(ex.getRequestMethod()))
        .append(",\"url\":").append(XRayEmitter.quote(ex.getRequestURI().toString()))
        .append("},\"response\":{\"status\":").append(status).append("}}");
    if (status >= 400 && status < 500) doc.append(",\"error\":true");
    doc.append(",\"aws\":{\"xray\":{\"sdk\":\"ledger-service XRayEmitter\"}}}");
    xray.send(doc.toString());
  }

  private static void reply(HttpExchange ex, int status, String json) throws IOException {
    byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    try (var out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}
