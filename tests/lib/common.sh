# common.sh — sourced by every integration test (bash).
#
# Servers take ports chosen at run time and write pid files under $T; the
# EXIT trap kills every pid file's process and removes $T, even when a test
# fails or is interrupted.  Each test prints "ok"/"not ok" lines and ends with
# "N passed, N failed".  Only loopback (and our own namespaces) is targeted.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KVPE=${KVPE:-$TOP/kvpe}
case "$KVPE" in /*) ;; *) KVPE="$TOP/$KVPE" ;; esac
PASSED=0
FAILED=0
SKIPPED=0
T=$(mktemp -d "${TMPDIR:-/tmp}/kvpe-test.XXXXXX")
CLEANUP_HOOKS=""
# Debian's python3 (tests/deps.sh) first on PATH for everything the test
# starts: a version manager's shim (pyenv) costs ~0.4 s of CPU a start on
# these machines, ten times Python's own, and a test starts dozens.
if [ -x /usr/bin/python3 ] && [ "$(command -v python3)" != /usr/bin/python3 ]; then
	mkdir -p "$T/bin" && ln -sf /usr/bin/python3 "$T/bin/python3" && PATH="$T/bin:$PATH"
fi

cleanup() {
	local f pid
	for h in $CLEANUP_HOOKS; do "$h" || true; done
	for f in "$T"/*.pid "$T"/*/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null
	done
	# Give servers a second to exit on SIGTERM, then SIGKILL what is left.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for f in "$T"/*.pid "$T"/*/*.pid; do
			[ -f "$f" ] || continue
			pid=$(cat "$f" 2>/dev/null)
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 0 ] && break
		sleep 0.1
	done
	for f in "$T"/*.pid "$T"/*/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null)
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

on_cleanup() { CLEANUP_HOOKS="$CLEANUP_HOOKS $1"; }

ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "skip - $*"; }

# tap_lines FILE: the "ok NAME", "not ok NAME: why" and "skip NAME: why"
# lines a helper script printed, counted as this test's; other lines are
# shown as comments.
tap_lines() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) not_ok "${line#not ok }" ;;
		"skip "*) skip "${line#skip }" ;;
		*) echo "# $line" ;;
		esac
	done <"$1"
}

finish() {
	validate_artifacts
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}

# ---- the reports a test made, through their consumers' validators ----
# At finish, every file under $T that is a kvpe report (by its content: JSON
# and JSONL against agent/schema/, JUnit against Jenkins' junit-10.xsd,
# SARIF through sarif-multitool's Sarif, Gh and Ado rules, Prometheus text
# through promtool) is validated, and each failure is a failed test with the
# validator's message (tests/lib/validate.py).  run_kvpe also keeps a copy of
# the outputs it names, so a later run writing the same path does not hide
# an earlier report.  A validator that is not installed is a skip that says
# so.  Off with KVPE_VALIDATE=0; under valgrind (KVPE_VALGRIND) off unless
# KVPE_VALIDATE=1: the reports are the normal build's, byte for byte.
VALIDATE_DIR=$T/.validate
VALIDATE_N=0

# validate_skip FILE...: files a test made invalid on purpose.
validate_skip() {
	mkdir -p "$VALIDATE_DIR"
	local f
	for f in "$@"; do echo "$f" >>"$VALIDATE_DIR/skip"; done
}

validate_on() {
	case "${KVPE_VALIDATE:-}" in
	0) return 1 ;;
	1) return 0 ;;
	esac
	[ -z "${KVPE_VALGRIND:-}" ]
}

# validate_keep FILE...: a copy of each regular file, validated at finish.
validate_keep() {
	local f
	validate_on || return 0
	mkdir -p "$VALIDATE_DIR/kept"
	for f in "$@"; do
		[ -f "$f" ] && [ ! -L "$f" ] || continue
		VALIDATE_N=$((VALIDATE_N + 1))
		cp -p "$f" "$VALIDATE_DIR/kept/$VALIDATE_N.$(basename "$f")" 2>/dev/null
	done
}

# The output files named by a kvpe command line.
validate_keep_args() {
	local a prev=""
	for a in "$@"; do
		case "$prev" in
		-o | --output | --textfile) validate_keep "$a" ;;
		--report) validate_keep "${a#*=}" ;;
		esac
		case "$a" in
		--output=*) validate_keep "${a#--output=}" ;;
		--report=*) validate_keep "${a#--report=*=}" ;;
		esac
		prev=$a
	done
}

