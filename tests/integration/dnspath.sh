#!/usr/bin/env bash
# The DNS-path verdict (issue 14; spec "DNS path: which resolver answers, and
# why it is wrong") through the real pipeline, in the lab of
# tests/lab/PATH-LAB.md: live ARM, IMDS, Azure DNS, the DNS VMs (unbound) and
# inbound endpoints answering in a network namespace.  Every finding of the
# lab's table "VNet -> resolver -> answer -> finding" on the VNet it belongs
# to, with its severity, the hop and resource IDs in its message; every kind
# of VNet; the healthy ones clean; dns.vantages with each server's answer and
# role; --inventory (ARM's shape and az's) giving the same verdicts as live
# ARM.
#
# Most of it comes from one run with every VNet as --vnet: a VNet whose
# clients use Azure DNS is judged from the model (its 168.63.129.16 cannot be
# asked from here), the custom servers and inbound endpoints are asked live.
# Stand-ins (kvpe "runs on" another VM) only where where kvpe stands matters:
# its VNet found through IMDS, a NIC's dnsSettings, and Azure DNS of that
# VNet asked live (the answer-based findings and severities).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"
. "$TOP/tests/lib/netns.sh"

netns_need_root dnspath
full() { [ -z "${KVPE_VALGRIND:-}" ]; }
path_lab_up --agent vnet-spoke-unlinked || { not_ok "the DNS-path lab did not start"; finish; exit 1; }
arm_env_secret
export AZURE_POD_IDENTITY_AUTHORITY_HOST=$LAB_IMDS_URL # IMDS: the stand-in, inside the namespace only
INV=$LAB_DIR/inventory-arm.json
PUBLIC=$(lab_fact .public_address)
LIVE=(--arm-endpoint "$ARM_URL" --ca-file "$ARM_CA")

kv() {
	local out=$1
	shift
	RC=0
	netns_exec "$KVPE" check --probe off --format json -v "$@" >"$out" 2>"$out.err" || RC=$?
	validate_keep "$out"
}
vid() { lab_fact ".vnets[\"$1\"].id"; }
# rid SUFFIX: the ID of the one resource of the tenant whose ID ends so
rid() { jq -r --arg s "$1" '[.[] | .id | select(endswith($s))] | if length == 1 then .[0] else "ambiguous:\($s)" end' "$INV"; }
ALL_VNETS=()
for v in $(lab_fact '.vnets | keys[]'); do ALL_VNETS+=(--vnet "$(vid "$v")"); done
# vnetcodes FILE VAULT VNET: that vault's findings on that VNet, "CODE/severity" sorted
vnetcodes() {
	jq -r --arg v "$2" --arg n "$(vid "$3")" \
		'[.vaults[] | select(.name == $v) | .findings[] | select(.vnet == $n) | "\(.code)/\(.severity)"] | sort | join(",")' "$1"
}
# tenantcodes FILE VAULT: the findings without a VNet
tenantcodes() {
	jq -r --arg v "$2" '[.vaults[] | select(.name == $v) | .findings[] | select(.vnet == null) | .code] | sort | join(",")' "$1"
}
# finding FILE VAULT CODE VNET|- FIELD: message or remediation of that finding
finding() {
	jq -r --arg v "$2" --arg c "$3" --arg n "$([ "$4" = - ] && echo null || vid "$4")" --arg f "$5" \
		'.vaults[] | select(.name == $v) | .findings[] | select(.code == $c and ((.vnet // "null") == $n)) | .[$f]' "$1"
}
# has NAME TEXT WORD...: every WORD is in TEXT
has() {
	local name=$1 text=$2 w missing=""
	shift 2
	for w in "$@"; do [[ "$text" == *"$w"* ]] || missing="$missing [$w]"; done
	expect_eq "$name" "${missing:-all named}" "all named"
}
# every vault's findings as "vault vnet-name code severity" lines (the verdicts compared across sources)
verdicts() {
	jq -r '.vaults[] | .name as $v | .status as $s | "\($v) status \($s)", (.findings[] | "\($v) \((.vnet // "-") | sub(".*/"; "")) \(.code) \(.severity)")' "$1" | sort
}
# vantage FILE VAULT SERVER: "role vnet-name rcode addresses" of that server's entry in dns.vantages
vantage() {
	jq -r --arg v "$2" --arg s "$3" '.vaults[] | select(.name == $v) | .dns.vantages[] | select(.server == $s) |
		"\(.role) \((.vnet // "-") | sub(".*/"; "")) \(.rcode) \(.addresses | join(",") | if . == "" then "-" else . end)"' "$1"
}

