#!/usr/bin/env bash
# A reload followed by an outage: a good cycle, SIGHUP with a different
# configuration (other vaults, VNet, resolver, ARM endpoint), then cycles that
# fail, and scrapes.  The last good report, made under the old configuration
# that SIGHUP freed, must still be served whole: its vault names, VNet,
# resolvers and ARM endpoint are its own.  Twice: the resolver down (sources
# from an inventory file and --vault) and ARM down (the live ARM source).  The
# sanitized and valgrind runs of this script are what catch a use-after-free;
# the normal run checks what is served.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

lab_up "$TOP/tests/lab/tenant-arm.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=50
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
DEAD=$(free_port) # nothing listens there: DNS queries and connections are refused
VNET=/subscriptions/5c1ab000-0000-4000-8000-00000000000a/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-lab
VNET2=/subscriptions/5c1ab000-0000-4000-8000-00000000000b/resourceGroups/rg-other/providers/Microsoft.Network/virtualNetworks/vnet-other
CFG=$T/config.json

cat >"$CFG" <<JSON
{"inventory": ["$LAB_DIR/inventory-arm.json"], "vault": ["kv-extra=10.1.0.44", "hsm:hsm-extra"], "vnet": "$VNET",
 "dns-server": ["$LAB_VNET"], "arm-endpoint": "$ARM_URL", "probe": "off", "timeout": 1000}
JSON
"$KVPE" agent --config "$CFG" --interval "$((200 * SLOW))ms" --listen "127.0.0.1:$PORT" --textfile "$T/kvpe.prom" \
	>/dev/null 2>"$T/agent.err" &
AGENT=$!
echo $AGENT >"$T/agent.pid"
wait_for curl -sf "$URL/healthz" || { not_ok "agent did not become healthy"; cat "$T/agent.err"; finish; exit 1; }
ok "agent healthy: a good cycle with the first configuration"
runs() { metric kvpe_runs_total; }
failures() { metric kvpe_run_failures_total; }
# wait_failures N: until N more cycles have failed than now.
wait_failures() {
	local want=$(($(failures) + $1)) i
	for i in $(seq 1 $((200 * SLOW))); do
		[ "$(failures)" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
# The served state, in one line: what the tests below compare.
served() {
	echo "$(metric 'kvpe_vault_up{vault="kv-ok1"}'),$(metric 'kvpe_vault_up{vault="kv-extra"}'),$(metric 'kvpe_vault_up{vault="hsm-extra"}')"
}
# scrapes WHAT: five scrapes during the outage render the last good report
# (each a use of it); the last one goes through the exposition checker.
scrapes() {
	local i bad=0 res
	for i in 1 2 3 4 5; do
		curl -sf "$URL/metrics" >"$T/m.prom" && grep -q '^kvpe_vault_up{' "$T/m.prom" || bad=$((bad + 1))
		sleep 0.05
	done
	expect_eq "$1: 5 scrapes with the vaults of the last good report" "$bad" 0
	res=$(python3 "$TOP/tests/lib/promcheck.py" "$T/m.prom") && ok "$1: valid exposition ($res)" || not_ok "$1: $res"
}
n_good=$(metric kvpe_vaults)
expect_eq "first configuration: inventory vaults and --vault names" "$((n_good > 15)),$(served)" "1,1,0,0"
curl -s "$URL/v1/report" >"$T/report1.json"

# 1. SIGHUP to another vault set, VNet, ARM endpoint and a resolver that is down.
cat >"$CFG" <<JSON
{"vault": ["kv-other=10.1.0.55"], "vnet": "$VNET2", "dns-server": ["127.0.0.1:$DEAD"],
 "arm-endpoint": "https://127.0.0.1:$DEAD", "probe": "off", "timeout": 300}
JSON
kill -HUP "$AGENT"
if wait_failures 3; then ok "after the reload: cycles fail (resolver down)"; else not_ok "no failed cycles after the reload"; fi
expect_eq "the reload was taken" "$(metric kvpe_config_last_reload_successful)" 1
expect_eq "the last good run is not the last run" "$(metric kvpe_last_run_success)" 0
scrapes "resolver down"
expect_eq "the last good report's vaults still served (old names)" "$(metric kvpe_vaults),$(served)" "$n_good,1,0,0"
expect_eq "the new configuration's vault is not (it never completed)" "$(grep -c 'vault="kv-other"' "$T/m.prom")" 0
curl -s "$URL/v1/report" >"$T/report2.json"
expect_eq "/v1/report: the last good report, resolvers and all" \
	"$(jq -c '[.resolvers, (.vaults | length)]' "$T/report2.json")" "$(jq -c '[.resolvers, (.vaults | length)]' "$T/report1.json")"
expect_eq "textfile: the last good report's vaults" "$(grep -c '^kvpe_vault_up{vault="kv-extra"} 0$' "$T/kvpe.prom")" 1
expect_eq "/healthz: unhealthy, with the last success's age" "$(curl -s "$URL/healthz" | grep -c '^stale: the last successful cycle ended')" 1

# 2. Back to a good configuration, the live ARM source this time.
cat >"$CFG" <<JSON
{"arm-endpoint": "$ARM_URL", "ca-file": "$ARM_CA", "vnet": "$VNET", "dns-server": ["$LAB_VNET"], "probe": "off",
 "timeout": 1000}
JSON
r0=$(runs)
kill -HUP "$AGENT"
if wait_metric kvpe_last_run_success 1 $((200 * SLOW)); then ok "reload to live ARM: a good cycle"; else not_ok "reload to live ARM: no good cycle"; fi
expect_eq "live ARM: its vaults" "$(metric kvpe_vaults),$(metric 'kvpe_vault_up{vault="kv-ok1"}')" "15,1"
# SIGHUP to an ARM endpoint that is down (and another VNet): ARM fails.
cat >"$CFG" <<JSON
{"arm-endpoint": "https://127.0.0.1:$DEAD", "arm-timeout": "2s", "ca-file": "$ARM_CA", "vnet": "$VNET2",
 "dns-server": ["$LAB_VNET"], "probe": "off", "timeout": 1000}
JSON
kill -HUP "$AGENT"
if wait_failures 3; then ok "after the reload: cycles fail (ARM down)"; else not_ok "no failed cycles after the ARM reload"; fi
grep -q 'msg="cycle failed; serving the last good report"' "$T/agent.err" && ok "failed cycles logged" ||
	not_ok "failed cycles not logged"
scrapes "ARM down"
expect_eq "ARM down: the last good report's vaults still served" \
	"$(metric kvpe_vaults),$(metric 'kvpe_vault_up{vault="kv-ok1"}'),$(metric 'kvpe_vault_up{vault="kv-missing"}')" "15,1,0"
expect_eq "ARM down: /v1/report still whole" "$(curl -s "$URL/v1/report" | jq '.vaults | length')" 15

kill -TERM "$AGENT"
wait "$AGENT"
expect_eq "SIGTERM: exit 0" "$?" 0
grep -q 'msg="agent stopping".* signal=SIGTERM signo=15' "$T/agent.err" && ok "the stop names its signal" ||
	not_ok "stop line: $(grep 'agent stopping' "$T/agent.err")"
expect_clean_stderr "agent" "$T/agent.err"
finish
