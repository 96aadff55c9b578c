#!/usr/bin/env bash
# run.sh — runs every test against each build directory given:
#   tests/run.sh build/release build/asan      (what `make test` does)
#   tests/run.sh --unit-only build/release
# Unit tests (cmocka), fuzz-corpus replays, then the integration scripts
# (real unbound, local HTTPS servers, network namespaces when root).  The
# sanitized build runs with leak detection on; a sanitizer report fails the
# run.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
unit_only=0
if [ "${1:-}" = "--unit-only" ]; then
	unit_only=1
	shift
fi
[ $# -gt 0 ] || set -- build/release

total_pass=0
total_fail=0
total_skip=0
failed_names=""
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/kvpe-run.XXXXXX")
trap 'rm -rf "$LOGDIR"' EXIT

count() { # adds the counts of one log; $1 name, $2 log, $3 exit status
	local p f s
	p=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1 | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(grep -aE '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -1 | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(grep -aE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$2" | tail -1 | sed -E 's/.* ([0-9]+) skipped.*/\1/')
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
		grep -aE '^not ok|ERROR|FAILED|Sanitizer|runtime error' "$2" | head -40
	fi
	printf '%-48s %4s passed %3s failed %3s skipped\n' "$1" "$p" "$f" "$s"
}

for dir in "$@"; do
	variant=$(basename "$dir")
	export KVPE="$PWD/$dir/kvpe"
	if [ "$variant" = asan ]; then
		export ASAN_OPTIONS="detect_leaks=1:exitcode=86:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1"
		export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86"
		export LSAN_OPTIONS="exitcode=86"
	else
		unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
	fi
	echo "=== $variant"
	for t in "$dir"/tests/test_*; do
		case "$t" in *.d | *.o) continue ;; esac
		[ -x "$t" ] || continue
		log="$LOGDIR/$(basename "$t").$variant.log"
		"$t" >"$log" 2>&1
		rc=$?
		# cmocka's own summary -> our counters
		p=$(grep -aE '^\[  PASSED  \] [0-9]+ test' "$log" | sed -E 's/.* ([0-9]+) test.*/\1/')
		f=$(grep -aE '^\[  FAILED  \] [0-9]+ test' "$log" | sed -E 's/.* ([0-9]+) test.*/\1/')
		echo "${p:-0} passed, ${f:-0} failed" >>"$log"
		count "$variant/unit/$(basename "$t")" "$log" "$rc"
	done
	for t in "$dir"/tests/replay_*; do
		case "$t" in *.d | *.o) continue ;; esac
		[ -x "$t" ] || continue
		name=$(basename "$t" | sed 's/^replay_//')
		log="$LOGDIR/$name.$variant.log"
		"$t" "tests/fuzz/corpus/${name#fuzz_}" >"$log" 2>&1
		count "$variant/fuzz-replay/$name" "$log" $?
	done
	[ "$unit_only" -eq 1 ] && continue
	for s in tests/integration/*.sh; do
		name=$(basename "$s" .sh)
		log="$LOGDIR/$name.$variant.log"
		start=$(date +%s)
		timeout 300 bash "$s" >"$log" 2>&1
		rc=$?
		count "$variant/$name ($(($(date +%s) - start))s)" "$log" "$rc"
	done
done

echo
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
