#!/usr/bin/env bash
# The JSON Schemas in agent/schema/ against the code that writes the
# documents: each is a valid draft 2020-12 schema; its finding codes and
# their severities are finding.h's, in order; its names of DNS reply codes,
# probe results and endpoint states are types.c's.  Then a real report (a
# vault whose resolver refuses the connection: no server needed) passes, and
# the same report with one mistake each is refused, so the schema the other
# tests validate against (tests/lib/validate.py) is not an empty promise.
. "$(dirname "$0")/../lib/common.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import jsonschema' 2>/dev/null; then
	skip "schema: python3-jsonschema not installed (tests/deps.sh installs it)"
	finish
	exit 0
fi

# A port nothing listens on: the lookups fail at once (DNS_SERVFAIL).
NL=$(free_port)
run_kvpe "$T/r.json" check --dns-server "127.0.0.1:$NL" --probe off --format json --timeout 500 \
	--vault kv-schema=10.1.0.4 --report jsonl="$T/r.jsonl"
expect_rc "a report to mutate" 1
run_kvpe "$T/res.json" resolve --dns-server "127.0.0.1:$NL" --format json --timeout 500 kv-schema.vault.azure.net

"$PY" - "$TOP" "$T/r.json" "$T/r.jsonl" "$T/res.json" >"$T/py.out" 2>&1 <<'PY'
import copy, json, os, re, sys
import jsonschema

top, report, lines, resolve = sys.argv[1:5]
S = os.path.join(top, "agent", "schema")

def out(good, name, why=""):
    print(("ok %s" % name) if good else ("not ok %s: %s" % (name, why)))

schemas = {}
for f in sorted(os.listdir(S)):
    s = json.load(open(os.path.join(S, f)))
    schemas[f] = s
    try:
        jsonschema.Draft202012Validator.check_schema(s)
        out(s.get("$schema") == "https://json-schema.org/draft/2020-12/schema", "%s: a draft 2020-12 schema" % f)
    except jsonschema.SchemaError as e:
        out(False, "%s: a draft 2020-12 schema" % f, e.message)
store = {s["$id"]: s for s in schemas.values()}

def validator(name):
    s = schemas[name]
    return jsonschema.Draft202012Validator(s, resolver=jsonschema.RefResolver.from_schema(s, store=store),
                                           format_checker=jsonschema.FormatChecker())

rep = schemas["kvpe.report.v1.schema.json"]
d = rep["$defs"]

# finding.h: X(CODE, SEV, ...) in order.
h = open(os.path.join(top, "include", "kvpe", "finding.h")).read()
rows = re.findall(r"^\tX\(([A-Z0-9_]+), (HIGH|MEDIUM|LOW),", h, re.M)
out(d["code"]["enum"] == [c for c, _ in rows], "schema's finding codes are finding.h's, in order",
    "schema %s, finding.h %s" % (d["code"]["enum"], [c for c, _ in rows]))
# Codes whose severity depends on the case allow a set holding finding.h's;
# every other code is pinned to it.
top_if = d["finding"]["allOf"][0]
var = {}
for branch in top_if["then"]["allOf"]:
    var[branch["if"]["properties"]["code"]["const"]] = branch["then"]["properties"]["severity"]["enum"]
out(sorted(var) == sorted(top_if["if"]["properties"]["code"]["enum"]), "schema's case-dependent severities name their codes")
cond = top_if["else"]
sev = {c: "high" for c, _ in rows}
for c in cond["if"]["properties"]["code"]["enum"]:
    sev[c] = "medium"
for c in cond["else"]["if"]["properties"]["code"]["enum"]:
    sev[c] = "low"
for c, allowed in var.items():
    sev[c] = dict(rows)[c].lower() if dict(rows)[c].lower() in allowed else "not in %s" % allowed
out(sev == {c: s.lower() for c, s in rows}, "schema's severities are finding.h's")

# types.c: the names the report prints.
t = open(os.path.join(top, "agent", "types.c")).read()
def names(fn):
    body = re.search(r"\n%s\([^)]*\)\n\{(.*?)\n\}" % fn, t, re.S).group(1)
    return sorted(set(re.findall(r'return "([^"]*)";', body)))
out(sorted(x for x in d["rcode"]["enum"] if x) == [x for x in names("kv_rcode_name") if x], "rcodes are types.c's",
    names("kv_rcode_name"))
