#!/usr/bin/env bash
# Soak (bounded): 300 agent cycles at a short interval against the DNS lab.
# Resident memory after cycle 300 stays within 10% of that after cycle 30, and
# the number of open file descriptors does not grow.  Measured on the normal
# build only: AddressSanitizer's quarantine keeps freed memory on purpose.
. "$(dirname "$0")/../lib/common.sh"

if [ -n "${ASAN_OPTIONS:-}" ] || [ -n "${KVPE_VALGRIND:-}" ]; then
	skip "soak: memory growth is measured without the sanitizer (the asan run of agent.sh covers leaks)"
	finish
	exit 0
fi
lab_up "$TOP/tests/lab/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
PORT=$(free_port)
"$KVPE" agent --dns-server "$LAB_VNET" --probe off --interval 10ms --listen "127.0.0.1:$PORT" -q \
	--vault kv-healthy=10.1.0.4 --vault kv-missing=10.1.0.5 --vault kv-stale=10.1.0.6 --vault kv-override=10.1.0.7 \
	--vault kv-nopep --vault kv-aaaa=10.1.0.8 --vault kv-servfail=10.1.0.9 --vault hsm:hsm-healthy=10.1.2.4 \
	--vault kv-china.vault.azure.cn=10.1.3.4 --vault kv-cgnat >/dev/null 2>"$T/agent.err" &
AGENT=$!
echo $AGENT >"$T/agent.pid"
runs() { curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "kvpe_runs_total" {print $2}'; }
wait_runs() {
	local i r
	for i in $(seq 1 1200); do
		r=$(runs)
		[ -n "$r" ] && [ "$r" -ge "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$AGENT/status"; }
# The fewest of a few samples: a scrape's own connection comes and goes.
fds() {
	local i n min=100000
	for i in 1 2 3 4 5; do
		n=$(ls "/proc/$AGENT/fd" | wc -l)
		[ "$n" -lt "$min" ] && min=$n
		sleep 0.05
	done
	echo "$min"
}

t0=$(date +%s)
wait_runs 30 || { not_ok "30 cycles not reached"; finish; exit 1; }
rss30=$(rss)
fd30=$(fds)
wait_runs 300 || { not_ok "300 cycles not reached"; finish; exit 1; }
rss300=$(rss)
fd300=$(fds)
secs=$(($(date +%s) - t0))
echo "# cycle 30: rss ${rss30} kB, ${fd30} fds; cycle 300: rss ${rss300} kB, ${fd300} fds; ${secs}s"
if [ "$rss300" -le $((rss30 * 110 / 100)) ]; then ok "RSS after 300 cycles ${rss300} kB within 10% of ${rss30} kB"; else
	not_ok "RSS grew from ${rss30} kB to ${rss300} kB"; fi
if [ "$fd300" -le "$fd30" ]; then ok "file descriptors do not grow ($fd30 -> $fd300)"; else not_ok "file descriptors grew: $fd30 -> $fd300"; fi
expect_eq "no failed cycle" "$(curl -s "http://127.0.0.1:$PORT/metrics" | awk '$1 == "kvpe_run_failures_total" {print $2}')" 0
kill -TERM "$AGENT"
wait "$AGENT"
expect_eq "clean stop after the soak" "$?" 0
finish
