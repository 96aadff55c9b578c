#!/usr/bin/env bash
# Connection probes through the whole `kvpe check` pipeline: the DNS lab points
# each vault name at its own loopback address (127.0.0.x), where a Key Vault
# stand-in (tests/servers/kvserver.py) listens on 443 with a certificate from
# a CA made now.  Needs root (port 443); skips without it.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/ca.sh"

if ! is_root; then
	skip "probes: binding 127.0.0.x:443 needs root (CI runs as root)"
	finish
	exit 0
fi

PT=$((2000 * SLOW)) # per-probe timeout: TLS under valgrind is slow
NET=${KVPE_TEST_PROBE_NET:-127.0.0} # each test run its own /24 of loopback
CA=$T/ca
ca_make "$CA" || { not_ok "test CA"; finish; exit 1; }
mkdir -p "$T/ca2"
ca_make "$T/ca2" || { not_ok "second CA"; finish; exit 1; }

# name -> address, mode, certificate kind
VAULTS="kvp-ok:11:vault:ok kvp-old:12:vault-old:ok kvp-bearer:13:bearer:ok kvp-public:14:public:ok
kvp-forbid:15:forbidden:ok kvp-portal:16:portal:ok kvp-wrongname:17:vault:wrongname kvp-expired:18:vault:expired
kvp-unknownca:19:vault:otherca kvp-closed:20:none:ok kvp-blackhole:21:blackhole:ok kvp-notls:22:silent:ok"
specs=()
tenant='{"vaults": ['
for v in $VAULTS; do
	IFS=: read -r name octet mode certkind <<<"$v"
	addr=$NET.$octet
	fqdn=$name.vault.azure.net
	tenant="$tenant{\"name\": \"$name\", \"ip\": \"$addr\"},"
	case $certkind in
	ok) ca_cert "$CA" "$name" "DNS:$fqdn" ;;
	wrongname) ca_cert "$CA" "$name" "DNS:someone-else.vault.azure.net" ;;
	expired) ca_cert_dated "$CA" "$name" "DNS:$fqdn" 20200101000000Z 20200102000000Z ;;
	otherca) ca_cert "$T/ca2" "$name" "DNS:$fqdn" && cp "$T/ca2/$name.pem" "$T/ca2/$name.key" "$CA/" ;;
	esac
	case $mode in
	none) ;;
	blackhole | silent) specs+=("$addr:443:$mode") ;;
	*) specs+=("$addr:443:$mode:$CA/$name.pem:$CA/$name.key") ;;
	esac
done
ca_cert "$CA" kvp-hsm "DNS:kvp-hsm.managedhsm.azure.net"
specs+=("$NET.23:443:vault:$CA/kvp-hsm.pem:$CA/kvp-hsm.key")
tenant="$tenant{\"name\": \"kvp-hsm\", \"kind\": \"hsm\", \"ip\": \"$NET.23\"}]}"
echo "$tenant" >"$T/tenant.json"
lab_up "$T/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
python3 "$TOP/tests/servers/kvserver.py" --pidfile "$T/kvserver.pid" --log "$T/kv.log" "${specs[@]}" 2>"$T/kvserver.err" &
wait_for test -s "$T/kvserver.pid" || { not_ok "kvserver did not start"; cat "$T/kvserver.err"; finish; exit 1; }

vault_args=()
for v in $VAULTS; do
	IFS=: read -r name octet _ _ <<<"$v"
	vault_args+=(--vault "$name=$NET.$octet")
done
vault_args+=(--vault hsm:kvp-hsm=$NET.23)

start=$(date +%s%N)
run_kvpe "$T/https.json" check --dns-server "$LAB_VNET" --ca-file "$CA/ca.pem" --format json --timeout "$PT" "${vault_args[@]}"
ms=$((($(date +%s%N) - start) / 1000000))
expect_rc "https probes" 1
R=$T/https.json
expect_eq "healthy: the vault answered via the endpoint" "$(codes "$R" kvp-ok),$(vault_field "$R" kvp-ok .probe.result)" ",vault"
expect_eq "healthy: network-info addr is our own address" \
	"$(vault_field "$R" kvp-ok '"\(.probe.seen_address) \(.probe.local_address) \(.probe.http_status)"')" "127.0.0.1 127.0.0.1 200"
