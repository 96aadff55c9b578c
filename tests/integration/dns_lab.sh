#!/usr/bin/env bash
# DNS validation through the whole `kvpe check` pipeline against real unbound
# resolvers serving Azure-shaped zones (tests/lab/tenant.json).  Each scenario
# asserts the exact finding codes and the exit code.
. "$(dirname "$0")/../lib/common.sh"

lab_up "$TOP/tests/lab/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
V=(check --dns-server "$LAB_VNET" --probe off --format json)

# scenario NAME WANT_EXIT WANT_CODES VAULT_NAME ARGS...
scenario() {
	local name=$1 want_rc=$2 want_codes=$3 vault=$4
	shift 4
	run_kvpe "$T/$name.json" "$@"
	expect_rc "$name" "$want_rc"
	expect_eq "$name: findings" "$(codes "$T/$name.json" "$vault")" "$want_codes"
}

scenario healthy 0 "" kv-healthy "${V[@]}" --vault kv-healthy=10.1.0.4
expect_eq "healthy: status" "$(vault_field "$T/healthy.json" kv-healthy .status)" pass
expect_eq "healthy: chain" "$(vault_field "$T/healthy.json" kv-healthy '.dns.chain | join(" ")')" \
	"kv-healthy.vault.azure.net kv-healthy.privatelink.vaultcore.azure.net"
expect_eq "healthy: ttl of the private record" "$(vault_field "$T/healthy.json" kv-healthy .dns.ttl)" 10
expect_eq "healthy: server" "$(vault_field "$T/healthy.json" kv-healthy .dns.server)" "$LAB_VNET"
expect_eq "healthy: privatelink read off the chain" \
	"$(vault_field "$T/healthy.json" kv-healthy '.dns.privatelink | "\(.name) \(.rcode) \(.addresses|join(","))"')" \
	"kv-healthy.privatelink.vaultcore.azure.net NOERROR 10.1.0.4"

# Zone not linked: the VNet's resolver does not hold the private zone, so the
# public chain (which passes the privatelink alias) ends at a public address.
scenario unlinked 1 "DNS_PUBLIC_ADDRESS" kv-healthy check --dns-server "$LAB_PUBLIC" --probe off --format json \
	--vault kv-healthy=10.1.0.4
expect_eq "unlinked: public answer" "$(vault_field "$T/unlinked.json" kv-healthy '.dns.addresses|join(",")')" 203.0.113.10
expect_eq "unlinked: whole chain kept" "$(vault_field "$T/unlinked.json" kv-healthy '.dns.chain|length')" 4

scenario missing 1 "DNS_NXDOMAIN" kv-missing "${V[@]}" --vault kv-missing=10.1.0.5
expect_eq "missing: chain reached the private link zone" \
	"$(vault_field "$T/missing.json" kv-missing '.dns.chain[-1]')" kv-missing.privatelink.vaultcore.azure.net
expect_eq "missing: remediation fills name and address" \
	"$(vault_field "$T/missing.json" kv-missing '.findings[0].remediation' | grep -c -- '--record-set-name kv-missing --ipv4-address 10.1.0.5')" 1

scenario stale 1 "DNS_ADDRESS_MISMATCH" kv-stale "${V[@]}" --vault kv-stale=10.1.0.6
expect_eq "stale: message names observed and expected" \
	"$(vault_field "$T/stale.json" kv-stale '.findings[0].message' | grep -c '10.1.9.9.*10.1.0.6')" 1

scenario override 1 "DNS_NO_PRIVATELINK_CNAME" kv-override "${V[@]}" --vault kv-override=10.1.0.7
expect_eq "override: status fail (medium)" "$(vault_field "$T/override.json" kv-override .status)" fail

scenario aaaa 1 "DNS_PUBLIC_IPV6" kv-aaaa "${V[@]}" --vault kv-aaaa=10.1.0.8

scenario servfail 1 "DNS_SERVFAIL" kv-servfail "${V[@]}" --vault kv-servfail=10.1.0.9
expect_eq "servfail: status error" "$(vault_field "$T/servfail.json" kv-servfail .status)" error

scenario nodata 1 "DNS_NO_ANSWER" kv-nodata "${V[@]}" --vault kv-nodata=10.1.0.10

scenario no-endpoint 1 "DNS_NO_PRIVATELINK_CNAME,DNS_PUBLIC_ADDRESS" kv-nopep "${V[@]}" --vault kv-nopep

