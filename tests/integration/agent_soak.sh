#!/usr/bin/env bash
# Soak (bounded): agent cycles at a short interval against the DNS lab,
# alternating good and failing cycles through SIGHUPs: every few cycles the
# configuration file switches between a good one (the lab's resolver, ten
# vaults) and a failing one (a resolver that refuses, another vault set), and
# the agent reloads it.  Resident memory at the middle and at the end stays
# within 10% of that after cycle 30, and the number of open file descriptors
# does not grow.  The suite runs 200 cycles; the full soak is
#   KVPE_SOAK_CYCLES=1000 tests/run.sh --one release tests/integration/agent_soak.sh
# and prints its figures (RSS and fds at start, middle, end) on a "#" line.
# Measured on the normal build only: AddressSanitizer's quarantine keeps freed
# memory on purpose (the asan and valgrind runs of agent_reload.sh cover
# reload-then-outage memory errors and leaks).
. "$(dirname "$0")/../lib/common.sh"

if [ -n "${ASAN_OPTIONS:-}" ] || [ -n "${KVPE_VALGRIND:-}" ]; then
	skip "soak: memory growth is measured without the sanitizer (the asan run of agent_reload.sh covers leaks)"
	finish
	exit 0
fi
N=${KVPE_SOAK_CYCLES:-200}
PHASE=10 # cycles between SIGHUPs
[ "$N" -ge 100 ] || { not_ok "KVPE_SOAK_CYCLES must be at least 100"; finish; exit 1; }
lab_up "$TOP/tests/lab/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
DEAD=$(free_port) # nothing listens there: every query is refused, the cycle fails
CFG=$T/config.json
good_config() {
	cat >"$CFG" <<JSON
{"vault": ["kv-healthy=10.1.0.4", "kv-missing=10.1.0.5", "kv-stale=10.1.0.6", "kv-override=10.1.0.7", "kv-nopep",
 "kv-aaaa=10.1.0.8", "kv-servfail=10.1.0.9", "hsm:hsm-healthy=10.1.2.4", "kv-china.vault.azure.cn=10.1.3.4", "kv-cgnat"],
 "dns-server": ["$LAB_VNET"], "probe": "off", "timeout": 1000}
JSON
}
failing_config() {
	cat >"$CFG" <<JSON
{"vault": ["kv-other1=10.2.0.1", "kv-other2", "hsm:hsm-other=10.2.0.3"], "vnet":
 "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v$1",
 "dns-server": ["127.0.0.1:$DEAD"], "probe": "off", "timeout": 200}
JSON
}
good_config
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$KVPE" agent --config "$CFG" --interval 10ms --listen "127.0.0.1:$PORT" --textfile "$T/soak.prom" -q \
	>/dev/null 2>"$T/agent.err" &
AGENT=$!
echo $AGENT >"$T/agent.pid"
runs() { metric kvpe_runs_total; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$AGENT/status"; }
# The fewest of a few samples: a scrape's own connection comes and goes.
# Taken in a good phase only: the resolver's sockets differ between phases.
# The textfile's own (its temp file and directory, open while they are
# fsynced at every cycle) are not counted.
fds() {
	local i n min=100000
	for i in 1 2 3 4 5; do
		n=$(find "/proc/$AGENT/fd" -type l -printf '%l\n' 2>/dev/null | grep -Evc "^$T(/.*soak\.prom.*)?$")
		[ "$n" -lt "$min" ] && min=$n
		sleep 0.02
	done
	echo "$min"
}

# The driver: a SIGHUP every PHASE cycles, switching good <-> failing.
t0=$(date +%s)
r=0 next=$PHASE good=1 hups=0 rss0="" rss_mid="" rss_end="" stuck=0 settled=0
while [ -z "$rss_end" ]; do
	v=$(runs)
	if [ -z "$v" ] || [ "$v" -le "$r" ]; then
		stuck=$((stuck + 1))
		[ "$stuck" -gt 1500 ] && break # 30 s without a cycle
		sleep 0.02
		continue
	fi
	r=$v stuck=0
	# Samples: a few cycles into a good phase, once cycle 30, N/2 and N are passed.
	settled=$((good == 1 && r >= next - PHASE + 4))
	if [ "$settled" -eq 1 ]; then
		if [ -z "$rss0" ] && [ "$r" -ge 30 ]; then rss0=$(rss) fd0=$(fds); fi
		if [ -z "$rss_mid" ] && [ "$r" -ge $((N / 2)) ]; then rss_mid=$(rss) fd_mid=$(fds); fi
		if [ "$r" -ge "$N" ]; then rss_end=$(rss) fd_end=$(fds); fi
	fi
	if [ "$r" -ge "$next" ]; then
		if [ "$good" -eq 1 ]; then failing_config "$hups"; good=0; else good_config; good=1; fi
		kill -HUP "$AGENT"
		hups=$((hups + 1))
		next=$((r + PHASE))
	fi
done
[ -n "$rss_end" ] || { not_ok "$N cycles not reached (stuck at $r)"; finish; exit 1; }
secs=$(($(date +%s) - t0))
m=$(curl -s "$URL/metrics")
fails=$(echo "$m" | awk '$1 == "kvpe_run_failures_total" {print $2}')
echo "# soak: $r cycles ($fails failed), $hups SIGHUPs, ${secs}s; RSS kB start (cycle 30) ${rss0}, middle ${rss_mid}, end ${rss_end}; fds ${fd0}, ${fd_mid}, ${fd_end}"
if [ "$rss_mid" -le $((rss0 * 110 / 100)) ] && [ "$rss_end" -le $((rss0 * 110 / 100)) ]; then
	ok "RSS flat: ${rss0} -> ${rss_mid} -> ${rss_end} kB (within 10%)"
else
	not_ok "RSS grew: ${rss0} -> ${rss_mid} -> ${rss_end} kB"
fi
if [ "$fd_mid" -le "$fd0" ] && [ "$fd_end" -le "$fd0" ]; then ok "file descriptors flat ($fd0 -> $fd_mid -> $fd_end)"; else
	not_ok "file descriptors grew: $fd0 -> $fd_mid -> $fd_end"; fi
expect_eq "good and failing cycles alternated ($fails of $r failed, $hups SIGHUPs)" \
	"$((fails >= N / 6 && r - fails >= N / 6 && hups >= N / PHASE / 2))" 1
expect_eq "every reload taken" "$(echo "$m" | awk '$1 == "kvpe_config_last_reload_successful" {print $2}')" 1
res=$(python3 "$TOP/tests/lib/promcheck.py" "$T/soak.prom") && ok "textfile valid after the soak ($res)" || not_ok "textfile: $res"
kill -TERM "$AGENT"
wait "$AGENT"
expect_eq "clean stop after the soak" "$?" 0
expect_eq "no warning but the failed cycles" "$(grep -v 'cycle failed; serving the last good report' "$T/agent.err" | grep -c .)" 0
finish
