/* finding.c — tables generated from KV_FINDING_LIST. */
#include "kvpe/finding.h"

#include <string.h>

static const struct {
	const char *name;
	enum kv_severity sev;
	bool error;
	const char *cause;
} finding_table[] = {
#define KV_FINDING_ROW(code, sev, err, cause) {#code, KV_SEV_##sev, err, cause},
	KV_FINDING_LIST(KV_FINDING_ROW)
#undef KV_FINDING_ROW
};

/* The longer texts of each code, in Markdown (commands in backticks): what
 * causes it and how to fix it, each readable on its own (a SARIF rule's
 * help is shown without the others).  The README's finding table holds the
 * same two texts: tests/integration/docs.sh compares them. */
static const struct {
	const char *cause, *fix;
} finding_help_table[KV_F_COUNT] = {
	[KV_F_NO_PRIVATE_ENDPOINT] = {"ARM shows no private endpoint connection on the vault.",
	    "Create one: `az network private-endpoint create ... --group-id vault` and a DNS zone group for "
	    "`privatelink.vaultcore.azure.net`."},
	[KV_F_ENDPOINT_NOT_APPROVED] = {"Connections exist but are Pending, Rejected or Disconnected; none is Approved.",
	    "`az keyvault private-endpoint-connection approve --vault-name <v> --name <connection>` (or recreate a "
	    "rejected one)."},
	[KV_F_ENDPOINT_NO_ADDRESS] = {"An approved endpoint whose NIC and DNS configuration show no private IP.",
	    "Inspect it with `az network private-endpoint show`; recreate it if it stays empty."},
	[KV_F_DNS_NXDOMAIN] = {"The vault name does not resolve. Typical: the private zone is linked but holds no record "
			       "for the vault (the chain ends at `<v>.privatelink...`).",
	    "`az network private-dns record-set a add-record --zone-name privatelink.vaultcore.azure.net "
	    "--record-set-name <v> --ipv4-address <endpoint IP>`."},
	[KV_F_DNS_NO_ANSWER] = {"NOERROR with no address (NODATA): the name exists without an A record.",
	    "Add the A record: `az network private-dns record-set a add-record --zone-name "
	    "privatelink.vaultcore.azure.net --record-set-name <v> --ipv4-address <endpoint IP>`."},
	[KV_F_DNS_SERVFAIL] = {"The resolver failed: SERVFAIL, REFUSED, any other reply code but NOERROR and NXDOMAIN "
			       "(FORMERR, NOTIMP, YXDOMAIN, NOTAUTH, NOTZONE, \xe2\x80\xa6 \xe2\x80\x94 the message names it, e.g. "
			       "`rcode 9 NOTAUTH`), an answer kvpe cannot read, or no server reachable (`connection "
			       "refused: nothing listens on that port`) \xe2\x80\x94 from every server asked. Also the AAAA query "
			       "failing beside a right A answer (`IPv6 not checked: \xe2\x80\xa6`). The vault's status is `error`.",
	    "Check the resolver (`dig @server name`, `dig AAAA @server name`); a custom DNS server needs a conditional "
	    "forwarder for `vaultcore.azure.net` to 168.63.129.16; for a refused connection, check that the resolver "
	    "runs and listens on that address and port."},
	[KV_F_DNS_TIMEOUT] = {"No answer within `--timeout` after retries (an answer late for an earlier try still "
			      "counts); for the AAAA query beside a right A answer, `IPv6 not checked: \xe2\x80\xa6`. Status "
			      "`error`.",
	    "Check the resolver (`dig @server name`) and that UDP and TCP port 53 to it are allowed; a custom DNS "
	    "server needs a conditional forwarder for `vaultcore.azure.net` to 168.63.129.16."},
	[KV_F_DNS_CHAIN_INCOMPLETE] = {"The CNAME chain could not be read whole: it is longer than the 16 names kvpe "
				       "follows, or its last name could not be learned. Nothing past the cut is known, so "
				       "the vault is `error` and no privatelink or override-zone diagnosis is made from it.",
	    "`dig @server <vault FQDN>` shows the whole chain: a vault name reaches its private link name in one or two "
	    "steps; find the records (or the resolver) that make it longer."},
	[KV_F_DNS_PUBLIC_ADDRESS] = {"An answer is not private: the private zone is not linked to this VNet, a forwarder "
				     "is missing, or no endpoint exists.",
	    "Link the zone: `az network private-dns link vnet create --zone-name privatelink.vaultcore.azure.net "
	    "--virtual-network <vnet>`; or create the endpoint."},
	[KV_F_DNS_ADDRESS_MISMATCH] = {"Private answers that are not the endpoint's addresses (a stale record after an "
				       "endpoint was recreated). Public answers are `DNS_PUBLIC_ADDRESS` instead, never "
				       "both.",
	    "Replace the record: `az network private-dns record-set a remove-record` the stale address, `add-record` "
	    "the endpoint's."},
	[KV_F_DNS_NO_PRIVATELINK_CNAME] = {"The chain never passes `<v>.privatelink...`. With a right private answer: a "
					   "private zone named `vault.azure.net` or `<v>.vault.azure.net` overrides the "
					   "public name. With a public answer: no approved endpoint exists anywhere (public "
					   "DNS adds that alias only for one); reported beside `DNS_PUBLIC_ADDRESS`.",
	    "Remove the override zone's VNet link and keep the record in `privatelink.vaultcore.azure.net`; or create "
	    "the endpoint."},
	[KV_F_DNS_PUBLIC_IPV6] = {"An AAAA answer is not private: clients that prefer IPv6 leave the VNet.",
	    "Find where the AAAA comes from (`dig AAAA`); with the private zone linked, only what the zone holds is "
	    "answered."},
	[KV_F_ZONE_RECORD_MISSING] = {"The private DNS zone in ARM has no A record for the vault.",
	    "`az network private-dns record-set a add-record --resource-group <zone group> --zone-name <zone> "
	    "--record-set-name <v> --ipv4-address <endpoint IP>`; or give the endpoint a DNS zone group, which keeps "
	    "the record."},
	[KV_F_ZONE_RECORD_STALE] = {"The zone's A record holds addresses the endpoint does not own.",
	    "`az network private-dns record-set a remove-record` the stale address, `add-record` the endpoint's."},
	[KV_F_ZONE_NOT_LINKED] = {"The clients of a VNet in scope (the one kvpe runs in, found through the instance metadata "
				  "service, or a `--vnet`) resolve with Azure DNS of that VNet itself, and no zone of the "
				  "right name is linked to it.",
	    "`az network private-dns link vnet create --resource-group <zone group> --zone-name <zone> --name <link> "
	    "--virtual-network <vnet ID> --registration-enabled false`."},
	[KV_F_PUBLIC_NETWORK_ENABLED] = {"Public network access is still Enabled with default action Allow (ARM's "
					 "defaults when the fields are absent). Low severity: the vault still passes.",
	    "`az keyvault update --name <v> --public-network-access Disabled`."},
	[KV_F_PROBE_TCP_FAILED] = {"No TCP connection to the resolved address on 443 (NSG, route table, firewall).",
	    "Allow TCP 443 from this host to the endpoint; check effective routes and NSG rules."},
	[KV_F_PROBE_TLS_FAILED] = {"The TLS handshake or certificate verification failed (a TLS-inspecting proxy, a "
				   "wrong name).",
	    "Exempt the vault's name from TLS inspection, or add the CA with `--ca-file`."},
	[KV_F_PROBE_PUBLIC_PATH] = {"The vault saw the request come from a public address "
				    "(`x-ms-keyvault-network-info`): traffic bypassed the endpoint.",
	    "Find the proxy or NAT on the path (`HTTPS_PROXY`, routes)."},
	[KV_F_PROBE_UNEXPECTED_RESPONSE] = {"The answer is not Key Vault's (no network-info header, no Bearer "
					    "challenge), or a 403 such as `ForbiddenByConnection`.",
	    "Check what answers on that address (`curl -v --resolve`), and the vault's firewall."},
	[KV_F_DNS_CUSTOM_SERVER_NOT_FORWARDING] = {"A custom DNS server the VNet's clients use (the VNet's "
						   "`dhcpOptions.dnsServers` or a NIC's `dnsSettings`) answers public or "
						   "NXDOMAIN for a vault whose private zone holds the endpoint address (per ARM, "
						   "confirmed by an inbound endpoint or Azure DNS where kvpe can ask one): it has "
						   "no conditional forwarder for the vault's names.",
	    "On that server, forward `vault.azure.net` and `vaultcore.azure.net` (not `privatelink.*`): a DNS VM in "
	    "Azure to 168.63.129.16 (unbound: `forward-zone: name: \"vaultcore.azure.net\" forward-addr: "
	    "168.63.129.16`; Windows: `Add-DnsServerConditionalForwarderZone -Name vaultcore.azure.net -MasterServers "
	    "168.63.129.16`), an on-premises server to a DNS Private Resolver inbound endpoint in a VNet linked to "
	    "the zone."},
	[KV_F_ZONE_NOT_LINKED_TO_RESOLVER_VNET] = {"The VNet's clients resolve through an inbound endpoint or a DNS VM in "
						   "another VNet (the hub), and no zone named like the vault's private link "
						   "zone is linked to that VNet. Reported for each VNet whose clients use it.",
	    "Link the zone to the resolver's VNet: `az network private-dns link vnet create --resource-group <zone "
	    "group> --zone-name privatelink.vaultcore.azure.net --name <link> --virtual-network <resolver VNet ID> "
	    "--registration-enabled false`."},
	[KV_F_ZONE_LINK_NXDOMAIN_REDIRECT] = {"The zone link the VNet's resolution uses has `resolutionPolicy: "
					      "NxDomainRedirect` (\"fallback to internet\"): a record missing from the zone "
					      "silently resolves to the public address. High when the vault's record is "
					      "missing from that zone, low otherwise.",
	    "Add the missing record, and set the link back to Default: `az network private-dns link vnet update "
	    "--resource-group <zone group> --zone-name privatelink.vaultcore.azure.net --name <link> "
	    "--resolution-policy Default`."},
	[KV_F_ZONE_SPLIT_BRAIN] = {"Two or more zones of the same name (one per spoke or landing zone) hold different "
				   "records for one vault: clients get a different answer depending on which zone their "
				   "VNet is linked to. Tenant-wide; names the zones and the VNets linked to each.",
	    "Keep one `privatelink.vaultcore.azure.net` zone, linked to every VNet that resolves the vault; remove "
	    "the stale record from the other (`az network private-dns record-set a remove-record`), or delete that "
	    "zone's VNet links."},
	[KV_F_ENDPOINT_RECORD_COLLISION] = {"The vault has several approved private endpoints with different addresses "
					    "and a zone's A record holds only some of them: each endpoint's DNS zone "
					    "group wrote the same record, the last writer won. Tenant-wide; names the "
					    "endpoints left out.",
	    "Keep one endpoint per zone: remove the DNS zone group of the endpoints left out (`az network "
	    "private-endpoint dns-zone-group delete --resource-group <rg> --endpoint-name <pe> --name default`), or "
	    "give each VNet its own zone."},
	[KV_F_FORWARDING_RULE_OVERRIDES_ZONE] = {"A DNS forwarding rule linked to the VNet that resolves is more specific "
						 "than any linked zone for the vault name or a name of its chain (e.g. "
						 "`vault.azure.net.`), and sends it to targets that are not a resolver of a "
						 "VNet with the zone linked: the private zone is bypassed. Medium; high when "
						 "the clients' answer is wrong.",
	    "Point the rule at an inbound endpoint of a VNet linked to the zone, or disable it: `az dns-resolver "
	    "forwarding-rule update --resource-group <rg> --ruleset-name <ruleset> --name <rule> "
	    "--forwarding-rule-state Disabled` (or `az dns-resolver forwarding-rule delete`)."},
	[KV_F_FORWARDING_RULE_SHADOWED] = {"A forwarding rule for the same name as a zone linked to the same VNet: Azure "
					   "DNS answers from the zone and never uses the rule (confusing, and it takes "
					   "over if the zone link goes). Low.",
	    "Delete the rule (`az dns-resolver forwarding-rule delete --resource-group <rg> --ruleset-name <ruleset> "
	    "--name <rule>`), or disable it."},
	[KV_F_FORWARDING_RULE_LOOP] = {"A rule in a ruleset linked to a resolver's own VNet targets that resolver's "
				       "inbound endpoint: the query goes round until it fails (SERVFAIL), today or as "
				       "soon as a shadowing zone link goes. Inherited by the VNets that use that "
				       "inbound endpoint.",
	    "Unlink the ruleset from the resolver's VNet (`az dns-resolver vnet-link delete --resource-group <rg> "
	    "--ruleset-name <ruleset> --name <link>`) and link the zone there instead; or delete the rule."},
	[KV_F_VANTAGE_DISAGREES] = {"Two resolvers the same clients use give different answers for the vault: a "
				    "client gets one or the other, so it works only some of the time. The other "
				    "answer-based findings follow the worst answer.",
	    "Make the VNet's DNS servers equivalent (`az network vnet show --query dhcpOptions.dnsServers`): give "
	    "each the same conditional forwarders, or remove the wrong one (`az network vnet update --dns-servers "
	    "...`)."},
};

