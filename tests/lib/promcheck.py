#!/usr/bin/env python3
"""promcheck.py FILE: checks a Prometheus text exposition (format 0.0.4) the
way promtool's linter does, line by line.  Prints one line per problem and
exits 1 if there is any; prints "ok N families M samples" otherwise.

Rules: every family has # HELP then # TYPE before its samples; a family's
samples are contiguous (grouped) and families appear sorted by name; names and
label names are valid; label values are quoted with only \\\\, \\" and \\n
escapes; values parse as floats; no timestamps; no duplicate series; counters
end in _total; a histogram's buckets rise in le and count up to +Inf, which
equals its _count; the text ends with a newline."""
import re
import sys

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_labels(s):
    out, pos = [], 0
    while pos < len(s):
        m = LABEL.match(s, pos)
        if not m:
            return None
        out.append((m.group(1), m.group(2)))
        pos = m.end()
        if pos < len(s):
            if s[pos] != ",":
                return None
            pos += 1
    return out


def check(text):
    problems = []
    if not text.endswith("\n"):
        problems.append("no final newline")
    families, order, current, seen_series = {}, [], None, set()
    samples = 0
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("# HELP "):
            parts = line.split(" ", 3)
            if len(parts) < 4 or not NAME.match(parts[2]):
                problems.append("%d: bad HELP" % n)
                continue
            name = parts[2]
            if name in families:
                problems.append("%d: family %s appears twice (not grouped)" % (n, name))
            families[name] = {"help": True, "type": None, "samples": 0}
            order.append(name)
            current = name
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[2] != current or families[current]["samples"]:
                problems.append("%d: TYPE not right after HELP of its family" % n)
                continue
            if parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
                problems.append("%d: bad type %s" % (n, parts[3]))
            if parts[3] == "counter" and not current.endswith("_total"):
                problems.append("%d: counter %s does not end in _total" % (n, current))
            families[current]["type"] = parts[3]
        elif line.startswith("#") or line == "":
            problems.append("%d: unexpected line %r" % (n, line))
        else:
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$", line)
            if not m:
                problems.append("%d: bad sample (or a timestamp) %r" % (n, line))
                continue
            name, labels, value = m.group(1), m.group(3), m.group(4)
            base = name
            if current is not None and families[current]["type"] == "histogram":
                for suffix in ("_bucket", "_sum", "_count"):
                    if name == current + suffix:
                        base = current
            if base != current or families[current]["type"] is None:
                problems.append("%d: sample of %s outside its family (after HELP/TYPE)" % (n, name))
            lab = parse_labels(labels) if labels is not None else []
            if lab is None:
                problems.append("%d: bad labels %r" % (n, labels))
                continue
            if len({k for k, _ in lab}) != len(lab):
                problems.append("%d: repeated label name" % n)
            try:
                float(value)
            except ValueError:
                problems.append("%d: bad value %r" % (n, value))
            if base != name and name.endswith("_bucket"):
                le = dict(lab).get("le")
                hist = families[current].setdefault("buckets", [])
                try:
                    bound, count = float(le), float(value)
                except (TypeError, ValueError):
                    problems.append("%d: bucket without a numeric le" % n)
                else:
                    if hist and (bound <= hist[-1][0] or count < hist[-1][1]):
                        problems.append("%d: buckets not increasing in le and count" % n)
                    hist.append((bound, count))
            if base != name and name.endswith("_count"):
                hist = families[current].get("buckets", [])
                if not hist or hist[-1][0] != float("inf") or hist[-1][1] != float(value):
                    problems.append("%d: _count is not the +Inf bucket" % n)
            key = (name, tuple(sorted(lab)))
            if key in seen_series:
                problems.append("%d: duplicate series %s" % (n, line))
            seen_series.add(key)
            families[current]["samples"] += 1
            samples += 1
    if order != sorted(order):
        problems.append("families are not sorted by name")
    for name, f in families.items():
        if f["type"] is None:
            problems.append("family %s has no TYPE" % name)
    return problems, len(families), samples


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    problems, nf, ns = check(text)
    for p in problems:
        print(p)
    if problems:
        return 1
    print("ok %d families %d samples" % (nf, ns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
