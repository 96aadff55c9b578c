#!/usr/bin/env bash
# ARM throttling with hostile Retry-After values (issue 11): a 429 asking for
# longer than the run can afford fails that subscription at once, with a
# clear error, instead of hanging; 20-digit values and far-future dates do
# not overflow (the ASan/UBSan build aborts on any signed overflow); values
# that are not a wait (negative, garbage) fall back to our own backoff; a
# date in the past means now; retry-after-ms wins over Retry-After, as in
# Azure's SDKs.  --arm-timeout 3s makes the run's budget for one wait 3 s
# (15 s under valgrind, where a TLS handshake alone can take seconds).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

cat >"$T/tenant.json" <<'JSON'
{"vaults": [
 {"name": "kv-a1", "ip": "10.1.0.1", "public_access": "Disabled"},
 {"name": "kv-b1", "subscription": "b", "ip": "10.1.1.1", "public_access": "Disabled"}
]}
JSON
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=100
SUB_B=5c1ab000-0000-4000-8000-00000000000b
BUDGET=$((3 * SLOW))
RUN=(check --dns-server "$LAB_VNET" --probe off --format json --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL"
	--arm-timeout "${BUDGET}s" -v)
VAULTS_B="$SUB_B/providers/Microsoft.KeyVault/vaults\\\\?"

# throttle LABEL TIMES 'FAULT-ACTION-JSON': sub b's vault list answers 429
# TIMES times (-1: always); runs kvpe, timing it in MS.
throttle() {
	local label=$1 times=$2 action=$3 t0
	arm_reset
	arm_faults "[{\"match\": \"$VAULTS_B\", \"times\": $times, \"action\": $action}]"
	t0=$(date +%s%N)
	run_kvpe "$T/$label.json" "${RUN[@]}"
	MS=$((($(date +%s%N) - t0) / 1000000))
	expect_clean_stderr "$label" "$T/$label.json.err"
}

# gives_up LABEL RETRY-AFTER WANT-SECONDS: always throttled beyond the budget.
gives_up() {
	local label=$1 ra=$2 secs=$3
	throttle "$label" -1 "{\"status\": 429, \"retry_after\": \"$ra\"}"
	expect_rc "$label: one subscription throttled (a partial run)" 2
	expect_eq "$label: sub b's error says throttled, and by how much" \
		"$(jq -r --arg s "subscription/$SUB_B" '.errors[] | select(.scope == $s) | .message' "$T/$label.json")" \
		"vaults: throttled: Retry-After $secs s exceeds the run's budget ($BUDGET s); try later or raise --arm-timeout"
	expect_eq "$label: the other subscription's vault is checked" \
		"$(jq -r '[.vaults[] | "\(.name)=\(.status)"] | join(",")' "$T/$label.json")" kv-a1=pass
	expect_eq "$label: asked once, not again" \
		"$(arm_log | jq --arg p "$SUB_B/providers/Microsoft.KeyVault/vaults$" '[.[] | select(.path|test($p))] | length')" 1
	within "$label: gave up at once" "$MS" $((5000 * SLOW))
}
gives_up huge 99999 99999
gives_up twenty-digits 99999999999999999999 999999999
gives_up date-far-future "Fri, 31 Dec 9999 23:59:59 GMT" 999999999
gives_up just-over $((BUDGET + 1)) $((BUDGET + 1))

# recovers LABEL RETRY-AFTER: throttled twice, then served; the wait used
# is our backoff (retry_after_ms=-1 in the log) or what the server said.
recovers() {
	local label=$1 ra=$2 want=$3
	throttle "$label" 2 "{\"status\": 429, \"retry_after\": \"$ra\"}"
	expect_rc "$label: throttled twice, then served" 0
	expect_eq "$label: every vault checked" "$(jq -r '[.vaults[].status] | join(",")' "$T/$label.json")" pass,pass
	expect_eq "$label: the wait" \
		"$(grep -c "ARM throttled what=\"vaults\" retry_after_ms=$want " "$T/$label.json.err")" 2
}
recovers negative -5 -1
recovers garbage "soon, maybe" -1
recovers date-past "Sun, 06 Nov 1994 08:49:37 GMT" 0
within "not-a-wait values: our backoff, not a long sleep" "$MS" $((4000 * SLOW))

# Azure's retry-after-ms (and x-ms-retry-after-ms) come before Retry-After.
throttle retry-after-ms 1 '{"status": 429, "retry_after": "99999", "headers": {"retry-after-ms": "300"}}'
expect_rc "retry-after-ms: used instead of Retry-After" 0
expect_eq "retry-after-ms: waited 300 ms" "$(grep -c 'ARM throttled what="vaults" retry_after_ms=300 wait_ms=300' "$T/retry-after-ms.json.err")" 1
throttle x-ms-retry-after-ms 1 '{"status": 429, "headers": {"x-ms-retry-after-ms": "99999999999999999999999"}}'
expect_rc "x-ms-retry-after-ms 23 digits: throttled (a partial run)" 2
expect_eq "x-ms-retry-after-ms 23 digits: saturated, no overflow" \
	"$(jq -r '.errors[0].message' "$T/x-ms-retry-after-ms.json" | grep -c 'Retry-After 999999999 s exceeds')" 1

# The subscription list itself throttled beyond the budget: nothing can be
# read, so the run stops (exit 2) with one clear line.
arm_reset
arm_faults '[{"match": "^/subscriptions\\?", "times": -1, "action": {"status": 429, "retry_after": "86400"}}]'
run_kvpe "$T/subs.json" "${RUN[@]}"
expect_rc "subscription list throttled" 2
expect_eq "subscription list throttled: the reason" \
	"$(grep -c "^kvpe: cannot list subscriptions: throttled: Retry-After 86400 s exceeds the run's budget" "$T/subs.json.err")" 1
expect_clean_stderr "subscription list throttled" "$T/subs.json.err"
finish