# ---- IMDS: kvpe runs in vnet-spoke-unlinked, no --vnet: ZONE_NOT_LINKED there ----
if full; then
	kv "$T/imds.json" "${LIVE[@]}"
	expect_rc "IMDS, live ARM: the vaults fail" 1
	expect_clean_stderr "IMDS, live ARM" "$T/imds.json.err"
	expect_eq "IMDS: the agent's VNet found through its VM (info)" \
		"$(grep -c "running in Azure: the instance metadata service names this VM vm=$LAB_AGENT_VM_ID" "$T/imds.json.err")" 1
	expect_eq "IMDS: the VNet in scope logged, found through IMDS (info)" \
		"$(grep -c "DNS path: VNet in scope vnet=$LAB_AGENT_VNET_ID found_by=imds" "$T/imds.json.err")" 1
	expect_eq "IMDS: ZONE_NOT_LINKED on the agent's VNet (vnet-spoke-unlinked), no --vnet" \
		"$(vnetcodes "$T/imds.json" kv-healthy vnet-spoke-unlinked)" "ZONE_NOT_LINKED/high"
	expect_eq "IMDS: no path finding on any other VNet" \
		"$(jq -r --arg n "$LAB_AGENT_VNET_ID" '[.vaults[].findings[] | select(.vnet != null and .vnet != $n)] | length' "$T/imds.json")" 0
	has "IMDS: ZONE_NOT_LINKED names the VNet and links it" \
		"$(finding "$T/imds.json" kv-healthy ZONE_NOT_LINKED vnet-spoke-unlinked message) $(finding "$T/imds.json" kv-healthy ZONE_NOT_LINKED vnet-spoke-unlinked remediation)" \
		"the clients of VNet $LAB_AGENT_VNET_ID resolve with its Azure DNS" \
		"az network private-dns link vnet create --resource-group rg-dns --zone-name privatelink.vaultcore.azure.net" \
		"--virtual-network $LAB_AGENT_VNET_ID"
	expect_eq "IMDS: Azure DNS of the agent's VNet asked live (azure, client's)" \
		"$(vantage "$T/imds.json" kv-healthy 168.63.129.16:53) $(jq -r '.agent.vantages[] | select(.server == "168.63.129.16:53") | .client' "$T/imds.json")" \
		"azure vnet-spoke-unlinked NOERROR $PUBLIC true"
	expect_eq "IMDS: the vault's answer is that server's (public), no VNet on it" \
		"$(tenantcodes "$T/imds.json" kv-healthy)" "DNS_PUBLIC_ADDRESS"
	kv "$T/imds-inv.json" --inventory "$INV"
	expect_eq "IMDS, --inventory (ARM shape): the same verdicts as live ARM" \
		"$(verdicts "$T/imds-inv.json")" "$(verdicts "$T/imds.json")"
fi

# ---- every VNet as --vnet, from vnet-spoke-unlinked ----
kv "$T/all.json" "${LIVE[@]}" "${ALL_VNETS[@]}"
expect_rc "every VNet, live ARM" 1
expect_clean_stderr "every VNet, live ARM" "$T/all.json.err"
expect_eq "every VNet: no run error" "$(jq -c '.errors // []' "$T/all.json")" "[]"

