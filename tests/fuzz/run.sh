#!/usr/bin/env bash
# run.sh — `make fuzz`: builds every harness (tests/fuzz/fuzz_*.c) with clang's
# libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer against the
# library and tool sources compiled the same way under build/fuzz/ (not the
# gcc archives; as in the Makefile, only `config` needs the tool's), then runs each fuzzer for FUZZ_SECONDS (default 60), two at a
# time, and prints a table of executions, speed, corpus and coverage.
#
#   tests/fuzz/run.sh                   every harness
#   tests/fuzz/run.sh inventory token   only these (names without fuzz_)
#   FUZZ_SECONDS=600 FUZZ_JOBS=2 tests/fuzz/run.sh
#   FUZZ_CFLAGS=-fno-sanitize=float-cast-overflow tests/fuzz/run.sh token
#                                       look past a known, not yet fixed bug
#                                       (its own build dir, build/fuzz/variant-*)
#
# Each fuzzer works on a copy of its corpus in build/fuzz/work/<name>: what it
# finds stays there (copy inputs worth keeping into tests/fuzz/corpus/<name>/
# by hand).  Crashes, leaks and timeouts land in tests/fuzz/crashes/<name>/.
# Exits 1 when any fuzzer crashed, leaked or timed out; 2 on a build error.
set -u
cd "$(dirname "$0")/../.."

SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-2}
CC=${FUZZ_CC:-clang}
EXTRA=${FUZZ_CFLAGS:-}
OUT=build/fuzz
if [ -n "$EXTRA" ]; then
	OUT=build/fuzz/variant-$(printf '%s' "$EXTRA" | cksum | cut -d' ' -f1)
fi
PKGS="libcares libcurl libcjson openssl libmicrohttpd"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found; install clang and libclang-rt-14-dev (tests/deps.sh does)" >&2
	exit 2
fi
if ! PKG_CFLAGS=$(pkg-config --cflags $PKGS) || ! PKG_LIBS=$(pkg-config --libs $PKGS); then
	echo "fuzz: pkg-config does not know $PKGS (run tests/deps.sh)" >&2
	exit 2
fi

COMMON="-g -O1 -std=c11 -D_GNU_SOURCE -Iinclude $PKG_CFLAGS -fno-sanitize-recover=all -fno-omit-frame-pointer"
WARN="-Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wvla -Wpointer-arith"
LIB_FLAGS="$COMMON $WARN -fsanitize=fuzzer-no-link,address,undefined $EXTRA"
BIN_FLAGS="$COMMON $WARN -fsanitize=fuzzer,address,undefined $EXTRA"

# ---- build ----

