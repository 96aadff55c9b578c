#!/usr/bin/env bash
# The deployment files as shipped: every path a unit's kvpe writes is one
# its sandbox lets it write; then kvpe-check.service's own ExecStart, run as
# the timer runs it (three times, live ARM answering 429 once a run): the
# JSONL log grows by each run, the textfile's counters carry on, and the
# alert rules (promtool test rules, when installed) fire for the timer's
# series as for the agent's.  Last, the agent's logfmt lines stay one per
# event, each value escaped, when ARM's error text holds quotes and a
# newline.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"
D=$TOP/agent/deploy

# 1. The units and the example config agree on where kvpe may write.
python3 - "$D" >"$T/units.out" <<'PY'
import json, os, re, shlex, sys
d = sys.argv[1]

def unit(name):
    keys = {}
    for line in open(os.path.join(d, name)):
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        k, _, v = line.partition("=")
        keys.setdefault(k, []).append(v)
    return keys

def writable(u):
    paths = [p.lstrip("-") for v in u.get("ReadWritePaths", []) for p in v.split()]
    paths += ["/var/log/" + v for v in u.get("LogsDirectory", [])]
    paths += ["/var/lib/" + v for v in u.get("StateDirectory", [])]
    return paths

def check(name, u, path, why):
    ok = any(os.path.dirname(path) == p or path.startswith(p.rstrip("/") + "/") for p in writable(u))
    print(("ok %s: %s (%s) is writable in its sandbox" if ok else
           "not ok %s: %s (%s) is outside ReadWritePaths/LogsDirectory/StateDirectory") % (name, path, why))

for name in ("kvpe-agent.service", "kvpe-check.service"):
    u = unit(name)
    print(("ok" if u.get("ProtectSystem") == ["strict"] else "not ok") + " %s: ProtectSystem=strict" % name)
    args = shlex.split(u["ExecStart"][0])
    for i, a in enumerate(args):
        if a in ("--output", "-o", "--textfile"):
            check(name, u, args[i + 1], a)
        elif a == "--report":
            check(name, u, args[i + 1].split("=", 1)[1], a)
cfg = json.load(open(os.path.join(d, "config.example.json")))
for key in ("textfile", "output"):
    if key in cfg:
        check("kvpe-agent.service", unit("kvpe-agent.service"), cfg[key], "config.example.json " + key)
print("ok config.example.json read")
PY
while IFS= read -r line; do
	case "$line" in "ok "*) ok "${line#ok }" ;; *) not_ok "${line#not ok }" ;; esac
done <"$T/units.out"

# 2. kvpe-check.service's ExecStart, its paths moved under $T, against the
# lab and live ARM; three timer runs, ARM throttling each once.
cat >"$T/tenant.json" <<'JSON'
{"vaults": [
 {"name": "kv-t1", "ip": "10.1.0.1", "public_access": "Disabled"},
 {"name": "kv-t2", "ip": "10.1.0.2", "public_access": "Disabled"}
]}
JSON
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=50
mkdir -p "$T/node-exporter" "$T/log"
exec_start=$(sed -n 's/^ExecStart=//p' "$D/kvpe-check.service")
read -r -a ARGS <<<"$(echo "$exec_start" | sed -e "s#^/usr/local/bin/kvpe ##" \
	-e "s#/var/lib/prometheus/node-exporter#$T/node-exporter#g" -e "s#/var/log/kvpe#$T/log#g")"
TF=$T/node-exporter/kvpe.prom
JL=$(echo "$exec_start" | grep -oE 'jsonl=[^ ]+' | sed "s#^jsonl=/var/log/kvpe#$T/log#")
tf() { awk -v k="$1" '$1 == k {print $2}' "$TF"; }
RUNS=$([ -n "${KVPE_VALGRIND:-}" ] && echo 2 || echo 3) # valgrind: some 20 times slower
for run in $(seq 1 "$RUNS"); do
	arm_faults '[{"match": "^/subscriptions\\?", "times": 1, "action": {"status": 429, "retry_after": "0"}}]'
	INVOCATION_ID=timer-run-$run run_kvpe "$T/run$run.out" "${ARGS[@]}" --dns-server "$LAB_VNET" --probe off \
		--ca-file "$ARM_CA" --arm-endpoint "$ARM_URL"
	[ "$RC" -le 1 ] || { not_ok "timer run $run: exit $RC"; cat "$T/run$run.out.err"; }
	echo "$(tf kvpe_runs_total) $(tf kvpe_arm_throttled_total) $(tf kvpe_arm_requests_total) $(tf kvpe_dns_lookup_duration_seconds_count)" >>"$T/counters"
done
expect_eq "timer: $RUNS runs, each a success (exit 0 or 1)" "$(grep -c . "$T/counters")" "$RUNS"
res=$(python3 "$TOP/tests/lib/promcheck.py" "$TF") && ok "timer: textfile valid ($res)" || not_ok "timer: textfile: $res"
expect_eq "timer: runs and ARM 429s counted across runs" "$(awk '{printf "%s/%s ", $1, $2}' "$T/counters")" \
	"$(seq 1 "$RUNS" | awk '{printf "%s/%s ", $1, $1}')"
