#!/usr/bin/env bash
# The same tenant served by the local ARM server and by the DNS lab: one vault
# per ARM finding code plus healthy ones.  Live ARM (client secret), the saved
# ARM JSON and the `az network ...` shaped files must give the same findings;
# the ARM request count follows the list-call formula.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

lab_up "$TOP/tests/lab/tenant-arm.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
PAGE=3
arm_up "$LAB_DIR/arm.json" --page-size $PAGE || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
VNET=$(python3 -c "import sys; sys.path.insert(0, '$TOP/tests/lab'); import mklab; print(mklab.vnet_id())")
COMMON=(check --dns-server "$LAB_VNET" --probe off --format json --vnet "$VNET" --ca-file "$ARM_CA")

declare -A WANT=(
	[kv-ok1]="" [kv-ok2]="" [hsm-ok]="" [kv-deny]="" [kv-xsub]=""
	[kv-gov]="DNS_PUBLIC_ADDRESS,ZONE_NOT_LINKED"
	[kv-nope]="DNS_NO_PRIVATELINK_CNAME,DNS_PUBLIC_ADDRESS,NO_PRIVATE_ENDPOINT"
	[kv-pend]="DNS_NO_PRIVATELINK_CNAME,DNS_PUBLIC_ADDRESS,ENDPOINT_NOT_APPROVED"
	[kv-manual]="DNS_NO_PRIVATELINK_CNAME,DNS_PUBLIC_ADDRESS,ENDPOINT_NOT_APPROVED"
	[kv-reject]="DNS_NO_PRIVATELINK_CNAME,DNS_PUBLIC_ADDRESS,ENDPOINT_NOT_APPROVED"
	[kv-noaddr]="ENDPOINT_NO_ADDRESS"
	[kv-missing]="DNS_NXDOMAIN,ZONE_RECORD_MISSING"
	[kv-stale]="DNS_ADDRESS_MISMATCH,ZONE_RECORD_STALE"
	[kv-public]="PUBLIC_NETWORK_ENABLED"
	[kv-default]="PUBLIC_NETWORK_ENABLED"
)

check_report() { # label report
	local label=$1 rep=$2 v
	expect_eq "$label: vault count" "$(jq '.vaults|length' "$rep")" "${#WANT[@]}"
	for v in "${!WANT[@]}"; do
		expect_eq "$label: $v" "$(codes "$rep" "$v")" "${WANT[$v]}"
	done
	expect_eq "$label: low finding still passes" "$(vault_field "$rep" kv-public .status)" pass
}

# ---- live ARM ----
run_kvpe "$T/live.json" "${COMMON[@]}" --arm-endpoint "$ARM_URL" -v
expect_rc "live ARM" 1
check_report live "$T/live.json"
expect_eq "live: vault ids from ARM" "$(vault_field "$T/live.json" kv-ok2 .id)" \
	"/subscriptions/5c1ab000-0000-4000-8000-00000000000b/resourceGroups/rg-b/providers/Microsoft.KeyVault/vaults/kv-ok2"
expect_eq "live: endpoint state and addresses" \
	"$(vault_field "$T/live.json" kv-ok1 '.endpoints[0] | "\(.state) \(.addresses|join(","))"')" "Approved 10.1.0.4"
expect_eq "live: expected addresses from the NIC" "$(vault_field "$T/live.json" kv-stale '.expected_addresses|join(",")')" 10.1.0.9
expect_eq "live: zone records" "$(vault_field "$T/live.json" kv-stale '.zone_records[0] | "\(.zone|split("/")|last) \(.addresses|join(","))"')" \
	"privatelink.vaultcore.azure.net 10.1.9.9"
expect_eq "live: cross-subscription endpoint fetched by ID" \
	"$(vault_field "$T/live.json" kv-xsub '.endpoints[0].addresses|join(",")')" 10.1.0.13
expect_eq "live: no run errors" "$(jq '.errors|length' "$T/live.json")" 0
grep -q 'credential selected.*environment (client secret)' "$T/live.json.err" &&
	ok "live: -v says which credential was used" || not_ok "live: credential not named in the log"

# remediation commands carry the real names
fix() { jq -r --arg v "$1" --arg c "$2" '.vaults[] | select(.name==$v) | .findings[] | select(.code==$c) | .remediation' "$T/live.json"; }
expect_eq "fix: approve names rg, vault and connection" \
	"$(fix kv-pend ENDPOINT_NOT_APPROVED | grep -cE 'az keyvault private-endpoint-connection approve --resource-group rg-kv --vault-name kv-pend --name kv-pend-pe\.[0-9a-f-]+ --subscription 5c1ab000')" 1
expect_eq "fix: add-record names zone rg, zone, record, address" \
	"$(fix kv-missing ZONE_RECORD_MISSING | grep -c 'record-set a add-record --resource-group rg-dns --zone-name privatelink.vaultcore.azure.net --record-set-name kv-missing --ipv4-address 10.1.0.8')" 1
expect_eq "fix: stale record replaced" \
	"$(fix kv-stale ZONE_RECORD_STALE | grep -c 'remove-record --resource-group rg-dns --zone-name privatelink.vaultcore.azure.net --record-set-name kv-stale --ipv4-address 10.1.9.9.*add-record.*--ipv4-address 10.1.0.9')" 1
