#!/usr/bin/env bash
# The agent under systemd: the watchdog and stopping.
#  - an sd_notify socket listener (tests/servers/sdnotify.py) counts
#    WATCHDOG=1 through failing cycles with a short WATCHDOG_USEC: an outage
#    is not a hung agent; WATCHDOG_PID naming another process turns it off;
#    a cycle that hangs (a resolver that never answers) starves it;
#  - SIGTERM in the middle of each stage of a cycle — a DNS batch against a
#    resolver that never answers, a host name the system resolver never
#    answers (netns), a token request and an ARM request that the server
#    holds, probes against a server that never speaks TLS — stops the agent
#    within a second (asserted with the normal build), exit 0, the cycle not
#    counted failed, and the last line names the signal.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

NET=${KVPE_TEST_PROBE_NET:-127.0.0}
jq --arg ip "$NET.21" '.vaults += [{"name": "kv-probe", "ip": $ip, "public_access": "Disabled"}]' \
	"$TOP/tests/lab/tenant-arm.json" >"$T/tenant.json"
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=50
DEAD=$(free_port) # nothing listens there: DNS queries are refused at once

# notify_up NAME: a notification socket $T/NAME.sock logging to $T/NAME.log.
notify_up() {
	python3 "$TOP/tests/servers/sdnotify.py" "$T/$1.sock" "$T/$1.log" "$T/$1.pid" &
	wait_for test -s "$T/$1.pid"
}
# start NAME ENV... -- ARGS...: the agent with a notification socket; sets
# AGENT, PORT, URL; stderr in $T/NAME.err.
start() {
	local name=$1 env=()
	shift
	while [ "$1" != "--" ]; do
		env+=("$1")
		shift
	done
	shift
	notify_up "$name" || return 1
	PORT=$(free_port)
	URL=http://127.0.0.1:$PORT
	env NOTIFY_SOCKET="$T/$name.sock" "${env[@]}" "$KVPE" agent --listen "127.0.0.1:$PORT" "$@" \
		>/dev/null 2>"$T/$name.err" &
	AGENT=$!
	echo $AGENT >"$T/$name-agent.pid"
	wait_for curl -sf "$URL/metrics"
}
# stop_timed NAME WHAT: SIGTERM now; checks the exit, the time and the log line.
stop_timed() {
	sigterm "$AGENT"
	expect_rc "$2: SIGTERM mid-cycle" 0
	within "$2: SIGTERM mid-cycle, stopped within a second" "$MS" 1000
	expect_eq "$2: the cycle was cut short (not completed, not counted failed)" \
		"$(grep 'msg="cycle\|msg="agent stopping"' "$T/$1.err" | sed 's/^.*msg=/msg=/')" \
		'msg="agent stopping" runs=1 failures=0 signal=SIGTERM signo=15'
	expect_clean_stderr "$2" "$T/$1.err"
}
# wd_stats LOG: "N_WATCHDOG MAX_GAP_MS N_FAILED_STATUS_WITH_WATCHDOG" from the
# first READY=1 on.
wd_stats() {
	python3 - "$1" <<'PY'
import sys
lines = [l.rstrip("\n").split(" ", 1) for l in open(sys.argv[1]) if " " in l]
start = next((float(t) for t, m in lines if "READY=1" in m.split("|")), None)
if start is None:
    print("0 999999 0"); sys.exit()
marks = [start] + [float(t) for t, m in lines if "WATCHDOG=1" in m.split("|") and float(t) >= start]
gap = max(b - a for a, b in zip(marks, marks[1:])) if len(marks) > 1 else 999.999
failed = sum(1 for t, m in lines if m.startswith("STATUS=last cycle failed") and "WATCHDOG=1" in m.split("|"))
print(len(marks) - 1, int(gap * 1000), failed)
PY
}

# 1. The watchdog through an outage: every cycle fails (resolver down).
WD_MS=$((1000 * (SLOW > 1 ? 2 : 1)))
IV_MS=$((WD_MS * 3 / 2)) # longer than the watchdog interval: the sleeps must feed it
start wd WATCHDOG_USEC=$((WD_MS * 1000)) -- --vault kv-ok1 --dns-server "127.0.0.1:$DEAD" --probe off --timeout 300 \
	--interval "${IV_MS}ms" || { not_ok "agent did not start"; cat "$T/wd.err"; finish; exit 1; }
