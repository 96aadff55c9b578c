#!/usr/bin/env bash
# A synthetic tenant (600 vaults over 6 subscriptions, 5% broken) read from
# the local ARM server and checked against the DNS lab: the ARM request count
# follows the list-call formula (pages, never vaults), every broken vault gets
# its findings, and no verdict changes between --concurrency 1 and the
# default.  make bench measures the same pipeline at 1,000-50,000 vaults.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

N=600
PAGE=40
echo "{\"synthetic\": {\"count\": $N, \"subscriptions\": 6, \"prefix\": \"kvx\"}}" >"$T/tenant.json"
lab_up "$T/tenant.json" --arm --no-inventory || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" --page-size $PAGE || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
COMMON=(check --arm-endpoint "$ARM_URL" --ca-file "$ARM_CA" --dns-server "$LAB_VNET" --probe off --format json)

run_kvpe "$T/default.json" "${COMMON[@]}" --dns-qps 0 -v
expect_rc "default concurrency" 1
expect_clean_stderr "default concurrency" "$T/default.json.err"
want=$(arm_expected_requests "$LAB_DIR/arm.json" "$PAGE")
got=$(grep -o 'ARM inventory read requests=[0-9]*' "$T/default.json.err" | grep -o '[0-9]*$')
expect_eq "ARM requests follow the formula ($want for $N vaults, $PAGE a page)" "$got" "$want"
expect_eq "the server saw as many" "$(arm_log | jq '[.[] | select(.path | startswith("/subscriptions"))] | length')" "$want"
expect_eq "fewer ARM requests than vaults / 4" "$((got < N / 4))" 1
# The model (mklab.py): per 100 vaults 2 without endpoint, 1 record
# missing, 1 stale, 1 pending; 6 subscriptions, publicNetworkAccess Disabled.
expect_eq "every vault is in the report" "$(jq '.vaults | length' "$T/default.json")" "$N"
expect_eq "summary: the broken 5%, nothing else" "$(jq -c '.summary | [.passed, .failed, .errors]' "$T/default.json")" "[570,30,0]"
expect_eq "summary: findings of the model" "$(jq -c '.summary.findings' "$T/default.json")" \
	'{"NO_PRIVATE_ENDPOINT":12,"ENDPOINT_NOT_APPROVED":6,"DNS_NXDOMAIN":6,"DNS_PUBLIC_ADDRESS":18,"DNS_ADDRESS_MISMATCH":6,"DNS_NO_PRIVATELINK_CNAME":18,"ZONE_RECORD_MISSING":6,"ZONE_RECORD_STALE":6}'
# Expected addresses come from approved endpoints only: none for the 2%
# without one and the 1% pending.
expect_eq "every vault with an approved endpoint has its expected address from ARM" \
	"$(jq '[.vaults[] | select((.expected_addresses | length) == 0)] | length' "$T/default.json")" 18

verdicts() { jq -c '[.vaults[] | [.name, .status, .expected_addresses, [.findings[].code]]]' "$1"; }
run_kvpe "$T/c1.json" "${COMMON[@]}" --concurrency 1 --dns-qps 0
expect_rc "--concurrency 1" 1
expect_eq "--concurrency 1: the same verdicts" "$(verdicts "$T/c1.json")" "$(verdicts "$T/default.json")"
run_kvpe "$T/paced.json" "${COMMON[@]}"
expect_rc "default pacing" 1
expect_eq "default pacing: the same verdicts" "$(verdicts "$T/paced.json")" "$(verdicts "$T/default.json")"
expect_clean_stderr "default pacing" "$T/paced.json.err"
finish
