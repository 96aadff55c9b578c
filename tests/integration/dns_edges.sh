#!/usr/bin/env bash
# No silent pass at the edges of DNS answers, through the real pipeline
# (`kvpe check` and `kvpe resolve`) against the project's fault server
# (tests/servers/dnsfault.py) on loopback:
#   answers of 1,100 and 4,000 records over TCP after a truncated UDP answer,
#   the odd public address first, last or both (A and AAAA); a failed AAAA
#   query (SERVFAIL, REFUSED, NOTAUTH, no answer) beside a right A; a server
#   that answers every query after 3 s; every reply code but NOERROR and
#   NXDOMAIN, alone and with a good second server; CNAME chains longer than
#   kvpe follows; nothing listening on the resolver's port; --dns-server
#   usage errors.
. "$(dirname "$0")/../lib/common.sh"

DF=$(free_port)
GOOD=$(free_port)
while [ "$GOOD" = "$DF" ]; do GOOD=$(free_port); done
python3 "$TOP/tests/servers/dnsfault.py" "$DF" "$T/dnsfault.pid" &
python3 "$TOP/tests/servers/dnsfault.py" "$GOOD" "$T/good.pid" --good &
if ! wait_for test -s "$T/dnsfault.pid" || ! wait_for test -s "$T/good.pid"; then
	not_ok "dnsfault did not start"
	finish
	exit 1
fi
BAD=127.0.0.1:$DF
OK=127.0.0.1:$GOOD
RCODES="1 2 4 5 6 7 8 9 10 11 12 13 14 15"
declare -A RNAME=([1]=FORMERR [2]=SERVFAIL [4]=NOTIMP [5]=REFUSED [6]=YXDOMAIN [7]=YXRRSET [8]=NXRRSET
	[9]=NOTAUTH [10]=NOTZONE [11]="(unassigned)" [12]="(unassigned)" [13]="(unassigned)" [14]="(unassigned)"
	[15]="(unassigned)")
NAMES="kv-big-first kv-big-last kv-big-both kv-big-ok kv-big-max kv-big6-first kv-big6-last kv-big6-ok
	kv-aaaa-servfail kv-aaaa-refused kv-aaaa-notauth kv-aaaa-timeout kv-slow
	kv-chain16 kv-chain30 kv-plchain20 kv-plchain14"
for n in $RCODES; do NAMES="$NAMES kv-rcode-$n"; done
args=()
fqdns=()
for n in $NAMES; do
	args+=(--vault "$n")
	fqdns+=("$n.vault.azure.net")
done
f() { vault_field "$T/edges.json" "$1" "$2"; }

# ---- kvpe check, one server, the default 5 s budget ----
t0=$(date +%s%N)
run_kvpe "$T/edges.json" check --dns-server "$BAD" --probe off --format json "${args[@]}"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_rc "edges: check" 1
expect_eq "edges: every vault once, none invented" "$(jq -r '[.vaults[].name] | sort | join(" ")' "$T/edges.json")" \
	"$(echo $NAMES | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
within "edges: bounded by the 5 s budget" "$ms" 9000
expect_clean_stderr "edges: check" "$T/edges.json.err"

# Answers larger than any fixed array: read whole over TCP, the public
# address found wherever it is in the answer.
for v in kv-big-first kv-big-last kv-big-both; do
	want=1100
	[ "$v" = kv-big-both ] && want=1099 # the public address twice: unique
	expect_eq "$v: every address read, the public one found" \
		"$(f $v '"\(.status) \([.findings[].code]|join(",")) \(.dns.addresses|length) \(.dns.addresses[-1])"')" \
		"fail DNS_PUBLIC_ADDRESS $want 52.1.2.3"
	expect_eq "$v: the message names it" "$(f $v '.findings[0].message' | grep -c 'resolves to public 52.1.2.3 via')" 1
done
expect_eq "kv-big-ok: 1,100 private addresses pass" \
	"$(f kv-big-ok '"\(.status) \(.dns.addresses|length) \(.dns.ttl) \(.dns.chain|join(" "))"')" \
	"pass 1100 30 kv-big-ok.vault.azure.net kv-big-ok.privatelink.vaultcore.azure.net"
expect_eq "kv-big-max: 4,000 records, a whole 64 KB answer" "$(f kv-big-max '"\(.status) \(.dns.addresses|length)"')" "pass 4000"
for v in kv-big6-first kv-big6-last; do
	expect_eq "$v: every AAAA read, the public one found" \
		"$(f $v '"\(.status) \([.findings[].code]|join(",")) \(.dns.ipv6.addresses|length) \(.dns.ipv6.addresses|index("2001:db8::52") != null)"')" \
		"fail DNS_PUBLIC_IPV6 1100 true"
	expect_eq "$v: the message names it" "$(f $v '.findings[0].message' | grep -c 'has public AAAA 2001:db8::52;')" 1
