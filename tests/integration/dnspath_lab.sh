#!/usr/bin/env bash
# The DNS-path lab itself (tests/lab/PATH-LAB.md), before kvpe uses it: in a
# network namespace of its own, every resolver answers as the tenant model
# (tests/lab/path-tenant.json) says, the ARM stand-in serves every list of the
# DNS path in ARM's shapes, IMDS answers only with "Metadata: true", nothing
# routes out of the namespace, and two lab starts in a row leave nothing behind.
# kvpe is not run here: the sanitizer and valgrind passes skip it.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"
. "$TOP/tests/lib/netns.sh"

# --cycle: start the lab, say what is running, exit (the EXIT trap cleans up).
if [ "${1:-}" = "--cycle" ]; then
	path_lab_up >/dev/null || exit 1
	echo "ns=$NS"
	echo "pids=$(ip netns pids "$NS" | paste -sd' ' -)"
	echo "t=$T"
	exit 0
fi

netns_need_root dnspath_lab
if [ -n "${ASAN_OPTIONS:-}" ] || [ -n "${KVPE_VALGRIND:-}" ]; then
	skip "dnspath_lab: runs no kvpe; checked in the normal build's pass"
	finish
	exit 0
fi

PAGE=10
path_lab_up --agent vnet-spoke-linked --page-size $PAGE || { not_ok "the DNS-path lab did not start"; finish; exit 1; }
ok "lab started in namespace $NS"
within "lab start" "$LAB_START_MS" 3000
PUBLIC=$(lab_fact .public_address)

# ---- isolation: only /32 addresses on kvlab0, no route anywhere ----
expect_eq "no route in the namespace" "$(netns_exec ip -4 route show | wc -l)" 0
if netns_exec ip -4 route get 192.0.2.1 >/dev/null 2>&1; then
	not_ok "a packet to 192.0.2.1 would leave the namespace"
else
	ok "nothing outside the namespace is reachable (route get fails)"
fi
expect_eq "lab addresses on kvlab0" \
	"$(netns_exec ip -4 -o addr show dev kvlab0 | awk '{print $4}' | sort | paste -sd,)" \
	"$(lab_fact '.addresses[]' | sed 's|$|/32|' | sort | paste -sd,)"
if ip -4 -o addr show | grep -q ' 168\.63\.129\.16/'; then
	not_ok "168.63.129.16 is on a host interface"
else
	ok "the host itself carries no lab address"
fi

# want NAME: the expectation in the model's words -> lab_answer's
want() { [ "$1" = public ] && echo "$PUBLIC" || echo "$1"; }