# The lab's table, kv-healthy (endpoint 10.0.1.4) on each VNet.
while read -r vnet want; do
	[ "$want" = none ] && want=""
	expect_eq "kv-healthy on $vnet" "$(vnetcodes "$T/all.json" kv-healthy "$vnet")" "$want"
done <<'EOF'
vnet-hub none
vnet-spoke-linked none
vnet-hub-nolink ZONE_NOT_LINKED/high
vnet-spoke-unlinked ZONE_NOT_LINKED/high
vnet-spoke-dnsvm none
vnet-spoke-nofwd DNS_CUSTOM_SERVER_NOT_FORWARDING/high
vnet-spoke-inbound none
vnet-spoke-inbound-nolink ZONE_NOT_LINKED_TO_RESOLVER_VNET/high
vnet-spoke-twodns DNS_CUSTOM_SERVER_NOT_FORWARDING/high,VANTAGE_DISAGREES/high
vnet-spoke-nxredirect ZONE_LINK_NXDOMAIN_REDIRECT/low
vnet-spoke-lz2 none
vnet-spoke-rulefwd FORWARDING_RULE_OVERRIDES_ZONE/medium
vnet-spoke-shadow FORWARDING_RULE_SHADOWED/low
vnet-hub-loop FORWARDING_RULE_LOOP/high
vnet-spoke-loop FORWARDING_RULE_LOOP/high
EOF
# kv-norecord: its record is missing from the zone.
expect_eq "kv-norecord on vnet-spoke-nxredirect: NxDomainRedirect with the record missing is high" \
	"$(vnetcodes "$T/all.json" kv-norecord vnet-spoke-nxredirect)" "ZONE_LINK_NXDOMAIN_REDIRECT/high"
expect_eq "kv-norecord on vnet-spoke-nofwd: no forwarder finding (the zone holds no address to forward to)" \
	"$(vnetcodes "$T/all.json" kv-norecord vnet-spoke-nofwd)" ""
expect_eq "kv-norecord on vnet-spoke-twodns: NXDOMAIN and public still disagree" \
	"$(vnetcodes "$T/all.json" kv-norecord vnet-spoke-twodns)" "VANTAGE_DISAGREES/high"
expect_eq "kv-nopep (no endpoint): no path finding anywhere" \
	"$(jq '[.vaults[] | select(.name == "kv-nopep") | .findings[] | select(.vnet != null)] | length' "$T/all.json")" 0
expect_eq "tenant-wide: ZONE_SPLIT_BRAIN for kv-split, without a VNet" \
	"$(tenantcodes "$T/all.json" kv-split | grep -o ZONE_SPLIT_BRAIN)" ZONE_SPLIT_BRAIN
expect_eq "tenant-wide: ENDPOINT_RECORD_COLLISION for kv-twope, without a VNet" \
	"$(tenantcodes "$T/all.json" kv-twope | grep -o ENDPOINT_RECORD_COLLISION)" ENDPOINT_RECORD_COLLISION
expect_eq "tenant-wide codes appear once per vault" \
	"$(jq '[.vaults[] | [.findings[] | select(.vnet == null) | .code] | (length - (unique | length))] | add' "$T/all.json")" 0
expect_eq "the split brain and the collision belong to their vaults only" \
	"$(jq -r '[.vaults[] | select(.findings | any(.code == "ZONE_SPLIT_BRAIN" or .code == "ENDPOINT_RECORD_COLLISION")) | .name] | join(",")' "$T/all.json")" \
	"kv-split,kv-twope"

# Messages: the hop, the VNet and the resource IDs; fixes: the real az command.
A=$T/all.json
ZONE=$(rid /resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net)
ZONE2=$(rid /resourceGroups/rg-dns-lz2/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net)
m() { echo "$(finding "$A" "$1" "$2" "$3" message) || $(finding "$A" "$1" "$2" "$3" remediation)"; }
has "ZONE_NOT_LINKED (vnet-hub-nolink): the VNet, the link to create" "$(m kv-healthy ZONE_NOT_LINKED vnet-hub-nolink)" \
	"VNet $(vid vnet-hub-nolink) resolve with its Azure DNS" "link vnet create" "--virtual-network $(vid vnet-hub-nolink)"
