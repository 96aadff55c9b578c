#!/usr/bin/env bash
# `kvpe check --format nagios` as a Nagios plugin (conventions R1, Nagios
# plugin guidelines), one case per exit path: every exit prints its status
# line first on stdout, in ASCII, and the exit code is the state.
#   UNKNOWN (3): --help (the help follows as long output), --version, an
#     unknown option, a bad --vault, an unreadable --config, no credential,
#     ARM unreachable, every source failing (403 on both subscriptions), a
#     report that cannot be written — one `KVPE UNKNOWN - reason` line;
#   OK (0), WARNING (1) for a low finding only and for a medium one, CRITICAL
#   (2) for a high finding and for a DNS failure (not UNKNOWN): live ARM
#   with one vault in each subscription of the lab.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

full() { [ -z "${KVPE_VALGRIND:-}" ]; }

# plugin LABEL WANT_RC WANT_FIRST_LINE_REGEX ARGS...: runs kvpe, checks the
# exit code, that stdout starts with a status line matching the regex, that
# the line is ASCII, and (for UNKNOWN) that it is the only line.
plugin() {
	local label=$1 want=$2 re=$3 first
	shift 3
	run_kvpe "$T/$label.out" "$@"
	expect_rc "$label" "$want"
	first=$(head -1 "$T/$label.out")
	if [[ "$first" =~ $re ]]; then ok "$label: status line"; else not_ok "$label: status line '$first' !~ /$re/"; fi
	if LC_ALL=C grep -q '[^ -~]' <(head -1 "$T/$label.out"); then not_ok "$label: status line not ASCII"; else
		ok "$label: status line ASCII"; fi
	if [ "$want" = 3 ] && [ "$label" != help ]; then
		expect_eq "$label: one line on stdout" "$(wc -l <"$T/$label.out")" 1
	fi
	expect_clean_stderr "$label" "$T/$label.out.err"
}

N=(check --format nagios)

# ---- UNKNOWN before any check ----
plugin help 3 '^KVPE UNKNOWN - help asked for, no check run$' "${N[@]}" --help
expect_eq "help: the help follows as long output" "$(grep -c -- '--format FMT' "$T/help.out")" 1
expect_eq "help: nothing on stderr" "$(wc -c <"$T/help.out.err")" 0
plugin version 3 '^KVPE UNKNOWN - kvpe [0-9]+\.[0-9]+\.[0-9]+ \(.+\), no check run$' "${N[@]}" --version
plugin bad-option 3 "^KVPE UNKNOWN - check: unknown option '--bogus' \\(see kvpe check --help\\)$" "${N[@]}" --bogus
expect_eq "bad option: the reason on stderr too" "$(cat "$T/bad-option.out.err")" \
	"kvpe: check: unknown option '--bogus' (see kvpe check --help)"
plugin format-after 3 "^KVPE UNKNOWN - --vault 'kv-\\?!': expected NAME" check --vault 'kv-ü!' --format=nagios
full && plugin config 3 "^KVPE UNKNOWN - --config $T/nope.json: " "${N[@]}" --config "$T/nope.json" --vault kv-a
# Without --format nagios the same mistake is exit 2 and stdout stays empty.
run_kvpe "$T/not-nagios.out" check --bogus
expect_eq "without nagios: exit 2, stdout empty" "$RC $(wc -c <"$T/not-nagios.out")" "2 0"

# ---- the lab: one vault per subscription ----
cat >"$T/tenant.json" <<'JSON'
{"vaults": [
 {"name": "kv-ok", "ip": "10.1.0.1", "public_access": "Disabled"},
 {"name": "kv-low", "subscription": "b", "ip": "10.1.0.2"},
 {"name": "kv-medium", "subscription": "c", "ip": "10.1.0.3", "override": "10.1.0.3", "public_access": "Disabled"},
 {"name": "kv-high", "subscription": "d", "ip": "10.1.0.4", "zone": [], "public_access": "Disabled"}
]}
JSON
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
export KVPE_ARM_BACKOFF_MS=50
sub() { echo "5c1ab000-0000-4000-8000-00000000000$1"; }
RUN=("${N[@]}" --dns-server "$LAB_VNET" --probe off --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL")

# No credential: nothing in the environment, no az on PATH, IMDS a closed port.
NOAZ=$(IFS=:; for d in $PATH; do [ -x "$d/az" ] || printf '%s:' "$d"; done)
arm_env_clear
PATH=${NOAZ%:} plugin no-credential 3 '^KVPE UNKNOWN - no credential: ' "${RUN[@]}" --subscription "$(sub a)"

arm_env_secret
plugin ok 0 '^KVPE OK - 1 of 1 vaults passing \| vaults=1;;;0 passed=1;;;0 failed=0;;;0 errors=0;;;0 sources_unread=0;;;0$' \
	"${RUN[@]}" --subscription "$(sub a)"
plugin warning-low 1 '^KVPE WARNING - 1 of 1 vaults passing \(1 low finding\) \| vaults=1;;;0 passed=1;;;0 ' \
	"${RUN[@]}" --subscription "$(sub b)"
expect_eq "warning-low: the finding is PUBLIC_NETWORK_ENABLED" \
	"$(grep -c 'PUBLIC_NETWORK_ENABLED' "$T/warning-low.out")" 0 # a passing vault has no long-output line
full && plugin warning-medium 1 '^KVPE WARNING - 1 of 1 vaults failing: kv-medium \(DNS_NO_PRIVATELINK_CNAME\) \| ' \
	"${RUN[@]}" --subscription "$(sub c)"
plugin critical 2 '^KVPE CRITICAL - 1 of 1 vaults failing: kv-high \(DNS_NXDOMAIN\) \| ' \
	"${RUN[@]}" --subscription "$(sub d)"
expect_eq "critical: a long-output line for the vault" "$(grep -c '^kv-high: DNS_NXDOMAIN: ' "$T/critical.out")" 1
NL=$(free_port)
plugin dns-failure 2 '^KVPE CRITICAL - 1 of 1 vaults not checked: kv-dns \(DNS_SERVFAIL\) \| ' \
	"${N[@]}" --dns-server "127.0.0.1:$NL" --probe off --timeout 500 --vault kv-dns=10.1.0.9

# Every source failing: both subscriptions answer 403.
FORBIDDEN='{"status": 403, "body": "{\"error\": {\"code\": \"AuthorizationFailed\", \"message\": \"no\"}}"}'
arm_faults "[{\"match\": \"$(sub a)/\", \"times\": -1, \"action\": $FORBIDDEN}, {\"match\": \"$(sub b)/\", \"times\": -1, \"action\": $FORBIDDEN}]"
plugin no-source 3 '^KVPE UNKNOWN - ARM unreachable: every subscription failed \(first: .*HTTP 403 AuthorizationFailed' \
	"${RUN[@]}" --subscription "$(sub a)" --subscription "$(sub b)"
arm_reset

# ARM unreachable: nothing listens where ARM should be.
full && plugin arm-unreachable 3 '^KVPE UNKNOWN - ' "${N[@]}" --dns-server "$LAB_VNET" --probe off --ca-file "$ARM_CA" \
	--arm-endpoint "https://127.0.0.1:$NL" --arm-timeout 1s
# A report that cannot be written (here, the plugin's own --output).
plugin unwritable 3 '^KVPE UNKNOWN - cannot write report: ' "${RUN[@]}" --subscription "$(sub a)" --output /proc/version

finish
