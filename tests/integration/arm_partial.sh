#!/usr/bin/env bash
# A source that fails (issue 10, item 7), through the live-ARM pipeline: one
# subscription of two answers 403, or 500 after every retry.  The run is
# partial: exit 2 with one line on stderr, the other subscription's vaults
# still reported, and every format says so (JSON errors[] and sources[], SARIF
# executionSuccessful false + a notification, Prometheus kvpe_last_run_success 0
# and kvpe_source_up, a JUnit error case, Nagios CRITICAL with the unread
# source counted).  Then the agent across an outage shorter and longer than
# --stale-after: the vaults of the failed source keep their last verdict,
# marked stale, then a pass becomes error and a fail keeps failing; after
# recovery everything is fresh.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

cat >"$T/tenant.json" <<'JSON'
{"vaults": [
 {"name": "kv-a1", "ip": "10.1.0.1", "public_access": "Disabled"},
 {"name": "kv-a2", "ip": "10.1.0.2", "public_access": "Disabled"},
 {"name": "kv-b1", "subscription": "b", "ip": "10.1.1.1", "public_access": "Disabled"},
 {"name": "kv-b2", "subscription": "b", "ip": "10.1.1.2", "zone": [], "public_access": "Disabled"}
]}
JSON
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=50 # 4 attempts of a 5xx in about a second
SUB_A=5c1ab000-0000-4000-8000-00000000000a
SUB_B=5c1ab000-0000-4000-8000-00000000000b
SRC_A="subscription/$SUB_A"
SRC_B="subscription/$SUB_B"
FORBIDDEN='{"status": 403, "body": "{\"error\": {\"code\": \"AuthorizationFailed\", \"message\": \"The client does not have authorization to perform action.\"}}"}'
RUN=(check --dns-server "$LAB_VNET" --probe off --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL")

# prom FILE SERIES: the value of one sample in a text exposition.
prom() { awk -v k="$2" '$1 == k {print $2}' "$1"; }

# partial_formats LABEL: one run, every format, each checked as its reader
# would; $1's vaults of sub a must pass.  Sets RC.
partial_formats() {
	local l=$1 d=$T/$1
	mkdir -p "$d"
	run_kvpe "$d/r.json" "${RUN[@]}" --format json --report sarif="$d/r.sarif" --report prometheus="$d/r.prom" \
		--report junit="$d/TEST-kvpe.xml" --report jsonl="$d/r.jsonl" --report table="$d/table.txt" \
		--report nagios="$d/nagios.txt"
	expect_rc "$l: partial run" 2
	expect_eq "$l: one line on stderr, naming the source" \
		"$(grep -c "^kvpe: partial run, the report holds the rest: 1 source not read: $SRC_B (" "$d/r.json.err"),$(grep -c '^kvpe: ' "$d/r.json.err")" "1,1"
	# JSON
	expect_eq "$l: json: sub a's vaults checked and passing" \
		"$(jq -r '[.vaults[] | select(.name|startswith("kv-a")) | "\(.name)=\(.status)"] | join(",")' "$d/r.json")" \
		"kv-a1=pass,kv-a2=pass"
	expect_eq "$l: json: errors[] names the source" "$(jq -r '[.errors[].scope] | unique | join(",")' "$d/r.json")" "$SRC_B"
	expect_eq "$l: json: summary.partial" "$(jq '.summary.partial' "$d/r.json")" true
	expect_eq "$l: json: sources" "$(jq -r '[.sources[] | "\(.source)=\(.up)"] | join(",")' "$d/r.json")" \
		"$SRC_A=true,$SRC_B=false"
	# SARIF
	expect_eq "$l: sarif: execution not successful, exit code 2" \
		"$(jq -c '.runs[0].invocations[0] | [.executionSuccessful, .exitCode]' "$d/r.sarif")" "[false,2]"
	expect_eq "$l: sarif: one notification for the source, level error" \
		"$(jq -r --arg s "$SRC_B not read: " '[.runs[0].invocations[0].toolExecutionNotifications[] | select(.message.text | startswith($s)) | .level] | join(",")' "$d/r.sarif")" \
		error
	# Prometheus
	res=$(python3 "$TOP/tests/lib/promcheck.py" "$d/r.prom") && ok "$l: prometheus valid ($res)" || not_ok "$l: prometheus: $res"
	expect_eq "$l: prometheus: kvpe_last_run_success" "$(prom "$d/r.prom" kvpe_last_run_success)" 0
	expect_eq "$l: prometheus: kvpe_source_up a, b" \
		"$(prom "$d/r.prom" "kvpe_source_up{source=\"$SRC_A\"}"),$(prom "$d/r.prom" "kvpe_source_up{source=\"$SRC_B\"}")" "1,0"
	expect_eq "$l: prometheus: sub a's vaults up" \
		"$(prom "$d/r.prom" 'kvpe_vault_up{vault="kv-a1"}'),$(prom "$d/r.prom" 'kvpe_vault_up{vault="kv-a2"}')" "1,1"
	# JUnit
	if command -v xmllint >/dev/null; then
		xmllint --noout "$d/TEST-kvpe.xml" 2>"$d/xmllint.err" && ok "$l: junit: xmllint" || not_ok "$l: junit: $(head -3 "$d/xmllint.err")"
	else
		skip "$l: xmllint not installed"
	fi
	python3 - "$d/TEST-kvpe.xml" "$SRC_B" >"$d/junit.out" <<'PY'
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
cases = [c for c in s.findall("testcase") if c.get("name") == sys.argv[2]]
err = cases[0].find("error") if len(cases) == 1 else None
ok = (err is not None and err.get("type") == "RUN_ERROR" and cases[0].get("classname") == "kvpe.run"
      and (err.text or "").startswith("not read:"))
n_err = sum(1 for c in s.findall("testcase") if c.find("error") is not None)
print("%s %s %s" % ("yes" if ok else "no", s.get("errors"), n_err))
PY
	read -r has errs cases <"$d/junit.out"
	expect_eq "$l: junit: an error case naming the source" "$has" yes
	expect_eq "$l: junit: the suite's errors count it" "$errs" "$cases"
	# JSONL
	expect_eq "$l: jsonl: run_error lines name the source" \
		"$(jq -rs '[.[] | select(.type == "run_error") | .scope] | unique | join(",")' "$d/r.jsonl")" "$SRC_B"
	# Nagios: never OK
	expect_eq "$l: nagios: status line counts the unread source" \
		"$(head -1 "$d/nagios.txt" | grep -cE '^KVPE CRITICAL - .*; 1 source not read \| vaults=[0-9]+;;;0 .* sources_unread=1;;;0$')" 1
	expect_eq "$l: nagios: long output names it" "$(grep -c "^not read: $SRC_B: " "$d/nagios.txt")" 1
	# table
	expect_eq "$l: table says PARTIAL RUN" "$(grep -c "^PARTIAL RUN: 1 source not read: $SRC_B" "$d/table.txt")" 1
}

# ---- one-shot: 403 on everything of sub b ----
arm_reset
arm_faults "[{\"match\": \"$SUB_B/\", \"times\": -1, \"action\": $FORBIDDEN}]"
partial_formats 403
expect_eq "403: sub b's vaults were never listed: not in the report" \
	"$(jq -r '[.vaults[].name] | join(",")' "$T/403/r.json")" "kv-a1,kv-a2"
expect_eq "403: nagios status" "$(head -1 "$T/403/nagios.txt" | cut -d'|' -f1)" "KVPE CRITICAL - 2 of 2 vaults passing; 1 source not read "
# the plugin's exit code is its state: CRITICAL, although every vault read passed
run_kvpe "$T/403/plugin.txt" "${RUN[@]}" --format nagios
expect_rc "403: nagios plugin: CRITICAL" 2
expect_eq "403: nagios plugin: same status line" "$(head -1 "$T/403/plugin.txt")" "$(head -1 "$T/403/nagios.txt")"

# ---- one-shot: 500 after every retry on sub b's endpoint list ----
arm_reset
arm_faults "[{\"match\": \"$SUB_B/providers/Microsoft.Network/privateEndpoints\", \"times\": -1, \"action\": {\"status\": 500}}]"
partial_formats 500
expect_eq "500: every attempt made (4)" \
	"$(arm_log | jq --arg p "$SUB_B/providers/Microsoft.Network/privateEndpoints$" '[.[] | select(.path|test($p))] | length')" 4
expect_eq "500: sub b's vaults ARM listed are error, not dropped" \
	"$(jq -r '[.vaults[] | select(.name|startswith("kv-b")) | "\(.name)=\(.status)"] | join(",")' "$T/500/r.json")" \
	"kv-b1=error,kv-b2=error"
expect_eq "500: their message says why" \
	"$(jq -r '.vaults[] | select(.name=="kv-b1") | .error' "$T/500/r.json" | grep -c "subscription $SUB_B is incomplete: private endpoints: HTTP 500")" 1
expect_eq "500: prometheus: kv-b1 is not up" "$(prom "$T/500/r.prom" 'kvpe_vault_status{vault="kv-b1",status="error"}')" 1
expect_eq "500: nagios lists them" \
	"$(head -1 "$T/500/nagios.txt" | cut -d'|' -f1)" "KVPE CRITICAL - 2 of 4 vaults not checked: kv-b1 (INCOMPLETE), kv-b2 (INCOMPLETE); 1 source not read "

# agent --once (cron, textfile): a partial cycle still writes the textfile, exits 1.
arm_reset
arm_faults "[{\"match\": \"$SUB_B/\", \"times\": -1, \"action\": $FORBIDDEN}]"
run_kvpe "$T/once.out" agent "${RUN[@]:1}" --once --textfile "$T/once.prom"
expect_rc "agent --once, partial" 1
expect_eq "agent --once, partial: textfile says so" \
	"$(prom "$T/once.prom" kvpe_last_run_success),$(prom "$T/once.prom" "kvpe_source_up{source=\"$SRC_B\"}"),$(prom "$T/once.prom" 'kvpe_vault_up{vault="kv-a1"}')" "0,0,1"

# Every source read again: exit 1 (kv-b2 fails), complete.
arm_reset
run_kvpe "$T/ok.json" "${RUN[@]}" --format json --report prometheus="$T/ok.prom" --report sarif="$T/ok.sarif"
expect_rc "every source read" 1
expect_eq "complete: not partial, no errors" "$(jq -c '[.summary.partial, (.errors|length)]' "$T/ok.json")" "[false,0]"
expect_eq "complete: kvpe_last_run_success 1, both sources up" \
	"$(prom "$T/ok.prom" kvpe_last_run_success),$(prom "$T/ok.prom" "kvpe_source_up{source=\"$SRC_A\"}"),$(prom "$T/ok.prom" "kvpe_source_up{source=\"$SRC_B\"}")" "1,1,1"
expect_eq "complete: sarif executionSuccessful" "$(jq '.runs[0].invocations[0].executionSuccessful' "$T/ok.sarif")" true

# ---- agent across outages shorter and longer than --stale-after ----
# A cycle is ~1 s apart; under valgrind a cycle takes longer, so the outage
# lengths grow there.
STALE_S=$((SLOW > 1 ? 9 : 3))
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$KVPE" agent "${RUN[@]:1}" --interval 1s --stale-after "${STALE_S}s" --listen "127.0.0.1:$PORT" \
	>/dev/null 2>"$T/agent.err" &
AGENT=$!
echo $AGENT >"$T/agent.pid"
up() { metric "kvpe_source_up{source=\"$1\"}"; }
vault() { curl -s "$URL/v1/report" | jq -r --arg v "$1" ".vaults[] | select(.name == \$v) | $2"; }
if wait_metric kvpe_last_run_success 1 100; then ok "agent: first cycle complete"; else
	not_ok "agent: no first cycle"; cat "$T/agent.err"; finish; exit 1; fi
expect_eq "agent: both sources up" "$(up "$SRC_A"),$(up "$SRC_B")" "1,1"
expect_eq "agent: kv-b1 up, kv-b2 failing" \
	"$(metric 'kvpe_vault_up{vault="kv-b1"}'),$(metric 'kvpe_vault_status{vault="kv-b2",status="fail"}')" "1,1"

# Short outage: sub b answers 403 for about half a second of cycles.
arm_faults "[{\"match\": \"$SUB_B/\", \"times\": -1, \"action\": $FORBIDDEN}]"
if wait_metric "kvpe_source_up{source=\"$SRC_B\"}" 0 50; then ok "short outage: kvpe_source_up 0"; else
	not_ok "short outage: source never down"; fi
curl -s "$URL/metrics" >"$T/short.prom"
curl -s "$URL/v1/report" >"$T/short.json"
ups=""
for _ in 1 2 3 4 5; do
	ups="$ups$(metric 'kvpe_vault_up{vault="kv-b1"}')"
	sleep 0.1
done
arm_reset
res=$(python3 "$TOP/tests/lib/promcheck.py" "$T/short.prom") && ok "short outage: /metrics valid ($res)" ||
	not_ok "short outage: /metrics: $res"
expect_eq "short outage: kvpe_last_run_success 0" "$(prom "$T/short.prom" kvpe_last_run_success)" 0
expect_eq "short outage: kv-b1 keeps its verdict (up), marked stale" \
	"$(prom "$T/short.prom" 'kvpe_vault_up{vault="kv-b1"}'),$(prom "$T/short.prom" 'kvpe_vault_stale{vault="kv-b1"}')" "1,1"
expect_eq "short outage: kvpe_vault_up of kv-b1 never changed" "$ups" 11111
expect_eq "short outage: kv-b2 still failing, stale" \
	"$(prom "$T/short.prom" 'kvpe_vault_status{vault="kv-b2",status="fail"}'),$(prom "$T/short.prom" 'kvpe_vault_stale{vault="kv-b2"}')" "1,1"
expect_eq "short outage: KeyVaultNotPrivate's series stays" \
	"$(prom "$T/short.prom" 'kvpe_findings{code="ZONE_RECORD_MISSING",severity="high"}')" 1
expect_eq "short outage: fresh vaults are not marked" "$(prom "$T/short.prom" 'kvpe_vault_stale{vault="kv-a1"}')" ""
expect_eq "short outage: /v1/report marks kv-b1 stale, with its last check" \
	"$(jq -r '.vaults[] | select(.name=="kv-b1") | "\(.status) \(.stale) \(.last_checked_at|test("^20[0-9-]+T[0-9:]+Z$"))"' "$T/short.json")" \
	"pass true true"
expect_eq "short outage: /v1/report: partial, the source down since" \
	"$(jq -r --arg s "$SRC_B" '"\(.summary.partial) \(.summary.stale) \(.sources[] | select(.source==$s) | .down_since != null)"' "$T/short.json")" \
	"true 2 true"
if wait_metric "kvpe_source_up{source=\"$SRC_B\"}" 1 50; then ok "short outage over: source up"; else
	not_ok "short outage: no recovery"; fi
expect_eq "short outage over: fresh again" \
	"$(metric 'kvpe_vault_stale{vault="kv-b1"}')|$(metric kvpe_last_run_success)|$(vault kv-b1 '.stale')" "|1|null"

# Long outage: past --stale-after a pass is not vouched for any more (error,
# saying since when), a fail keeps failing.
arm_faults "[{\"match\": \"$SUB_B/\", \"times\": -1, \"action\": $FORBIDDEN}]"
wait_metric "kvpe_source_up{source=\"$SRC_B\"}" 0 50 || not_ok "long outage: source never down"
t_down=$(date +%s%N)
expect_eq "long outage, at first: kv-b1 still up (stale)" "$(metric 'kvpe_vault_up{vault="kv-b1"}')" 1
if wait_metric 'kvpe_vault_status{vault="kv-b1",status="error"}' 1 $(((STALE_S + 5) * 10)); then
	ok "long outage: past --stale-after, kv-b1 is error"; else not_ok "long outage: kv-b1 never error"; fi
# From the first scrape that showed the source down: --stale-after (3 s)
# less the detection lag, plus at most a cycle.
ms=$((($(date +%s%N) - t_down) / 1000000))
if [ -n "${KVPE_NO_TIMING:-}" ]; then
	skip "long outage: timing is asserted with the normal build only ($ms ms here)"
elif [ "$ms" -ge 1500 ] && [ "$ms" -le 6000 ]; then
	ok "long outage: error after ${ms} ms of --stale-after 3s"
else
	not_ok "long outage: error after $ms ms (want 1500..6000)"
fi
curl -s "$URL/metrics" >"$T/long.prom"
curl -s "$URL/v1/report" >"$T/long.json"
expect_eq "long outage: kv-b1 down, still marked stale" \
	"$(prom "$T/long.prom" 'kvpe_vault_up{vault="kv-b1"}'),$(prom "$T/long.prom" 'kvpe_vault_stale{vault="kv-b1"}')" "0,1"
expect_eq "long outage: kv-b2 keeps failing (its alert does not resolve)" \
	"$(prom "$T/long.prom" 'kvpe_vault_status{vault="kv-b2",status="fail"}')" 1
expect_eq "long outage: kv-b1's message says why" \
	"$(jq -r '.vaults[] | select(.name=="kv-b1") | .error' "$T/long.json" | grep -cE "^not checked since .*Z: source $SRC_B down since .*Z$")" 1
expect_eq "long outage: sub a fresh" "$(prom "$T/long.prom" 'kvpe_vault_up{vault="kv-a1"}'),$(prom "$T/long.prom" 'kvpe_vault_stale{vault="kv-a1"}')" "1,"
arm_reset
if wait_metric "kvpe_source_up{source=\"$SRC_B\"}" 1 50; then ok "long outage over: source up"; else
	not_ok "long outage: no recovery"; fi
curl -s "$URL/v1/report" >"$T/back.json"
expect_eq "recovered: fresh verdicts, none stale" \
	"$(jq -r '"\(.summary.stale) \(.summary.partial) \([.vaults[] | "\(.name)=\(.status)"] | join(","))"' "$T/back.json")" \
	"0 false kv-a1=pass,kv-a2=pass,kv-b1=pass,kv-b2=fail"
expect_eq "recovered: kvpe_last_run_success 1" "$(metric kvpe_last_run_success)" 1
grep -q 'level=warn msg="cycle partial; vaults of the sources not read keep their last verdict"' "$T/agent.err" &&
	ok "agent: the partial cycles are logged" || not_ok "agent: partial cycle not logged"
if grep -qF -e "$ARM_SECRET" "$T/agent.err" "$T"/*/*.err "$T"/*.err; then not_ok "secret in a log"; else ok "no secret in the logs"; fi
echo "# agent cycle durations (ms): $(grep -o 'msg="cycle done".*duration_ms=[0-9]*' "$T/agent.err" | sed 's/.*=//' | tr '\n' ' ')"
kill -TERM "$AGENT"
wait "$AGENT"
expect_eq "agent: SIGTERM: exit 0" "$?" 0
expect_clean_stderr "agent" "$T/agent.err"
for f in "$T"/403/*.*.err "$T"/500/*.*.err; do expect_clean_stderr "${f#"$T"/}" "$f"; done
finish
