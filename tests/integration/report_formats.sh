#!/usr/bin/env bash
# The JUnit, SARIF, JSONL and Nagios reports through the whole `kvpe check`
# pipeline against the DNS lab (tests/lab/tenant.json): one run writes every
# format (--format junit --output + repeated --report), and each file is read
# the way its consumer reads it — python3's standard library only
# (xml.etree.ElementTree for JUnit, json for SARIF and JSONL); the consumers'
# own validators run over every file at the end (tests/lib/validate.py).  A
# saved inventory whose resource group holds &<>"' checks the escaping end to
# end; one with vaults of three clouds the SARIF locations; Azure Pipelines
# variables the SARIF category GHAzDO reads.
. "$(dirname "$0")/../lib/common.sh"

lab_up "$TOP/tests/lab/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
V=(check --probe off --dns-server "$LAB_VNET")

# The checks: each prints "ok NAME" or "not ok NAME: why".
cat >"$T/check.py" <<'PY'
import hashlib, json, re, sys, urllib.parse
import xml.etree.ElementTree as ET

def out(good, name, why=""):
    print(("ok %s" % name) if good else ("not ok %s: %s" % (name, why)))

def expect(name, got, want):
    out(got == want, name, "got %r, want %r" % (got, want))

HEX64 = re.compile(r"^[0-9a-f]{64}$")
LEVEL = {"high": "error", "medium": "warning", "low": "note"}
SCORE = {"high": "8.0", "medium": "5.5", "low": "2.0"}

def primary(v):
    """The code that names a vault's state: first error-class code for an error."""
    codes = [f["code"] for f in v["findings"]]
    if v["status"] == "error":
        for c in codes:
            if c in ("DNS_SERVFAIL", "DNS_TIMEOUT"):
                return c
        if not codes:
            return "INCOMPLETE"
    return codes[0]

def junit(path, report_path, tag):
    rep = json.load(open(report_path))
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        out(False, tag + ": well-formed", str(e))
        return
    out(True, tag + ": well-formed")
    out("skipped" not in root.attrib, tag + ": no skipped on <testsuites> (junit-10.xsd)", root.attrib)
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    expect(tag + ": one testsuite", len(suites), 1)
    s = suites[0]
    st = rep["summary"]
    expect(tag + ": testsuite attributes",
           {k: s.get(k) for k in ("name", "tests", "failures", "errors", "skipped")},
           {"name": "kvpe", "tests": str(st["vaults"]), "failures": str(st["failed"]),
            "errors": str(st["errors"]), "skipped": "0"})
    expect(tag + ": hostname, timestamp", (s.get("hostname"), s.get("timestamp")),
           (rep["agent"]["host"], rep["started_at"]))
    out(re.match(r"^\d+\.\d{3}$", s.get("time", "")) is not None, tag + ": time in seconds", s.get("time"))
    props = {p.get("name"): p.get("value") for p in s.findall("properties/property")}
    expect(tag + ": properties", props, {"cloud": rep["agent"]["cloud"],
           "resolvers": ",".join(rep["agent"]["resolvers"]), "agent.version": rep["agent"]["version"]})
    cases = s.findall("testcase")
    expect(tag + ": one testcase per vault", [c.get("name") for c in cases], [v["fqdn"] for v in rep["vaults"]])
    for c, v in zip(cases, rep["vaults"]):
        n = "%s: %s" % (tag, v["name"])
        if v["id"]:
            parts = v["id"].split("/")
            want_cls = "kvpe.%s.%s" % (parts[2], parts[4])
        else:
            want_cls = "kvpe.manual"
        expect(n + ": classname", c.get("classname"), want_cls)
        out(re.match(r"^\d+\.\d{3}$", c.get("time", "")) is not None, n + ": time", c.get("time"))
        fail, err = c.find("failure"), c.find("error")
        if v["status"] == "pass":
            out(fail is None and err is None, n + ": pass has no failure/error")
            continue
        el = fail if v["status"] == "fail" else err
        out(el is not None and (fail is None or err is None), n + ": <%s>" % ("failure" if v["status"] == "fail" else "error"))
        if el is None:
            continue
        expect(n + ": type", el.get("type"), primary(v))
        pf = [f for f in v["findings"] if f["code"] == primary(v)]
        expect(n + ": message", el.get("message"), pf[0]["message"] if pf else v.get("error"))
        text = el.text or ""
        for f in v["findings"]:
            line = "%s (%s): %s" % (f["code"], f["severity"], f["message"])
            out(line in text and ("  fix: " + f["remediation"]) in text, n + ": text has " + f["code"],
                repr(text[:300]))
        so = c.findtext("system-out") or ""
        if v["dns"]["chain"]:
            out(("chain: " + " -> ".join(v["dns"]["chain"])) in so, n + ": system-out chain", repr(so[:300]))
        out("probe: " in so or "not checked: " in so, n + ": system-out probe line", repr(so[:300]))

