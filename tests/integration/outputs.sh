#!/usr/bin/env bash
# Report files in shared and hostile places, through the real binary against
# the DNS lab: links planted at every name the writer might use in a
# group-writable directory (the old predictable temp names, the target
# itself), temp files created exclusively under random names (seen with
# strace), outputs checked before the run (a bad one writes nothing), JSONL
# appended (never replaced, cut back when the run fails, whole under
# concurrent runs), and the Prometheus file's exact timestamps and counters
# carried from run to run.
. "$(dirname "$0")/../lib/common.sh"

lab_up "$TOP/tests/lab/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
V=(check --probe off --dns-server "$LAB_VNET" --vault kv-healthy=10.1.0.4)
OTHER=12345 # a uid that is neither ours, root's nor the directory owner's

# A group-writable directory, as node_exporter's textfile directory is for
# the prometheus group, and a file links would redirect the write to.
S=$T/shared
mkdir -p "$S"
chmod 2775 "$S"
echo precious >"$T/victim"
victim_ok() { [ "$(cat "$T/victim")" = precious ]; }
no_temp() { [ "$(find "$1" -maxdepth 1 -name '.*.tmp.*' -type f | wc -l)" -eq 0 ]; }

# 1. The old temp names, ".<file>.tmp.<pid>", planted as links to the victim
# before kvpe starts (the shell's pid is kvpe's after exec).
plant_exec() { # DIR NAMES... -- kvpe args...
	local dir=$1
	shift
	local names=()
	while [ "$1" != -- ]; do names+=("$1"); shift; done
	shift
	RC=0
	sh -c 'd=$1; shift; while [ "$1" != -- ]; do ln -s ../victim "$d/.$1.tmp.$$"; shift; done; shift; exec "$@"' \
		sh "$dir" "${names[@]}" -- "$KVPE" "$@" >"$T/plant.out" 2>"$T/plant.err" || RC=$?
}
plant_exec "$S" r.json TEST-kvpe.xml kvpe.prom kvpe.sarif -- "${V[@]}" --output "$S/r.json" \
	--report junit="$S/TEST-kvpe.xml" --report prometheus="$S/kvpe.prom" --report sarif="$S/kvpe.sarif"
expect_rc "old temp names planted as links" 0
if victim_ok; then ok "old temp names planted: the link's target was never written"; else not_ok "the victim was overwritten: $(head -c 200 "$T/victim")"; fi
expect_eq "old temp names planted: every report written, links left alone" \
	"$(jq -r .schema "$S/r.json"),$(grep -c '<testsuite ' "$S/TEST-kvpe.xml"),$(grep -c '^kvpe_runs_total 1$' "$S/kvpe.prom"),$(find "$S" -maxdepth 1 -name '.*.tmp.*' -type l | wc -l)" \
	"kvpe.report/v1,1,1,4"
find "$S" -maxdepth 1 -name '.*.tmp.*' -type l -delete
if plant_exec "$S" agent.prom -- agent --once --probe off --dns-server "$LAB_VNET" --vault kv-healthy=10.1.0.4 \
	--textfile "$S/agent.prom" && victim_ok && grep -q '^kvpe_runs_total 1$' "$S/agent.prom"; then
	ok "agent --textfile: the old temp name planted as a link is not written through"
else
	not_ok "agent --textfile with a planted link: rc $RC, victim: $(head -c 100 "$T/victim")"
fi
find "$S" -maxdepth 1 -name '.*.tmp.*' -type l -delete
expect_clean_stderr "planted links" "$T/plant.err"

# 2. The temp names kvpe uses: random, created exclusively (O_EXCL, never
# through a link), 0600 until the rename; the report ends 0644.
if [ -n "${KVPE_VALGRIND:-}" ]; then
	skip "temp file flags: strace is not run on valgrind"
elif ! command -v strace >/dev/null; then
	skip "temp file flags: strace not installed"