expect_eq "timer: ARM requests carried on (strictly growing)" \
	"$(awk 'NR > 1 && $3 <= prev {bad = 1} {prev = $3} END {print bad ? "no" : "yes"}' "$T/counters")" yes
# The lookup-time histogram too: each run adds its vaults' lookups.
expect_eq "timer: the lookup-time histogram carried on (run n holds n runs' lookups)" \
	"$(awk 'NR == 1 {first = $4} $4 != NR * first || first == 0 {bad = 1} END {print bad ? "no" : "yes"}' "$T/counters")" yes
expect_eq "timer: the JSONL log holds every run, in order" "$(jq -r .run_id "$JL" | uniq | tr '\n' ' ')" \
	"$(seq 1 "$RUNS" | sed 's/^/timer-run-/' | tr '\n' ' ')"
expect_eq "timer: no temp file left" "$(find "$T/node-exporter" "$T/log" -name '.*.tmp.*' | wc -l)" 0
cat "$T"/run*.out.err >"$T/runs.err"
expect_clean_stderr "timer runs" "$T/runs.err"

# 3. The alert rules over the timer's series: its carried counter makes
# KvpeArmThrottled fire as the agent's does; a counter restarting at every
# run (what the timer wrote before) never could.
if command -v promtool >/dev/null; then
	cp "$D/kvpe-alerts.yml" "$T/kvpe-alerts.yml"
	cat >"$T/alerts-test.yml" <<'YML'
rule_files: [kvpe-alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 5m
    input_series:
      - series: 'kvpe_arm_throttled_total{job="node",instance="timer-host"}'
        values: '0+3x24'
      - series: 'kvpe_arm_throttled_total{job="node",instance="reset-host"}'
        values: '3x24'
      - series: 'kvpe_arm_throttled_total{job="kvpe",instance="agent-host"}'
        values: '0+3x24'
    alert_rule_test:
      - eval_time: 2h
        alertname: KvpeArmThrottled
        exp_alerts:
          - exp_labels: {severity: info, job: node, instance: timer-host}
            exp_annotations:
              summary: "ARM throttles kvpe on timer-host: lengthen --interval or narrow --subscription"
          - exp_labels: {severity: info, job: kvpe, instance: agent-host}
            exp_annotations:
              summary: "ARM throttles kvpe on agent-host: lengthen --interval or narrow --subscription"
  - interval: 5m
    input_series:
      - series: 'kvpe_last_success_timestamp_seconds{job="node",instance="timer-host"}'
        values: '0x12'
    alert_rule_test:
      - eval_time: 1h
        alertname: KvpeStale
        exp_alerts:
          - exp_labels: {severity: warning, job: node, instance: timer-host}
            exp_annotations:
              summary: "kvpe on timer-host has not completed a check for 1h 0m 0s"
YML
	if (cd "$T" && promtool test rules alerts-test.yml >"$T/promtool.out" 2>&1); then
		ok "promtool test rules: KvpeArmThrottled and KvpeStale fire for the timer's series"
	else
		not_ok "promtool test rules"
		sed -n '1,30p' "$T/promtool.out"
	fi
else
	skip "promtool not installed: alert rule tests"
fi

# 4. logfmt: a token endpoint's error text (a newline that would forge a
# line, quotes, a backslash) stays inside one escaped value.
arm_faults '[{"match": "oauth2/v2.0/token", "times": -1, "action": {"status": 400, "body": "{\"error\": \"invalid_client\\nlevel=error msg=forged\", \"error_description\": \"Invalid \\\"secret\\\" at C:\\\\dir.\"}"}}]'
RC=0
"$KVPE" agent --once --log-format logfmt --dns-server "$LAB_VNET" --probe off --ca-file "$ARM_CA" \
	--arm-endpoint "$ARM_URL" >/dev/null 2>"$T/agent.err" || RC=$?
python3 - "$T/agent.err" >"$T/logfmt.out" <<'PY'
import re, sys
PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|[^ "=]*)(?: |$)')
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")[:-1]
bad, found = [], False
for l in lines:
    pos, keys = 0, []
    while pos < len(l):
        m = PAIR.match(l, pos)
        if not m:
            bad.append(l)
            break
        keys.append(m.group(1))
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r'\\(.)', r'\1', v[1:-1])
        if "level=error msg=forged" in v and 'Invalid "secret" at C:\\dir.' in v:
            found = True
        pos = m.end()
    if keys[:3] != ["time", "level", "msg"] or len(set(keys)) != len(keys):
        bad.append(l)
print("lines=%d bad=%d found=%s" % (len(lines), len(bad), found))
for l in bad[:5]:
    print("bad: " + l)
PY
expect_eq "logfmt: every line is pairs, the server's text one escaped value" "$(head -1 "$T/logfmt.out" | sed 's/lines=[0-9]* //')" "bad=0 found=True"
[ "$(head -1 "$T/logfmt.out" | sed 's/lines=[0-9]* //')" = "bad=0 found=True" ] || cat "$T/logfmt.out" "$T/agent.err"
expect_clean_stderr "agent with ARM error text" "$T/agent.err"
finish