def sarif(path, report_path, tag):
    rep = json.load(open(report_path))
    doc = json.load(open(path))
    expect(tag + ": version, $schema", (doc.get("version"), doc.get("$schema")),
           ("2.1.0", "https://json.schemastore.org/sarif-2.1.0.json"))
    expect(tag + ": one run", len(doc["runs"]), 1)
    run = doc["runs"][0]
    drv = run["tool"]["driver"]
    expect(tag + ": driver", (drv["name"], drv["version"]), ("kvpe", rep["agent"]["version"]))
    rules = drv["rules"]
    ids = [r["id"] for r in rules]
    out(len(ids) >= 19 and len(set(ids)) == len(ids), tag + ": one rule per code", ids)
    out(all(r["helpUri"].endswith("#" + r["id"].lower()) and r["shortDescription"]["text"]
            and r["properties"]["precision"] == "very-high"
            and r["properties"]["tags"][:3] == ["security", "azure", "key-vault"]
            and r["properties"]["security-severity"] in ("8.0", "5.5", "2.0")
            and r["defaultConfiguration"]["level"] in ("error", "warning", "note") for r in rules),
        tag + ": rule fields")
    out(all(r["fullDescription"]["text"] and r["fullDescription"]["markdown"] and "\n\nFix: " in r["help"]["text"]
            and "**Fix:** " in r["help"]["markdown"] and r["helpUri"] in r["help"]["markdown"] for r in rules),
        tag + ": every rule has fullDescription and help (text, markdown: cause and fix)")
    expect(tag + ": driver fullName", drv.get("fullName"), "kvpe %s, Key Vault private endpoint checker" % drv["version"])
    expect(tag + ": automationDetails.id: host and VNet", run.get("automationDetails"),
           {"id": "kvpe/%s/default/" % rep["agent"]["host"]})
    base = run["originalUriBaseIds"]["ARM"]["uri"]
    out(base.startswith("https://") and base.endswith("/"), tag + ": ARM base URI ends with /", base)
    inv = run["invocations"]
    expect(tag + ": invocation", (len(inv), inv[0]["executionSuccessful"], inv[0]["exitCode"]), (1, True, 1))
    findings = [(v, f) for v in rep["vaults"] for f in v["findings"]]
    res = run["results"]
    expect(tag + ": one result per finding", [r["ruleId"] for r in res], [f["code"] for v, f in findings])
    for r, (v, f) in zip(res, findings):
        n = "%s: %s %s" % (tag, v["name"], r["ruleId"])
        out(r["ruleId"] in ids and ids[r["ruleIndex"]] == r["ruleId"], n + ": ruleId is a rule")
        expect(n + ": level", r["level"], LEVEL[f["severity"]])
        expect(n + ": rule security-severity", rules[r["ruleIndex"]]["properties"]["security-severity"],
               SCORE[f["severity"]])
        expect(n + ": message", r["message"]["text"], f["message"] + " Fix: " + f["remediation"])
        loc = r["locations"][0]
        art = loc["physicalLocation"]["artifactLocation"]
        out(art["uri"] != "" and art["uriBaseId"] == "ARM" and loc["physicalLocation"]["region"]["startLine"] == 1,
            n + ": artifactLocation", art)
        where = v["id"] or v["fqdn"]
        want_uri = v["id"][1:] if v["id"] else "vaults/" + v["name"]
        expect(n + ": uri decodes to the ARM id", urllib.parse.unquote(art["uri"]), want_uri)
        out(not re.search(r'[<>" ]', art["uri"]), n + ": uri is a valid URI reference", art["uri"])
        ll = loc["logicalLocations"][0]
        expect(n + ": logicalLocation", (ll["name"], ll["fullyQualifiedName"], ll["kind"]),
               (v["name"], where, "resource"))
        fp = r["partialFingerprints"]["kvpeFinding/v1"]
        expect(n + ": fingerprint", fp,
               hashlib.sha256(("%s|%s" % (f["code"], where.lower())).encode()).hexdigest())
        out(HEX64.match(fp) is not None, n + ": fingerprint is 64 hex")