expect_eq "fix: link names the VNet" \
	"$(fix kv-gov ZONE_NOT_LINKED | grep -c "link vnet create --resource-group rg-dns --zone-name privatelink.vaultcore.usgovcloudapi.net .*--virtual-network $VNET")" 1
expect_eq "fix: private endpoint create names the vault ID" \
	"$(fix kv-nope NO_PRIVATE_ENDPOINT | grep -c 'private-endpoint create --resource-group rg-kv .*--private-connection-resource-id /subscriptions/.*/vaults/kv-nope --group-id vault')" 1
expect_eq "fix: public access" \
	"$(fix kv-public PUBLIC_NETWORK_ENABLED | grep -c 'az keyvault update --resource-group rg-kv --name kv-public --public-network-access Disabled')" 1

# ---- request count: list calls per subscription, pages not vaults ----
# + the GET of the cross-subscription endpoint and of its NIC
want_requests=$(($(arm_expected_requests "$LAB_DIR/arm.json" "$PAGE") + 2))
got=$(grep -o 'ARM inventory read requests=[0-9]*' "$T/live.json.err" | grep -o '[0-9]*$')
expect_eq "ARM requests logged with -v follow the formula" "$got" "$want_requests"
expect_eq "server saw the same number of ARM requests" "$(arm_log | jq '[.[] | select(.path | startswith("/subscriptions"))] | length')" "$want_requests"
expect_eq "one token request for the whole run" "$(arm_log | jq '[.[] | select(.method=="POST")] | length')" 1
expect_eq "connections reused (fewer connections than requests)" \
	"$(arm_log | jq '([.[].conn] | unique | length) < (length / 2)')" true
expect_eq "every ARM request carried the bearer token" "$(arm_log | jq '[.[] | select(.path|startswith("/subscriptions")) | .bearer_ok] | all')" true

# ---- saved inventories: ARM's shape and az's flattened shape ----
run_kvpe "$T/inv-arm.json" "${COMMON[@]}" --inventory "$LAB_DIR/inventory-arm.json"
expect_rc "--inventory (ARM shape)" 1
check_report inventory-arm "$T/inv-arm.json"
inv_az=()
for f in "$LAB_DIR"/inventory-az/*.json; do inv_az+=(--inventory "$f"); done
run_kvpe "$T/inv-az.json" "${COMMON[@]}" "${inv_az[@]}"
expect_rc "--inventory (az network ... shape)" 1
check_report inventory-az "$T/inv-az.json"
same() { jq -c '[.vaults[] | [.name, .status, .id, .expected_addresses, [.findings[].code], [.endpoints[] | .state]]]' "$1"; }
expect_eq "live ARM and saved ARM JSON agree" "$(same "$T/live.json")" "$(same "$T/inv-arm.json")"
expect_eq "live ARM and az-shaped files agree" "$(same "$T/live.json")" "$(same "$T/inv-az.json")"

# --subscription limits the scope: only b's vault
run_kvpe "$T/sub-b.json" "${COMMON[@]}" --arm-endpoint "$ARM_URL/" --subscription 5c1ab000-0000-4000-8000-00000000000b
expect_rc "--subscription b" 0
expect_eq "--subscription b: only its vault" "$(jq -r '[.vaults[].name]|join(",")' "$T/sub-b.json")" kv-ok2

# --vault beside ARM: merged with the ARM vault of the same name
run_kvpe "$T/merge.json" "${COMMON[@]}" --arm-endpoint "$ARM_URL" --subscription 5c1ab000-0000-4000-8000-00000000000b \
	--vault kv-ok2=10.1.0.99
expect_eq "--vault merges into the ARM vault (its IP added)" "$(vault_field "$T/merge.json" kv-ok2 '.expected_addresses|join(",")')" \
	"10.1.0.5,10.1.0.99"

# A vault entry without properties (az keyvault list) is "not checked", not "no endpoint".
python3 - "$LAB_DIR/inventory-arm.json" "$T/list-shape.json" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))
out = []
for r in items:
    if r["type"] == "Microsoft.KeyVault/vaults" and r["name"] == "kv-ok1":
        r = {k: r[k] for k in ("id", "name", "type", "location", "tags")}
    out.append(r)
json.dump(out, open(sys.argv[2], "w"))
PY
run_kvpe "$T/noprops.json" "${COMMON[@]}" --inventory "$T/list-shape.json"
expect_eq "no properties: status error" "$(vault_field "$T/noprops.json" kv-ok1 .status)" error
expect_eq "no properties: not reported as NO_PRIVATE_ENDPOINT" "$(codes "$T/noprops.json" kv-ok1)" ""
expect_eq "no properties: says what to save instead" "$(vault_field "$T/noprops.json" kv-ok1 .error | grep -c 'az keyvault show --name kv-ok1')" 1

# Unreadable inventory input: exit 2 with a one-line reason.
echo '{"value": [' >"$T/broken.json"
run_kvpe "$T/broken.out" check --probe off --inventory "$T/broken.json" --dns-server "$LAB_VNET"
expect_rc "malformed inventory" 2
expect_eq "malformed inventory: message" "$(grep -c "kvpe: --inventory $T/broken.json: not valid JSON" "$T/broken.out.err")" 1
run_kvpe "$T/missing.out" check --probe off --inventory "$T/nope.json" --dns-server "$LAB_VNET"
expect_rc "missing inventory file" 2
expect_clean_stderr "live" "$T/live.json.err"
finish
