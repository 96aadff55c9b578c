#!/usr/bin/env bash
# `kvpe agent` with live ARM: ARM counters in /metrics, and a cycle that fails
# when the token cannot be renewed (token endpoint down, token expired) — the
# agent keeps serving the last good report, counts the failure, recovers.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

lab_up "$TOP/tests/lab/tenant-arm.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" --token-lifetime 4 || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=50
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$KVPE" agent --arm-endpoint "$ARM_URL" --ca-file "$ARM_CA" --dns-server "$LAB_VNET" --probe off --interval 500ms --metrics-detail full \
	--listen "127.0.0.1:$PORT" >/dev/null 2>"$T/agent.err" &
AGENT=$!
echo $AGENT >"$T/agent.pid"
wait_for curl -sf "$URL/healthz" || { not_ok "agent not healthy"; cat "$T/agent.err"; finish; exit 1; }
ok "agent with live ARM healthy"
curl -s "$URL/metrics" >"$T/m.prom"
res=$(python3 "$TOP/tests/lib/promcheck.py" "$T/m.prom") && ok "/metrics valid ($res)" || not_ok "/metrics: $res"
expect_eq "vaults from ARM" "$(metric kvpe_vaults)" 15
expect_eq "endpoint approved (ARM)" "$(metric 'kvpe_private_endpoint_approved{vault="kv-ok1"}'),$(metric 'kvpe_private_endpoint_approved{vault="kv-pend"}')" "1,0"
expect_eq "public network access (ARM)" "$(metric 'kvpe_public_network_access_enabled{vault="kv-public"}'),$(metric 'kvpe_public_network_access_enabled{vault="kv-ok1"}')" "1,0"
expect_eq "ARM findings counted" "$(metric 'kvpe_findings{code="ZONE_RECORD_STALE",severity="high"}')" 1
a1=$(metric kvpe_arm_requests_total)
sleep 1.2
a2=$(metric kvpe_arm_requests_total)
expect_eq "ARM requests counted across cycles" "$((a2 > a1 && a1 > 0))" 1

# The token endpoint goes down; the 4 s token runs out; cycles fail.
arm_faults '[{"match": "oauth2/v2.0/token", "times": -1, "action": {"status": 503}}]'
if wait_metric kvpe_last_run_success 0 100; then ok "token cannot be renewed: cycle failed"; else not_ok "no failed cycle"; fi
expect_eq "failure counted" "$(($(metric kvpe_run_failures_total) >= 1))" 1
expect_eq "last good report still served" "$(curl -s "$URL/v1/report" | jq '.vaults|length')" 15
expect_eq "vault metrics kept from the last good cycle" "$(metric 'kvpe_vault_up{vault="kv-ok1"}')" 1
grep -q 'level=error msg="cycle failed; serving the last good report".*token endpoint: HTTP 503' "$T/agent.err" &&
	ok "the failed cycle is logged with its reason" || not_ok "failed cycle not logged"
if grep -qF -e "$ARM_SECRET" "$T/agent.err"; then not_ok "secret in the agent's log"; else ok "no secret in the agent's log"; fi
arm_reset
if wait_metric kvpe_last_run_success 1 100; then ok "token endpoint back: recovered"; else not_ok "no recovery"; fi
kill -TERM "$AGENT"
wait "$AGENT"
expect_eq "SIGTERM: exit 0" "$?" 0
expect_clean_stderr "agent with ARM" "$T/agent.err"
finish