KEYS = {"type", "time", "host", "run_id", "vault", "id", "fqdn", "code", "severity", "status", "message",
        "remediation"}

def jsonl(path, report_path, tag, run_id):
    rep = json.load(open(report_path))
    raw = open(path, "rb").read()
    out(raw.endswith(b"\n") or raw == b"", tag + ": newline-terminated")
    lines = raw.decode("utf-8").split("\n")[:-1]
    objs = []
    for i, l in enumerate(lines):
        try:
            objs.append(json.loads(l))
        except ValueError as e:
            out(False, tag + ": line %d parses" % (i + 1), str(e))
            return
    out(True, tag + ": every line parses (%d)" % len(lines))
    out(all(KEYS <= set(o) for o in objs), tag + ": every line has the field set")
    findings = [(v, f) for v in rep["vaults"] for f in v["findings"]]
    expect(tag + ": findings, then vaults", [o["type"] for o in objs],
           ["finding"] * len(findings) + ["vault"] * len(rep["vaults"]))
    expect(tag + ": common fields", {(o["time"], o["host"], o["run_id"]) for o in objs},
           {(rep["started_at"], rep["agent"]["host"], run_id)} if objs else set())
    for o, (v, f) in zip(objs, findings):
        expect(tag + ": finding %s %s" % (v["name"], f["code"]),
               (o["vault"], o["id"], o["fqdn"], o["code"], o["severity"], o["status"], o["message"], o["remediation"]),
               (v["name"], v["id"], v["fqdn"], f["code"], f["severity"], v["status"], f["message"], f["remediation"]))
    for o, v in zip(objs[len(findings):], rep["vaults"]):
        expect(tag + ": vault %s" % v["name"], (o["vault"], o["status"], o["findings"], o["code"]),
               (v["name"], v["status"], len(v["findings"]), primary(v) if v["status"] != "pass" else None))

def nagios(path, report_path, tag):
    rep = json.load(open(report_path))
    lines = open(path, encoding="utf-8").read().split("\n")
    expect(tag + ": newline-terminated", lines[-1], "")
    first, rest = lines[0], lines[1:-1]
    st = rep["summary"]
    bad = [v for v in rep["vaults"] if v["status"] != "pass"]
    sev = {f["severity"] for v in rep["vaults"] for f in v["findings"]}
    state = "CRITICAL" if ("high" in sev or st["errors"]) else "WARNING" if sev else "OK"
    out(first.startswith("KVPE %s - " % state), tag + ": state", first)
    text, _, perf = first.partition(" | ")
    out(len(text) <= 200, tag + ": status text short", len(text))
    out(all(32 <= ord(ch) < 127 for ch in first), tag + ": status line is ASCII", repr(first))
    expect(tag + ": perfdata", perf, "vaults=%d;;;0 passed=%d;;;0 failed=%d;;;0 errors=%d;;;0 sources_unread=0;;;0" %
           (st["vaults"], st["passed"], st["failed"], st["errors"]))
    for v in bad:
        out("%s (%s)" % (v["name"], primary(v)) in text, tag + ": lists " + v["name"], text)
    expect(tag + ": a line per vault not passing", [l.split(":")[0] for l in rest], [v["name"] for v in bad])

