#!/usr/bin/env bash
# run.sh — every test, as `make test` runs it:
#   tests/run.sh                 all of it (below)
#   tests/run.sh --unit-only DIR unit tests and fuzz replays of one build
#   tests/run.sh --one VARIANT SCRIPT
#                                one integration script (VARIANT: release, asan
#                                or valgrind), its log printed
#
# 1. unit tests (cmocka) and fuzz-corpus replays, normal and sanitized builds;
# 2. the integration scripts that assert timings, with the normal build, one
#    at a time at normal priority;
# 3. at the same time, at the lowest priority (nice 19), the other scripts
#    with the normal build, every script with the AddressSanitizer + UBSan
#    build (leak detection on), and VALGRIND_SET under valgrind memcheck
#    (errors fatal), JOBS at a time; timings are not asserted there.
#    The timed scripts mostly wait (timeouts, slow servers, signals): the
#    niced pool takes the idle cores and yields them whenever a timed script
#    runs (a nice-0 task gets ~98 % of a core against nice-19 ones).
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
# valgrind's memcheck finds what the sanitizers do not (reads of
# uninitialised memory) but runs kvpe ~20 times slower: it takes the scripts
# that together reach every module — writers, ARM + credentials + joins, the
# DNS engine's edges and its parallel vantages, the DNS-path model and rules,
# the input parsers.  (The agent's lifecycle and the report files are left to
# the sanitizers: use-after-free and leaks are theirs to find.)
# The sanitized build runs every script.  VALGRIND_SET="..." overrides.
VALGRIND_SET=${VALGRIND_SET:-"inputs dns_edges arm_e2e report_formats vantages dnspath"}
REL=build/release
ASAN=build/asan

total_pass=0
total_fail=0
total_skip=0
failed_names=""
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/kvpe-run.XXXXXX")
trap 'rm -rf "$LOGDIR"' EXIT

count() { # adds the counts of one log; $1 name, $2 log, $3 exit status
	local line p f s
	line=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1)
	p=$(echo "$line" | sed -nE 's/^([0-9]+) passed.*/\1/p')
	f=$(echo "$line" | sed -nE 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/p')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	s=${s:-0}
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or exited non-zero without counting its failure
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	if [ "$f" -ne 0 ]; then
		failed_names="$failed_names $1"
		echo "--- $1: $f failed; its output:"
		grep -aE '^not ok|ERROR|FAILED|Sanitizer|runtime error|^==[0-9]+== [A-Z]' "$2" | head -40
	fi
	printf '%-48s %4s passed %3s failed %3s skipped\n' "$1" "$p" "$f" "$s"
}

# Environment of one variant, for the commands that follow it.
use_variant() {
	unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS KVPE_VALGRIND KVPE_NO_TIMING
	case $1 in
	release)
		export KVPE="$PWD/$REL/kvpe" KVPE_TEST_PROBE_NET=127.0.0
		;;
	asan)
		export KVPE="$PWD/$ASAN/kvpe" KVPE_TEST_PROBE_NET=127.0.1 KVPE_NO_TIMING=1
		export ASAN_OPTIONS="detect_leaks=1:exitcode=86:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
		export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86"
		export LSAN_OPTIONS="exitcode=86"
		;;
	valgrind)
		# kvpe under memcheck: any error makes it exit 99, and the tests'
		# sanitizer check flags the report on stderr.
		mkdir -p "$REL/valgrind"
		cat >"$REL/valgrind/kvpe" <<VG
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \\
	"$PWD/$REL/kvpe" "\$@"
VG
		chmod +x "$REL/valgrind/kvpe"
		export KVPE="$PWD/$REL/valgrind/kvpe" KVPE_TEST_PROBE_NET=127.0.2 KVPE_VALGRIND=1 KVPE_NO_TIMING=1
		;;
	esac
	[ -n "${KEEP_PROBE_NET:-}" ] && export KVPE_TEST_PROBE_NET="$KEEP_PROBE_NET"
	[ -n "${KEEP_NO_TIMING:-}" ] && export KVPE_NO_TIMING="$KEEP_NO_TIMING"
	return 0
}

