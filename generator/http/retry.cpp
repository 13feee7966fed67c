#include "http/retry.h"

#include <cstdio>
#include <ctime>
#include <thread>

#include "http/backoff.h"
#include "util/log.h"
#include "util/redact.h"

namespace xb::http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A 206 that does not start where the sink stopped: stops the transfer.
struct RangeMismatch {
  std::string why;
};

}  // namespace

bool retryable_status(long status, bool idempotent) {
  if (status == 408 || status == 429) return true;
  return idempotent && status >= 500 && status != 501 && status != 505;
}

RetryTransport::RetryTransport(Transport& inner, NetSettings settings)
    : inner_(inner), settings_(std::move(settings)), rng_(std::random_device{}()) {}

Response RetryTransport::round_trip(const Request& request) {
  const int attempts = request.max_attempts > 0 ? request.max_attempts : settings_.retries + 1;
  const auto deadline = request.deadline.value_or(Clock::now() + std::chrono::seconds(settings_.deadline_seconds));
  const bool idempotent = request.is_idempotent();
  const std::string shown = (request.label.empty() ? "" : request.label + ": ") + request.method + " " +
                            redact_url(request.url);
  uint64_t delivered = request.resume_from;  // bytes the sink holds

  for (int attempt = 1;; ++attempt) {
    Request a = request;
    a.deadline = deadline;
    const uint64_t at_start = request.sink ? delivered : 0;
    a.range_from = at_start;
    if (request.max_body && request.sink) a.max_body = request.max_body > at_start ? request.max_body - at_start : 1;
    if (request.sink) {
      a.sink = [&](std::string_view chunk) {
        request.sink(chunk);
        delivered += chunk.size();
      };
    }
    if (at_start > 0) {
      // Does the answer continue what the sink holds? Decided before its first byte.
      a.on_head = [&](const Response& head) {
        if (request.on_head) request.on_head(head);
        if (head.status == 200) {  // the server ignored Range: the body is the whole file
          if (!request.rewind) throw RangeMismatch{"the server ignored Range"};
          request.rewind();
          delivered = 0;
          a.max_body = request.max_body;  // the whole body counts again
          log::verbose(shown + " ignored the Range request; downloading from the start");
        } else if (head.status == 206) {
          std::string cr = head.header("content-range");
          unsigned long long start = 0;
          if (std::sscanf(cr.c_str(), "bytes %llu-", &start) != 1 || start != at_start)
            throw RangeMismatch{"the server answered Range: bytes=" + std::to_string(at_start) +
                                "- with Content-Range: " + cr};
        }
      };
    }
    std::string reason;
    std::optional<milliseconds> retry_after;
    bool restart = false;  // the sink's bytes are no good: from zero, at once
    try {
      Response r = inner_.round_trip(a);
      r.attempts = attempt;
      if (r.status == 416 && at_start > 0) {
        reason = "HTTP 416 for Range: bytes=" + std::to_string(at_start) + "-";
        restart = true;
      } else {
        if (!retryable_status(r.status, idempotent) || attempt >= attempts) return r;
        reason = "HTTP " + std::to_string(r.status);
        if (std::string ra = r.header("retry-after"); !ra.empty()) retry_after = parse_retry_after(ra, std::time(nullptr));
      }
    } catch (const RangeMismatch& m) {
      reason = m.why;
      restart = true;
    } catch (TransportError& e) {
      e.attempts = attempt;
      using K = TransportError::Kind;
      // Broken after some bytes of a streamed body: the rest comes with Range.
      bool may = e.kind() == K::connect || (e.kind() == K::broken && idempotent);
      if (!may || attempt >= attempts) throw;
      reason = e.reason();
    }
    if (restart) {
      if (!request.rewind)
        fail_runtime(shown + ": cannot resume the transfer: " + reason, "try again");
      request.rewind();
      delivered = 0;
      if (attempt >= attempts) fail_runtime(shown + ": " + reason + " (gave up after " + std::to_string(attempt) + " attempts)");
      log::verbose(shown + ": " + reason + "; downloading from the start");
      continue;  // at once: the server is fine, our partial file was not
    }
    milliseconds delay = backoff_delay(attempt, settings_, rng_);
    if (retry_after) delay = std::max(delay, std::min(*retry_after, settings_.retry_after_max));
    if (Clock::now() + delay >= deadline) {
      TransportError e(shown + ": " + reason + "; another try would pass the request deadline of " +
                           std::to_string(settings_.deadline_seconds) + " s (XRAYBAKE_REQUEST_TIMEOUT)",
                       reason, TransportError::Kind::deadline, 0);
      e.attempts = attempt;
      throw e;
    }
    log::warn(shown + ": " + reason + "; retrying in " + std::to_string(delay.count()) + " ms (attempt " +
              std::to_string(attempt + 1) + " of " + std::to_string(attempts) + ")");
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace xb::http