else
	: >"$T/names"
	for i in 1 2 3 4 5; do
		strace -f -qq -e trace=openat -o "$T/strace.$i" "$KVPE" "${V[@]}" --output "$S/r.json" >/dev/null 2>&1
		grep -o 'openat([^)]*\.r\.json\.tmp\.[^)]*)' "$T/strace.$i" >>"$T/names"
	done
	expect_eq "temp files: one per run, 5 runs" "$(wc -l <"$T/names")" 5
	expect_eq "temp files: each created O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600" \
		"$(grep -c 'O_CREAT|O_EXCL|O_NOFOLLOW.*, 0600' "$T/names")" 5
	expect_eq "temp files: random names (.r.json.tmp. + 6 characters), all different" \
		"$(grep -oE '\.r\.json\.tmp\.[A-Za-z0-9]{6}"' "$T/names" | sort -u | wc -l)" 5
	pids=$(grep -ohE '^[0-9]+' "$T"/strace.* | sort -u | tr '\n' '|')
	expect_eq "temp files: never named after the pid" \
		"$(grep -cE "\.r\.json\.tmp\.(${pids%|})\"" "$T/names")" 0
fi
expect_eq "report mode 0644, no temp file left" "$(stat -c %a "$S/r.json"),$(no_temp "$S" && echo none)" "644,none"

# 3. A link at the target name itself: followed only when it is ours (or
# root's, or the directory owner's); another user's is refused, and nothing
# is written anywhere.
if is_root; then
	for fmt in json jsonl; do
		ln -s ../victim "$S/planted.$fmt"
		chown -h "$OTHER" "$S/planted.$fmt"
		run_kvpe "$T/tl.out" "${V[@]}" --format "$fmt" --output "$S/planted.$fmt"
		expect_rc "$fmt: another user's link at the target" 2
		expect_eq "$fmt: another user's link: refused in one line, victim intact, link kept" \
			"$(wc -l <"$T/tl.out.err"),$(grep -c "cannot write report: $S/planted.$fmt: a symbolic link owned by another user (uid $OTHER); not followed" "$T/tl.out.err"),$(victim_ok && echo intact),$(stat -c %F "$S/planted.$fmt")" \
			"1,1,intact,symbolic link"
	done
	ln -s ../victim "$S/planted.prom"
	chown -h "$OTHER" "$S/planted.prom"
	RC=0
	"$KVPE" agent --once --probe off --dns-server "$LAB_VNET" --vault kv-healthy=10.1.0.4 \
		--textfile "$S/planted.prom" >/dev/null 2>"$T/ta.err" || RC=$?
	expect_eq "agent --textfile at another user's link: logged, victim intact" \
		"$(grep -q 'cannot write the textfile.*a symbolic link owned by another user' "$T/ta.err" && echo logged),$(victim_ok && echo intact)" "logged,intact"
	# Our own link is followed: the file it names is the report.
	echo old >"$T/mine.json"
	ln -s ../mine.json "$S/mine.json"
	run_kvpe "$T/own.out" "${V[@]}" --output "$S/mine.json"
	expect_eq "our own link at the target: followed, its target replaced" \
		"$RC,$(jq -r .schema "$T/mine.json"),$(stat -c %F "$S/mine.json")" "0,kvpe.report/v1,symbolic link"
else
	skip "links owned by another user: chown needs root"
fi
expect_eq "no temp file left in the shared directory" "$(no_temp "$S" && echo none)" none

# 4. Outputs are checked before the run: one that cannot be written stops it
# in one line with exit 2, and nothing is written (issue 10).
usage_out() { # NAME WANT ARGS...: exit 2, one line naming the problem
	local name=$1 want=$2
	shift 2
	run_kvpe "$T/u.out" "$@"
	expect_rc "$name" 2
	expect_eq "$name: one line, says why" "$(wc -l <"$T/u.out.err"),$(grep -c -- "$want" "$T/u.out.err")" "1,1"
}
usage_out "--output /proc/version" "cannot write report: /proc/version: cannot create a file in /proc to write it (No such file or directory)" \
	"${V[@]}" --output /proc/version
usage_out "resolve --output /proc/version" "cannot write report: /proc/version: cannot create a file in /proc" \
	resolve --dns-server "$LAB_VNET" --output /proc/version kv-healthy.vault.azure.net