t0=$(date +%s%N)
if wait_metric kvpe_run_failures_total 3 $((100 * IV_MS * 4 / 1000 + 50)); then ok "watchdog: 3 failing cycles"; else
	not_ok "watchdog: no 3 failing cycles ($(metric kvpe_run_failures_total))"; fi
secs_ms=$((($(date +%s%N) - t0) / 1000000))
cp "$T/wd.log" "$T/wd.snap" # the agent goes on: count from one snapshot
read -r n gap failed <<<"$(wd_stats "$T/wd.snap")"
expect_eq "watchdog: enabled from WATCHDOG_USEC" "$(grep -c 'msg="systemd watchdog on" interval_ms='$((WD_MS / 2)) "$T/wd.err")" 1
expect_eq "watchdog: at least one WATCHDOG=1 per watchdog interval through the outage ($n in $secs_ms ms)" \
	"$((n >= secs_ms / WD_MS))" 1
expect_eq "watchdog: each failed cycle's STATUS carries WATCHDOG=1" "$((failed >= 3))" 1
within "watchdog: never starved during the outage (longest gap)" "$gap" "$WD_MS"
expect_eq "watchdog: the failure is the STATUS" "$(grep -c 'STATUS=last cycle failed: the resolver answered none' "$T/wd.snap")" "$failed"
kill -TERM "$AGENT"
wait "$AGENT"
expect_eq "watchdog: clean stop" "$?" 0
wait_for grep -q 'STOPPING=1' "$T/wd.log" && ok "STOPPING=1 sent" || not_ok "no STOPPING=1"
expect_clean_stderr "watchdog agent" "$T/wd.err"

# 2. WATCHDOG_PID names another process: that watchdog is not ours.
start wdpid WATCHDOG_USEC=$((WD_MS * 1000)) WATCHDOG_PID=1 -- --vault kv-ok1 --dns-server "127.0.0.1:$DEAD" \
	--probe off --timeout 300 --interval "${IV_MS}ms" || { not_ok "agent did not start"; finish; exit 1; }
wait_metric kvpe_run_failures_total 1 $((100 * IV_MS * 2 / 1000 + 50))
sleep "$((WD_MS / 1000))" # a watchdog of ours would have been fed twice by now
expect_eq "WATCHDOG_PID not ours: no WATCHDOG=1, the STATUS still sent" \
	"$(grep -c 'WATCHDOG=1' "$T/wdpid.log"),$(($(grep -c 'STATUS=last cycle failed' "$T/wdpid.log") >= 1))" "0,1"
kill -TERM "$AGENT"
wait "$AGENT"

# 3. A cycle that hangs starves the watchdog: the resolver never answers and
#    the time budget is long.  Then SIGTERM in the middle of that DNS batch.
BH=$(free_port)
python3 "$TOP/tests/servers/blackhole.py" "$BH" "$T/blackhole.pid" &
wait_for test -s "$T/blackhole.pid"
start hang WATCHDOG_USEC=$((WD_MS * 1000)) -- --vault kv-ok1 --vault kv-ok2 --dns-server "127.0.0.1:$BH" --probe off \
	--timeout 30000 --interval 1m || { not_ok "agent did not start"; finish; exit 1; }
sleep "$((WD_MS / 1000)).5"
expect_eq "hung cycle: no WATCHDOG=1 while it runs ($((WD_MS + 500)) ms, watchdog $WD_MS ms)" \
	"$(grep -c 'WATCHDOG=1' "$T/hang.log"),$(grep -c 'msg="cycle' "$T/hang.err")" "0,0"
stop_timed hang "DNS batch, resolver never answers"

