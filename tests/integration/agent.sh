#!/usr/bin/env bash
# `kvpe agent` against the DNS lab: /metrics checked line by line against the
# exposition rules, /v1/report equal to what `kvpe check` prints, the textfile
# written atomically, SIGHUP reloads (good and bad config), a cycle with the
# resolver down (keeps serving, counts the failure, recovers), SIGTERM, --once,
# a busy port.  (Reload then outage: agent_reload.sh; the watchdog and SIGTERM
# mid-cycle: agent_systemd.sh.)
. "$(dirname "$0")/../lib/common.sh"

lab_up "$TOP/tests/lab/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
cat >"$T/config.json" <<JSON
{"vault": ["kv-healthy=10.1.0.4", "kv-missing=10.1.0.5"], "dns-server": ["$LAB_VNET"], "probe": "off",
 "metrics-detail": "full",
 "timeout": 1000}
JSON

start_agent() { # extra args...
	"$KVPE" agent --config "$T/config.json" --interval "${INTERVAL:-300ms}" --listen "127.0.0.1:$PORT" \
		--textfile "$T/kvpe.prom" "$@" >"$T/agent.out" 2>"$T/agent.err" &
	AGENT=$!
	echo $AGENT >"$T/agent.pid"
	wait_for curl -sf "$URL/healthz"
}
runs() { metric kvpe_runs_total; }

start_agent || { not_ok "agent did not become healthy"; cat "$T/agent.err"; finish; exit 1; }
ok "agent healthy"
curl -s "$URL/metrics" >"$T/m1.prom"
res=$(python3 "$TOP/tests/lib/promcheck.py" "$T/m1.prom")
if [ $? -eq 0 ]; then ok "/metrics passes the exposition checker ($res)"; else not_ok "/metrics: $res"; fi
expect_eq "content type" "$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")" "text/plain; version=0.0.4; charset=utf-8"
expect_eq "vault_up healthy" "$(metric 'kvpe_vault_up{vault="kv-healthy"}')" 1
expect_eq "vault_up missing" "$(metric 'kvpe_vault_up{vault="kv-missing"}')" 0
expect_eq "vault_status stateset" "$(metric 'kvpe_vault_status{vault="kv-missing",status="fail"}'),$(metric 'kvpe_vault_status{vault="kv-missing",status="pass"}')" "1,0"
expect_eq "vault_findings" "$(metric 'kvpe_vault_findings{vault="kv-missing",code="DNS_NXDOMAIN"}')" 1
expect_eq "findings per code" "$(metric 'kvpe_findings{code="DNS_NXDOMAIN",severity="high"}')" 1
expect_eq "every code emitted, 0 included" "$(grep -c '^kvpe_findings{' "$T/m1.prom")" \
	"$(grep -c '^	X([A-Z0-9_]*,' "$TOP/include/kvpe/finding.h")"
expect_eq "dns ttl" "$(metric 'kvpe_dns_ttl_seconds{vault="kv-healthy"}' | awk '{print ($1 > 0 && $1 <= 10)}')" 1
expect_eq "dns answer private / privatelink / match" \
	"$(metric 'kvpe_dns_answer_private{vault="kv-healthy"}')$(metric 'kvpe_dns_privatelink_cname{vault="kv-healthy"}')$(metric 'kvpe_dns_address_match{vault="kv-healthy"}')" 111
expect_eq "build info" "$(grep -c '^kvpe_build_info{version="0.1.0",revision="' "$T/m1.prom")" 1
expect_eq "vaults" "$(metric kvpe_vaults)" 2
expect_eq "/healthz" "$(curl -s "$URL/healthz")" ok
expect_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")" 404
expect_eq "405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL/metrics")" 405

# /v1/report is what `kvpe check` prints for the same lab (timings aside).
norm() { jq -S 'del(.started_at, .duration_ms, .agent.host) | .vaults |= map(del(.dns.ms) | .dns.ttl = "ttl" | if .dns.vantages then .dns.vantages |= map(del(.ms) | .ttl = "ttl") else . end)' "$1"; }
curl -s "$URL/v1/report" >"$T/agent-report.json"
run_kvpe "$T/check.json" check --config "$T/config.json" --format json
if [ "$(norm "$T/agent-report.json")" = "$(norm "$T/check.json")" ]; then ok "/v1/report equals kvpe check's report"; else
	not_ok "/v1/report differs from kvpe check"
	diff <(norm "$T/agent-report.json") <(norm "$T/check.json") | head -20
fi
expect_eq "/v1/report has an Age header" "$(curl -s -D - -o /dev/null "$URL/v1/report" | grep -ci '^Age: [0-9]')" 1

# The textfile: always whole (rename), never a leftover temp file.
bad=0
for i in $(seq 1 30); do
	cp "$T/kvpe.prom" "$T/tf.prom" 2>/dev/null || { bad=$((bad + 1)); continue; }
	python3 "$TOP/tests/lib/promcheck.py" "$T/tf.prom" >/dev/null || bad=$((bad + 1))
	sleep 0.03