usage_out '--output ""' "--output needs a file name (- for stdout)" "${V[@]}" --output ""
# (Under valgrind, some 20 times slower, the variations of what the other
# builds cover are left out: memory errors would show on the paths above.)
thorough() { [ -z "${KVPE_VALGRIND:-}" ] || { skip "$1: normal and sanitizer builds only"; return 1; }; }
thorough "--output a directory" && usage_out "--output a directory" "cannot write report: $T: Is a directory" "${V[@]}" --output "$T"
echo previous >"$T/main.json"
BH=$(free_port)
python3 "$TOP/tests/servers/blackhole.py" "$BH" "$T/blackhole.pid" &
wait_for test -s "$T/blackhole.pid"
start=$(date +%s%N)
usage_out "--report junit=/nonexistent/x" "cannot write report: /nonexistent/x: No such file or directory" \
	check --probe off --dns-server "127.0.0.1:$BH" --timeout 3000 --vault kv-healthy=10.1.0.4 \
	--output "$T/main.json" --report sarif="$T/side.sarif" --report junit=/nonexistent/x
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "--report junit=/nonexistent/x: main report untouched, nothing else written" \
	"$(cat "$T/main.json"),$(ls "$T"/side.sarif 2>/dev/null | wc -l),$(no_temp "$T" && echo none)" "previous,0,none"
within "--report junit=/nonexistent/x: refused before the run (a 3 s resolver timeout never waited)" "$ms" 2000
if thorough "--report into /proc"; then
	usage_out "--report into /proc" "cannot write report: /proc/kvpe.json: cannot create a file in /proc" \
		"${V[@]}" --output "$T/main.json" --report json=/proc/kvpe.json
	expect_eq "--report into /proc: main report untouched" "$(cat "$T/main.json")" previous
fi

# 5. JSONL is appended, a run's lines at once; a run that fails to write all
# its reports leaves the log as it was.
L=$T/log/kvpe.jsonl
mkdir -p "$T/log"
INVOCATION_ID=run-one run_kvpe "$T/j1.out" "${V[@]}" --vault kv-missing=10.1.0.5 --format jsonl --output "$L"
cp "$L" "$T/after-one.jsonl"
INVOCATION_ID=run-two run_kvpe "$T/j2.out" "${V[@]}" --vault kv-missing=10.1.0.5 --report jsonl="$L" --output /dev/null
n1=$(wc -l <"$T/after-one.jsonl")
expect_eq "jsonl: the second run appended (first run's bytes kept, then its own lines)" \
	"$(head -c "$(stat -c %s "$T/after-one.jsonl")" "$L" | cmp -s - "$T/after-one.jsonl" && echo kept),$(jq -r .run_id "$L" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')" \
	"kept,run-onex$n1 run-twox$n1 "
RC=0
for r in 1 2; do "$KVPE" "${V[@]}" --format jsonl --output - >>"$T/log/stdout.jsonl" 2>>"$T/js.err" || RC=$?; done
expect_eq "jsonl to stdout (-): written as it comes, the shell appends" "$RC,$(wc -l <"$T/log/stdout.jsonl")" "0,2"
expect_eq "jsonl: mode 0644, no temp file" "$(stat -c %a "$L"),$(no_temp "$T/log" && echo none)" "644,none"
cp "$L" "$T/before-fail.jsonl"
INVOCATION_ID=run-fail run_kvpe "$T/jf.out" "${V[@]}" --report jsonl="$L" --report json="$T/log/r.json" --output /dev/full
expect_rc "jsonl: a run whose stdout is full" 2
expect_eq "jsonl: the failed run's lines cut off again, its json report not written" \
	"$(cmp -s "$L" "$T/before-fail.jsonl" && echo same),$(ls "$T/log/r.json" 2>/dev/null | wc -l),$(no_temp "$T/log" && echo none)" "same,0,none"
run_kvpe "$T/jn.out" "${V[@]}" --report jsonl="$T/log/new.jsonl" --output /dev/full
expect_eq "jsonl: a log the failed run created is removed again" "$RC,$(ls "$T/log/new.jsonl" 2>/dev/null | wc -l)" "2,0"
# Concurrent runs: each run's lines stay together (more than one write each).
thorough "jsonl: concurrent runs" && {
many=()
for i in $(seq -w 1 120); do many+=(--vault "kv-c$i"); done
C=$T/log/concurrent.jsonl
for r in a b c; do
	INVOCATION_ID=run-$r "$KVPE" check --probe off --dns-server "$LAB_VNET" "${many[@]}" --report jsonl="$C" \
		--output /dev/null 2>"$T/conc.$r.err" &
	echo $! >"$T/conc.$r.pid"
done
for r in a b c; do wait "$(cat "$T/conc.$r.pid")"; done
expect_eq "jsonl: 3 concurrent runs of 240 lines each, every line whole, each run's lines together" \
	"$(jq -r .run_id "$C" 2>/dev/null | uniq -c | awk '{print $1}' | tr '\n' ' ')" "240 240 240 "
cat "$T"/conc.*.err >"$T/conc.err"
expect_clean_stderr "concurrent jsonl" "$T/conc.err"
}

