#!/usr/bin/env bash
# `kvpe check --wait`: a record is added to the lab's private zone a few
# seconds into the run; the check waits (no faster than the DNS TTLs allow),
# sees the fix and ends passing, within the TTL-bounded time.
. "$(dirname "$0")/../lib/common.sh"

lab_up "$TOP/tests/lab/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
ZONE=$LAB_DIR/zones/private-privatelink.vaultcore.azure.net.zone
t0=$(date +%s%N)
"$KVPE" check --dns-server "$LAB_VNET" --probe off --format json --wait 40s --vault kv-missing=10.1.0.5 \
	--vault kv-healthy=10.1.0.4 >"$T/wait.json" 2>"$T/wait.err" &
CHECK=$!
sleep 2
echo "kv-missing 10 IN A 10.1.0.5" >>"$ZONE"
lab_ctl vnet auth_zone_reload privatelink.vaultcore.azure.net >/dev/null
fix_ms=$((($(date +%s%N) - t0) / 1000000))
wait "$CHECK"
RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "--wait: ends passing" 0
expect_eq "--wait: the report is the last round's" "$(jq -r '[.vaults[].status]|join(",")' "$T/wait.json")" "pass,pass"
rounds=$(grep -c 'not passing yet; checking again' "$T/wait.err")
if [ "$rounds" -ge 1 ]; then ok "--wait: checked again ($rounds waits)"; else not_ok "--wait: no second round"; fi
# NXDOMAIN is cached for the private zone's negative TTL (SOA minimum 10 s, as in
# Azure); kvpe learns it from the zone's SOA and waits that long.
within "--wait: passed within the TTL after the fix (at ${fix_ms} ms)" "$ms" $((fix_ms + 12000))
grep -q 'delay_ms=11100' "$T/wait.err" && ok "--wait: waits the zone's negative TTL (10 s)" || not_ok "--wait: delay not the negative TTL"

# Time up: a vault that stays broken ends with exit 1 after --wait.
t0=$(date +%s%N)
run_kvpe "$T/up.json" check --dns-server "$LAB_VNET" --probe off --format json --wait 3s --vault kv-stale=10.1.0.6
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "--wait: time up, still failing" 1
within "--wait 3s: gave up in time" "$ms" 5000
finish
