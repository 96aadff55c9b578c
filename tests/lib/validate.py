#!/usr/bin/python3
# validate.py — every report a test left behind, through the validator its
# consumer relies on.  Called by tests/lib/common.sh at the end of each test
# (validate_artifacts) with the files to look at; finds out what each one is
# by its content, not its name:
#
#   kvpe.report/v1 JSON     agent/schema/kvpe.report.v1.schema.json  (python3-jsonschema)
#   kvpe.resolve/v1 JSON    agent/schema/kvpe.resolve.v1.schema.json
#   kvpe.trace/v1 JSON      agent/schema/kvpe.trace.v1.schema.json
#   JSON Lines (jsonl)      agent/schema/kvpe.report-line.v1.schema.json, each line
#   JUnit XML               tests/lib/junit-10.xsd (Jenkins xunit-plugin), xmllint
#   SARIF                   sarif-multitool validate --rule-kind "Sarif;Gh;Ado", all files at once
#   Prometheus exposition   promtool check metrics
#
# Prints "ok ...", "not ok ...: why", "skip ...: why" and "# ..." lines for
# common.sh to count.  A validator that is not installed is a skip that says
# so.  Run with /usr/bin/python3: Debian's python3-jsonschema (draft 2020-12)
# lives there, whatever `python3` is on PATH.
#
# SARIF made outside Azure Pipelines cannot carry the pipeline identity that
# GHAzDO ingestion reads (GHAzDO1019, GHAzDO1020: automationDetails must be
# azuredevops/pipeline/build/...); for such a file those two rules are
# reported as a note, every other rule counts.  Runs made inside a pipeline
# (automationDetails.id with that prefix) are held to all of them.
import json
import os
import re
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMAS = os.path.join(TOP, "agent", "schema")
XSD = os.path.join(TOP, "tests", "lib", "junit-10.xsd")
MULTITOOL = os.environ.get(
    "KVPE_SARIF_MULTITOOL",
    "/var/cache/kvpe-npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
MAX_BYTES = 64 * 1024 * 1024
PIPE_PREFIX = "azuredevops/pipeline/build/"
NOT_IN_PIPELINE = {"GHAzDO1019", "GHAzDO1020"}
JSONL_TYPES = {"finding", "vault", "run_error"}


def say(line):
    print(line, flush=True)


def short(path):
    t = os.environ.get("T", "")
    return os.path.relpath(path, t) if t and path.startswith(t + "/") else path


def classify(path):
    """(kind, parsed) where kind is report, resolve, sarif, jsonl, junit, prom or None."""
    try:
        size = os.path.getsize(path)
        if size == 0:
            return None, None
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return None, None
    text = head.lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<testsuite"):
        return ("junit", None) if b"<testsuite" in head else (None, None)
    if text.startswith(b"# HELP kvpe_") or text.startswith(b"# TYPE kvpe_"):
        return "prom", None
    if not text.startswith(b"{"):
        return None, None
    # Only what names kvpe's schemas (first keys) or SARIF's is read whole:
    # the ARM fixtures some tests make are tens of MB.
    ours = re.search(rb'"(schema|\$schema)": *"(kvpe\.(report|resolve|trace)/v1|[^"]*sarif[^"]*)"', head) is not None
    first = head.split(b"\n", 1)[0]
    line = None
    if not ours and b"\n" in head:
        try:
            line = json.loads(first.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            line = None
        if not (isinstance(line, dict) and line.get("type") in JSONL_TYPES and "run_id" in line and "host" in line):
            return None, None
    elif not ours:
        return None, None
    if size > MAX_BYTES:
        return "too-big", size
    with open(path, "rb") as f:
        raw = f.read()
    if line is not None:
        return "jsonl", raw
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return "broken", None
    if isinstance(doc, dict):
        if doc.get("schema") == "kvpe.report/v1":
            return "report", doc
        if doc.get("schema") == "kvpe.resolve/v1":
            return "resolve", doc
        if doc.get("schema") == "kvpe.trace/v1":
            return "trace", doc
        if "sarif" in str(doc.get("$schema", "")):
            return "sarif", doc
    return "broken", None


def load_validators():
    try:
        import jsonschema
    except ImportError:
        return None, "python3-jsonschema not installed (for /usr/bin/python3)"
    schemas = {}
    for name in ("kvpe.report.v1", "kvpe.report-line.v1", "kvpe.resolve.v1", "kvpe.trace.v1"):
        with open(os.path.join(SCHEMAS, name + ".schema.json"), encoding="utf-8") as f:
            schemas[name] = json.load(f)
    store = {s["$id"]: s for s in schemas.values()}
    out = {}
    for name, s in schemas.items():
        cls = jsonschema.validators.validator_for(s)
        cls.check_schema(s)
        resolver = jsonschema.RefResolver.from_schema(s, store=store)
        out[name] = cls(s, resolver=resolver, format_checker=jsonschema.FormatChecker())
    return out, None


def schema_errors(v, doc, limit=3):
    errs = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message[:300]) for e in errs[:limit]], len(errs)