expect_eq "healthy: timings present" "$(vault_field "$R" kvp-ok '[.probe.tcp_ms, .probe.tls_ms, .probe.http_ms] | map(. >= 0) | all')" true
expect_eq "healthy: certificate expiry reported" "$(vault_field "$R" kvp-ok '.probe.cert_expires_in_days | . >= 0 and . <= 2')" true
expect_eq "older network-info form" "$(codes "$R" kvp-old),$(vault_field "$R" kvp-old .probe.seen_address)" ",127.0.0.1"
expect_eq "Bearer challenge alone proves the vault" "$(codes "$R" kvp-bearer),$(vault_field "$R" kvp-bearer .probe.result)" ",vault"
expect_eq "tenant kept from the challenge" "$(vault_field "$R" kvp-bearer .probe.tenant)" 72f988bf-86f1-41af-91ab-2d7cd011db47
expect_eq "public address seen: PROBE_PUBLIC_PATH" "$(codes "$R" kvp-public)" PROBE_PUBLIC_PATH
expect_eq "public path: message names the address" "$(vault_field "$R" kvp-public '.findings[0].message' | grep -c 203.0.113.77)" 1
expect_eq "403 ForbiddenByConnection" "$(codes "$R" kvp-forbid),$(vault_field "$R" kvp-forbid .probe.error_code)" \
	"PROBE_UNEXPECTED_RESPONSE,ForbiddenByConnection"
expect_eq "not Key Vault's answer (portal)" "$(codes "$R" kvp-portal)" PROBE_UNEXPECTED_RESPONSE
expect_eq "portal: says what was seen" "$(vault_field "$R" kvp-portal .probe.error | grep -c 'Server: captive-portal')" 1
expect_eq "certificate for the wrong name" "$(codes "$R" kvp-wrongname)" PROBE_TLS_FAILED
expect_eq "wrong name: the verification error" "$(vault_field "$R" kvp-wrongname .probe.error | grep -ci 'subject name\|match')" 1
expect_eq "expired certificate" "$(codes "$R" kvp-expired)" PROBE_TLS_FAILED
expect_eq "expired: says so" "$(vault_field "$R" kvp-expired .probe.error | grep -c 'expired')" 1
expect_eq "unknown CA" "$(codes "$R" kvp-unknownca)" PROBE_TLS_FAILED
expect_eq "closed port" "$(codes "$R" kvp-closed)" PROBE_TCP_FAILED
expect_eq "black-holed address" "$(codes "$R" kvp-blackhole),$(vault_field "$R" kvp-blackhole .probe.error)" \
	"PROBE_TCP_FAILED,no answer within $PT ms"
expect_eq "TCP accepted, no TLS" "$(codes "$R" kvp-notls)" PROBE_TLS_FAILED
expect_eq "no TLS: says the handshake never came" "$(vault_field "$R" kvp-notls .probe.error | grep -c 'did not speak TLS')" 1
expect_eq "managed HSM probed by its name" "$(codes "$R" kvp-hsm),$(vault_field "$R" kvp-hsm .probe.result)" ",vault"
# Two probes time out (black hole, no TLS) in parallel: the run costs one timeout, not two.
within "bounded: two 2000 ms timeouts in flight cost one" "$ms" 3900

# What the vault stand-in received: the pinned address, the vault's name, no credentials.
expect_eq "no Authorization header was ever sent" "$(jq -s '[.[] | select(.authorization or .cookie)] | length' "$T/kv.log")" 0
expect_eq "Host is the vault FQDN, path /healthstatus" \
	"$(jq -rs '[.[] | select(.listen=="'"$NET"'.11:443") | "\(.host) \(.path)"] | unique | join(",")' "$T/kv.log")" \
	"kvp-ok.vault.azure.net /healthstatus"

