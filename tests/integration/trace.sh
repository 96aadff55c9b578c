#!/usr/bin/env bash
# `kvpe trace NAME` in the DNS-path lab (tests/lab/PATH-LAB.md): live ARM,
# IMDS naming the VM kvpe stands on, the resolvers of each VNet in scope
# asked directly.  A healthy VNet's path is right (exit 0) and names the
# zone and its link; a spoke whose DNS VM does not forward is wrong at that
# server (exit 1, DNS_CUSTOM_SERVER_NOT_FORWARDING), a forwarding rule that
# bypasses the zone is the hop named; several --vnet give several VNets;
# the JSON is kvpe.trace/v1 (validated at finish); an unknown vault is 2.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"
. "$TOP/tests/lib/netns.sh"

netns_need_root trace
path_lab_up --agent vnet-spoke-linked || { not_ok "the DNS-path lab did not start"; finish; exit 1; }
arm_env_secret
export AZURE_POD_IDENTITY_AUTHORITY_HOST=$LAB_IMDS_URL # the stand-in, inside the namespace only
ARM=(--arm-endpoint "$ARM_URL" --ca-file "$ARM_CA")
vnet() { lab_fact ".vnets[\"$1\"].id"; }

kv() {
	local out=$1
	shift
	RC=0
	netns_exec "$KVPE" trace "$@" >"$out" 2>"$out.err" || RC=$?
	validate_keep "$out"
}

# Several VNets at once: the agent's (healthy), a spoke whose DNS VM has no
# conditional forwarder, one whose ruleset sends vault.azure.net on-premises.
# (--vnet replaces the agent's own VNet: it is named too.)
NOFWD=$(vnet vnet-spoke-nofwd) RULE=$(vnet vnet-spoke-rulefwd)
kv "$T/many.json" kv-healthy "${ARM[@]}" --vnet "$LAB_AGENT_VNET_ID" --vnet "$NOFWD" --vnet "$RULE" --format json
expect_rc "trace, three VNets, two of them wrong" 1
expect_clean_stderr "trace --format json" "$T/many.json.err"
J=$T/many.json
expect_eq "JSON: the three VNets" \
	"$(jq -c '[.vnets[] | [.name, .wrong]]' "$J")" \
	'[["vnet-spoke-linked",false],["vnet-spoke-nofwd",true],["vnet-spoke-rulefwd",true]]'
expect_eq "JSON: the healthy VNet's hops name the zone and its link" \
	"$(jq -c '[.vnets[0].resolvers[0].hops[] | select(.match == "zone") | [.zone_name, (.link_name != null), .resolution_policy, .addresses]]' "$J")" \
	'[["privatelink.vaultcore.azure.net",true,"Default",["10.0.1.4"]]]'
expect_eq "JSON: the custom server's live answer is the wrong one, the model's right" \
	"$(jq -c --arg v "$NOFWD" '.vnets[] | select(.id == $v) | [.findings, (.resolvers[0] | [.server, .kind, .model.mark, .answer.mark])]' "$J")" \
	'[["DNS_CUSTOM_SERVER_NOT_FORWARDING"],["10.0.0.5:53","vm","ok","wrong"]]'
expect_eq "JSON: the forwarding rule is the wrong hop" \
	"$(jq -c --arg v "$RULE" '.vnets[] | select(.id == $v) | [.findings, [.resolvers[0].hops[] | select(.wrong) | [.match, .rule_domain, .targets]]]' "$J")" \
	'[["FORWARDING_RULE_OVERRIDES_ZONE"],[["rule","vault.azure.net",["10.200.0.53:53"]]]]'

[ -n "${KVPE_VALGRIND:-}" ] && { finish; exit; } # one case per code path under valgrind

# The healthy VNet alone, as a table: right everywhere.
kv "$T/ok.txt" kv-healthy "${ARM[@]}" --format table
expect_rc "trace of a healthy VNet" 0
if grep -q 'zone privatelink.vaultcore.azure.net (rg-dns), link ' "$T/ok.txt" && grep -q '^  = ok$' "$T/ok.txt" &&
	! grep -q 'wrong' "$T/ok.txt"; then
	ok "table: the zone and its link named, the VNet ok"
else
	not_ok "table of a healthy VNet: $(cat "$T/ok.txt")"
fi

# Two custom servers, only the first forwarding: the second is marked.
kv "$T/two.txt" kv-healthy "${ARM[@]}" --vnet "$(vnet vnet-spoke-twodns)" --format table
expect_rc "trace of the two-server spoke" 1
if grep -q '^  10.0.0.5:53 .*<-- wrong' "$T/two.txt" && grep -q '^  10.0.0.4:53 ' "$T/two.txt" &&
	grep -q '= WRONG: .*DNS_CUSTOM_SERVER_NOT_FORWARDING' "$T/two.txt"; then
	ok "table: the server that does not forward is marked, with the VNet's findings"
else
	not_ok "table of the two-server spoke: $(cat "$T/two.txt")"
fi

kv "$T/none.txt" kv-nosuch "${ARM[@]}"
expect_rc "trace of a vault that is not there" 2
expect_eq "unknown vault: one line saying so" "$(cat "$T/none.txt.err" | grep -c 'no vault kv-nosuch in the sources read')" 1
finish
