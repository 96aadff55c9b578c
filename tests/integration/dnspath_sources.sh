#!/usr/bin/env bash
# The DNS path's sources (issue 14) through the real pipeline, in the lab
# (tests/lab/PATH-LAB.md): live ARM paged 3 items a page, the same tenant
# saved in ARM's shape and in az's, must read to the same model (VNets, VMs,
# NICs' DNS settings, resolvers, inbound endpoints, rulesets, rules, links:
# the "DNS path model read" debug line's counts and digest) and the same
# verdicts; every new list is asked once per subscription (per parent for
# the children) and paged; IMDS names the VM kvpe runs on, and IMDS down or
# answering something else means "not in Azure" without stopping the run.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"
. "$TOP/tests/lib/netns.sh"

netns_need_root dnspath_sources
PAGE=3
path_lab_up --page-size $PAGE || { not_ok "the DNS-path lab did not start"; finish; exit 1; }
arm_env_secret
export AZURE_POD_IDENTITY_AUTHORITY_HOST=$LAB_IMDS_URL # the stand-in, inside the namespace only
S=/subscriptions/$LAB_SUB/providers
# Azure DNS of the agent's VNet: every vault answers as the model says.
COMMON=(check --probe off --format json -v --dns-server 168.63.129.16)

kv() {
	local out=$1
	shift
	RC=0
	netns_exec "$KVPE" "$@" >"$out" 2>"$out.err" || RC=$?
	validate_keep "$out"
}
model() { grep -o 'DNS path model read .*' "$1.err" | sed 's/^DNS path model read //'; }
verdicts() { jq -c '[.vaults[] | {name, status, codes: ([.findings[].code] | sort)}] | sort_by(.name)' "$1"; }
INV=$LAB_DIR/inventory-arm.json
n_of() { jq --arg t "$1" '[.[] | select(.type == $t)] | length' "$INV"; }
pages() { local n=$1; [ "$n" -eq 0 ] && echo 1 || echo $(((n + PAGE - 1) / PAGE)); }

# ---- live ARM ----
arm_reset
kv "$T/live.json" "${COMMON[@]}" --arm-endpoint "$ARM_URL" --ca-file "$ARM_CA"
expect_rc "live ARM: vaults fail, the run is whole" 1
expect_clean_stderr "live ARM" "$T/live.json.err"
expect_eq "live ARM: no run error" "$(jq -c '.errors // []' "$T/live.json")" "[]"
want_model="vnets=$(n_of Microsoft.Network/virtualNetworks) vms=$(n_of Microsoft.Compute/virtualMachines) nics=$(n_of Microsoft.Network/networkInterfaces) resolvers=$(n_of Microsoft.Network/dnsResolvers) inbound_endpoints=$(n_of Microsoft.Network/dnsResolvers/inboundEndpoints) rulesets=$(n_of Microsoft.Network/dnsForwardingRulesets) rules=$(n_of Microsoft.Network/dnsForwardingRulesets/forwardingRules) ruleset_links=$(n_of Microsoft.Network/dnsForwardingRulesets/virtualNetworkLinks) zone_links=$(n_of Microsoft.Network/privateDnsZones/virtualNetworkLinks)"
LIVE=$(model "$T/live.json")
expect_eq "live ARM: every resource of the DNS path read" "${LIVE% digest=*}" "$want_model"
expect_eq "live ARM: the lab's model is not empty" "$(grep -c 'vnets=15 vms=18' <<<"$LIVE")" 1

# Every new list once per subscription (its first page has no skiptoken),
# paged; the children once per parent.
LOG=$(arm_log)
reqs() { jq --arg p "$1" '[.[] | select((.path | ascii_downcase) == ($p | ascii_downcase))] | length' <<<"$LOG"; }
first() { jq --arg p "$1" '[.[] | select((.path | ascii_downcase) == ($p | ascii_downcase) and (.query | test("skiptoken") | not))] | length' <<<"$LOG"; }
for t in Microsoft.Network/virtualNetworks Microsoft.Compute/virtualMachines Microsoft.Network/dnsResolvers \
	Microsoft.Network/dnsForwardingRulesets; do
	expect_eq "list $t: asked once, $(pages "$(n_of "$t")") pages of $PAGE" \
		"$(first "$S/$t") $(reqs "$S/$t")" "1 $(pages "$(n_of "$t")")"
