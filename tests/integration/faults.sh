#!/usr/bin/env bash
# Fault injection through the real pipeline.  Every scenario asserts the exit
# code, the error text, that no vault result was lost or invented, and (for
# the agent) that it keeps serving.
#   DNS: CNAME loops, 30-step chains, 120 addresses, odd bytes in names, a
#        wrong query ID, a truncated packet, a reply that is not DNS.
#   ARM: a body served one byte per second, wrong JSON types, duplicate keys,
#        deep nesting, invalid UTF-8.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

# ---- DNS ----
DF=$(free_port)
python3 "$TOP/tests/servers/dnsfault.py" "$DF" "$T/dnsfault.pid" &
wait_for test -s "$T/dnsfault.pid" || { not_ok "dnsfault did not start"; finish; exit 1; }
NAMES="kv-ok kv-loop kv-chain15 kv-chain16 kv-chain30 kv-many kv-odd kv-wrongid kv-trunc kv-garbage"
args=()
for n in $NAMES; do args+=(--vault "$n"); done
t0=$(date +%s%N)
run_kvpe "$T/dns.json" check --dns-server "127.0.0.1:$DF" --probe off --format json --timeout 1500 "${args[@]}"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "DNS faults" 1
expect_eq "DNS faults: every vault once, none invented" "$(jq -r '[.vaults[].name] | join(" ")' "$T/dns.json")" \
	"kv-chain15 kv-chain16 kv-chain30 kv-garbage kv-loop kv-many kv-odd kv-ok kv-trunc kv-wrongid"
f() { vault_field "$T/dns.json" "$1" "$2"; }
expect_eq "CNAME loop: marked, no answer" "$(f kv-loop '"\(.dns.chain_loop) \(.dns.rcode) \([.findings[].code]|join(","))"')" \
	"true NODATA DNS_NO_ANSWER"
expect_eq "CNAME loop: the message says so" "$(f kv-loop '.findings[0].message' | grep -c 'CNAME loop')" 1
expect_eq "30-step chain: kept to 16 names, marked truncated, answer read" \
	"$(f kv-chain30 '"\(.dns.chain|length) \(.dns.chain_truncated) \(.dns.addresses|join(","))"')" "16 true 10.30.0.1"