mkdir -p "$OUT/obj" "$OUT/logs" "$OUT/work"
lib_src=$(ls agent/*.c agent/report/*.c probes/*.c)
tool_src=$(ls agent/tool/*.c | grep -v '^agent/tool/main\.c$')
newest_header=$(ls -t include/kvpe/*.h | head -1)

compile_one() { # src -> obj, when out of date
	local src=$1 obj=$OUT/obj/$(echo "$1" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -e "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
		echo "  CC      $src"
		# shellcheck disable=SC2086
		$CC $LIB_FLAGS -c -o "$obj" "$src" || return 1
	fi
}
export -f compile_one
export CC LIB_FLAGS OUT newest_header

echo "fuzz: building the library with $CC ($($CC --version | head -1))${EXTRA:+ and $EXTRA} in $OUT"
if ! printf '%s\n' $lib_src $tool_src | xargs -P "$JOBS" -I{} bash -c 'compile_one {}'; then
	echo "fuzz: library build failed" >&2
	exit 2
fi
archive() { # name sources...: the objects of the sources in $OUT/name
	local a=$OUT/$1 objs="" src
	shift
	for src in "$@"; do
		objs="$objs $OUT/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')"
	done
	rm -f "$a"
	# shellcheck disable=SC2086
	ar rcs "$a" $objs
}
# shellcheck disable=SC2086
archive libkvpe-fuzz.a $lib_src
# shellcheck disable=SC2086
archive libkvpe-tool-fuzz.a $tool_src

if [ $# -gt 0 ]; then
	names="$*"
else
	names=$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_||; s|\.c$||' | tr '\n' ' ')
fi
for n in $names; do
	src=tests/fuzz/fuzz_$n.c
	if [ ! -f "$src" ]; then
		echo "fuzz: no harness $src" >&2
		exit 2
	fi
	tool=""
	[ "$n" = config ] && tool=$OUT/libkvpe-tool-fuzz.a
	echo "  LD      $OUT/fuzz_$n"
	# shellcheck disable=SC2086
	if ! $CC $BIN_FLAGS -o "$OUT/fuzz_$n" "$src" $tool "$OUT/libkvpe-fuzz.a" $PKG_LIBS -lm -lpthread; then
		echo "fuzz: building $src failed" >&2
		exit 2
	fi
done

# ---- run ----

dict_for() {
	case $1 in
	inventory | report) echo tests/fuzz/dict/arm.dict ;;
	*) [ -f "tests/fuzz/dict/$1.dict" ] && echo "tests/fuzz/dict/$1.dict" ;;
	esac
}

run_one() { # name: one fuzzer, its log and exit status under $OUT/logs
	local n=$1 work=$OUT/work/$1 crashes=tests/fuzz/crashes/$1 dict rc
	mkdir -p "$work" "$crashes"
	# Seeds, not the regression reproducers: an unfixed crash-* would stop
	# the run at once (make test replays those).
	for f in tests/fuzz/corpus/"$n"/*; do
		case $(basename "$f") in crash-* | leak-* | timeout-* | oom-*) continue ;; esac
		[ -f "$f" ] && cp "$f" "$work/"
	done
	dict=$(dict_for "$n")
	"$OUT/fuzz_$n" "$work" ${dict:+-dict=$dict} -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-max_len=65536 -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$crashes/" \
		>"$OUT/logs/$n.log" 2>&1
	rc=$?
	echo "$rc" >"$OUT/logs/$n.rc"
	return 0
}

echo "fuzz: $SECONDS_EACH s per fuzzer, $JOBS at a time: $names"
running=0
for n in $names; do
	rm -f "$OUT/logs/$n.rc"
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "  FUZZ    $n"
	run_one "$n" &
	running=$((running + 1))
done
wait

# ---- report ----

stat_of() { # log key
	grep -a "^stat::$2:" "$1" | tail -1 | awk '{print $2}'
}

failed=""
printf '\n%-13s %-7s %12s %8s %9s %7s %7s %6s %8s\n' fuzzer result execs exec/s corpus cov ft new rss_mb
for n in $names; do
	log=$OUT/logs/$n.log
	rc=$(cat "$OUT/logs/$n.rc" 2>/dev/null || echo 99)
	last=$(grep -a -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -nE 's/.*cov: ([0-9]+).*/\1/p')
	ft=$(echo "$last" | sed -nE 's/.* ft: ([0-9]+).*/\1/p')
	execs=$(stat_of "$log" number_of_executed_units)
	speed=$(stat_of "$log" average_exec_per_sec)
	new=$(stat_of "$log" new_units_added)
	rss=$(stat_of "$log" peak_rss_mb)
	corpus=$(find "$OUT/work/$n" -maxdepth 1 -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		result=ok
	else
		result=FAILED
		failed="$failed $n"
	fi
	printf '%-13s %-7s %12s %8s %9s %7s %7s %6s %8s\n' "$n" "$result" "${execs:--}" "${speed:--}" "$corpus" \
		"${cov:--}" "${ft:--}" "${new:--}" "${rss:--}"
done

if [ -n "$failed" ]; then
	echo
	for n in $failed; do
		log=$OUT/logs/$n.log
		echo "--- $n (log: $log):"
		grep -a -E 'ERROR: |SUMMARY: |runtime error|property violated|Test unit written|artifact_prefix' "$log" |
			head -12
	done
	echo
	echo "fuzz: FAILED:$failed — reproduce with: $OUT/fuzz_NAME tests/fuzz/crashes/NAME/<file>"
	exit 1
fi
echo
echo "fuzz: no crash, leak or timeout in $SECONDS_EACH s per fuzzer"
exit 0