validate_artifacts() {
	local py=/usr/bin/python3 t0 list
	validate_on || return 0
	[ -x "$py" ] || py=python3
	mkdir -p "$VALIDATE_DIR"
	list=$VALIDATE_DIR/files
	find "$T" -type f ! -path "$VALIDATE_DIR/multitool.sarif" ! -path "$VALIDATE_DIR/sarif-batch-*" \
		! -path "$VALIDATE_DIR/files" ! -path "$VALIDATE_DIR/out" ! -path "$VALIDATE_DIR/skip" ! -name '*.pid' \
		-print0 >"$list"
	t0=$(date +%s%N)
	xargs -0 "$py" "$TOP/tests/lib/validate.py" "$VALIDATE_DIR" <"$list" >"$VALIDATE_DIR/out" 2>&1 ||
		echo "not ok validate: tests/lib/validate.py failed" >>"$VALIDATE_DIR/out"
	tap_lines "$VALIDATE_DIR/out"
	echo "# validate: $((($(date +%s%N) - t0) / 1000000)) ms"
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# A port free for both UDP and TCP on 127.0.0.1.
free_port() {
	python3 - <<'PY'
import socket
for _ in range(100):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        u.close(); t.close(); continue
    u.close(); t.close()
    print(port)
    break
PY
}

# Under valgrind (KVPE_VALGRIND=1) kvpe runs some 20 times slower: waits
# stretch.  With KVPE_NO_TIMING (sanitizer and valgrind runs, which share the
# cores) timings are not asserted; the normal build's run asserts them.
SLOW=$([ -n "${KVPE_VALGRIND:-}" ] && echo 5 || echo 1)

# within NAME MS LIMIT: a bound on elapsed time (skipped under valgrind).
within() {
	if [ -n "${KVPE_NO_TIMING:-}" ]; then
		skip "$1: timing is asserted with the normal build only ($2 ms here)"
	elif [ "$2" -lt "$3" ]; then
		ok "$1 ($2 ms, limit $3)"
	else
		not_ok "$1: took $2 ms (limit $3)"
	fi
}

# wait_for CMD...: retries for up to 5 s (25 s under valgrind).
wait_for() {
	local i
	for i in $(seq 1 $((100 * SLOW))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

# lab_up TENANT_JSON [mklab args...]: builds the lab in $T/lab and starts the
# "vnet" and "public" unbound resolvers.  Sets LAB_VNET, LAB_PUBLIC, LAB_DIR.
lab_up() {
	local tenant=$1
	shift
	LAB_DIR=$T/lab
	mkdir -p "$LAB_DIR"
	local pv pp
	pv=$(free_port)
	pp=$(free_port)
	while [ "$pp" = "$pv" ]; do pp=$(free_port); done
	local try
	# Another test run may take a port between free_port and the bind: retry.
	for try in 1 2 3; do
		python3 "$TOP/tests/lab/mklab.py" "$tenant" "$LAB_DIR" "$pv" "$pp" "$@" || return 1
		if lab_start_view vnet 2>/dev/null && lab_start_view public 2>/dev/null; then
			break
		fi
		lab_stop_view vnet
		lab_stop_view public
		[ "$try" -eq 3 ] && { echo "lab: unbound did not start" >&2; return 1; }
		pv=$(free_port)
		pp=$(free_port)
	done
	LAB_VNET=127.0.0.1:$pv
	LAB_PUBLIC=127.0.0.1:$pp
}

lab_start_view() {
	local view=$1
	unbound -d -c "$LAB_DIR/$view.conf" >>"$LAB_DIR/$view.stderr" 2>&1 &
	echo $! >"$LAB_DIR/$view.pid"
	if ! wait_for unbound-control -c "$LAB_DIR/$view.conf" status; then
		echo "lab: unbound ($view) did not start:" >&2
		cat "$LAB_DIR/$view.stderr" "$LAB_DIR/$view.log" >&2 2>/dev/null
		return 1
	fi
}

lab_stop_view() {
	pidfile_stop "$LAB_DIR/$1.pid"
}

# pidfile_stop FILE: stops the server whose pid FILE holds (started by this
# shell), waits for it, removes FILE.
pidfile_stop() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$1"
}

# lab_ctl VIEW ARGS...: unbound-control for one view.
lab_ctl() {
	local view=$1
	shift
	unbound-control -c "$LAB_DIR/$view.conf" "$@"
}

# run_kvpe OUTFILE ARGS...: runs kvpe, stdout to OUTFILE, stderr to
# OUTFILE.err; sets RC.  Probes are off unless the test asks for them, so no
# test ever connects to a lab address that is not loopback.
run_kvpe() {
	local out=$1
	shift
	RC=0
	"$KVPE" "$@" >"$out" 2>"$out.err" || RC=$?
	validate_keep "$out"
	validate_keep_args "$@"
}

# codes FILE VAULT: the finding codes of one vault in a JSON report, sorted, comma-joined.
codes() {
	jq -r --arg v "$2" '[.vaults[] | select(.name == $v) | .findings[].code] | sort | join(",")' "$1"
}

vault_field() {
	jq -r --arg v "$2" ".vaults[] | select(.name == \$v) | $3" "$1"
}

# expect_eq NAME GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: got '$2', want '$3'"
	fi
}

# expect_rc NAME WANT: compares $RC.
expect_rc() {
	expect_eq "$1 (exit code)" "$RC" "$2"
}

# sanitizer reports end up on stderr: fail the test if any appeared.
expect_clean_stderr() {
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and destination)|definitely lost in|possibly lost in' "$2" 2>/dev/null; then
		not_ok "$1: sanitizer report"
		sed -n '1,40p' "$2"
	else
		ok "$1: no sanitizer report"
	fi
}

# No test ever uses the machine's own Azure identity, or reaches IMDS at
# 169.254.169.254: credentials come only from what a test sets.
unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH \
	AZURE_CLIENT_CERTIFICATE_PASSWORD AZURE_FEDERATED_TOKEN_FILE IDENTITY_ENDPOINT IDENTITY_HEADER \
	MSI_ENDPOINT MSI_SECRET AZURE_AUTHORITY_HOST AZURE_SUBSCRIPTION_ID KVPE_CONFIG
export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9
export XDG_CONFIG_HOME=$T/xdg
export KVPE_PROBE_ALLOW=127.0.0.0/8,::1/128

# sigterm PID: SIGTERM to a process started by this shell, then wait for it;
# sets RC (its exit status) and MS (milliseconds from the signal to its end).
sigterm() {
	local t0
	t0=$(date +%s%N)
	kill -TERM "$1"
	RC=0
	wait "$1" || RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# metric NAME{labels}: its value in a fresh scrape of $URL/metrics.
metric() {
	curl -s "$URL/metrics" | awk -v k="$1" '$1 == k {print $2}'
}
# wait_metric NAME WANT [TRIES of 0.1 s]
wait_metric() {
	local i
	for i in $(seq 1 $((${3:-100} * SLOW))); do
		[ "$(metric "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