# The chain's last name comes from a follow-up query (c-ares 1.18 does not
# name it); at exactly 16 names it must still fit, and one more truncates.
expect_eq "15-step chain: all 16 names, not truncated" \
	"$(f kv-chain15 '"\(.dns.chain|length) \(.dns.chain_truncated // false) \(.dns.chain[-1]) \(.dns.addresses|join(","))"')" \
	"16 false c14.vault.azure.net 10.30.0.1"
expect_eq "16-step chain: kept to 16 names, marked truncated" \
	"$(f kv-chain16 '"\(.dns.chain|length) \(.dns.chain_truncated) \(.dns.addresses|join(","))"')" "16 true 10.30.0.1"
run_kvpe "$T/resolve.json" resolve --dns-server "127.0.0.1:$DF" --format json --timeout 1500 \
	kv-loop.vault.azure.net kv-chain15.vault.azure.net kv-chain16.vault.azure.net
expect_eq "resolve: loop and truncation marked in JSON too" \
	"$(jq -r '[.names[].a | "\(.chain|length)/\(.chain_loop // false)/\(.chain_truncated // false)"] | join(" ")' "$T/resolve.json")" \
	"4/true/false 16/false/false 16/false/true"
expect_eq "120 addresses over TCP" "$(f kv-many '.dns.addresses|length')" 120
expect_eq "odd bytes in a name: c-ares refuses the answer, reported as a resolver error" \
	"$(f kv-odd '"\(.status) \([.findings[].code]|join(","))"')" "error DNS_SERVFAIL"
expect_eq "wrong query ID: ignored, then a timeout" "$(f kv-wrongid '[.findings[].code]|join(",")')" DNS_TIMEOUT
expect_eq "truncated packet: a malformed answer" "$(f kv-trunc '"\([.findings[].code]|join(",")) \(.findings[0].message|test("Misformatted"))"')" \
	"DNS_SERVFAIL true"
expect_eq "not DNS at all: ignored, then a timeout" "$(f kv-garbage '[.findings[].code]|join(",")')" DNS_TIMEOUT
expect_eq "the healthy control is untouched" "$(f kv-ok '.dns.addresses|join(",")')" 10.0.0.5
within "DNS faults: bounded (timeout 1500)" "$ms" 4000
expect_clean_stderr "DNS faults" "$T/dns.json.err"

# ---- ARM ----
cat >"$T/tenant.json" <<'JSON'
{"vaults": [{"name": "kv-a1", "ip": "10.1.0.1", "public_access": "Disabled"},
            {"name": "kv-b1", "subscription": "b", "ip": "10.1.1.1", "public_access": "Disabled"}]}
JSON
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=100
SUB_A=5c1ab000-0000-4000-8000-00000000000a
SUB_B=5c1ab000-0000-4000-8000-00000000000b
RUN=(check --dns-server "$LAB_VNET" --probe off --format json --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL")

# One byte per second: every attempt stops at --arm-timeout; the run ends.
arm_faults "[{\"match\": \"$SUB_B/providers/Microsoft.KeyVault/vaults\", \"times\": -1, \"action\": {\"slow\": 1.0}}]"
t0=$(date +%s%N)
run_kvpe "$T/slow.json" "${RUN[@]}" --arm-timeout 2s
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "1 byte/s body: partial run" 2
expect_eq "1 byte/s: reported for that subscription" "$(jq -r '.errors[0] | "\(.scope) \(.message|test("vaults: .*(timed out|Timeout)"))"' "$T/slow.json")" \
	"subscription/$SUB_B true"
expect_eq "1 byte/s: the other subscription checked" "$(jq -r '[.vaults[] | "\(.name)=\(.status)"] | join(",")' "$T/slow.json")" "kv-a1=pass"
within "1 byte/s: bounded (4 attempts of 2 s)" "$ms" 15000
arm_reset

# Documents with wrong types, duplicate keys, deep nesting, invalid UTF-8,
# served as sub a's vault list: no crash, nothing invented.
VID="/subscriptions/$SUB_A/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults"
python3 - "$T/weird.json" "$VID" <<'PY'
import json, sys
vid = sys.argv[2]
page = ('{"value": ['
        # wrong types everywhere: not a vault we can name -> skipped
        '{"id": 7, "name": "kv-badid", "type": "Microsoft.KeyVault/vaults"},'
        '{"id": "%s/kv-types", "name": "kv-types", "type": "Microsoft.KeyVault/vaults", "properties": {'
        ' "privateEndpointConnections": {"x": 1}, "publicNetworkAccess": 5, "networkAcls": [], "vaultUri": 9}},'
        # duplicate keys: the first one counts
        '{"id": "%s/kv-dup", "name": "kv-dup", "name": "kv-other", "type": "Microsoft.KeyVault/vaults", "properties": {"publicNetworkAccess": "Disabled"}},'
        # deep nesting inside a field we do not read (within cJSON's limit)
        '{"id": "%s/kv-deep", "name": "kv-deep", "type": "Microsoft.KeyVault/vaults", "properties": {"tags": %s}}'
        ']}') % (vid, vid, vid, "[" * 500 + "]" * 500)
open(sys.argv[1], "wb").write(page.encode("latin-1"))
PY
body=$(python3 -c "import json,sys; print(json.dumps(open(sys.argv[1],'rb').read().decode('latin-1')))" "$T/weird.json")
arm_faults "[{\"match\": \"$SUB_A/providers/Microsoft.KeyVault/vaults\\\\?\", \"times\": -1, \"action\": {\"raw\": $body}}]"
run_kvpe "$T/weird-out.json" "${RUN[@]}" --report junit="$T/weird.xml"
expect_rc "odd JSON from ARM" 1
expect_eq "odd JSON: exactly the nameable vaults, none invented" \
	"$(jq -r '[.vaults[].name] | join(",")' "$T/weird-out.json")" "kv-b1,kv-deep,kv-dup,kv-types"
expect_eq "odd JSON: wrong types read as absent (public access = default)" \
	"$(vault_field "$T/weird-out.json" kv-types '[.findings[].code]|join(",")')" \
	"NO_PRIVATE_ENDPOINT,DNS_NXDOMAIN,PUBLIC_NETWORK_ENABLED"
python3 -c "import xml.etree.ElementTree as E, sys; E.parse(sys.argv[1])" "$T/weird.xml" &&
	ok "odd JSON: the JUnit report is well-formed XML" || not_ok "JUnit broken"

# Bytes that are not UTF-8 (a saved inventory, exactly as on disk): every
# report format stays valid; the bytes become U+FFFD.
printf '[{"id": "%s/kv-\377\376", "name": "kv-\377\376", "type": "Microsoft.KeyVault/vaults", "properties": {}}]' "$VID" \
	>"$T/latin1.json"
run_kvpe "$T/latin1-out.json" check --dns-server "$LAB_VNET" --probe off --format json --inventory "$T/latin1.json" \
	--report junit="$T/latin1.xml" --report sarif="$T/latin1.sarif" --report jsonl="$T/latin1.jsonl"
expect_rc "invalid UTF-8 in a name" 1
expect_eq "invalid UTF-8: JSON valid, bytes replaced" "$(jq -r '.vaults[0].name' "$T/latin1-out.json")" "kv-$(printf '\ufffd\ufffd')"
python3 - "$T/latin1.xml" "$T/latin1.sarif" "$T/latin1.jsonl" <<'PY' && ok "invalid UTF-8: JUnit, SARIF and JSONL parse" || not_ok "invalid UTF-8 broke a format"
import json, sys, xml.etree.ElementTree as E
E.parse(sys.argv[1])
json.load(open(sys.argv[2], encoding="utf-8"))
[json.loads(l) for l in open(sys.argv[3], encoding="utf-8")]
PY

# Nesting past cJSON's limit (1000): a clear parse error for that subscription.
deep=$(python3 -c 'import json; print(json.dumps("{\"value\": " + "[" * 3000 + "]" * 3000 + "}"))')
arm_reset
arm_faults "[{\"match\": \"$SUB_A/providers/Microsoft.KeyVault/vaults\\\\?\", \"times\": -1, \"action\": {\"raw\": $deep}}]"
run_kvpe "$T/deep.json" "${RUN[@]}"
expect_rc "nesting past the limit: partial run" 2
expect_eq "deep nesting: a clear error" "$(jq -r '.errors[0].message' "$T/deep.json" | grep -c 'vaults: malformed answer: not valid JSON')" 1
expect_eq "deep nesting: sub b intact" "$(jq -r '[.vaults[].name]|join(",")' "$T/deep.json")" kv-b1
arm_reset

# The agent keeps serving while ARM trickles: cycles fail, /metrics answers.
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$KVPE" agent --dns-server "$LAB_VNET" --probe off --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL" --arm-timeout 1s \
	--interval 300ms --listen "127.0.0.1:$PORT" >/dev/null 2>"$T/agent.err" &
echo $! >"$T/agent.pid"
wait_metric kvpe_last_run_success 1 100 || not_ok "agent: first cycle"
arm_faults '[{"match": "/subscriptions", "times": -1, "action": {"slow": 1.0}}]'
if wait_metric kvpe_last_run_success 0 300; then ok "agent: ARM trickling -> failed cycle"; else not_ok "agent: no failed cycle"; fi
expect_eq "agent: still serving the last good report" "$(curl -s "$URL/v1/report" | jq '.vaults|length')" 2
expect_eq "agent: /metrics answers" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" 200
arm_reset
if wait_metric kvpe_last_run_success 1 300; then ok "agent: recovered"; else not_ok "agent: no recovery"; fi
kill -TERM "$(cat "$T/agent.pid")"
finish