# 40 A records do not fit a 512-byte UDP answer: c-ares retries over TCP.
BIG=$(python3 -c 'print(",".join("10.1.1.%d" % i for i in range(1, 41)))')
scenario tcp-fallback 0 "" kv-big "${V[@]}" --vault "kv-big=$BIG"
expect_eq "tcp-fallback: all 40 addresses" "$(vault_field "$T/tcp-fallback.json" kv-big '.dns.addresses|length')" 40

scenario hsm 0 "" hsm-healthy "${V[@]}" --vault hsm:hsm-healthy=10.1.2.4
expect_eq "hsm: kind and fqdn" "$(vault_field "$T/hsm.json" hsm-healthy '"\(.kind) \(.fqdn)"')" \
	"managedhsm hsm-healthy.managedhsm.azure.net"
expect_eq "hsm: chain via privatelink.managedhsm.azure.net" \
	"$(vault_field "$T/hsm.json" hsm-healthy '.dns.chain[1]')" hsm-healthy.privatelink.managedhsm.azure.net

scenario china-fqdn 0 "" kv-china "${V[@]}" --vault kv-china.vault.azure.cn=10.1.3.4
expect_eq "china: fqdn" "$(vault_field "$T/china-fqdn.json" kv-china .fqdn)" kv-china.vault.azure.cn
scenario china-cloud 0 "" kv-china "${V[@]}" --cloud AzureChinaCloud --vault kv-china=10.1.3.4
expect_eq "china: report cloud" "$(jq -r .agent.cloud "$T/china-cloud.json")" AzureChinaCloud
scenario usgov 0 "" kv-usgov "${V[@]}" --cloud AzureUSGovernment --vault kv-usgov=10.1.4.4

scenario cgnat-is-private 0 "" kv-cgnat "${V[@]}" --vault kv-cgnat
scenario custom-range-public 1 "DNS_PUBLIC_ADDRESS" kv-custom "${V[@]}" --vault kv-custom
scenario custom-range-private 0 "" kv-custom "${V[@]}" --vault kv-custom --private-cidr 172.32.0.0/16
# The endpoint's own address is never public, whatever its range.
scenario own-address-not-public 0 "" kv-custom "${V[@]}" --vault kv-custom=172.32.0.4

scenario case-and-dot 0 "" kv-healthy "${V[@]}" --vault KV-Healthy.Vault.Azure.NET.=10.1.0.4

# An IPv6 resolver address, [::1]:port (when this host has IPv6 loopback).
if grep -q 'interface: ::1@' "$LAB_DIR/vnet.conf"; then
	scenario ipv6-server 0 "" kv-healthy check --dns-server "[::1]:${LAB_VNET##*:}" --probe off --format json \
		--vault kv-healthy=10.1.0.4
	expect_eq "ipv6-server: reported as [::1]:port" "$(jq -r '.agent.resolvers[0]' "$T/ipv6-server.json")" "[::1]:${LAB_VNET##*:}"
else
	skip "ipv6-server: no IPv6 loopback on this host"
fi

# Everything in one run: each vault gets its own verdict.
run_kvpe "$T/all.json" "${V[@]}" --vault kv-healthy=10.1.0.4 --vault kv-missing=10.1.0.5 \
	--vault kv-stale=10.1.0.6 --vault kv-override=10.1.0.7 --vault kv-nopep --vault kv-servfail=10.1.0.9 \
	--vault hsm:hsm-healthy=10.1.2.4
expect_rc "combined run" 1
expect_eq "combined: summary" "$(jq -c '.summary | [.vaults,.passed,.failed,.errors]' "$T/all.json")" "[7,2,4,1]"
expect_eq "combined: vaults sorted by name" "$(jq -r '[.vaults[].name] | join(",")' "$T/all.json")" \
	"hsm-healthy,kv-healthy,kv-missing,kv-nopep,kv-override,kv-servfail,kv-stale"
expect_eq "combined: schema" "$(jq -r .schema "$T/all.json")" kvpe.report/v1
expect_eq "combined: resolvers" "$(jq -r '.agent.resolvers|join(",")' "$T/all.json")" "$LAB_VNET"
expect_eq "combined: summary findings" "$(jq -c '.summary.findings' "$T/all.json")" \
	'{"DNS_NXDOMAIN":1,"DNS_SERVFAIL":1,"DNS_PUBLIC_ADDRESS":1,"DNS_ADDRESS_MISMATCH":1,"DNS_NO_PRIVATELINK_CNAME":2}'
