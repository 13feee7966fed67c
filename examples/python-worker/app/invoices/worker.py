"""invoice-worker: takes jobs from its queues, writes an invoice for each, and
sends one X-Ray segment per job through the AWS X-Ray SDK for Python (UDP to
AWS_XRAY_DAEMON_ADDRESS, which xraybake sets).

    python -m invoices.worker --queue "invoices high-priority"

A queue is a spool directory, WORKER_SPOOL/<queue>/ (default /tmp/queues): a
job is a JSON file renamed into it once written, {"order": ..., "lines":
[{"sku": ..., "qty": ..., "unit_cents": ...}], "trace_header": ...}, where
trace_header is the X-Amzn-Trace-Id of whoever queued it (as SQS's
AWSTraceHeader attribute carries it): the job's segment continues that trace
and keeps its sampling decision. The invoice goes to WORKER_SPOOL/<queue>.done/.

On SIGTERM (docker stop, ECS) it takes no new job, finishes the ones it has,
and exits 0; xraybake-init then gives the daemon flush_grace to send.
"""
import argparse
import concurrent.futures
import json
import logging
import os
import signal
import sys
import threading

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models.trace_header import TraceHeader

log = logging.getLogger("invoice-worker")
stopping = threading.Event()


def invoice(job):
    lines = job["lines"]
    total = sum(line["qty"] * line["unit_cents"] for line in lines)
    return {"order": job["order"], "lines": len(lines), "total_cents": total}


def handle(queue, spool, path):
    """One job: its segment, its invoice, then the job file is gone."""
    with open(path) as f:
        job = json.load(f)
    header = TraceHeader.from_header_str(job.get("trace_header"))
    segment = xray_recorder.begin_segment("invoice-worker", traceid=header.root, parent_id=header.parent,
                                          sampling=header.sampled)
    try:
        segment.put_annotation("queue", queue)
        segment.put_annotation("order", str(job["order"]))
        result = invoice(job)
        segment.put_metadata("invoice", result)
        done = os.path.join(spool, queue + ".done", os.path.basename(path))
        with open(done + ".tmp", "w") as f:
            json.dump(result, f)
        os.rename(done + ".tmp", done)
        os.unlink(path)
    except Exception as e:
        segment.add_exception(e, stack=None)
        raise
    finally:
        xray_recorder.end_segment()  # sends the segment to the daemon


def main(argv=None):
    parser = argparse.ArgumentParser(prog="invoices.worker")
    parser.add_argument("--queue", required=True, help="queue names, separated by blanks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stdout)
    xray_recorder.configure(service="invoice-worker", context_missing="LOG_ERROR")

    spool = os.environ.get("WORKER_SPOOL", "/tmp/queues")
    queues = args.queue.split()
    for q in queues:
        os.makedirs(os.path.join(spool, q), exist_ok=True)
        os.makedirs(os.path.join(spool, q + ".done"), exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())

    concurrency = int(os.environ.get("WORKER_CONCURRENCY", "4"))
    log.info("pid %d taking jobs from %s in %s, %d at a time", os.getpid(), " ".join(queues), spool, concurrency)
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        running = {}  # future -> job file

        def reap(finished):
            nonlocal done
            for f in finished:
                path = running.pop(f)
                try:
                    f.result()
                    done += 1
                except Exception:
                    log.exception("job %s failed: kept as %s.failed", path, path)
                    os.replace(path, path + ".failed")

        while not stopping.is_set():
            for q in queues:  # in the order given: the first queue first
                d = os.path.join(spool, q)
                for name in sorted(os.listdir(d)):
                    path = os.path.join(d, name)
                    if name.endswith(".json") and path not in running.values():
                        running[pool.submit(handle, q, spool, path)] = path
            if running:
                reap(concurrent.futures.wait(running, timeout=0.1).done)
            else:
                stopping.wait(0.1)  # an empty queue: look again soon
        reap(concurrent.futures.wait(running).done)  # the jobs it has: finished
    log.info("stopped after %d jobs", done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