done
expect_eq "textfile read 30 times during cycles: always whole" "$bad" 0
expect_eq "textfile: no temp file left" "$(ls -a "$T" | grep -c '^\.kvpe\.prom\.tmp')" 0
expect_eq "textfile mode 0644" "$(stat -c %a "$T/kvpe.prom")" 644
# Times exact (no %.9g exponent) and within a second of the clock; the last
# cycle's end comes after its start.
# The clock is read after the scrape: a cycle may end between a reading taken
# before it and the scrape (cycles every 300 ms), which is no error.
curl -s "$URL/metrics" >"$T/m-time.prom"
now=$(date +%s.%N)
# (Sanitizer and valgrind runs, slower on shared cores: within 15 s.)
expect_eq "timestamps: exact, within 1 s of the clock, a cycle ends after it starts" "$(python3 - "$now" "$T/m-time.prom" \
	"${KVPE_NO_TIMING:+15}" <<'PY'
import sys
now, m, lim = float(sys.argv[1]), {}, float(sys.argv[3] or 1)
for l in open(sys.argv[2]):
    if not l.startswith("#"):
        k, v = l.rsplit(" ", 1)
        m[k] = v.strip()
times = [k for k in m if k.endswith("timestamp_seconds") and not k.startswith("kvpe_tls_")]
bad = [k for k in times if "e" in m[k] or float(m[k]) > now + 0.002]
# cycles every 300 ms: the last one ended within the second before the scrape
bad += [k for k in ("kvpe_last_run_timestamp_seconds", "kvpe_last_success_timestamp_seconds")
        if now - float(m[k]) > lim]
dur = float(m["kvpe_run_duration_seconds"])
print("ok" if len(times) == 3 and not bad and 0 <= dur < lim else "bad %r %r" % (bad, m))
PY
)" ok

# SIGHUP: a new vault set from the config file.
sed -i 's/"kv-missing=10.1.0.5"/"kv-missing=10.1.0.5", "kv-stale=10.1.0.6"/' "$T/config.json"
kill -HUP "$AGENT"
if wait_metric 'kvpe_vault_up{vault="kv-stale"}' 0; then ok "SIGHUP: the new vault is checked"; else not_ok "SIGHUP: kv-stale not in /metrics"; fi
expect_eq "reload successful" "$(metric kvpe_config_last_reload_successful)" 1
# A broken config is refused; the old one keeps running.
cp "$T/config.json" "$T/config.good"
echo '{"vault": [' >"$T/config.json"
kill -HUP "$AGENT"
if wait_metric kvpe_config_last_reload_successful 0; then ok "bad config: reload refused"; else not_ok "bad config: reload not reported"; fi
r0=$(runs)
sleep 1
expect_eq "bad config: still cycling with the old set" "$(($(runs) > r0)),$(metric 'kvpe_vault_up{vault="kv-stale"}')" "1,0"
grep -q 'level=error msg="reload failed; keeping the previous configuration"' "$T/agent.err" &&
	ok "logfmt lines on stderr" || not_ok "no logfmt reload error line"
cp "$T/config.good" "$T/config.json"

# The resolver goes down for a while: cycles fail, the last good report stays.
lab_stop_view vnet
f0=$(metric kvpe_run_failures_total)
if wait_metric kvpe_last_run_success 0; then ok "resolver down: cycle counted as failed"; else not_ok "resolver down: no failed cycle"; fi
expect_eq "resolver down: failures counted" "$(($(metric kvpe_run_failures_total) > f0))" 1
expect_eq "resolver down: last good report still served" \
	"$(curl -s "$URL/v1/report" | jq -r '[.vaults[] | "\(.name)=\(.status)"] | join(",")')" \
	"kv-healthy=pass,kv-missing=fail,kv-stale=fail"
expect_eq "resolver down: vault metrics from the last good report" "$(metric 'kvpe_vault_up{vault="kv-healthy"}')" 1
lab_start_view vnet
if wait_metric kvpe_last_run_success 1 150; then ok "resolver back: the next cycle succeeds"; else not_ok "resolver back: no recovery"; fi

# SIGTERM: clean exit 0 within a second.
sigterm "$AGENT"
expect_rc "SIGTERM" 0
within "SIGTERM: stopped within a second" "$MS" 1000
expect_eq "SIGTERM: the last line names it" "$(grep -c 'msg="agent stopping" .* signal=SIGTERM signo=15$' "$T/agent.err")" 1
expect_clean_stderr "agent" "$T/agent.err"

# SIGTERM in the middle of each stage of a cycle: agent_systemd.sh.

# --once: one cycle, the textfile, exit.
rm -f "$T/once.prom"
run_kvpe "$T/once.out" agent --config "$T/config.json" --once --textfile "$T/once.prom"
expect_rc "--once" 0
expect_eq "--once: textfile written" "$(grep -c '^kvpe_runs_total 1$' "$T/once.prom")" 1

# Start-up errors.
BUSY=$(free_port)
python3 -c "import os,socket,time; s=socket.socket(); s.bind(('127.0.0.1', $BUSY)); s.listen(1); open('$T/holder.pid','w').write(str(os.getpid())); time.sleep(30)" &
wait_for test -s "$T/holder.pid"
RC=0
timeout 10 "$KVPE" agent --config "$T/config.json" --listen "127.0.0.1:$BUSY" >"$T/busy.out" 2>"$T/busy.out.err" || RC=$?
expect_rc "busy port" 1
expect_eq "busy port: clear message" "$(grep -c 'cannot listen on 127.0.0.1:'"$BUSY"': Address already in use' "$T/busy.out.err")" 1
run_kvpe "$T/tf.out" agent --config "$T/config.json" --textfile "$T/metrics.txt" --once
expect_rc "--textfile not .prom" 2
finish