const char *
finding_name(enum kv_finding_code code)
{
	return code < KV_F_COUNT ? finding_table[code].name : "UNKNOWN";
}

enum kv_severity
finding_severity(enum kv_finding_code code)
{
	return code < KV_F_COUNT ? finding_table[code].sev : KV_SEV_HIGH;
}

bool
finding_is_error(enum kv_finding_code code)
{
	return code < KV_F_COUNT && finding_table[code].error;
}

const char *
finding_cause(enum kv_finding_code code)
{
	return code < KV_F_COUNT ? finding_table[code].cause : "";
}

const char *
finding_help_cause(enum kv_finding_code code)
{
	return code < KV_F_COUNT && finding_help_table[code].cause != NULL ? finding_help_table[code].cause : "";
}

const char *
finding_help_fix(enum kv_finding_code code)
{
	return code < KV_F_COUNT && finding_help_table[code].fix != NULL ? finding_help_table[code].fix : "";
}

const char *
finding_severity_name(enum kv_severity sev)
{
	switch (sev) {
	case KV_SEV_LOW:
		return "low";
	case KV_SEV_MEDIUM:
		return "medium";
	case KV_SEV_HIGH:
		return "high";
	}
	return "high";
}

enum kv_err
finding_parse(const char *name, enum kv_finding_code *out)
{
	for (unsigned i = 0; i < KV_F_COUNT; i++) {
		if (strcmp(name, finding_table[i].name) == 0) {
			*out = (enum kv_finding_code)i;
			return KV_OK;
		}
	}
	return KV_ENOTFOUND;
}