def odd(junit_path, sarif_path, jsonl_path, arm_id):
    rg = arm_id.split("/")[4]
    root = ET.parse(junit_path).getroot()
    c = root.find("testsuite/testcase")
    expect("odd: junit classname unescaped", c.get("classname"), "kvpe.s." + rg)
    el = c.find("failure")
    if el is None:
        el = c.find("error")
    out(el is not None and rg in (el.text or ""), "odd: junit text carries the resource group",
        None if el is None else el.text[:200])
    out(arm_id in (c.findtext("system-out") or ""), "odd: junit system-out carries the ARM id")
    doc = json.load(open(sarif_path))
    res = doc["runs"][0]["results"]
    out(len(res) > 0, "odd: sarif has results")
    for r in res:
        loc = r["locations"][0]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        expect("odd: sarif %s uri" % r["ruleId"], urllib.parse.unquote(uri), arm_id[1:])
        out(not re.search(r'[<>" ]', uri), "odd: sarif %s uri is percent-encoded" % r["ruleId"], uri)
        expect("odd: sarif %s fullyQualifiedName" % r["ruleId"], loc["logicalLocations"][0]["fullyQualifiedName"], arm_id)
        expect("odd: sarif %s fingerprint" % r["ruleId"], r["partialFingerprints"]["kvpeFinding/v1"],
               hashlib.sha256(("%s|%s" % (r["ruleId"], arm_id.lower())).encode()).hexdigest())
    objs = [json.loads(l) for l in open(jsonl_path, encoding="utf-8")]
    expect("odd: jsonl ids", {o["id"] for o in objs}, {arm_id})

BASES = {"AzureCloud": ("ARM", "https://management.azure.com/"),
         "AzureChinaCloud": ("ARM_CN", "https://management.chinacloudapi.cn/"),
         "AzureUSGovernment": ("ARM_USGOV", "https://management.usgovcloudapi.net/")}
SUFFIX = {"vault.azure.net": "AzureCloud", "vault.azure.cn": "AzureChinaCloud",
          "vault.usgovcloudapi.net": "AzureUSGovernment"}

def clouds(sarif_path, report_path):
    """Each location under its own vault's cloud's ARM endpoint."""
    rep = json.load(open(report_path))
    run = json.load(open(sarif_path))["runs"][0]
    want = {BASES[c][0]: {"uri": BASES[c][1], "description": {"text": "Azure Resource Manager, " + c}}
            for c in BASES}
    expect("clouds: originalUriBaseIds per cloud", run["originalUriBaseIds"], want)
    by_name = {v["name"]: v for v in rep["vaults"]}
    seen = set()
    for r in run["results"]:
        v = by_name[r["properties"]["vault"]]
        cloud = SUFFIX[v["fqdn"].split(".", 1)[1]]
        art = r["locations"][0]["physicalLocation"]["artifactLocation"]
        expect("clouds: %s %s under %s" % (v["name"], r["ruleId"], BASES[cloud][0]), (art["uriBaseId"], art["uri"]),
               (BASES[cloud][0], v["id"][1:]))
        seen.add(cloud)
    expect("clouds: results in all three clouds", sorted(seen), sorted(BASES))

cmd = sys.argv[1]
if cmd == "junit":
    junit(*sys.argv[2:5])
elif cmd == "sarif":
    sarif(*sys.argv[2:5])