# 4. The token endpoint's name being resolved by a system resolver that never
#    answers (the host's DNS is down): libcurl's resolver thread is stuck in
#    getaddrinfo; a stop must not wait for it.  In a network namespace whose
#    resolv.conf names a black hole.
if is_root; then
	NS=kvpe-s$$
	netns_cleanup() {
		ip netns del "$NS" 2>/dev/null
		rm -rf "/etc/netns/$NS"
	}
	on_cleanup netns_cleanup
	ip netns add "$NS" && ip -n "$NS" link set lo up && mkdir -p "/etc/netns/$NS" &&
		printf 'nameserver 127.0.0.1\n' >"/etc/netns/$NS/resolv.conf" || not_ok "cannot create a netns"
	ip netns exec "$NS" python3 "$TOP/tests/servers/blackhole.py" 53 "$T/nsbh.pid" &
	wait_for test -s "$T/nsbh.pid"
	notify_up resolv
	ip netns exec "$NS" env NOTIFY_SOCKET="$T/resolv.sock" AZURE_AUTHORITY_HOST=https://login.kvpe.test \
		"$KVPE" agent --arm-endpoint https://management.kvpe.test --dns-server 127.0.0.1:53 --probe off \
		--interval 1m --listen 127.0.0.1:9712 >/dev/null 2>"$T/resolv.err" &
	AGENT=$! # ip netns exec execs kvpe: this is its pid
	echo $AGENT >"$T/resolv-agent.pid"
	wait_for grep -q READY=1 "$T/resolv.log"
	sleep "$SLOW"
	stop_timed resolv "token endpoint's name being resolved (system resolver never answers)"
else
	skip "SIGTERM during a system-resolver lookup: needs root for ip netns (CI runs as root)"
fi

# connected HOST:PORT: the agent has a connection open to it (a request the
# server holds is in flight).
connected() {
	ss -tnpH state established "( dst $1 )" | grep -q "pid=$AGENT,"
}
token_taken() { [ "$(arm_log | jq '[.[] | select(.path | test("oauth2"))] | length')" = 1 ]; }

# 5. A token request the server holds (the credential's own HTTP request),
#    then an ARM request it holds.  Not under valgrind: there TLS with the
#    Python server is slow enough on a loaded machine to hit the connect
#    timeout first (the asan run covers these cancel paths).
if [ -n "${KVPE_VALGRIND:-}" ]; then
	skip "SIGTERM with a token or ARM request in flight: not under valgrind (TLS too slow there; asan covers it)"
else
	arm_faults '[{"match": "oauth2/v2.0/token", "times": -1, "action": {"delay": 30}}]'
	start token -- --arm-endpoint "$ARM_URL" --ca-file "$ARM_CA" --dns-server "$LAB_VNET" --probe off --interval 1m ||
		{ not_ok "agent did not start"; finish; exit 1; }
	wait_for connected "${ARM_URL#https://}" || not_ok "token: no connection to the server"
	sleep 0.3
	stop_timed token "token request in flight"
	arm_reset

	arm_faults '[{"match": "^/subscriptions\\?", "method": "GET", "times": -1, "action": {"delay": 30}}]'
	start arm -- --arm-endpoint "$ARM_URL" --ca-file "$ARM_CA" --dns-server "$LAB_VNET" --probe off --interval 1m ||
		{ not_ok "agent did not start"; finish; exit 1; }
	if wait_for token_taken; then ok "ARM: the token was taken, the subscription list is held"; else
		not_ok "ARM: no token request"; fi
	sleep 0.3
	stop_timed arm "ARM request in flight"
	arm_reset
fi

# 6. Probes against an address that accepts and never speaks TLS.
if is_root; then
	python3 "$TOP/tests/servers/kvserver.py" --pidfile "$T/kvserver.pid" --log "$T/kv.log" "$NET.21:443:silent" \
		2>"$T/kvserver.err" &
	wait_for test -s "$T/kvserver.pid" || not_ok "kvserver did not start"
	start probe -- --vault kv-probe --dns-server "$LAB_VNET" --probe https --timeout 30000 --interval 1m ||
		{ not_ok "agent did not start"; finish; exit 1; }
	wait_for connected "$NET.21:443" || not_ok "probe: no connection to the silent server"
	sleep 0.2
	stop_timed probe "probe stage, TLS never answered"
else
	skip "SIGTERM during probes: binding $NET.21:443 needs root (CI runs as root)"
fi
finish