has "ZONE_NOT_LINKED_TO_RESOLVER_VNET: the inbound endpoint, the resolver's VNet, its link" \
	"$(m kv-healthy ZONE_NOT_LINKED_TO_RESOLVER_VNET vnet-spoke-inbound-nolink)" \
	"VNet $(vid vnet-spoke-inbound-nolink) resolve through inbound endpoint 10.2.2.4:53" \
	"$(rid /dnsResolvers/dnsr-nolink/inboundEndpoints/in-nolink)" \
	"resolves in VNet $(vid vnet-hub-nolink)" "--virtual-network $(vid vnet-hub-nolink)"
has "DNS_CUSTOM_SERVER_NOT_FORWARDING (vnet-spoke-nofwd): the DNS VM, its answer, its NIC, the forwarder" \
	"$(m kv-healthy DNS_CUSTOM_SERVER_NOT_FORWARDING vnet-spoke-nofwd)" \
	"DNS VM 10.0.0.5:53" "VNet $(vid vnet-spoke-nofwd)" "answers $PUBLIC for kv-healthy.vault.azure.net" "holds 10.0.1.4" \
	"$(rid /networkInterfaces/vm-dns-nofwd-nic)" "forward-zone"
has "DNS_CUSTOM_SERVER_NOT_FORWARDING (vnet-spoke-twodns): the second server only" \
	"$(m kv-healthy DNS_CUSTOM_SERVER_NOT_FORWARDING vnet-spoke-twodns)" "DNS VM 10.0.0.5:53" "VNet $(vid vnet-spoke-twodns)"
has "VANTAGE_DISAGREES: both servers and both answers" "$(m kv-healthy VANTAGE_DISAGREES vnet-spoke-twodns)" \
	"VNet $(vid vnet-spoke-twodns) use 10.0.0.4:53 and 10.0.0.5:53" "answer 10.0.1.4 and $PUBLIC" "--dns-servers"
has "ZONE_LINK_NXDOMAIN_REDIRECT: the link, the zone, the VNet, the update" \
	"$(m kv-healthy ZONE_LINK_NXDOMAIN_REDIRECT vnet-spoke-nxredirect)" \
	"$(rid /privateDnsZones/privatelink.vaultcore.azure.net/virtualNetworkLinks/link-vnet-spoke-nxredirect)" "zone $ZONE" \
	"VNet $(vid vnet-spoke-nxredirect)" "record exists today" \
	"az network private-dns link vnet update --resource-group rg-dns --zone-name privatelink.vaultcore.azure.net --name link-vnet-spoke-nxredirect --resolution-policy Default"
has "ZONE_LINK_NXDOMAIN_REDIRECT (kv-norecord): the missing record, and adding it" \
	"$(m kv-norecord ZONE_LINK_NXDOMAIN_REDIRECT vnet-spoke-nxredirect)" "record is missing" "record-set a add-record" \
	"--resolution-policy Default"
has "FORWARDING_RULE_OVERRIDES_ZONE: the rule, its VNet, its target, the update" \
	"$(m kv-healthy FORWARDING_RULE_OVERRIDES_ZONE vnet-spoke-rulefwd)" \
	"forwarding rule $(rid /rs-spoke-vault/forwardingRules/vault-to-onprem) (vault.azure.net.)" "VNet $(vid vnet-spoke-rulefwd)" \
	"to 10.200.0.53:53" \
	"az dns-resolver forwarding-rule update --resource-group rg-dns --ruleset-name rs-spoke-vault --name vault-to-onprem --forwarding-rule-state Disabled"
