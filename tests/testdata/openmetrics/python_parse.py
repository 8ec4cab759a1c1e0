"""Parses OpenMetrics inputs with prometheus_client.openmetrics.parser.

For tests/helpers/openmetrics_python.ts; run with Debian's /usr/bin/python3.
Reads one JSON line per input on stdin, {"b64": <the input bytes, base64>},
and writes one JSON line per input on stdout, flushed after each batch line:
{"ok": true, "families": [...]} or {"ok": false, "error": "<exception>"}.
Numbers are written as strings (repr of a float, or "nan"/"inf"/"-inf"), so
that NaN and infinities survive JSON.
"""

import base64
import json
import math
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def num(v):
    if v is None:
        return None
    f = float(v)
    if math.isnan(f):
        return "nan"
    if math.isinf(f):
        return "inf" if f > 0 else "-inf"
    return repr(f)


def sample(s):
    out = {"name": s.name, "labels": s.labels, "value": num(s.value), "timestamp": num(s.timestamp)}
    if s.exemplar is not None:
        out["exemplar"] = {
            "labels": s.exemplar.labels,
            "value": num(s.exemplar.value),
            "timestamp": num(s.exemplar.timestamp),
        }
    return out


def parse(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return {"ok": False, "error": "utf-8: %s" % e}
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError, and KeyError/IndexError on some input
        return {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
    return {
        "ok": True,
        "families": [
            {
                "name": f.name,
                "type": f.type,
                "help": f.documentation,
                "unit": f.unit,
                "samples": [sample(s) for s in f.samples],
            }
            for f in families
        ],
    }


def main():
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.write(json.dumps(parse(base64.b64decode(request["b64"]))) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