out(sorted(d["probe"]["properties"]["result"]["enum"]) == names("kv_probe_result_name"), "probe results are types.c's")
out(sorted(d["probe"]["properties"]["level"]["enum"]) == names("kv_probe_level_name"), "probe levels are types.c's")
out(sorted(d["endpoint"]["properties"]["state"]["enum"]) == names("kv_pe_state_name"), "endpoint states are types.c's")
out(sorted(d["status"]["enum"]) == names("kv_status_name"), "statuses are types.c's")
cl = re.findall(r'X\(KV_CLOUD_[A-Z]+, "([A-Za-z]+)"', open(os.path.join(top, "include", "kvpe", "cloud.h")).read())
out(sorted(rep["properties"]["agent"]["properties"]["cloud"]["enum"]) == sorted(cl), "clouds are cloud.h's", cl)

# A real report passes; each mistake is refused.
v = validator("kvpe.report.v1.schema.json")
doc = json.load(open(report))
errs = [e.message for e in v.iter_errors(doc)]
out(not errs and doc["vaults"][0]["dns"].get("rcode_num") is None and doc["vaults"][0]["dns"].get("error"),
    "a real report (DNS_SERVFAIL, dns.error) passes", errs[:3])

def mutation(name, f):
    m = copy.deepcopy(doc)
    f(m)
    out(any(True for _ in v.iter_errors(m)), "refused: " + name)

vault = lambda m: m["vaults"][0]
mutation("an unknown finding code", lambda m: vault(m)["findings"][0].update(code="DNS_WEIRD"))
mutation("a code with another severity", lambda m: vault(m)["findings"][0].update(severity="low"))
mutation("an unknown status", lambda m: vault(m).update(status="unknown"))
mutation("fail without a finding", lambda m: vault(m).update(status="fail", findings=[]))
mutation("an extra vault field", lambda m: vault(m).update(extra=1))
mutation("an extra top-level field", lambda m: m.update(extra=1))
mutation("a missing summary count", lambda m: m["summary"].pop("errors"))
mutation("summary.partial missing", lambda m: m["summary"].pop("partial"))
mutation("an unknown code in summary.findings", lambda m: m["summary"]["findings"].update(NOPE=1))
mutation("an rcode that is not one", lambda m: vault(m)["dns"].update(rcode="NOTAUTH"))
mutation("rcode_num out of range", lambda m: vault(m)["dns"].update(rcode_num=16))
mutation("chain_incomplete false (present only when true)", lambda m: vault(m)["dns"].update(chain_incomplete=False))
mutation("an address that is not one", lambda m: vault(m).update(expected_addresses=["10.1.0.999"]))
mutation("stale without last_checked_at", lambda m: vault(m).update(stale=True))
mutation("last_checked_at not UTC", lambda m: vault(m).update(stale=True, last_checked_at="2026-01-01T00:00:00+01:00"))
mutation("a probe result that is not one", lambda m: vault(m)["probe"].update(result="ok"))
mutation("a source without up", lambda m: m["sources"][0].pop("up"))
mutation("a run error without scope", lambda m: m["errors"].append({"message": "x"}))
mutation("another schema name", lambda m: m.update(schema="kvpe.report/v2"))

vl = validator("kvpe.report-line.v1.schema.json")
objs = [json.loads(l) for l in open(lines)]
errs = [e.message for o in objs for e in vl.iter_errors(o)]
out(len(objs) == 2 and not errs, "real JSONL lines pass (a finding, a vault)", errs[:3])
for name, f in (("a line without run_id", lambda o: o.pop("run_id")),
                ("a finding line with a null code", lambda o: o.update(code=None)),
                ("a line of another type", lambda o: o.update(type="summary")),
                ("an extra key", lambda o: o.update(extra=1))):
    o = copy.deepcopy(objs[0])
    f(o)
    out(any(True for _ in vl.iter_errors(o)), "refused JSONL: " + name)

vr = validator("kvpe.resolve.v1.schema.json")
r = json.load(open(resolve))
errs = [e.message for e in vr.iter_errors(r)]
out(not errs, "a real resolve document passes", errs[:3])
r["names"][0]["findings"] = ["DNS_WEIRD"]
out(any(True for _ in vr.iter_errors(r)), "refused resolve: an unknown finding code")
PY
tap_lines "$T/py.out"
grep -q . "$T/py.out" || not_ok "schema checks printed nothing"
finish