has "FORWARDING_RULE_SHADOWED: the rule, the zone, the delete" "$(m kv-healthy FORWARDING_RULE_SHADOWED vnet-spoke-shadow)" \
	"forwarding rule $(rid /rs-shadow/forwardingRules/privatelink-to-onprem) (privatelink.vaultcore.azure.net.)" \
	"VNet $(vid vnet-spoke-shadow)" "zone $ZONE" \
	"az dns-resolver forwarding-rule delete --resource-group rg-dns --ruleset-name rs-shadow --name privatelink-to-onprem"
expect_eq "FORWARDING_RULE_SHADOWED: the Disabled rule is nothing" \
	"$(jq '[.vaults[].findings[] | select(.message | test("vault-disabled"))] | length' "$A")" 0
has "FORWARDING_RULE_LOOP (vnet-hub-loop): the rule, the VNet, its own inbound endpoint" \
	"$(m kv-healthy FORWARDING_RULE_LOOP vnet-hub-loop)" \
	"forwarding rule $(rid /rs-loop/forwardingRules/vault-to-own-inbound) (vault.azure.net.)" \
	"linked to VNet $(vid vnet-hub-loop) and targets 10.13.2.4:53" "--ruleset-name rs-loop"
has "FORWARDING_RULE_LOOP (vnet-spoke-loop): inherited from the hub, naming the spoke" \
	"$(m kv-healthy FORWARDING_RULE_LOOP vnet-spoke-loop)" "linked to VNet $(vid vnet-hub-loop)" \
	"for the clients of $(vid vnet-spoke-loop) too"
has "ZONE_SPLIT_BRAIN: both zones, the VNets linked to each, both records" "$(m kv-split ZONE_SPLIT_BRAIN -)" \
	"$ZONE (linked to" "$ZONE2 (linked to $(vid vnet-spoke-lz2))" "10.0.1.6 and 10.10.1.6" \
	"az network private-dns record-set a delete --resource-group rg-dns-lz2"
has "ENDPOINT_RECORD_COLLISION: the endpoint left out" "$(m kv-twope ENDPOINT_RECORD_COLLISION -)" \
	"zone $ZONE holds 10.1.1.7" "leaving out endpoint $(rid /privateEndpoints/pe-kv-twope-0) (10.0.1.7)" \
	"dns-zone-group delete"

# dns.vantages: every server on the path, asked live, with its role and VNet.
expect_eq "dns.vantages: every client's server and inbound endpoint, once" \
	"$(jq -r '[.vaults[] | select(.name == "kv-healthy") | .dns.vantages[].server] | sort | join(" ")' "$A")" \
	"10.0.0.4:53 10.0.0.5:53 10.0.2.4:53 10.13.2.4:53 10.2.2.4:53 168.63.129.16:53"
while read -r srv want; do
	expect_eq "dns.vantages: kv-healthy from $srv" "$(vantage "$A" kv-healthy "$srv")" "${want//PUBLIC/$PUBLIC}"
done <<'EOF'
10.0.0.4:53 custom vnet-hub NOERROR 10.0.1.4
10.0.0.5:53 custom vnet-hub NOERROR PUBLIC
10.0.2.4:53 inbound vnet-hub NOERROR 10.0.1.4
10.2.2.4:53 inbound vnet-hub-nolink NOERROR PUBLIC
10.13.2.4:53 inbound vnet-hub-loop SERVFAIL -
168.63.129.16:53 azure vnet-spoke-unlinked NOERROR PUBLIC
EOF
expect_eq "dns.vantages: kv-norecord from the forwarding DNS VM (NXDOMAIN, the zone's)" \
	"$(vantage "$A" kv-norecord 10.0.0.4:53)" "custom vnet-hub NXDOMAIN -"
expect_eq "dns.vantages: the chain through the private link name (inbound endpoint)" \
	"$(jq -r '.vaults[] | select(.name == "kv-healthy") | .dns.vantages[] | select(.server == "10.0.2.4:53") | .chain | join(">")' "$A")" \
	"kv-healthy.vault.azure.net>kv-healthy.privatelink.vaultcore.azure.net"
expect_eq "every VNet: all servers are clients' ones" \
	"$(jq -r '[.agent.vantages[] | select(.client | not) | .server] | join(",")' "$A")" ""