# ---- every VNet: its clients' resolvers answer as the model says ----
# A client of Azure-provided DNS asks 168.63.129.16 of its own VNet: here
# 168.63.129.16:<the VNet's port>; 168.63.129.16:53 is the agent's VNet.
# One batch: "server name" questions and the answers the model expects.
jq -r --arg pub "$PUBLIC" '.vnets | to_entries[] | .key as $v | .value.azure_port as $p | .value.expect as $e |
	.value.clients[] as $s | ($e.server_answers[$s] // $e.answers) | to_entries[] |
	"\(if $s == "168.63.129.16" then "\($s):\($p)" else $s end) \(.key).vault.azure.net \($v) \(if .value == "public" then $pub else .value end)"' \
	"$LAB_JSON" >"$T/questions"
awk '{print $1, $2}' "$T/questions" | lab_answers >"$T/answers"
expect_eq "questions asked and answered" "$(wc -l <"$T/answers")" "$(wc -l <"$T/questions")"
while IFS=$'\t' read -r ask name _ got; do
	read -r _ _ vnet exp < <(awk -v a="$ask" -v n="$name" '$1 == a && $2 == n' "$T/questions" | head -1)
	expect_eq "$vnet via $ask: ${name%%.*}" "$got" "$exp"
done <"$T/answers"

# The VM whose NIC overrides its VNet's DNS: its own resolver is the broken VM.
expect_eq "vm-override: clients' resolver" "$(lab_fact '.vms["vm-override"].clients | join(",")')" 10.0.0.5
expect_eq "vm-override via 10.0.0.5: kv-healthy" "$(lab_answer 10.0.0.5 kv-healthy.vault.azure.net)" "$PUBLIC"

# ---- answers in detail ----
out=$(netns_exec dig +tries=1 +timeout=2 +noall +answer @168.63.129.16 kv-healthy.vault.azure.net A)
expect_eq "agent's Azure DNS: the whole chain" "$(echo "$out" | awk '{print $1, $2, $4, $5}' | paste -sd'|')" \
	"kv-healthy.vault.azure.net. 60 CNAME kv-healthy.privatelink.vaultcore.azure.net.|kv-healthy.privatelink.vaultcore.azure.net. 10 A 10.0.1.4"
expect_eq "AAAA: NOERROR, no data" "$(lab_answer 168.63.129.16 kv-healthy.vault.azure.net AAAA)" ""
expect_eq "privatelink name asked directly" "$(lab_answer 168.63.129.16 kv-healthy.privatelink.vaultcore.azure.net)" 10.0.1.4
expect_eq "privatelink name on the internet" "$(lab_answer 10.255.0.53 kv-healthy.privatelink.vaultcore.azure.net)" "$PUBLIC"
expect_eq "no endpoint: no privatelink alias in public DNS" \
	"$(netns_exec dig +short @10.255.0.53 kv-nopep.vault.azure.net | head -1)" "data-prod-weu.vaultcore.azure.net."
expect_eq "no endpoint: privatelink name does not exist" \
	"$(lab_answer 10.255.0.53 kv-nopep.privatelink.vaultcore.azure.net)" NXDOMAIN
expect_eq "Azure DNS over TCP" "$(netns_exec dig +tcp +short @168.63.129.16 kv-healthy.vault.azure.net | tail -1)" 10.0.1.4
expect_eq "DNS VM over TCP" "$(netns_exec dig +tcp +short @10.0.0.4 kv-healthy.vault.azure.net | tail -1)" 10.0.1.4
expect_eq "inbound endpoint over TCP" "$(netns_exec dig +tcp +short @10.0.2.4 kv-healthy.vault.azure.net | tail -1)" 10.0.1.4
expect_eq "split brain: each zone's own record" \
	"$(lab_answer 168.63.129.16:"$(lab_fact '.vnets["vnet-hub"].azure_port')" kv-split.vault.azure.net) $(lab_answer 168.63.129.16:"$(lab_fact '.vnets["vnet-spoke-lz2"].azure_port')" kv-split.vault.azure.net)" \
	"10.0.1.6 10.10.1.6"
expect_eq "two endpoints, one record" "$(lab_answer 168.63.129.16 kv-twope.vault.azure.net)" 10.1.1.7

# The rule's answer is the target's own: the on-prem server's message, relayed.
p=$(lab_fact '.vnets["vnet-spoke-rulefwd"].azure_port')
a=$(netns_exec dig +tries=1 +timeout=2 +noall +answer -p "$p" @168.63.129.16 kv-healthy.vault.azure.net | awk '{print $1, $4, $5}')
b=$(netns_exec dig +tries=1 +timeout=2 +noall +answer @10.200.0.53 kv-healthy.vault.azure.net | awk '{print $1, $4, $5}')
expect_eq "forwarding rule relays its target's answer" "$a" "$b"
expect_eq "forwarding rule: azdns says which rule" \
	"$(jq -r --arg l "168.63.129.16:$p" 'select(.listener == $l and .name == "kv-healthy.vault.azure.net") | .via[0]' "$LAB_AZDNS_LOG" | tail -1)" \
	"rule:$(lab_fact '.rulesets[] | select(.links | index("vnet-spoke-rulefwd")) | .rules[0].name')"
expect_eq "shadowed rule: the zone answered" \
	"$(jq -r --arg l "168.63.129.16:$(lab_fact '.vnets["vnet-spoke-shadow"].azure_port')" 'select(.listener == $l and .name == "kv-healthy.vault.azure.net") | .via | join(" ")' "$LAB_AZDNS_LOG" | tail -1 | sed 's/zone:.*/zone/')" \
	"public zone"
expect_eq "the loop is caught" "$(grep -c '"forwarding-loop"' "$LAB_AZDNS_LOG" | awk '{print ($1 > 0)}')" 1

# ---- the system resolver and "where kvpe runs" move together ----
sysanswer() { netns_exec getent ahostsv4 kv-healthy.vault.azure.net | awk 'NR == 1 {print $1}'; }
expect_eq "system resolver (spoke-linked)" "$(sysanswer)" 10.0.1.4
path_lab_stand_in vnet-spoke-unlinked || not_ok "stand-in vnet-spoke-unlinked"
expect_eq "stand-in: 168.63.129.16:53 follows the agent" "$(lab_answer 168.63.129.16 kv-healthy.vault.azure.net)" "$PUBLIC"
expect_eq "stand-in: system resolver" "$(sysanswer)" "$PUBLIC"
imds() { netns_exec curl -s "$@"; }
IMDS="$LAB_IMDS_URL/metadata/instance?api-version=2021-02-01"
expect_eq "IMDS names the agent's VM" "$(imds -H Metadata:true "$IMDS" | jq -r .compute.resourceId)" "$LAB_AGENT_VM_ID"
path_lab_stand_in vm-override || not_ok "stand-in vm-override"
expect_eq "NIC override: resolv.conf" "$(awk '$1 == "nameserver" {print $2}' "/etc/netns/$NS/resolv.conf")" 10.0.0.5
expect_eq "NIC override: system resolver" "$(sysanswer)" "$PUBLIC"
path_lab_stand_in vnet-spoke-twodns || not_ok "stand-in vnet-spoke-twodns"
expect_eq "two custom servers: resolv.conf" \
	"$(awk '$1 == "nameserver" {print $2}' "/etc/netns/$NS/resolv.conf" | paste -sd,)" 10.0.0.4,10.0.0.5
expect_eq "two custom servers: the system resolver looks right" "$(sysanswer)" 10.0.1.4

# ---- IMDS ----
doc=$(imds -H Metadata:true "$IMDS")
expect_eq "IMDS: VM, address, MAC" \
	"$(echo "$doc" | jq -r '[.compute.resourceId, .network.interface[0].ipv4.ipAddress[0].privateIpAddress, .network.interface[0].macAddress, .compute.subscriptionId] | join(" ")')" \
	"$LAB_AGENT_VM_ID $LAB_AGENT_IP 000D3A08040A $LAB_SUB"
expect_eq "IMDS: primitives are strings" "$(echo "$doc" | jq -r '.network.interface[0].ipv4.subnet[0].prefix | type')" string
expect_eq "IMDS: without Metadata: true" "$(imds -o /dev/null -w '%{http_code}' "$IMDS")" 400
expect_eq "IMDS: Metadata: false" "$(imds -o /dev/null -w '%{http_code}' -H Metadata:false "$IMDS")" 400
expect_eq "IMDS: the reason" "$(imds "$IMDS" | jq -r .error)" "Bad request. Required metadata header not specified"
expect_eq "IMDS: X-Forwarded-For refused" \
	"$(imds -o /dev/null -w '%{http_code}' -H Metadata:true -H X-Forwarded-For:1.2.3.4 "$IMDS")" 400
expect_eq "IMDS: no api-version" "$(imds -H Metadata:true "$LAB_IMDS_URL/metadata/instance" | jq -r '."newest-versions" | length')" 3
expect_eq "IMDS: a leaf as text" \
	"$(imds -H Metadata:true "$LAB_IMDS_URL/metadata/instance/compute/resourceId?api-version=2021-02-01&format=text")" \
	"$LAB_AGENT_VM_ID"
mi=$(imds -H Metadata:true "$LAB_IMDS_URL/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/" |
	jq -r .access_token)
expect_eq "IMDS: a managed-identity token ARM accepts" \
	"$(netns_exec curl -s -o /dev/null -w '%{http_code}' --cacert "$ARM_CA" -H "Authorization: Bearer $mi" "$ARM_URL/subscriptions?api-version=2022-12-01")" 200
expect_eq "IMDS: only on 169.254.169.254:80 in the namespace" \
	"$(netns_exec ss -Hltn 'sport = :80' | awk '{print $4}')" 169.254.169.254:80

# ---- Key Vault stand-ins on the endpoint addresses (for probe tests) ----
if path_lab_kvservers; then
	for a in $(lab_fact '[.vaults[].endpoints[]] | unique | .[]'); do
		code=$(netns_exec curl -s -o /dev/null -w '%{http_code}' --cacert "$ARM_CA" \
			--resolve "kv-twope.vault.azure.net:443:$a" https://kv-twope.vault.azure.net/healthstatus)
		[ "$code" = 200 ] || break
	done
	expect_eq "a TLS Key Vault stand-in on every endpoint address" "$code" 200
else
	not_ok "kvserver on the endpoint addresses did not start"
fi

# ---- ARM: every list of the DNS path, paged, in the real shapes ----
TOKEN=$(netns_exec curl -s --cacert "$ARM_CA" "$ARM_URL/$ARM_TENANT/oauth2/v2.0/token" -d grant_type=client_credentials \
	-d "client_id=$ARM_CLIENT" --data-urlencode "client_secret=$ARM_SECRET" -d "scope=https://management.azure.com/.default" |
	jq -r .access_token)
arm_reset
# arm_fetch PATH API: every page's items (following nextLink) as one JSON
# array in LIST, the number of pages in PAGES.  arm_list prints LIST.
arm_fetch() {
	local url="$ARM_URL$1?api-version=$2" page
	LIST="[]"
	PAGES=0
	while [ -n "$url" ]; do
		page=$(netns_exec curl -s -f --cacert "$ARM_CA" -H "Authorization: Bearer $TOKEN" "$url") || return 1
		PAGES=$((PAGES + 1))
		page=$(jq -r --argjson a "$LIST" '(.nextLink // ""), ($a + .value | tojson)' <<<"$page")
		url=${page%%$'\n'*}
		LIST=${page#*$'\n'}
	done
}
arm_list() { arm_fetch "$@"; echo "$LIST"; }
S=/subscriptions/$LAB_SUB/providers
pages() { echo $((($1 + PAGE - 1) / PAGE)); }

arm_fetch "$S/Microsoft.Network/virtualNetworks" 2024-05-01
v=$LIST
expect_eq "virtualNetworks: all, paged" "$(jq length <<<"$v") $PAGES" "15 $(pages 15)"
expect_eq "virtualNetworks: dhcpOptions.dnsServers" \
	"$(jq -r '.[] | select(.name == "vnet-spoke-twodns") | .properties.dhcpOptions.dnsServers | join(",")' <<<"$v")" 10.0.0.4,10.0.0.5
expect_eq "virtualNetworks: Azure DNS as [] and as absent" \
	"$(jq -c '[.[] | select(.name == "vnet-hub" or .name == "vnet-spoke-unlinked") | .properties.dhcpOptions]' <<<"$v")" \
	'[{"dnsServers":[]},null]'
expect_eq "virtualNetworks: subnets" \
	"$(jq -r '.[] | select(.name == "vnet-hub") | .properties.subnets[] | select(.name == "snet-inbound") | .properties.addressPrefix' <<<"$v")" \
	10.0.2.0/28

n=$(arm_list "$S/Microsoft.Network/networkInterfaces" 2024-05-01)
expect_eq "networkInterfaces: VMs' and endpoints'" "$(jq length <<<"$n")" 23
expect_eq "networkInterfaces: dnsSettings override" \
	"$(jq -r '.[] | select(.name == "vm-override-nic") | [(.properties.dnsSettings.dnsServers | join(",")), (.properties.dnsSettings.appliedDnsServers | join(",")), .properties.ipConfigurations[0].properties.privateIPAddress, (.properties.ipConfigurations[0].properties.subnet.id | sub(".*/virtualNetworks/"; ""))] | join(" ")' <<<"$n")" \
	"10.0.0.5 10.0.0.5 10.1.4.11 vnet-spoke-linked/subnets/snet-vm"

arm_fetch "$S/Microsoft.Compute/virtualMachines" 2024-07-01
m=$LIST
expect_eq "virtualMachines: DNS VMs, agents, override" "$(jq length <<<"$m") $PAGES" "18 $(pages 18)"
nic=$(jq -r '.[] | select(.name == "vm-dns-fwd") | .properties.networkProfile.networkInterfaces[0].id' <<<"$m")
expect_eq "virtualMachines: the DNS VM's NIC is 10.0.0.4" \
	"$(jq -r --arg id "$nic" '.[] | select(.id == $id) | .properties.ipConfigurations[0].properties.privateIPAddress' <<<"$n")" 10.0.0.4
expect_eq "GET the agent's VM by ID" \
	"$(netns_exec curl -s -o /dev/null -w '%{http_code}' --cacert "$ARM_CA" -H "Authorization: Bearer $TOKEN" "$ARM_URL$LAB_AGENT_VM_ID?api-version=2024-07-01")" 200

r=$(arm_list "$S/Microsoft.Network/dnsResolvers" 2025-05-01)
expect_eq "dnsResolvers" "$(jq -r 'map(.name + "@" + (.properties.virtualNetwork.id | sub(".*/"; ""))) | sort | join(" ")' <<<"$r")" \
	"dnsr-hub@vnet-hub dnsr-loop@vnet-hub-loop dnsr-nolink@vnet-hub-nolink"
hub=$(jq -r '.[] | select(.name == "dnsr-hub") | .id' <<<"$r")
i=$(arm_list "$hub/inboundEndpoints" 2025-05-01)
expect_eq "inboundEndpoints" \
	"$(jq -r '.[0] | [.type, .properties.ipConfigurations[0].privateIpAddress, (.properties.ipConfigurations[0].subnet.id | sub(".*/subnets/"; ""))] | join(" ")' <<<"$i")" \
	"Microsoft.Network/dnsResolvers/inboundEndpoints 10.0.2.4 snet-inbound"
o=$(arm_list "$hub/outboundEndpoints" 2025-05-01)
rs=$(arm_list "$S/Microsoft.Network/dnsForwardingRulesets" 2025-05-01)
expect_eq "dnsForwardingRulesets: outbound endpoints" \
	"$(jq -r '[.[] | select(.properties.dnsResolverOutboundEndpoints[0].id == $o)] | length' --arg o "$(jq -r '.[0].id' <<<"$o")" <<<"$rs")" 2
shadow=$(jq -r '.[] | select(.name == "rs-shadow") | .id' <<<"$rs")
f=$(arm_list "$shadow/forwardingRules" 2025-05-01)
expect_eq "forwardingRules" \
	"$(jq -r 'map([.properties.domainName, .properties.forwardingRuleState, (.properties.targetDnsServers[0] | "\(.ipAddress):\(.port)")] | join(" ")) | sort | join("|")' <<<"$f")" \
	"privatelink.vaultcore.azure.net. Enabled 10.200.0.53:53|vault.azure.net. Disabled 10.200.0.53:53"
l=$(arm_list "$(jq -r '.[] | select(.name == "rs-loop") | .id' <<<"$rs")/virtualNetworkLinks" 2025-05-01)
expect_eq "ruleset virtualNetworkLinks" "$(jq -r '.[0].properties.virtualNetwork.id | sub(".*/"; "")' <<<"$l")" vnet-hub-loop
expect_eq "the loop rule targets the resolver's own inbound endpoint" \
	"$(arm_list "$(jq -r '.[] | select(.name == "rs-loop") | .id' <<<"$rs")/forwardingRules" 2025-05-01 | jq -r '.[0].properties.targetDnsServers[0].ipAddress')" \
	"$(arm_list "$(jq -r '.[] | select(.name == "dnsr-loop") | .id' <<<"$r")/inboundEndpoints" 2025-05-01 | jq -r '.[0].properties.ipConfigurations[0].privateIpAddress')"

z=$(arm_list "$S/Microsoft.Network/privateDnsZones" 2024-06-01)
expect_eq "privateDnsZones: two of one name" "$(jq -r '"\(map(.name) | unique | join(" ")) \(length)"' <<<"$z")" \
	"privatelink.vaultcore.azure.net 2"
zhub=$(jq -r '.[] | select(.id | contains("/rg-dns/")) | .id' <<<"$z")
zlz2=$(jq -r '.[] | select(.id | contains("/rg-dns-lz2/")) | .id' <<<"$z")
arm_fetch "$zhub/virtualNetworkLinks" 2024-06-01
zl=$LIST
expect_eq "zone links: resolutionPolicy and state" \
	"$(jq -r '.[] | select(.properties.resolutionPolicy == "NxDomainRedirect") | [(.properties.virtualNetwork.id | sub(".*/"; "")), .properties.virtualNetworkLinkState, (.properties.registrationEnabled | tostring)] | join(" ")' <<<"$zl")" \
	"vnet-spoke-nxredirect Completed false"
expect_eq "zone links: one page" "$(jq length <<<"$zl") $PAGES" "6 1"
expect_eq "zone A records: split brain" \
	"$(arm_list "$zhub/A" 2024-06-01 | jq -r '.[] | select(.name == "kv-split") | .properties.aRecords[0].ipv4Address') $(arm_list "$zlz2/A" 2024-06-01 | jq -r '.[] | select(.name == "kv-split") | .properties.aRecords[0].ipv4Address')" \
	"10.0.1.6 10.10.1.6"
expect_eq "zone A records: no record for kv-norecord, one of two for kv-twope" \
	"$(arm_list "$zhub/A" 2024-06-01 | jq -r '[(map(select(.name == "kv-norecord")) | length), (.[] | select(.name == "kv-twope") | .properties.aRecords | map(.ipv4Address) | join(","))] | join(" ")')" \
	"0 10.1.1.7"
kv=$(arm_list "$S/Microsoft.KeyVault/vaults" 2024-11-01)
expect_eq "vaults: two approved endpoints" \
	"$(jq -r '.[] | select(.name == "kv-twope") | .properties.privateEndpointConnections | map(.properties.privateLinkServiceConnectionState.status) | join(",")' <<<"$kv")" \
	Approved,Approved
expect_eq "request log counts each page" \
	"$(arm_log | jq --arg p "$S/Microsoft.Network/virtualNetworks" '[.[] | select(.path == $p)] | length')" "$(pages 15)"

# ---- the same data as --inventory files ----
bad=0
for f in "$LAB_DIR"/inventory-arm.json "$LAB_DIR"/inventory-az/*.json; do jq empty "$f" 2>/dev/null || bad=$((bad + 1)); done
expect_eq "inventory files parse" "$bad" 0
expect_eq "inventory: every type of the DNS path" \
	"$(jq -r 'map(.type) | unique | join(",")' "$LAB_DIR/inventory-arm.json")" \
	"Microsoft.Compute/virtualMachines,Microsoft.KeyVault/vaults,Microsoft.Network/dnsForwardingRulesets,Microsoft.Network/dnsForwardingRulesets/forwardingRules,Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks,Microsoft.Network/dnsResolvers,Microsoft.Network/dnsResolvers/inboundEndpoints,Microsoft.Network/dnsResolvers/outboundEndpoints,Microsoft.Network/networkInterfaces,Microsoft.Network/privateDnsZones,Microsoft.Network/privateDnsZones/A,Microsoft.Network/privateDnsZones/virtualNetworkLinks,Microsoft.Network/privateEndpoints,Microsoft.Network/virtualNetworks"
expect_eq "inventory (az shape): flattened" \
	"$(jq -r '.[] | select(.name == "vnet-spoke-dnsvm") | .dhcpOptions.dnsServers[0] + " " + .resourceGroup' "$LAB_DIR/inventory-az/vnet-list.json")" \
	"10.0.0.4 rg-spokes"
expect_eq "inventory: same resources as live ARM" \
	"$(jq -r '[.[] | select(.type == "Microsoft.Network/virtualNetworks")] | length' "$LAB_DIR/inventory-arm.json")" 15

# ---- cleanup: a whole lab start and stop leaves nothing (and so does this
# test's own: running it twice in a row starts from scratch each time) ----
info=$(bash "$0" --cycle 2>&1)
ns=$(sed -n 's/^ns=//p' <<<"$info")
pids=$(sed -n 's/^pids=//p' <<<"$info")
tdir=$(sed -n 's/^t=//p' <<<"$info")
if [ -z "$ns" ] || [ -z "$pids" ]; then
	not_ok "lab cycle: the lab did not start: $info"
else
	alive=""
	for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
	expect_eq "lab cycle: no process left ($(wc -w <<<"$pids") were running)" "$alive" ""
	expect_eq "lab cycle: namespace gone" "$(ip netns list | awk '{print $1}' | grep -cx "$ns")" 0
	expect_eq "lab cycle: /etc/netns/$ns gone" "$([ -e "/etc/netns/$ns" ] && echo there || echo gone)" gone
	expect_eq "lab cycle: test directory gone" "$([ -e "$tdir" ] && echo there || echo gone)" gone
fi
finish