done
expect_eq "kv-big6-ok: 1,100 private AAAA pass" "$(f kv-big6-ok '"\(.status) \(.dns.ipv6.addresses|length)"')" "pass 1100"

# IPv6 not checked: a failed AAAA query beside a right A answer.
aaaa() { # VAULT CODE IPV6_RCODE IPV6_RCODE_NUM TEXT
	expect_eq "$1: error, $2" \
		"$(f "$1" '"\(.status) \([.findings[].code]|join(",")) \(.dns.rcode) \(.dns.addresses|join(",")) \(.dns.ipv6.rcode) \(.dns.ipv6.rcode_num)"')" \
		"error $2 NOERROR 10.0.0.5 $3 $4"
	expect_eq "$1: the message says IPv6 was not checked, and why" \
		"$(f "$1" '.findings[0].message' | grep -c "^IPv6 not checked: the AAAA query for $1.vault.azure.net failed: .*$5")" 1
}
aaaa kv-aaaa-servfail DNS_SERVFAIL SERVFAIL 2 "$BAD answered SERVFAIL"
aaaa kv-aaaa-refused DNS_SERVFAIL REFUSED 5 "$BAD answered REFUSED"
aaaa kv-aaaa-notauth DNS_SERVFAIL SERVFAIL 9 "$BAD answered rcode 9 NOTAUTH"
aaaa kv-aaaa-timeout DNS_TIMEOUT TIMEOUT null "no answer from $BAD after 3 attempt(s)"

# Late answers count: every answer comes 3 s after its query, within 5 s.
expect_eq "kv-slow: a 3 s server passes under the default budget" \
	"$(f kv-slow '"\(.status) \([.findings[].code]|join(",")) \(.dns.addresses|join(",")) \(.dns.ms >= 2900 and .dns.ms < 5000)"')" \
	"pass  10.0.0.5 true"

# A chain cut at the follow limit: error, no override-zone diagnosis.
for v in kv-chain16 kv-chain30 kv-plchain20; do
	expect_eq "$v: cut chain is an error, and nothing else is inferred" \
		"$(f $v '"\(.status) \([.findings[].code]|join(",")) \(.dns.chain|length) \(.dns.chain_truncated)"')" \
		"error DNS_CHAIN_INCOMPLETE 16 true"
	expect_eq "$v: the message says the chain was longer than kvpe follows" \
		"$(f $v '.findings[0].message' | grep -c 'the CNAME chain is longer than the 16 names kvpe follows')" 1
done
expect_eq "kv-plchain14: exactly 16 names fit, through the alias: pass" \
	"$(f kv-plchain14 '"\(.status) \(.dns.chain|length) \(.dns.chain_truncated // false) \(.dns.addresses|join(","))"')" \
	"pass 16 false 10.30.0.1"

# Reply codes other than NOERROR and NXDOMAIN: server failures, named.
for n in $RCODES; do
	case $n in
	2) cls=SERVFAIL text="answered SERVFAIL" ;;
	5) cls=REFUSED text="answered REFUSED" ;;
	*) cls=SERVFAIL text="answered rcode $n ${RNAME[$n]}" ;;
	esac
	expect_eq "rcode $n: DNS_SERVFAIL, error" \
		"$(f kv-rcode-$n '"\(.status) \([.findings[].code]|join(",")) \(.dns.rcode) \(.dns.rcode_num) \(.dns.addresses|length)"')" \
		"error DNS_SERVFAIL $cls $n 0"
	expect_eq "rcode $n: the message names it" \
		"$(f kv-rcode-$n '.findings[0].message' | grep -c "^kv-rcode-$n.vault.azure.net: $BAD $text; expected an address$")" 1
done
expect_eq "edges: summary counts" "$(jq -c '.summary | [.vaults, .passed, .failed, .errors]' "$T/edges.json")" "[31,5,5,21]"
expect_eq "edges: finding counts in the summary" \
	"$(jq -c '.summary.findings | {DNS_CHAIN_INCOMPLETE, DNS_SERVFAIL, DNS_TIMEOUT, DNS_PUBLIC_ADDRESS, DNS_PUBLIC_IPV6}' "$T/edges.json")" \
	'{"DNS_CHAIN_INCOMPLETE":3,"DNS_SERVFAIL":17,"DNS_TIMEOUT":1,"DNS_PUBLIC_ADDRESS":3,"DNS_PUBLIC_IPV6":2}'