elif cmd == "jsonl":
    jsonl(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] or None)
elif cmd == "nagios":
    nagios(*sys.argv[2:5])
elif cmd == "odd":
    odd(*sys.argv[2:6])
elif cmd == "clouds":
    clouds(*sys.argv[2:4])
PY

# pycheck ARGS...: runs check.py and turns its lines into ok/not_ok.
pycheck() {
	local rc=0
	python3 "$T/check.py" "$@" >"$T/py.out" 2>&1 || rc=$?
	tap_lines "$T/py.out"
	[ "$rc" -eq 0 ] || not_ok "check.py $1 exited $rc"
}

# One run, every format: the main one to --output, the rest via --report.
export INVOCATION_ID=0123456789abcdef0123456789abcdef
run_kvpe "$T/stdout.txt" "${V[@]}" --vault kv-healthy=10.1.0.4 --vault kv-missing=10.1.0.5 \
	--vault kv-servfail=10.1.0.9 --vault kv-nopep --format junit --output "$T/TEST-kvpe.xml" \
	--report sarif="$T/kvpe.sarif" --report jsonl="$T/kvpe.jsonl" --report nagios="$T/nagios.txt" \
	--report json="$T/kvpe.json"
unset INVOCATION_ID
expect_rc "all formats" 1
expect_eq "all formats: stdout empty" "$(wc -c <"$T/stdout.txt")" 0
expect_eq "all formats: every file written" \
	"$(for f in TEST-kvpe.xml kvpe.sarif kvpe.jsonl nagios.txt kvpe.json; do [ -s "$T/$f" ] && echo -n y; done)" yyyyy
expect_eq "all formats: no temp file left" "$(ls -a "$T" | grep -c '\.tmp\.')" 0
expect_clean_stderr "all formats" "$T/stdout.txt.err"
expect_eq "all formats: the lab's verdicts" \
	"$(jq -c '[.vaults[] | [.name, .status, ([.findings[].code] | join(","))]]' "$T/kvpe.json")" \
	'[["kv-healthy","pass",""],["kv-missing","fail","DNS_NXDOMAIN"],["kv-nopep","fail","DNS_PUBLIC_ADDRESS,DNS_NO_PRIVATELINK_CNAME"],["kv-servfail","error","DNS_SERVFAIL"]]'

pycheck junit "$T/TEST-kvpe.xml" "$T/kvpe.json" junit
pycheck sarif "$T/kvpe.sarif" "$T/kvpe.json" sarif
pycheck jsonl "$T/kvpe.jsonl" "$T/kvpe.json" jsonl 0123456789abcdef0123456789abcdef
pycheck nagios "$T/nagios.txt" "$T/kvpe.json" nagios
expect_eq "nagios: first line" "$(head -1 "$T/nagios.txt")" \
	"KVPE CRITICAL - 3 of 4 vaults failing (1 not checked): kv-missing (DNS_NXDOMAIN), kv-nopep (DNS_PUBLIC_ADDRESS), kv-servfail (DNS_SERVFAIL) | vaults=4;;;0 passed=1;;;0 failed=2;;;0 errors=1;;;0 sources_unread=0;;;0"

# Formats on stdout too, and a passing run (exit 0, JUnit without failures).
run_kvpe "$T/pass.xml" "${V[@]}" --vault kv-healthy=10.1.0.4 --format junit
expect_rc "junit on stdout, all passing" 0
expect_eq "junit on stdout: counts" \
	"$(python3 -c 'import sys,xml.etree.ElementTree as E; s=E.parse(sys.argv[1]).getroot().find("testsuite"); print(s.get("tests"),s.get("failures"),s.get("errors"))' "$T/pass.xml")" "1 0 0"