unit() { # build dir, variant
	local t name log rc
	for t in "$1"/tests/test_*; do
		case "$t" in *.d | *.o) continue ;; esac
		[ -x "$t" ] || continue
		log="$LOGDIR/$(basename "$t").$2.log"
		"$t" >"$log" 2>&1
		rc=$?
		# cmocka's own summary -> our counters
		p=$(grep -aE '^\[  PASSED  \] [0-9]+ test' "$log" | sed -E 's/.* ([0-9]+) test.*/\1/')
		f=$(grep -aE '^\[  FAILED  \] [0-9]+ test' "$log" | sed -E 's/.* ([0-9]+) test.*/\1/')
		echo "${p:-0} passed, ${f:-0} failed" >>"$log"
		count "$2/unit/$(basename "$t")" "$log" "$rc"
	done
	for t in "$1"/tests/replay_*; do
		case "$t" in *.d | *.o) continue ;; esac
		[ -x "$t" ] || continue
		name=$(basename "$t" | sed 's/^replay_//')
		log="$LOGDIR/$name.$2.log"
		"$t" "tests/fuzz/corpus/${name#fuzz_}" >"$log" 2>&1
		count "$2/fuzz-replay/$name" "$log" $?
	done
}

# One integration script of one variant; writes LOG and LOG.rc, LOG.secs.
integration() { # variant script [nice]
	local name log start
	name=$(basename "$2" .sh)
	log="$LOGDIR/$name.$1.log"
	start=$(date +%s)
	# The timed release runs share the machine with the pool's release runs:
	# their own loopback /24 for probe servers.
	(use_variant "$1" && { [ -z "${3:-}" ] || export KVPE_TEST_PROBE_NET="$3"; } &&
		exec ${NICE:-} timeout 900 bash "$2") >"$log" 2>&1
	echo $? >"$log.rc"
	echo $(($(date +%s) - start)) >"$log.secs"
}

report() { # variant script
	local name log
	name=$(basename "$2" .sh)
	log="$LOGDIR/$name.$1.log"
	count "$1/$name ($(cat "$log.secs")s)" "$log" "$(cat "$log.rc")"
}

if [ "${1:-}" = "--unit-only" ]; then
	use_variant "$(basename "$2")"
	unit "$2" "$(basename "$2")"
elif [ "${1:-}" = "--one" ]; then
	# The caller's probe network and timing switch survive use_variant, so
	# several checkouts can test side by side on one machine.
	KEEP_PROBE_NET=${KVPE_TEST_PROBE_NET:-}
	KEEP_NO_TIMING=${KVPE_NO_TIMING:-}
	integration "$2" "$3"
	log="$LOGDIR/$(basename "$3" .sh).$2.log"
	cat "$log"
	report "$2" "$3"
else
	echo "=== unit tests and fuzz replays"
	use_variant release
	unit "$REL" release
	use_variant asan
	unit "$ASAN" asan
	# Scripts that assert timings (they call `within` or read KVPE_NO_TIMING)
	# run one at a time with the normal build at normal priority; every other
	# run goes to the niced pool.
	timed=()
	untimed=()
	for s in tests/integration/*.sh; do
		if grep -q '^[[:space:]]*within \|[^_a-z]within "\|KVPE_NO_TIMING' "$s"; then
			timed+=("$s")
		else
			untimed+=("$s")
		fi
	done
	jobs_list=()
	# The slow valgrind scripts first, so the pool ends evenly.
	for s in $VALGRIND_SET; do jobs_list+=("valgrind tests/integration/$s.sh"); done
	for s in tests/integration/*.sh; do jobs_list+=("asan $s"); done
	for s in "${untimed[@]}"; do jobs_list+=("release $s"); done
	pool() {
		local running=0 j
		for j in "${jobs_list[@]}"; do
			# shellcheck disable=SC2086
			NICE="nice -n 19" integration $j &
			running=$((running + 1))
			if [ "$running" -ge "$JOBS" ]; then
				wait -n
				running=$((running - 1))
			fi
		done
		wait
	}
	pool &
	pool_pid=$!
	for s in "${timed[@]}"; do
		integration release "$s" 127.0.3
	done
	wait "$pool_pid"
	echo "=== integration, normal build, scripts that assert timings (one at a time, normal priority)"
	for s in "${timed[@]}"; do
		report release "$s"
	done
	echo "=== integration, at nice 19 meanwhile: the other scripts with the normal build,"
	echo "=== every script with AddressSanitizer, and valgrind's set ($JOBS at a time)"
	for j in "${jobs_list[@]}"; do
		# shellcheck disable=SC2086
		report $j
	done
fi

echo
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