# ---- kvpe resolve says the same (never "private" for what was not read whole) ----
run_kvpe "$T/resolve.json" resolve --dns-server "$BAD" --format json "${fqdns[@]}"
expect_rc "resolve: edges" 1
expect_clean_stderr "resolve: edges" "$T/resolve.json.err"
r() { jq -r --arg n "$1.vault.azure.net" ".names[] | select(.name == \$n) | $2" "$T/resolve.json"; }
expect_eq "resolve: only the whole, private answers are private" \
	"$(jq -r '[.names[] | select(.private) | .name | split(".")[0]] | sort | join(" ")' "$T/resolve.json")" \
	"kv-big-max kv-big-ok kv-big6-ok kv-plchain14 kv-slow"
for v in kv-big-first kv-big-last kv-big-both; do
	expect_eq "resolve $v: public, all read" "$(r $v '"\(.private) \(.a.addresses|length > 1000) \(.diagnosis|split(":")[0])"')" \
		"false true PUBLIC"
done
for v in kv-aaaa-servfail kv-aaaa-refused kv-aaaa-notauth kv-aaaa-timeout; do
	expect_eq "resolve $v: IPv6 not checked" "$(r $v '"\(.private) \(.diagnosis|split(":")[0]) \(.findings|join(","))"')" \
		"false IPv6 not checked $([ $v = kv-aaaa-timeout ] && echo DNS_TIMEOUT || echo DNS_SERVFAIL)"
done
expect_eq "resolve kv-aaaa-notauth: the AAAA reply code in JSON" "$(r kv-aaaa-notauth '"\(.aaaa.rcode) \(.aaaa.rcode_num)"')" \
	"SERVFAIL 9"
expect_eq "resolve kv-slow: the late answer counted" \
	"$(r kv-slow '"\(.private) \(.a.rcode) \(.a.ms >= 2900) \(.a.attempts >= 1)"')" "true NOERROR true true"
for v in kv-chain16 kv-plchain20; do
	expect_eq "resolve $v: a cut chain is not checked" "$(r $v '"\(.private) \(.a.chain_truncated) \(.diagnosis) \(.findings|join(","))"')" \
		"false true not checked: the CNAME chain is longer than the 16 names kvpe follows DNS_CHAIN_INCOMPLETE"
done
for n in 9 12 1; do
	expect_eq "resolve rcode $n: the resolver failed, named" "$(r kv-rcode-$n '"\(.private) \(.a.rcode_num) \(.diagnosis)"')" \
		"false $n the resolver failed (rcode $n ${RNAME[$n]})"
done
run_kvpe "$T/resolve-ok.txt" resolve --dns-server "$BAD" --format table kv-big-ok.vault.azure.net kv-big-max.vault.azure.net
expect_rc "resolve: whole private answers" 0
expect_eq "resolve: table diagnoses" "$(grep -c 'diagnosis    private: resolves through the private link zone' "$T/resolve-ok.txt")" 2
run_kvpe "$T/resolve-bad.txt" resolve --dns-server "$BAD" --format table kv-rcode-10.vault.azure.net kv-aaaa-refused
expect_rc "resolve: table of failures" 1
expect_eq "resolve: table names the reply code" "$(grep -c 'A            SERVFAIL  (rcode 10 NOTZONE)' "$T/resolve-bad.txt")" 1
expect_eq "resolve: table says IPv6 not checked" \
	"$(grep -c 'diagnosis    IPv6 not checked: the AAAA query failed (REFUSED)' "$T/resolve-bad.txt")" 1

# A late answer counts even when the retry went to another server: the 3 s
# server's answer to the first query wins over a second server that never
# answers.
BH=$(free_port)
python3 "$TOP/tests/servers/blackhole.py" "$BH" "$T/blackhole.pid" &
wait_for test -s "$T/blackhole.pid"
run_kvpe "$T/late.json" check --dns-server "$BAD" --dns-server "127.0.0.1:$BH" --probe off --format json --vault kv-slow
expect_rc "late answer after a retry to another server" 0
expect_eq "late answer: from the first server, to the first query" \
	"$(vault_field "$T/late.json" kv-slow '"\(.status) \(.dns.server) \(.dns.ms >= 2900)"')" "pass $BAD true"

# ---- failover: each failure moves to the next server, which answers ----
fo=()
for n in $RCODES; do fo+=(--vault "kv-rcode-$n"); done
fo+=(--vault kv-aaaa-servfail --vault kv-aaaa-notauth --vault kv-aaaa-timeout)
run_kvpe "$T/failover.json" check --dns-server "$BAD" --dns-server "$OK" --probe off --format json --timeout 2000 "${fo[@]}"
expect_rc "failover: every vault passes on the second server" 0
expect_eq "failover: every reply code answered by the second server" \
	"$(jq -r '[.vaults[] | select(.name | startswith("kv-rcode-")) | "\(.status)/\(.dns.server)"] | unique | join(" ")' "$T/failover.json")" \
	"pass/$OK"