run_kvpe "$T/pass.nagios" "${V[@]}" --vault kv-healthy=10.1.0.4 --format nagios
expect_eq "nagios on stdout, all passing" "$(head -1 "$T/pass.nagios")" \
	"KVPE OK - 1 of 1 vaults passing | vaults=1;;;0 passed=1;;;0 failed=0;;;0 errors=0;;;0 sources_unread=0;;;0"
run_kvpe "$T/pass.sarif" "${V[@]}" --vault kv-healthy=10.1.0.4 --format sarif
expect_eq "sarif on stdout, no findings: empty results, exit code 0" \
	"$(jq -c '[.runs[0].results, .runs[0].invocations[0].exitCode]' "$T/pass.sarif")" "[[],0]"
run_kvpe "$T/pass.jsonl" "${V[@]}" --vault kv-healthy=10.1.0.4 --format jsonl
expect_eq "jsonl on stdout, all passing: one vault line, run_id null" \
	"$(jq -c '[.type, .vault, .status, .run_id]' "$T/pass.jsonl")" '["vault","kv-healthy","pass",null]'

# Special characters through the real pipeline: a saved inventory whose
# resource group holds &<>"'.
ODD_ID="/subscriptions/s/resourceGroups/rg&<x>\"'/providers/Microsoft.KeyVault/vaults/kv-x"
python3 - "$ODD_ID" "$T/odd-inventory.json" <<'PY'
import json, sys
json.dump([{"id": sys.argv[1], "name": "kv-x", "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
            "properties": {}}], open(sys.argv[2], "w"))
PY
run_kvpe "$T/odd.out" "${V[@]}" --inventory "$T/odd-inventory.json" --format junit --output "$T/TEST-odd.xml" \
	--report sarif="$T/odd.sarif" --report jsonl="$T/odd.jsonl" --report json="$T/odd.json"
expect_rc "odd names" 1
expect_clean_stderr "odd names" "$T/odd.out.err"
expect_eq "odd names: the vault was checked" "$(jq -r '.vaults[0].id' "$T/odd.json")" "$ODD_ID"
pycheck junit "$T/TEST-odd.xml" "$T/odd.json" odd-junit
pycheck sarif "$T/odd.sarif" "$T/odd.json" odd-sarif
pycheck odd "$T/TEST-odd.xml" "$T/odd.sarif" "$T/odd.jsonl" "$ODD_ID"

# Three clouds in one run: a saved inventory with a public, a China and a
# US Government vault (ARM IDs; the cloud comes from each vaultUri).  Each
# SARIF location sits under its own cloud's ARM endpoint.
python3 - "$T/clouds-inventory.json" <<'PY'
import json, sys
vaults = []
for name, host in (("kv-pub", "vault.azure.net"), ("kv-cn", "vault.azure.cn"), ("kv-gov", "vault.usgovcloudapi.net")):
    vaults.append({"id": "/subscriptions/5c1ab000-0000-4000-8000-00000000000c/resourceGroups/rg-%s/providers/"
                         "Microsoft.KeyVault/vaults/%s" % (name, name),
                   "name": name, "type": "Microsoft.KeyVault/vaults", "location": "x",
                   "properties": {"vaultUri": "https://%s.%s/" % (name, host)}})
json.dump({"value": vaults}, open(sys.argv[1], "w"))
PY
run_kvpe "$T/clouds.out" "${V[@]}" --inventory "$T/clouds-inventory.json" --format sarif --output "$T/clouds.sarif" \
	--report json="$T/clouds.json"
expect_rc "three clouds" 1
expect_eq "three clouds: the vaults" "$(jq -c '[.vaults[].fqdn]' "$T/clouds.json")" \
	'["kv-cn.vault.azure.cn","kv-gov.vault.usgovcloudapi.net","kv-pub.vault.azure.net"]'
pycheck clouds "$T/clouds.sarif" "$T/clouds.json"