# Valgrind: the one run above (every rule, live ARM); dnspath_sources reads the files under it.
full || { finish; exit 0; }

# ---- the same tenant saved, ARM's shape then az's: the same verdicts ----
kv "$T/all-inv.json" --inventory "$INV" "${ALL_VNETS[@]}"
expect_rc "every VNet, --inventory (ARM shape)" 1
expect_eq "every VNet, --inventory (ARM shape): the same verdicts as live ARM" "$(verdicts "$T/all-inv.json")" "$(verdicts "$A")"
AZ=()
for f in "$LAB_DIR"/inventory-az/*.json; do AZ+=(--inventory "$f"); done
kv "$T/all-az.json" "${AZ[@]}" "${ALL_VNETS[@]}"
expect_rc "every VNet, --inventory (az shape)" 1
expect_eq "every VNet, --inventory (az shape): the same verdicts as live ARM" "$(verdicts "$T/all-az.json")" "$(verdicts "$A")"

# ---- where kvpe stands matters ----
# stand_in VNET|VM [ARGS...]: kvpe runs there (IMDS, 168.63.129.16, resolv.conf); $T/<name>.json
stand_in() {
	local where=$1
	shift
	path_lab_stand_in "$where" || not_ok "stand-in $where"
	kv "$T/$where.json" "${LIVE[@]}" "$@"
	expect_clean_stderr "in $where" "$T/$where.json.err"
}

# Healthy VNets of each kind together (Azure DNS, DNS VM, inbound endpoint): a pass.
stand_in vnet-spoke-dnsvm --vnet "$(vid vnet-hub)" --vnet "$(vid vnet-spoke-linked)" --vnet "$(vid vnet-spoke-dnsvm)" \
	--vnet "$(vid vnet-spoke-inbound)"
expect_eq "healthy VNets (Azure DNS, DNS VM, inbound endpoint): kv-healthy passes, no finding" \
	"$(vault_field "$T/vnet-spoke-dnsvm.json" kv-healthy '"\(.status) \(.findings | length)"')" "pass 0"
expect_eq "healthy VNets: no path finding for any vault" \
	"$(jq '[.vaults[].findings[] | select(.vnet != null)] | length' "$T/vnet-spoke-dnsvm.json")" 0
expect_eq "healthy VNets: the system resolver is the DNS VM (custom), Azure DNS a reference point" \
	"$(jq -r '[.agent.vantages[] | select(.server == "10.0.0.4:53" or .server == "168.63.129.16:53") | "\(.server)=\(.role)/\(.client)"] | sort | join(" ")' "$T/vnet-spoke-dnsvm.json")" \
	"10.0.0.4:53=custom/true 168.63.129.16:53=azure/false"

# NIC override: vm-override's NIC sends it to the DNS VM without a forwarder.
stand_in vm-override
expect_eq "NIC override (found through IMDS): DNS_CUSTOM_SERVER_NOT_FORWARDING on its VNet" \
	"$(vnetcodes "$T/vm-override.json" kv-healthy vnet-spoke-linked)" "DNS_CUSTOM_SERVER_NOT_FORWARDING/high"
has "NIC override: the server of the NIC's dnsSettings" \
	"$(finding "$T/vm-override.json" kv-healthy DNS_CUSTOM_SERVER_NOT_FORWARDING vnet-spoke-linked message)" "DNS VM 10.0.0.5:53" \
	"VNet $(vid vnet-spoke-linked)"
expect_eq "NIC override: its VNet's Azure DNS is a reference point, 10.0.0.5 the client's" \
	"$(jq -r '[.agent.vantages[] | "\(.server)=\(.role)/\(.client)"] | map(select(test("^(10.0.0.5|168.63)"))) | sort | join(" ")' "$T/vm-override.json")" \
	"10.0.0.5:53=custom/true 168.63.129.16:53=azure/false"
expect_eq "NIC override: kv-healthy fails on the answer the VM gets" \
	"$(vault_field "$T/vm-override.json" kv-healthy '"\(.status) \(.dns.addresses | join(","))"')" "fail $PUBLIC"

# Two custom servers: the system resolver asks the first and is right, still a fail.
stand_in vnet-spoke-twodns
expect_eq "two custom servers: the system resolver's answer is right" \
	"$(vault_field "$T/vnet-spoke-twodns.json" kv-healthy '.dns.addresses | join(",")')" 10.0.1.4
expect_eq "two custom servers: VANTAGE_DISAGREES and the second's missing forwarder, the vault fails" \
	"$(vnetcodes "$T/vnet-spoke-twodns.json" kv-healthy vnet-spoke-twodns) $(vault_field "$T/vnet-spoke-twodns.json" kv-healthy .status)" \
	"DNS_CUSTOM_SERVER_NOT_FORWARDING/high,VANTAGE_DISAGREES/high fail"
expect_eq "two custom servers: the answer-based finding follows the worst answer" \
	"$(tenantcodes "$T/vnet-spoke-twodns.json" kv-healthy)" DNS_PUBLIC_ADDRESS
# A --vnet elsewhere adds to the VM's own VNet, it does not replace it.
kv "$T/twodns-hub.json" "${LIVE[@]}" --vnet "$(vid vnet-hub)"
expect_eq "two custom servers, --vnet vnet-hub: the VM's own VNet still judged (no wrong pass)" \
	"$(vnetcodes "$T/twodns-hub.json" kv-healthy vnet-spoke-twodns) $(vnetcodes "$T/twodns-hub.json" kv-healthy vnet-hub) $(vault_field "$T/twodns-hub.json" kv-healthy .status)" \
	"DNS_CUSTOM_SERVER_NOT_FORWARDING/high,VANTAGE_DISAGREES/high  fail"

# Azure DNS of the VNet asked live: the answer-based findings and severities.
stand_in vnet-spoke-lz2
expect_eq "landing zone's own zone (live): kv-split's wrong address, and the split brain" \
	"$(tenantcodes "$T/vnet-spoke-lz2.json" kv-split)" "DNS_ADDRESS_MISMATCH,ZONE_RECORD_STALE,ZONE_SPLIT_BRAIN"
expect_eq "landing zone's own zone: kv-healthy passes there" "$(vault_field "$T/vnet-spoke-lz2.json" kv-healthy .status)" pass
stand_in vnet-spoke-rulefwd
expect_eq "forwarding rule (live): the clients' answer is wrong, so high" \
	"$(vnetcodes "$T/vnet-spoke-rulefwd.json" kv-healthy vnet-spoke-rulefwd)" "FORWARDING_RULE_OVERRIDES_ZONE/high"
stand_in vnet-hub-loop
expect_eq "forwarding loop (live): SERVFAIL beside the loop" \
	"$(vnetcodes "$T/vnet-hub-loop.json" kv-healthy vnet-hub-loop) $(tenantcodes "$T/vnet-hub-loop.json" kv-healthy)" \
	"FORWARDING_RULE_LOOP/high DNS_SERVFAIL"
stand_in vnet-spoke-nxredirect
expect_eq "NxDomainRedirect (live): kv-norecord silently public, high" \
	"$(vnetcodes "$T/vnet-spoke-nxredirect.json" kv-norecord vnet-spoke-nxredirect) $(vault_field "$T/vnet-spoke-nxredirect.json" kv-norecord '.dns.addresses | join(",")')" \
	"ZONE_LINK_NXDOMAIN_REDIRECT/high $PUBLIC"
expect_eq "NxDomainRedirect (live): kv-healthy right today, low (a low finding passes)" \
	"$(vnetcodes "$T/vnet-spoke-nxredirect.json" kv-healthy vnet-spoke-nxredirect) $(vault_field "$T/vnet-spoke-nxredirect.json" kv-healthy .status)" \
	"ZONE_LINK_NXDOMAIN_REDIRECT/low pass"
finish