done
bad=""
for r in $(jq -r '.[] | select(.type == "Microsoft.Network/dnsResolvers") | .id' "$INV"); do
	n=$(jq --arg r "$r/inboundEndpoints/" '[.[] | select(.id | startswith($r))] | length' "$INV")
	[ "$(first "$r/inboundEndpoints") $(reqs "$r/inboundEndpoints")" = "1 $(pages "$n")" ] || bad="$bad $r"
done
expect_eq "inbound endpoints: listed once per resolver, paged" "$bad" ""
bad=""
for r in $(jq -r '.[] | select(.type == "Microsoft.Network/dnsForwardingRulesets") | .id' "$INV"); do
	for c in forwardingRules virtualNetworkLinks; do
		n=$(jq --arg r "$r/$c/" '[.[] | select(.id | startswith($r))] | length' "$INV")
		[ "$(first "$r/$c") $(reqs "$r/$c")" = "1 $(pages "$n")" ] || bad="$bad $r/$c"
	done
done
expect_eq "forwarding rules and ruleset links: listed once per ruleset, paged" "$bad" ""
want=$(arm_expected_requests "$LAB_DIR/arm.json" $PAGE)
expect_eq "ARM requests follow the formula (9 lists a subscription + 2 a zone + 1 a resolver + 2 a ruleset, in pages)" \
	"$(grep -o 'ARM inventory read requests=[0-9]*' "$T/live.json.err" | grep -o '[0-9]*$') $(jq '[.[] | select(.path | startswith("/subscriptions"))] | length' <<<"$LOG")" \
	"$want $want"
expect_eq "the outbound endpoints are not asked for (nothing reads them)" \
	"$(jq '[.[] | select(.path | test("outboundEndpoints"))] | length' <<<"$LOG")" 0

# IMDS: kvpe found the VM it runs on.
expect_eq "IMDS: asked once, with Metadata: true, at 2021-02-01" \
	"$(jq -c '[.[] | select(.path == "/metadata/instance") | [.headers.metadata, (.query | test("api-version=2021-02-01"))]]' <<<"$LOG")" \
	'[["true",true]]'
vm=$(grep -o 'running in Azure: the instance metadata service names this VM vm=[^ ]*' "$T/live.json.err" | sed 's/.*vm=//')
expect_eq "IMDS: the agent VM is named (info log)" "${vm,,}" "${LAB_AGENT_VM_ID,,}"

# A failed list of the DNS path is that subscription's error (partial, exit
# 2), never skipped; a provider not registered there holds none of the type.
if [ -z "${KVPE_VALGRIND:-}" ]; then
	arm_faults '[{"match": "/providers/Microsoft.Network/dnsForwardingRulesets\\?", "times": 1, "action": {"status": 403}}]'
	kv "$T/r403.json" "${COMMON[@]}" --arm-endpoint "$ARM_URL" --ca-file "$ARM_CA"
	# the lab's one subscription failed: the run itself fails, saying why
	expect_rc "rulesets list 403: the subscription failed" 2
	expect_eq "rulesets list 403: said, naming the list" \
		"$(grep -c 'every subscription failed (first: DNS forwarding rulesets: HTTP 403' "$T/r403.json.err")" 1
	arm_faults '[{"match": "/providers/Microsoft.Compute/virtualMachines\\?", "times": 1, "action": {"status": 409, "body": "{\"error\": {\"code\": \"MissingSubscriptionRegistration\", \"message\": \"The subscription is not registered to use namespace Microsoft.Compute.\"}}"}}]'
	kv "$T/r409.json" "${COMMON[@]}" --arm-endpoint "$ARM_URL" --ca-file "$ARM_CA"
	expect_rc "virtualMachines: provider not registered: a whole run" 1
	expect_eq "virtualMachines: provider not registered: no error, no VM" \
		"$(jq -c '.errors // []' "$T/r409.json") $(model "$T/r409.json" | grep -o 'vms=[0-9]*')" "[] vms=0"
fi

