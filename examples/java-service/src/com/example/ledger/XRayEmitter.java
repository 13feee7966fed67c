package com.example.ledger;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Sends X-Ray segment documents to the X-Ray daemon as the AWS X-Ray SDK for
 * Java's UDPEmitter does: one UDP datagram each, the header line
 * {"format":"json","version":1}, a newline, then the segment's JSON. The
 * daemon's address is AWS_XRAY_DAEMON_ADDRESS (xraybake sets it), else the
 * SDK's system property com.amazonaws.xray.emitters.daemonAddress, else
 * 127.0.0.1:2000.
 */
final class XRayEmitter implements AutoCloseable {
  private static final byte[] HEADER = "{\"format\":\"json\",\"version\":1}\n".getBytes(StandardCharsets.UTF_8);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private final DatagramSocket socket;
  private final InetSocketAddress daemon;

  XRayEmitter() throws IOException {
    String address = System.getenv("AWS_XRAY_DAEMON_ADDRESS");
    if (address == null || address.isBlank())
      address = System.getProperty("com.amazonaws.xray.emitters.daemonAddress", "127.0.0.1:2000");
    int colon = address.lastIndexOf(':');
    if (colon < 0) throw new IllegalArgumentException("daemon address " + address + " is not HOST:PORT");
    daemon = new InetSocketAddress(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    socket = new DatagramSocket();
  }

  String daemon() { return daemon.getHostString() + ":" + daemon.getPort(); }

  /** A new trace id: 1-{epoch seconds, 8 hex}-{96 random bits, 24 hex}. */
  static String newTraceId() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return String.format("1-%08x-%s", System.currentTimeMillis() / 1000, HEX.formatHex(b));
  }

  /** A new segment id: 64 random bits, 16 hex. */
  static String newId() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return HEX.formatHex(b);
  }

  /** Sends one segment document (JSON); a failure is logged, never thrown, as the SDK does. */
  void send(String document) {
    byte[] body = document.getBytes(StandardCharsets.UTF_8);
    byte[] packet = new byte[HEADER.length + body.length];
    System.arraycopy(HEADER, 0, packet, 0, HEADER.length);
    System.arraycopy(body, 0, packet, HEADER.length, body.length);
    try {
      socket.send(new DatagramPacket(packet, packet.length, daemon));
    } catch (IOException e) {
      System.err.println("ledger-service: cannot send a segment to the X-Ray daemon at " + daemon() + ": " + e);
    }
  }

  /** A JSON string literal. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }

  @Override
  public void close() { socket.close(); }
}