expect_eq "combined: every vault has the spec's keys" \
	"$(jq '[.vaults[] | has("name","kind","id","fqdn","status","expected_addresses","endpoints","dns","zone_records","probe","findings")] | all' "$T/all.json")" true
expect_eq "combined: findings carry severity, message, remediation" \
	"$(jq '[.vaults[].findings[] | (.severity|length>0) and (.message|length>0) and (.remediation|startswith("az ") or startswith("dig "))] | all' "$T/all.json")" true
expect_clean_stderr "combined" "$T/all.json.err"

# Table output and --output (atomic file).
run_kvpe "$T/table.txt" "${V[@]}" --format table --vault kv-missing=10.1.0.5 --vault kv-healthy=10.1.0.4
expect_rc "table" 1
expect_eq "table: a line per vault and the fix" "$(grep -cE '^(kv-healthy|kv-missing) +(pass|FAIL)' "$T/table.txt"),$(grep -c 'fix: az network private-dns record-set a add-record' "$T/table.txt")" "2,1"
run_kvpe "$T/stdout.txt" "${V[@]}" --vault kv-healthy=10.1.0.4 --output "$T/out.json"
expect_rc "--output" 0
expect_eq "--output: stdout empty, file is the report" "$(wc -c <"$T/stdout.txt"),$(jq -r .schema "$T/out.json")" "0,kvpe.report/v1"
expect_eq "--output: no temp file left" "$(ls -a "$T" | grep -c '\.tmp\.')" 0
# Reports are streamed to a temp file: a failed write leaves the old report
# in place and no temp file; a full stdout is an error, not a silent loss.
echo previous >"$T/keep.json"
run_kvpe "$T/nodir.txt" "${V[@]}" --vault kv-healthy=10.1.0.4 --output "$T/no/such/dir/r.json"
expect_rc "--output into a missing directory" 2
expect_eq "--output: says why" "$(grep -c "cannot write report: $T/no/such/dir/r.json: No such file" "$T/nodir.txt.err")" 1
RC=0
"$KVPE" "${V[@]}" --vault kv-healthy=10.1.0.4 --format json >/dev/full 2>"$T/full.err" || RC=$?
expect_rc "stdout full" 2
expect_eq "stdout full: says why" "$(grep -c 'cannot write report: stdout: No space left' "$T/full.err")" 1
run_kvpe "$T/keep.txt" "${V[@]}" --vault kv-healthy=10.1.0.4 --report "junit=$T/keep.json/x"
expect_rc "--report to an unusable path" 2
expect_eq "--report to an unusable path: says why" "$(grep -c "cannot write report: $T/keep.json/x: Not a directory" "$T/keep.txt.err")" 1
expect_eq "--report failure: earlier report untouched, no temp file" \
	"$(cat "$T/keep.json"),$(ls -a "$T" | grep -c '\.tmp\.')" "previous,0"
# Not a regular file: written in place, never replaced by a rename (a
# rename onto /dev/null once turned it into a regular file).
mkdir "$T/special"
mkfifo "$T/special/fifo"
cat "$T/special/fifo" >"$T/from-fifo" &
reader=$!
run_kvpe "$T/fifo.txt" "${V[@]}" --vault kv-healthy=10.1.0.4 --output "$T/special/fifo"
wait "$reader"
expect_eq "--output to a FIFO: written through it, still a FIFO, no temp file" \
	"$RC,$(jq -r .schema "$T/from-fifo"),$(stat -c %F "$T/special/fifo"),$(ls -a "$T/special" | grep -c '\.tmp\.')" \
	"0,kvpe.report/v1,fifo,0"
if is_root; then
	mknod -m 666 "$T/special/null" c 1 3
	run_kvpe "$T/devnull.txt" "${V[@]}" --vault kv-healthy=10.1.0.4 --output "$T/special/null" --report "junit=$T/special/null"
	expect_eq "--output to a character device (a /dev/null): still that device" \
		"$RC,$(stat -c '%F %t:%T' "$T/special/null")" "0,character special file 1:3"
else
	skip "--output to a character device: mknod needs root"
fi
echo old >"$T/special/real.json"
ln -s real.json "$T/special/link.json"
run_kvpe "$T/link.txt" "${V[@]}" --vault kv-healthy=10.1.0.4 --output "$T/special/link.json"
expect_eq "--output through a symbolic link: the link stays, its target is the report" \
	"$RC,$(stat -c %F "$T/special/link.json"),$(jq -r .schema "$T/special/real.json")" "0,symbolic link,kvpe.report/v1"

