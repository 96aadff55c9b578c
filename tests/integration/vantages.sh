#!/usr/bin/env bash
# DNS vantage points (spec "DNS path"): every server asked directly, alone
# and in parallel, each under its own pacing, its answer kept per vault in
# dns.vantages — through the real pipeline against the project's DNS test
# servers on loopback (one start each):
#   GOOD  dnsfault --good: every name -> <v>.privatelink... -> 10.0.0.5
#   BAD   dnsfault: NXDOMAIN for every name but kv-ok (a bare A 10.0.0.5)
#   HOLE  blackhole: never answers          DEAD: a closed port
# Two vantages answering differently are both reported; a dead or silent
# vantage gets its own TIMEOUT/ERROR without touching the verdict the system
# resolver's answer decides; --vantage off gives no vantages and the old
# report; usage errors; the config-file key.
. "$(dirname "$0")/../lib/common.sh"

full() { [ -z "${KVPE_VALGRIND:-}" ]; }

ports=()
while [ "${#ports[@]}" -lt 4 ]; do
	p=$(free_port)
	case " ${ports[*]} " in *" $p "*) ;; *) ports+=("$p") ;; esac
done
python3 "$TOP/tests/servers/dnsfault.py" "${ports[0]}" "$T/good.pid" --good &
python3 "$TOP/tests/servers/dnsfault.py" "${ports[1]}" "$T/bad.pid" &
python3 "$TOP/tests/servers/blackhole.py" "${ports[2]}" "$T/hole.pid" &
if ! wait_for test -s "$T/good.pid" || ! wait_for test -s "$T/bad.pid" || ! wait_for test -s "$T/hole.pid"; then
	not_ok "DNS test servers did not start"
	finish
	exit 1
fi
GOOD=127.0.0.1:${ports[0]}
BAD=127.0.0.1:${ports[1]}
HOLE=127.0.0.1:${ports[2]}
DEAD=127.0.0.1:${ports[3]}
VAULTS=(--vault kv-a --vault kv-ok)
f() { vault_field "$1" "$2" "$3"; }
# vantage FILE VAULT SERVER JQ: one field of one vantage's answer
vantage() { jq -r --arg v "$2" --arg s "$3" ".vaults[] | select(.name == \$v) | .dns.vantages[] | select(.server == \$s) | $4" "$1"; }

# ---- two vantages that disagree, one silent, one dead: all reported, verdict untouched ----
t0=$(date +%s%N)
run_kvpe "$T/v.json" check --dns-server "$GOOD" --vantage "$BAD" --vantage "$HOLE" --vantage "$DEAD" \
	--timeout 1s --probe off --format json "${VAULTS[@]}"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "vantages: check" 0
expect_eq "vantages: report-wide list, system resolver first" \
	"$(jq -r '[.agent.vantages[] | "\(.server)=\(.role)/\(.client)"] | join(" ")' "$T/v.json")" \
	"$GOOD=system/true $BAD=given/false $HOLE=given/false $DEAD=given/false"
expect_eq "vantages: one entry per server for every vault, in that order" \
	"$(jq -r '[.vaults[] | [.dns.vantages[].server] | join(",")] | unique | join(" ")' "$T/v.json")" \
	"$GOOD,$BAD,$HOLE,$DEAD"
expect_eq "vantages: the system resolver's answer, chain and IPv6 (a client's resolver)" \
	"$(vantage "$T/v.json" kv-a "$GOOD" '"\(.rcode) \(.addresses|join(",")) \(.chain|join(">")) \(.ipv6.rcode) \(.vnet)"')" \
	"NOERROR 10.0.0.5 kv-a.vault.azure.net>kv-a.privatelink.vaultcore.azure.net NODATA null"