# ---- the same tenant saved: ARM's shape, then az's ----
kv "$T/arm-shape.json" "${COMMON[@]}" --inventory "$INV"
expect_rc "--inventory (ARM shape)" 1
expect_eq "--inventory (ARM shape): the same model as live ARM" "$(model "$T/arm-shape.json")" "$LIVE"
expect_eq "--inventory (ARM shape): the same verdicts as live ARM" "$(verdicts "$T/arm-shape.json")" "$(verdicts "$T/live.json")"
if [ -z "${KVPE_VALGRIND:-}" ]; then
	AZ=()
	for f in "$LAB_DIR"/inventory-az/*.json; do AZ+=(--inventory "$f"); done
	kv "$T/az-shape.json" "${COMMON[@]}" "${AZ[@]}"
	expect_rc "--inventory (az shape)" 1
	expect_eq "--inventory (az shape): the same model as live ARM" "$(model "$T/az-shape.json")" "$LIVE"
	expect_eq "--inventory (az shape): the same verdicts" "$(verdicts "$T/az-shape.json")" "$(verdicts "$T/live.json")"
fi

# ---- a malformed field of the DNS path stops the file, naming the resource ----
jq '(.[] | select(.name == "vnet-spoke-dnsvm") | .properties.dhcpOptions.dnsServers) |= ["10.0.0.4", "dns-vm"]' "$INV" >"$T/bad.json"
kv "$T/bad-run.json" "${COMMON[@]}" --inventory "$T/bad.json"
expect_rc "malformed dnsServers: the run stops" 2
expect_eq "malformed dnsServers: said, with the resource" \
	"$(grep -c 'vnet-spoke-dnsvm: dhcpOptions.dnsServers\[1\] is not an IP address' "$T/bad-run.json.err")" 1

# ---- the agent asks IMDS once: the VM a process runs on does not change ----
if [ -z "${KVPE_VALGRIND:-}" ]; then
	arm_reset
	netns_exec "$KVPE" agent --probe off --dns-server 168.63.129.16 --inventory "$INV" --interval 300ms \
		--listen 127.0.0.1:9712 >/dev/null 2>"$T/agent.err" &
	echo $! >"$T/agent.pid"
	for _ in $(seq 1 100); do [ "$(grep -c 'cycle done' "$T/agent.err")" -ge 3 ] && break; sleep 0.1; done
	pidfile_stop "$T/agent.pid"
	expect_eq "agent: three cycles or more, IMDS asked once" \
		"$([ "$(grep -c 'cycle done' "$T/agent.err")" -ge 3 ] && echo 3+) $(arm_log | jq '[.[] | select(.path == "/metadata/instance")] | length')" "3+ 1"
fi

# ---- IMDS down, or answering something else: not in Azure, the run goes on ----
AZURE_POD_IDENTITY_AUTHORITY_HOST=http://169.254.169.254:81 kv "$T/down.json" "${COMMON[@]}" --inventory "$INV"
expect_rc "IMDS down: the run is the same" 1
expect_eq "IMDS down: info, not a warning" \
	"$(grep -c ' info not running in Azure: the instance metadata service did not answer' "$T/down.json.err") $(grep -c ' warn ' "$T/down.json.err")" "1 0"
expect_eq "IMDS down: the same verdicts" "$(verdicts "$T/down.json")" "$(verdicts "$T/live.json")"
arm_faults '[{"match": "^/metadata/instance", "times": 1, "action": {"status": 403, "body": "Forbidden"}}]'
kv "$T/forbidden.json" "${COMMON[@]}" --inventory "$INV"
expect_rc "IMDS 403 text: the run continues" 1
expect_eq "IMDS 403 text: a warning, not in Azure" \
	"$(grep -c " warn not running in Azure: the instance metadata service's answer is not an instance document reason=\"HTTP 403" "$T/forbidden.json.err") $(grep -c 'running in Azure: the instance metadata service names' "$T/forbidden.json.err")" "1 0"
expect_eq "IMDS 403 text: the same verdicts" "$(verdicts "$T/forbidden.json")" "$(verdicts "$T/live.json")"
if [ -z "${KVPE_VALGRIND:-}" ]; then
	# IMDS that accepts and never answers: 2 s at most, then not in Azure.
	arm_faults '[{"match": "^/metadata/instance", "times": 1, "action": {"delay": 6}}]'
	t0=$(date +%s%N)
	kv "$T/hang.json" "${COMMON[@]}" --inventory "$INV"
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_rc "IMDS hanging: the run continues" 1
	expect_eq "IMDS hanging: not in Azure" "$(grep -c 'not running in Azure: the instance metadata service did not answer' "$T/hang.json.err")" 1
	within "IMDS hanging: cut at 2 s" "$ms" 4000
fi
finish