# 6. Prometheus: times exact and within a second of the clock, the run's end
# after its start; the counters carry on from the file replaced.
P=$T/prom/kvpe.prom
mkdir -p "$T/prom"
t0=$(date +%s.%N)
run_kvpe "$T/p1.out" "${V[@]}" --format prometheus --output "$P"
t1=$(date +%s.%N)
res=$(python3 "$TOP/tests/lib/promcheck.py" "$P") && ok "prometheus file valid ($res)" || not_ok "prometheus file: $res"
pm() { awk -v k="$1" '$1 == k {print $2}' "$P"; }
expect_eq "timestamps: exact decimals, no exponent anywhere" "$(grep -cE '^[^#].* [-+]?[0-9.]+e' "$P")" 0
expect_eq "timestamps: run start/end within the run, end after start, within 1 s of the clock" "$(python3 - "$t0" "$t1" \
	"$(pm kvpe_last_run_timestamp_seconds)" "$(pm kvpe_run_duration_seconds)" "$(pm kvpe_last_success_timestamp_seconds)" \
	"$(pm kvpe_config_last_reload_success_timestamp_seconds)" <<'PY'
import sys
t0, t1, end, dur, succ, load = map(float, sys.argv[1:])
start = end - dur
ok = [t0 - 0.002 <= start <= end <= t1 + 0.002, succ == end, t0 - 0.002 <= load <= end,
      abs(end - t1) < 1.0 or t1 - t0 > 1.0]
print("ok" if all(ok) else "bad %r start=%.3f end=%.3f t0=%.3f t1=%.3f" % (ok, start, end, t0, t1))
PY
)" ok
expect_eq "counters: a first run counts 1" "$(pm kvpe_runs_total),$(pm kvpe_run_failures_total)" "1,0"
s1=$(pm kvpe_last_success_timestamp_seconds)
run_kvpe "$T/p2.out" "${V[@]}" --report prometheus="$P" --output /dev/null
expect_eq "counters: carried to the next run's file" "$(pm kvpe_runs_total),$(pm kvpe_run_failures_total),$(pm kvpe_arm_requests_total)" "2,0,0"
expect_eq "counters: the success time moves on" "$(python3 -c 'import sys; print(float(sys.argv[2]) > float(sys.argv[1]))' "$s1" "$(pm kvpe_last_success_timestamp_seconds)")" True
expect_clean_stderr "prometheus runs" "$T/p2.out.err"
# A file that is not kvpe's: never trusted, the counters start again.
printf 'kvpe_runs_total 99999\nkvpe_build_info{version="x"} 1\n' >"$P"
run_kvpe "$T/p3.out" "${V[@]}" --format prometheus --output "$P"
expect_eq "counters: a file kvpe did not write is not read (warned, counting from 1)" \
	"$RC,$(pm kvpe_runs_total),$(grep -c "not kvpe's metrics; counters start again" "$T/p3.out.err")" "0,1,1"
if thorough "counters: random bytes"; then
	head -c 300 /dev/urandom >"$P"
	run_kvpe "$T/p4.out" "${V[@]}" --format prometheus --output "$P"
	expect_eq "counters: random bytes are not read either" "$RC,$(pm kvpe_runs_total)" "0,1"
fi
# Counters from stdout are the run's own.
run_kvpe "$T/p5.out" "${V[@]}" --format prometheus
expect_eq "counters on stdout: this run's" "$(awk '$1 == "kvpe_runs_total" {print $2}' "$T/p5.out")" 1

cat "$T"/*.err >"$T/all-stderr.txt" 2>/dev/null
expect_clean_stderr "every run" "$T/all-stderr.txt"
finish