# A resolver that never answers: DNS_TIMEOUT within the time budget.
BH=$(free_port)
python3 "$TOP/tests/servers/blackhole.py" "$BH" "$T/blackhole.pid" &
wait_for test -s "$T/blackhole.pid"
start=$(date +%s%N)
run_kvpe "$T/timeout.json" check --dns-server "127.0.0.1:$BH" --probe off --format json --timeout 1500 --vault kv-healthy=10.1.0.4
ms=$((($(date +%s%N) - start) / 1000000))
expect_rc "timeout" 1
expect_eq "timeout: findings" "$(codes "$T/timeout.json" kv-healthy)" DNS_TIMEOUT
expect_eq "timeout: status error" "$(vault_field "$T/timeout.json" kv-healthy .status)" error
within "timeout: bounded for a 1500 ms budget" "$ms" 4000

# Failover: first server black-holed, second answers.
run_kvpe "$T/failover.json" check --dns-server "127.0.0.1:$BH" --dns-server "$LAB_VNET" --probe off --format json \
	--timeout 1500 --vault kv-healthy=10.1.0.4
expect_rc "failover to the second server" 0
expect_eq "failover: answering server reported" "$(vault_field "$T/failover.json" kv-healthy .dns.server)" "$LAB_VNET"

# `kvpe resolve`
run_kvpe "$T/resolve.json" resolve --dns-server "$LAB_VNET" --format json kv-healthy.vault.azure.net kv-missing \
	hsm-healthy.managedhsm.azure.net
expect_rc "resolve: a bad name" 1
expect_eq "resolve: diagnoses" "$(jq -r '[.names[] | .diagnosis | split(":")[0]] | join("|")' "$T/resolve.json")" \
	"private|private link zone answers, but holds no record for this vault (NXDOMAIN)|private"
# The zone's TTL is 10 s; a cached answer counts down, to 0 at the instant it
# expires (reached under valgrind, where the script runs slowly).
expect_eq "resolve: chain, ttl (10 s, maybe aged in cache) and server" \
	"$(jq -r '.names[0].a | "\(.chain|length) \((.ttl|type) == "number" and .ttl >= 0 and .ttl <= 10) \(.server)"' "$T/resolve.json")" "2 true $LAB_VNET"
run_kvpe "$T/resolve-ok.txt" resolve --dns-server "$LAB_VNET" --format table kv-healthy.vault.azure.net
expect_rc "resolve: private name" 0
expect_eq "resolve: table shows chain" "$(grep -c 'chain kv-healthy.vault.azure.net -> kv-healthy.privatelink.vaultcore.azure.net' "$T/resolve-ok.txt")" 2

# Usage errors: exit 2 and a one-line reason.
usage() {
	local name=$1 want=$2
	shift 2
	run_kvpe "$T/usage.out" "$@"
	expect_rc "usage: $name" 2
	expect_eq "usage: $name: message" "$(grep -c -- "$want" "$T/usage.out.err")" 1
}
usage "no command" "missing command"
usage "bad command" "unknown command 'chek'" chek
usage "bad vault" "--vault 'bad_name!'" check --vault 'bad_name!'
usage "bad ip" "--vault 'kv=10.0.0'" check --vault kv=10.0.0
usage "bad dns server" "--dns-server 'nope'" check --vault kv-x --dns-server nope
usage "bad format" "--format 'xml'" check --vault kv-x --format xml
usage "unknown option" "unknown option '--nope'" check --nope
usage "missing value" "--vault needs a value" check --vault
usage "resolve without names" "expected at least one NAME" resolve
usage "wrong command for option" "does not apply" resolve --vault kv-x x.vault.azure.net
usage "bad config" "--config /dev/null: empty: no JSON document" check --config /dev/null
echo '{"probe": "off"}' >"$T/open.json"
chmod 0666 "$T/open.json"
run_kvpe "$T/open.out" check --config "$T/open.json" --dns-server "$LAB_VNET" --vault kv-healthy=10.1.0.4
expect_eq "a config file others can write: warned" "$RC,$(grep -c 'is writable by other users (mode 0666)' "$T/open.out.err")" "0,1"
run_kvpe "$T/help.txt" check --help
expect_eq "check --help" "$RC,$(grep -c -- '--dns-server' "$T/help.txt")" "0,1"
run_kvpe "$T/version.txt" --version
expect_eq "--version" "$RC,$(grep -c '^kvpe [0-9]' "$T/version.txt")" "0,1"

finish
