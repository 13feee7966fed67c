// What the collector tests share (standin_collector_test.cpp runs the stand-in
// ADOT collector and the npm clients on the host, e2e_collector_test.cpp in an
// image under runc): the stand-in's sink, the clients' result files, and HTTP
// over libcurl. Header-only, on top of e2e_harness.h.
#pragma once

#include <curl/curl.h>

#include <set>
#include <string>
#include <vector>

#include "e2e_harness.h"

namespace xb::e2e {

// The stand-in collector's sink (format: tests/fixtures/standin-collector.c).
struct CollectorSink {
  std::vector<json> starts, health, bounds, exports, flushes, progress;
  std::set<std::string> segments, spans;  // every id exported
  size_t segment_records = 0, span_records = 0;  // with duplicates
};

inline CollectorSink read_collector_sink(const fs::path& p) {
  CollectorSink s;
  for (auto& e : read_jsonl(p)) {
    std::string ev = e.value("event", "");
    if (ev == "start") s.starts.push_back(e);
    else if (ev == "health_check") s.health.push_back(e);
    else if (ev == "bound") s.bounds.push_back(e);
    else if (ev == "flush") s.flushes.push_back(e);
    else if (ev == "progress") s.progress.push_back(e);
    else if (ev == "export") {
      for (const auto& id : e.at("segments")) s.segments.insert(id.get<std::string>()), s.segment_records++;
      for (const auto& id : e.at("spans")) s.spans.insert(id.get<std::string>()), s.span_records++;
      s.exports.push_back(std::move(e));
    }
  }
  return s;
}

// The ids of a client's result ("ids", tests/fixtures/clients/common.js) that GOT lacks.
inline std::vector<std::string> missing_ids(const json& result, const std::set<std::string>& got) {
  std::vector<std::string> out;
  for (const auto& id : result.at("ids"))
    if (!got.count(id.get<std::string>())) out.push_back(id.get<std::string>());
  return out;
}

inline std::string describe_missing(const std::vector<std::string>& missing, size_t sent) {
  std::string s = std::to_string(missing.size()) + " of " + std::to_string(sent) + " lost:";
  for (size_t i = 0; i < missing.size() && i < 10; i++) s += " " + missing[i];
  return s;
}

// A client's result file, null while it is not written.
inline json read_result(const fs::path& p) {
  std::string text = read_file(p);
  return text.empty() ? json() : json::parse(text, nullptr, false);
}

struct HttpReply {
  long status = 0;  // 0: no answer
  std::string body, error;
};

// One request with libcurl on HANDLE (reused: keep-alive), BODY as given.
inline HttpReply http(CURL* handle, const std::string& method, const std::string& url, const std::string& body = {},
                      const std::vector<std::string>& headers = {}) {
  HttpReply r;
  curl_easy_reset(handle);
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(handle, CURLOPT_NOPROXY, "*");
  if (method == "POST") {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  } else if (method != "GET") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, +[](char* p, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(p, size * n);
    return size * n;
  });
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &r.body);
  CURLcode rc = curl_easy_perform(handle);
  if (rc == CURLE_OK) curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &r.status);
  else r.error = curl_easy_strerror(rc);
  curl_slist_free_all(list);
  return r;
}

struct Curl {
  CURL* h = curl_easy_init();
  ~Curl() { curl_easy_cleanup(h); }
  Curl() = default;
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;
  HttpReply get(const std::string& url) { return http(h, "GET", url); }
  HttpReply post(const std::string& url, const std::string& body, const std::vector<std::string>& headers) {
    return http(h, "POST", url, body, headers);
  }
};

// The collector config xraybake's adot-collector kind generates, in the same
// shape (shared/agents.md), on ADDRESS's host with the given ports (0: the
// kernel picks; the stand-in's "bound" line says which).
inline std::string collector_config(const std::string& host = "127.0.0.1", int xray = 0, int grpc = 0, int http = 0,
                                    int health = 0, const std::string& batch_timeout = "300ms") {
  auto ep = [&](int port) { return host + ":" + std::to_string(port); };
  return R"(# the collector config of agent.kind adot-collector
extensions:
  health_check:
    endpoint: )" + ep(health) + R"(
receivers:
  awsxray:
    endpoint: )" + ep(xray) + R"(
    transport: udp
    proxy_server:
      endpoint: )" + ep(xray) + R"(
      local_mode: true
  otlp:
    protocols:
      grpc:
        endpoint: )" + ep(grpc) + R"(
      http:
        endpoint: ")" + ep(http) + R"("
processors:
  memory_limiter:
    check_interval: 1s
    limit_mib: 16
  batch/traces:
    timeout: )" + batch_timeout + R"(
    send_batch_size: 50
exporters:
  awsxray:
    region: us-east-2
    endpoint: ""
    local_mode: true
    request_timeout_seconds: 2
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp, awsxray]
      processors: [memory_limiter, batch/traces]
      exporters: [awsxray]
)";
}

}  // namespace xb::e2e