# Unknown CA passes once that CA is trusted (--ca-file with both CAs).
cat "$CA/ca.pem" "$T/ca2/ca.pem" >"$T/both-cas.pem"
run_kvpe "$T/ca2.json" check --dns-server "$LAB_VNET" --ca-file "$T/both-cas.pem" --format json --timeout "$PT" \
	--vault kvp-unknownca=$NET.19
expect_rc "unknown CA trusted with --ca-file" 0
expect_eq "unknown CA trusted: vault answered" "$(vault_field "$T/ca2.json" kvp-unknownca .probe.result)" vault

# Every address of the endpoint is probed, not only the one DNS gave: the
# vault answers at .11 (DNS points there), nothing listens at .20.
run_kvpe "$T/every.json" check --dns-server "$LAB_VNET" --ca-file "$CA/ca.pem" --format json --timeout "$PT" \
	--vault "kvp-ok=$NET.11,$NET.20"
expect_rc "every endpoint address probed" 1
expect_eq "every endpoint address: each probed, the DNS answer's shared with the vault's probe" \
	"$(vault_field "$T/every.json" kvp-ok '[.probe.endpoints[] | "\(.address)=\(.result)/\(.dns_answer)"] | join(" ")')" \
	"$NET.11=vault/true $NET.20=tcp_failed/false"
expect_eq "every endpoint address: the one DNS does not point at is reported, by its address" \
	"$(codes "$T/every.json" kvp-ok) $(vault_field "$T/every.json" kvp-ok '.findings[0].message' | grep -c "TCP connect to $NET.20:443")" \
	"PROBE_TCP_FAILED 1"
expect_eq "every endpoint address: the vault's own probe is still the DNS answer's" \
	"$(vault_field "$T/every.json" kvp-ok '"\(.probe.address) \(.probe.result)"')" "$NET.11 vault"

# --probe tcp / tls stop earlier.
run_kvpe "$T/tcp.json" check --dns-server "$LAB_VNET" --ca-file "$CA/ca.pem" --format json --timeout "$PT" --probe tcp \
	--vault kvp-wrongname=$NET.17 --vault kvp-closed=$NET.20 --vault kvp-portal=$NET.16
expect_eq "tcp: the wrong certificate is not looked at" "$(codes "$T/tcp.json" kvp-wrongname),$(vault_field "$T/tcp.json" kvp-wrongname .probe.result)" \
	",connected"
expect_eq "tcp: closed port" "$(codes "$T/tcp.json" kvp-closed)" PROBE_TCP_FAILED
run_kvpe "$T/tls.json" check --dns-server "$LAB_VNET" --ca-file "$CA/ca.pem" --format json --timeout "$PT" --probe tls \
	--vault kvp-wrongname=$NET.17 --vault kvp-portal=$NET.16
expect_eq "tls: wrong name fails" "$(codes "$T/tls.json" kvp-wrongname)" PROBE_TLS_FAILED
expect_eq "tls: the portal's TLS is fine (no HTTP asked)" "$(codes "$T/tls.json" kvp-portal),$(vault_field "$T/tls.json" kvp-portal .probe.result)" \
	",connected"

# No probe when DNS failed; say why.
run_kvpe "$T/nodns.json" check --dns-server "$LAB_VNET" --ca-file "$CA/ca.pem" --format json --vault kvp-missing-name
expect_eq "no probe after NXDOMAIN" "$(vault_field "$T/nodns.json" kvp-missing-name '"\(.probe.result) \(.probe.skipped)"')" \
	"not_run DNS gave no address to probe (NXDOMAIN)"
run_kvpe "$T/off.json" check --dns-server "$LAB_VNET" --probe off --format json --vault kvp-ok=$NET.11
expect_eq "--probe off" "$(vault_field "$T/off.json" kvp-ok '"\(.probe.level) \(.probe.result)"')" "off not_run"
expect_clean_stderr "https probes" "$T/https.json.err"
finish