expect_eq "vantages: the other server's own answer (NXDOMAIN), no IPv6 asked of a reference point" \
	"$(vantage "$T/v.json" kv-a "$BAD" '"\(.rcode) \(.addresses|length) \(.chain|join(">")) \(.ipv6 // "none")"')" \
	"NXDOMAIN 0 kv-a.vault.azure.net none"
expect_eq "vantages: kv-ok answered differently by the two (no privatelink CNAME from BAD)" \
	"$(vantage "$T/v.json" kv-ok "$BAD" '"\(.rcode) \(.addresses|join(",")) \(.chain|length)"')" "NOERROR 10.0.0.5 1"
expect_eq "vantages: the silent server times out on its own (retried within its budget)" \
	"$(vantage "$T/v.json" kv-a "$HOLE" '"\(.rcode) \(.attempts > 1) \(.addresses|length)"')" "TIMEOUT true 0"
expect_eq "vantages: the closed port is its own error, not a failover" \
	"$(vantage "$T/v.json" kv-a "$DEAD" '"\(.rcode) \(.error)"')" "ERROR connection refused: nothing listens on that port"
expect_eq "vantages: the verdict follows the system resolver (pass, its answer)" \
	"$(jq -r '[.vaults[] | "\(.name)=\(.status)/\(.dns.rcode)/\(.dns.server)/\(.findings|length)"] | join(" ")' "$T/v.json")" \
	"kv-a=pass/NOERROR/$GOOD/0 kv-ok=pass/NOERROR/$GOOD/0"
# In parallel: the silent and the dead server cost one budget, not one each.
within "vantages: servers asked in parallel (one 1 s budget)" "$ms" 2500
expect_clean_stderr "vantages: check" "$T/v.json.err"

# The table: a vault whose vantages disagree shows each answer.
run_kvpe "$T/v.txt" check --dns-server "$GOOD" --vantage "$BAD" --probe off --format table --no-color "${VAULTS[@]}"
expect_eq "table: the disagreeing vantage listed under the vault" \
	"$(grep -c "^    $BAD *given *NXDOMAIN *-$" "$T/v.txt")" 1
expect_eq "table: the system resolver's line shows its chain's end" \
	"$(grep -c "^    $GOOD *system *NOERROR *10.0.0.5 *via kv-a.privatelink.vaultcore.azure.net$" "$T/v.txt")" 1

# ---- --vantage off: no vantages, the report as before ----
run_kvpe "$T/off.json" check --dns-server "$GOOD" --vantage off --probe off --format json "${VAULTS[@]}"
expect_rc "--vantage off" 0
expect_eq "--vantage off: no vantage anywhere" \
	"$(jq -c '[(.agent.vantages|length), ([.vaults[].dns.vantages|length]|add)]' "$T/off.json")" "[0,0]"
run_kvpe "$T/def.json" check --dns-server "$GOOD" --probe off --format json "${VAULTS[@]}"
norm() { jq -S 'del(.started_at, .duration_ms, .agent.vantages) | .vaults[].dns |= del(.ms, .vantages)' "$1"; }
expect_eq "--vantage off: the same report as the default run, but for the vantages" "$(norm "$T/off.json")" "$(norm "$T/def.json")"
expect_eq "default: the system resolver alone is the vantage, answers shared (no second query)" \
	"$(jq -r '[.agent.vantages[].server] | join(" ")' "$T/def.json") $(vantage "$T/def.json" kv-a "$GOOD" '.attempts')" "$GOOD 1"
run_kvpe "$T/off.txt" check --dns-server "$GOOD" --vantage off --probe off --format table --no-color "${VAULTS[@]}"
expect_eq "--vantage off: the table has no vantage lines" "$(grep -c 'vantages:' "$T/off.txt")" 0

if full; then
	# ---- the config file's key, and --vantage on the command line replacing it ----
	printf '{"vantage": ["%s"], "probe": "off"}\n' "$BAD" >"$T/cfg.json"
	run_kvpe "$T/cfg.out" check --config "$T/cfg.json" --dns-server "$GOOD" --format json "${VAULTS[@]}"
	expect_eq "config: \"vantage\" key" "$(jq -r '[.agent.vantages[].server] | join(" ")' "$T/cfg.out")" "$GOOD $BAD"
	run_kvpe "$T/cfg2.out" check --config "$T/cfg.json" --dns-server "$GOOD" --vantage off --format json "${VAULTS[@]}"
	expect_eq "config: --vantage off on the command line replaces the file's list" \
		"$(jq -r '.agent.vantages|length' "$T/cfg2.out")" 0

	# ---- usage errors: exit 2 and one line ----
	for bad in "off 127.0.0.1" "::1:53" "1.2.3.4:99999" "nonsense"; do
		args=()
		for v in $bad; do args+=(--vantage "$v"); done
		run_kvpe "$T/u.out" check --dns-server "$GOOD" --probe off "${args[@]}" --vault kv-a
		expect_eq "usage: --vantage $bad is exit 2 with one line" "$RC $(wc -l <"$T/u.out.err")" "2 1"
	done

	# ---- pacing: each server under its own budget, all at once ----
	# 60 vaults at --dns-qps 60: the main resolver asks 120 queries (A and
	# AAAA) in 2 s; the vantage its 60 A in 1 s, beside them, not after.
	many=()
	for i in $(seq 1 60); do many+=(--vault "kv-p$i"); done
	t0=$(date +%s%N)
	run_kvpe "$T/pace.json" check --dns-server "$GOOD" --vantage "$BAD" --dns-qps 60 --probe off --format json -v "${many[@]}"
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_eq "pacing: every vault has both answers" \
		"$(jq -r '[.vaults[] | "\(.dns.vantages[0].rcode)/\(.dns.vantages[1].rcode)"] | unique | join(" ")' "$T/pace.json")" \
		"NOERROR/NXDOMAIN"
	expect_eq "pacing: the vantage sent its own 60 queries" \
		"$(grep -o "dns vantage done server=$BAD queries=[0-9]*" "$T/pace.json.err" | grep -o '[0-9]*$')" 60
	if [ -n "${KVPE_NO_TIMING:-}" ]; then
		skip "pacing: timing is asserted with the normal build only ($ms ms here)"
	elif [ "$ms" -ge 1500 ] && [ "$ms" -lt 2900 ]; then
		ok "pacing: paced, in parallel ($ms ms: 2 s of the main resolver's budget, the vantage's 1 s beside it)"
	else
		not_ok "pacing: took $ms ms, want 1500..2900 (paced at 60/s, vantage in parallel)"
	fi
fi
finish