def check_json(files, validators):
    counts = {}
    for path, kind, doc in files:
        if kind == "jsonl":
            name = "kvpe.report-line.v1"
            raw = doc
            problems = []
            if not raw.endswith(b"\n"):
                problems.append("the last line has no newline")
            for i, line in enumerate(raw.split(b"\n")[:-1] if raw.endswith(b"\n") else raw.split(b"\n")):
                try:
                    obj = json.loads(line.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    problems.append("line %d does not parse: %s" % (i + 1, e))
                    continue
                errs, n = schema_errors(validators[name], obj, 1)
                if n:
                    problems.append("line %d: %s" % (i + 1, errs[0]))
                if len(problems) >= 3:
                    break
        else:
            name = {"report": "kvpe.report.v1", "trace": "kvpe.trace.v1"}.get(kind, "kvpe.resolve.v1")
            errs, n = schema_errors(validators[name], doc)
            problems = errs + (["(%d more)" % (n - len(errs))] if n > len(errs) else [])
        if problems:
            say("not ok validate: %s does not match %s: %s" % (short(path), name, "; ".join(problems)))
        else:
            counts[name] = counts.get(name, 0) + 1
    for name, n in sorted(counts.items()):
        say("ok validate: %d file%s match %s (jsonschema)" % (n, "" if n == 1 else "s", name))


def check_junit(files):
    if not shutil.which("xmllint"):
        say("skip validate: %d JUnit file(s) not checked: xmllint not installed (libxml2-utils)" % len(files))
        return
    p = subprocess.run(["xmllint", "--noout", "--schema", XSD] + files, capture_output=True, text=True)
    bad = {}
    current = None  # a parser error's context lines follow it
    for line in p.stderr.splitlines():
        m = re.match(r"^(.*?):(\d+): (.*)$", line)
        if m and m.group(1) in files:
            current = m.group(1)
            bad.setdefault(current, []).append("line %s: %s" % (m.group(2), m.group(3)[:300]))
        elif line.endswith(" fails to validate") and line[: -len(" fails to validate")] in files:
            bad.setdefault(line[: -len(" fails to validate")], [])
        elif line.endswith(" validates") and line[: -len(" validates")] in files:
            current = None
        elif current is None and line.strip():
            bad.setdefault("(xmllint)", []).append(line)
    if p.returncode not in (0, 1, 3) or (p.returncode != 0 and not bad):
        bad.setdefault("(xmllint)", []).append("exit %d" % p.returncode)
    for f in files:
        if f in bad:
            say("not ok validate: %s fails Jenkins junit-10.xsd: %s" % (short(f), "; ".join(bad[f][:3]) or "see xmllint"))
    if "(xmllint)" in bad:
        say("not ok validate: xmllint: %s" % "; ".join(bad["(xmllint)"][:3]))
    good = len([f for f in files if f not in bad])
    if good:
        say("ok validate: %d JUnit file%s valid against junit-10.xsd (xmllint)" % (good, "" if good == 1 else "s"))


def check_prom(files):
    if not shutil.which("promtool"):
        say("skip validate: %d Prometheus file(s) not checked: promtool not installed (prometheus)" % len(files))
        return
    good = 0
    # promtool reads one exposition on stdin; its start dominates, so the
    # files go through several at a time.
    for i in range(0, len(files), 4):
        procs = []
        for f in files[i:i + 4]:
            with open(f, "rb") as fh:
                procs.append((f, subprocess.Popen(["promtool", "check", "metrics"], stdin=fh,
                                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)))
        for f, p in procs:
            text = p.communicate()[0]
            if p.returncode != 0:
                say("not ok validate: %s: promtool check metrics: %s" % (short(f), " ".join(text.split())[:400]))
            else:
                good += 1
    if good:
        say("ok validate: %d Prometheus file%s pass promtool check metrics" % (good, "" if good == 1 else "s"))


def check_sarif(files, docs, work):
    if not os.access(MULTITOOL, os.X_OK):
        say("skip validate: %d SARIF file(s) not checked: sarif-multitool not installed (tests/deps.sh puts it in "
            "/var/cache/kvpe-npm)" % len(files))
        return
    # The runs of all files go into one log per 20 runs (GitHub's cap on
    # runs in one upload), so the tool starts once: each file it reads costs
    # about 0.25 s on top of its 2 s start.  Results name their run in the
    # JSON path they point at ("runs[3].tool.driver..."), which maps back.
    batches, owner = [], []
    for f in files:
        runs = docs[f].get("runs") or []
        for k, run in enumerate(runs):
            if not batches or len(batches[-1]["runs"]) == 20:
                batches.append({"$schema": docs[f].get("$schema"), "version": docs[f].get("version"), "runs": []})
                owner.append([])
            batches[-1]["runs"].append(run)
            owner[-1].append((f, k))
        if not runs:
            batches.append(docs[f])
            owner.append([(f, 0)])
    inputs = []
    for i, b in enumerate(batches):
        path = os.path.join(work, "sarif-batch-%d.sarif" % i)
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(b, fh, indent=1, ensure_ascii=False)
        inputs.append(path)
    out = os.path.join(work, "multitool.sarif")
    env = dict(os.environ, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1")
    env.setdefault("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
    # The inputs first: the tool's list options swallow what follows them.
    # One thread: with its default (one per core) two inputs take 8 s here
    # instead of 2.
    p = subprocess.run([MULTITOOL, "validate"] + inputs + ["--rule-kind", "Sarif;Gh;Ado", "--threads", "1",
                                                           "--output", out, "--log", "ForceOverwrite"],
                       capture_output=True, text=True, env=env)
    try:
        with open(out, encoding="utf-8-sig") as f:
            log = json.load(f)
    except (OSError, ValueError) as e:
        say("not ok validate: sarif-multitool gave no log (exit %d): %s %s" % (p.returncode, e,
            " ".join((p.stdout + p.stderr).split())[-300:]))
        return
    per = {f: [] for f in files}
    waived = set()
    for run in log.get("runs", []):
        for r in run.get("results") or []:
            if r.get("level", "warning") != "error":
                continue
            uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            m = re.search(r"sarif-batch-(\d+)\.sarif$", uri)
            msg = r.get("message", {})
            args = [str(a) for a in msg.get("arguments", [])]
            text = msg.get("text") or ", ".join(args[:3])
            rule = r.get("ruleId", "?")
            where = re.match(r"^runs\[(\d+)\]", args[0]) if args else None
            if m is None or where is None or int(where.group(1)) >= len(owner[int(m.group(1))]):
                for f in (files if m is None else {o[0] for o in owner[int(m.group(1))]}):
                    per[f].append("%s %s (in the merged log)" % (rule, text[:200]))
                continue
            f, k = owner[int(m.group(1))][int(where.group(1))]
            aid = (docs[f]["runs"][k].get("automationDetails") or {}).get("id", "")
            if rule in NOT_IN_PIPELINE and not aid.startswith(PIPE_PREFIX):
                waived.add(f)
                continue
            text = re.sub(r"^runs\[\d+\]", "runs[%d]" % k, text)
            per[f].append("%s %s" % (rule, text[:200]))
    good = 0
    for f in files:
        if per[f]:
            say("not ok validate: %s: sarif-multitool (Sarif;Gh;Ado): %d error(s): %s" %
                (short(f), len(per[f]), "; ".join(per[f][:3])))
        else:
            good += 1
    if waived:
        say("# validate: GHAzDO1019/GHAzDO1020 (Azure Pipelines identity) not applicable to %d SARIF file(s) "
            "made outside a pipeline" % len(waived))
    if good:
        say("ok validate: %d SARIF file%s with 0 errors in sarif-multitool Sarif, Gh and Ado rules" %
            (good, "" if good == 1 else "s"))


def main():
    work = sys.argv[1]
    skip = set()
    if os.path.exists(os.path.join(work, "skip")):
        with open(os.path.join(work, "skip")) as f:
            skip = {os.path.realpath(l.rstrip("\n")) for l in f if l.strip()}
    seen = set()
    groups = {}
    for path in sys.argv[2:]:
        if os.path.islink(path) or not os.path.isfile(path) or os.path.realpath(path) in skip:
            continue
        with open(path, "rb") as f:
            key = hash(f.read())
        if key in seen:
            continue
        seen.add(key)
        kind, doc = classify(path)
        if kind is not None:
            groups.setdefault(kind, []).append((path, kind, doc))
    if not groups:
        return
    for path, _, size in groups.pop("too-big", []):
        say("skip validate: %s is %d MB, over the validators' %d MB" % (short(path), size >> 20, MAX_BYTES >> 20))
    for path, _, _ in groups.pop("broken", []):
        say("not ok validate: %s names kvpe's or SARIF's schema but is not one such JSON document" % short(path))
    js = groups.get("report", []) + groups.get("resolve", []) + groups.get("trace", []) + groups.get("jsonl", [])
    took = []
    t0 = time.monotonic()
    if js:
        validators, why = load_validators()
        if validators is None:
            say("skip validate: %d JSON report(s) not checked: %s" % (len(js), why))
        else:
            check_json(js, validators)
        took.append("jsonschema %.1f s" % (time.monotonic() - t0))
    for kind, fn, label in (("junit", check_junit, "xmllint"), ("prom", check_prom, "promtool")):
        if kind in groups:
            t0 = time.monotonic()
            fn([p for p, _, _ in groups[kind]])
            took.append("%s %.1f s" % (label, time.monotonic() - t0))
    if "sarif" in groups:
        t0 = time.monotonic()
        check_sarif([p for p, _, _ in groups["sarif"]], {p: d for p, _, d in groups["sarif"]}, work)
        took.append("sarif-multitool %.1f s" % (time.monotonic() - t0))
    say("# validate: " + ", ".join(took))


if __name__ == "__main__":
    main()