expect_eq "failover: AAAA failures too" \
	"$(jq -r '[.vaults[] | select(.name | startswith("kv-aaaa-")) | "\(.status)/\(.dns.ipv6.rcode)"] | unique | join(" ")' "$T/failover.json")" \
	"pass/NODATA"
expect_clean_stderr "failover" "$T/failover.json.err"
run_kvpe "$T/failover-resolve.json" resolve --dns-server "$BAD" --dns-server "$OK" --format json --timeout 2000 \
	kv-rcode-9.vault.azure.net kv-rcode-13.vault.azure.net kv-rcode-4.vault.azure.net
expect_rc "failover: resolve" 0
expect_eq "failover: resolve names the second server" \
	"$(jq -r '[.names[] | "\(.private) \(.a.server) \(.a.attempts)"] | unique | join(",")' "$T/failover-resolve.json")" "true $OK 2"

# ---- nothing listening on the resolver's port ----
NL=$(free_port)
NL2=$(free_port)
while [ "$NL2" = "$NL" ]; do NL2=$(free_port); done
run_kvpe "$T/refused.json" check --dns-server "127.0.0.1:$NL" --probe off --format json --timeout 1000 --vault kv-ok
expect_rc "nothing listening" 1
expect_eq "nothing listening: error, said so (not 'answered')" \
	"$(vault_field "$T/refused.json" kv-ok '"\(.status) \([.findings[].code]|join(",")) \(.dns.rcode) \(.dns.error)"')" \
	"error DNS_SERVFAIL ERROR connection refused: nothing listens on that port"
expect_eq "nothing listening: message" "$(vault_field "$T/refused.json" kv-ok '.findings[0].message')" \
	"kv-ok.vault.azure.net: no answer from 127.0.0.1:$NL: connection refused: nothing listens on that port; expected an address"
run_kvpe "$T/refused2.json" check --dns-server "127.0.0.1:$NL" --dns-server "127.0.0.1:$NL2" --probe off --format json \
	--timeout 1000 --vault kv-ok
expect_rc "nothing listening on any server" 1
expect_eq "nothing listening on any server: the message says every server" \
	"$(vault_field "$T/refused2.json" kv-ok '.findings[0].message' | grep -c 'connection refused by all 2 servers: nothing listens on their DNS port')" 1
run_kvpe "$T/refused-fo.json" check --dns-server "127.0.0.1:$NL" --dns-server "$OK" --probe off --format json \
	--timeout 1000 --vault kv-ok
expect_rc "nothing listening on the first, the second answers" 0
run_kvpe "$T/refused-resolve.txt" resolve --dns-server "127.0.0.1:$NL" --format table --timeout 1000 kv-ok.vault.azure.net
expect_rc "nothing listening: resolve" 1
expect_eq "nothing listening: resolve says so" \
	"$(grep -c 'diagnosis    the resolver failed (connection refused: nothing listens on that port)' "$T/refused-resolve.txt")" 1

# ---- usage: a one-line reason, exit 2, nothing written ----
usage() { # NAME WANT ARGS...
	local name=$1 want=$2
	shift 2
	rm -f "$T/usage-out.json"
	run_kvpe "$T/usage.out" "$@" --output "$T/usage-out.json"
	expect_rc "usage: $name" 2
	expect_eq "usage: $name: one line" "$(wc -l <"$T/usage.out.err") $(grep -c -F -- "$want" "$T/usage.out.err")" "1 1"
	expect_eq "usage: $name: nothing written" "$(test -e "$T/usage-out.json" && echo written || echo none)" none
}
many=()
for _ in $(seq 1 33); do many+=(--dns-server "$OK"); done
usage "33 --dns-server" "at most 32 --dns-server" check "${many[@]}" --vault kv-ok --probe off
usage "33 --dns-server (resolve)" "at most 32 --dns-server" resolve "${many[@]}" kv-ok
usage "::1:53 is ambiguous" "write [::1]:53 for a port" check --dns-server ::1:53 --vault kv-ok --probe off
usage "fd00::1:5353 is ambiguous" "write [fd00::1]:5353 for a port, or [fd00::1:5353]" resolve --dns-server fd00::1:5353 kv-ok
unset 'many[0]' 'many[1]'
run_kvpe "$T/32.json" check "${many[@]}" --vault kv-ok --probe off --format json
expect_rc "32 --dns-server are fine" 0
expect_eq "32 --dns-server: all listed" "$(jq '.agent.resolvers | length' "$T/32.json")" 32
finish
