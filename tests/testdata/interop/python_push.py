"""Pushes metrics with Debian's prometheus_client, for tests/interop_python_test.ts.

Usage: /usr/bin/python3 python_push.py '<json request>'

The request is a JSON object:
  op        "push" (push_to_gateway, PUT), "pushadd" (pushadd_to_gateway, POST)
            or "delete" (delete_from_gateway, DELETE)
  gateway   the gateway's address, e.g. "127.0.0.1:9091" or "http://127.0.0.1:9091"
  job       the job name
  grouping  optional object of grouping labels
  auth      optional [username, password]: uses basic_auth_handler
  metrics   list of {"type": "counter"|"gauge"|"histogram"|"summary", "name", "help",
            "labels": {...} (optional), "value" (counter/gauge),
            "buckets" (histogram), "observe": [...] (histogram/summary)}

Exits 0 on success; an exception (for example urllib's HTTPError on a 401)
prints a traceback and exits 1.
"""

import json
import sys

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Summary,
    delete_from_gateway,
    push_to_gateway,
    pushadd_to_gateway,
)
from prometheus_client.exposition import basic_auth_handler, default_handler


def build_registry(metrics):
    registry = CollectorRegistry()
    for spec in metrics:
        kind = spec["type"]
        labels = spec.get("labels", {})
        names = sorted(labels)
        if kind == "counter":
            metric = Counter(spec["name"], spec["help"], names, registry=registry)
        elif kind == "gauge":
            metric = Gauge(spec["name"], spec["help"], names, registry=registry)
        elif kind == "histogram":
            metric = Histogram(
                spec["name"], spec["help"], names, registry=registry, buckets=spec["buckets"]
            )
        elif kind == "summary":
            metric = Summary(spec["name"], spec["help"], names, registry=registry)
        else:
            raise ValueError("unknown metric type " + kind)
        child = metric.labels(**labels) if names else metric
        if kind == "counter":
            child.inc(spec["value"])
        elif kind == "gauge":
            child.set(spec["value"])
        else:
            for value in spec["observe"]:
                child.observe(value)
    return registry


def main():
    request = json.loads(sys.argv[1])
    handler = default_handler
    if "auth" in request:
        username, password = request["auth"]

        def handler(url, method, timeout, headers, data):
            return basic_auth_handler(url, method, timeout, headers, data, username, password)

    gateway = request["gateway"]
    job = request["job"]
    grouping = request.get("grouping")
    op = request["op"]
    if op == "delete":
        delete_from_gateway(gateway, job=job, grouping_key=grouping, handler=handler)
        return
    registry = build_registry(request.get("metrics", []))
    send = {"push": push_to_gateway, "pushadd": pushadd_to_gateway}[op]
    send(gateway, job=job, registry=registry, grouping_key=grouping, handler=handler)


if __name__ == "__main__":
    main()