# The SARIF category: --vnet names it, --sarif-category (or the config
# key) replaces it; inside Azure Pipelines it is the pipeline's identity,
# which GHAzDO ingestion reads (the global validator holds such a file to
# every Ado rule, GHAzDO1019 and GHAzDO1020 included).
VNET=/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu
run_kvpe "$T/cat-vnet.sarif" "${V[@]}" --vault kv-healthy=10.1.0.4 --format sarif --vnet "$VNET"
expect_eq "sarif category: host and --vnet" "$(jq -r '.runs[0].automationDetails.id' "$T/cat-vnet.sarif")" \
	"kvpe/$(jq -r .agent.host "$T/kvpe.json")/vnet-hub-weu/"
run_kvpe "$T/cat-flag.sarif" "${V[@]}" --vault kv-healthy=10.1.0.4 --format sarif --sarif-category prod/weu/
expect_eq "sarif category: --sarif-category" "$(jq -c '.runs[0].automationDetails' "$T/cat-flag.sarif")" '{"id":"prod/weu/"}'
echo '{"sarif-category": "from-config/"}' >"$T/cat.conf"
run_kvpe "$T/cat-conf.sarif" "${V[@]}" --config "$T/cat.conf" --vault kv-healthy=10.1.0.4 --format sarif
expect_eq "sarif category: config key" "$(jq -r '.runs[0].automationDetails.id' "$T/cat-conf.sarif")" "from-config/"
PIPE=(TF_BUILD=True SYSTEM_COLLECTIONURI=https://dev.azure.com/contoso/
	SYSTEM_TEAMPROJECTID=0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b BUILD_DEFINITIONID=42 "BUILD_DEFINITIONNAME=kvpe nightly"
	BUILD_BUILDID=1234 SYSTEM_JOBID=9a8b7c6d-5e4f-4321-8fed-cba987654321 SYSTEM_JOBNAME=Job_1
	BUILD_SOURCEBRANCH=refs/heads/main)
RC=0
env "${PIPE[@]}" "$KVPE" "${V[@]}" --vault kv-missing=10.1.0.5 --format sarif --vnet "$VNET" \
	>"$T/pipeline.sarif" 2>"$T/pipeline.err" || RC=$?
expect_rc "sarif in Azure Pipelines" 1
expect_eq "sarif in Azure Pipelines: automationDetails" "$(jq -c '.runs[0].automationDetails' "$T/pipeline.sarif")" \
	"{\"id\":\"azuredevops/pipeline/build/contoso/0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b/42/9a8b7c6d-5e4f-4321-8fed-cba987654321/refs/heads/main/1234\",\"properties\":{\"azuredevops/pipeline/build/buildDefinitionId\":\"42\",\"azuredevops/pipeline/build/buildDefinitionName\":\"kvpe nightly\",\"azuredevops/pipeline/build/phaseId\":\"9a8b7c6d-5e4f-4321-8fed-cba987654321\",\"azuredevops/pipeline/build/phaseName\":\"Job_1\",\"kvpe/category\":\"kvpe/$(jq -r .agent.host "$T/kvpe.json")/vnet-hub-weu/\"}}"
RC=0
env "${PIPE[@]}" SYSTEM_JOBID=not-a-guid "$KVPE" "${V[@]}" --vault kv-healthy=10.1.0.4 --format sarif \
	>"$T/pipeline-bad.sarif" 2>"$T/pipeline-bad.err" || RC=$?
expect_eq "sarif, pipeline variables malformed: host category, and a warning naming the variable" \
	"$RC $(jq -r '.runs[0].automationDetails.id' "$T/pipeline-bad.sarif") $(grep -c 'SYSTEM_PHASEID (or SYSTEM_JOBID) is not a GUID' "$T/pipeline-bad.err")" \
	"0 kvpe/$(jq -r .agent.host "$T/kvpe.json")/default/ 1"

# No run above left a sanitizer report (when this runs the ASan build).
cat "$T"/*.err >"$T/all-stderr.txt"
expect_clean_stderr "every run" "$T/all-stderr.txt"

finish
