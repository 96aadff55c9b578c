# arm.sh — the local ARM + token server (tests/servers/armserver.py) for
# integration tests.  Source after common.sh.
#   arm_up DATA.json [armserver args...]   starts it with a fresh test CA
#   arm_env_secret | arm_env_cert | ...    credential environments for kvpe
#   arm_faults JSON / arm_log / arm_reset  its control endpoints
# With ARM_NETNS set (tests/lib/netns.sh does), the server runs inside that
# network namespace and the control helpers' curl runs there too.
. "$TOP/tests/lib/ca.sh"

# arm_exec CMD...: CMD where the server is (inside $ARM_NETNS when set).
arm_exec() {
	if [ -n "${ARM_NETNS:-}" ]; then
		ip netns exec "$ARM_NETNS" "$@"
	else
		"$@"
	fi
}

ARM_TENANT=00000000-0000-0000-0000-0000000000a1
ARM_CLIENT=00000000-0000-0000-0000-0000000000c1
ARM_MSI_CLIENT=00000000-0000-0000-0000-0000000000d1
# Test-only values: never real secrets.
ARM_SECRET="s3cr3t-value-$$-do-not-print"
ARM_FEDERATED="federated-token-$$-do-not-print"
ARM_ID_HEADER="identity-header-$$-do-not-print"

arm_up() {
	local data=$1
	shift
	ARM_DIR=$T/arm
	mkdir -p "$ARM_DIR"
	[ -f "$ARM_DIR/ca.pem" ] || ca_make "$ARM_DIR" || return 1
	rm -f "$ARM_DIR/port" "$ARM_DIR/http-port"
	arm_exec "${PYTHON:-python3}" "$TOP/tests/servers/armserver.py" --data "$data" --cert "$ARM_DIR/server.pem" --key "$ARM_DIR/server.key" \
		--port-file "$ARM_DIR/port" --http-port-file "$ARM_DIR/http-port" --pidfile "$ARM_DIR/armserver.pid" \
		--tenant "$ARM_TENANT" --client-id "$ARM_CLIENT" --client-secret "$ARM_SECRET" \
		--client-cert "$ARM_DIR/client.crt" --federated-token "$ARM_FEDERATED" \
		--identity-header "$ARM_ID_HEADER" --msi-client-id "$ARM_MSI_CLIENT" "$@" 2>>"$ARM_DIR/server.log" &
	if ! wait_for test -s "$ARM_DIR/http-port"; then
		echo "arm: server did not start" >&2
		cat "$ARM_DIR/server.log" >&2
		return 1
	fi
	ARM_URL=https://127.0.0.1:$(cat "$ARM_DIR/port")
	ARM_HTTP=http://127.0.0.1:$(cat "$ARM_DIR/http-port")
	ARM_CA=$ARM_DIR/ca.pem
}

# arm_expected_requests DATA PAGE: the ARM requests a full read of the
# tenant in DATA (armserver's file) must take with PAGE items a page: the
# subscription list, then per subscription one request per page of each
# resource type, of each private DNS zone's A records and VNet links, of
# each DNS resolver's inbound endpoints and of each forwarding ruleset's
# rules and VNet links.  Never a request per vault.
arm_expected_requests() {
	python3 - "$1" "$2" <<'PY'
import json, math, sys
d, page = json.load(open(sys.argv[1])), int(sys.argv[2])
c = d["collections"]
pages = lambda k: max(1, math.ceil(len(c.get(k, [])) / page))
subs = [s["subscriptionId"] for s in c["/subscriptions"]]
n = pages("/subscriptions")
for s in subs:
    for t in ("microsoft.keyvault/vaults", "microsoft.keyvault/managedhsms", "microsoft.network/privateendpoints",
              "microsoft.network/networkinterfaces", "microsoft.network/privatednszones",
              "microsoft.network/virtualnetworks", "microsoft.compute/virtualmachines",
              "microsoft.network/dnsresolvers", "microsoft.network/dnsforwardingrulesets"):
        n += pages("/subscriptions/%s/providers/%s" % (s, t))
    for z in c.get("/subscriptions/%s/providers/microsoft.network/privatednszones" % s, []):
        n += pages(z["id"].lower() + "/a") + pages(z["id"].lower() + "/virtualnetworklinks")
    for r in c.get("/subscriptions/%s/providers/microsoft.network/dnsresolvers" % s, []):
        n += pages(r["id"].lower() + "/inboundendpoints")
    for r in c.get("/subscriptions/%s/providers/microsoft.network/dnsforwardingrulesets" % s, []):
        n += pages(r["id"].lower() + "/forwardingrules") + pages(r["id"].lower() + "/virtualnetworklinks")
print(n)
PY
}

arm_down() {
	pidfile_stop "$ARM_DIR/armserver.pid"
}

# Credential environments: each clears the others first.
arm_env_clear() {
	unset AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET AZURE_CLIENT_CERTIFICATE_PATH \
		AZURE_CLIENT_CERTIFICATE_PASSWORD AZURE_FEDERATED_TOKEN_FILE IDENTITY_ENDPOINT IDENTITY_HEADER \
		MSI_ENDPOINT MSI_SECRET KVPE_ASSERTION_ALG AZURE_CLIENT_SEND_CERTIFICATE_CHAIN
	export AZURE_AUTHORITY_HOST=$ARM_URL
	# IMDS is never the real 169.254.169.254 in tests: a closed loopback port.
	export AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:9
}
arm_env_secret() {
	arm_env_clear
	export AZURE_TENANT_ID=$ARM_TENANT AZURE_CLIENT_ID=$ARM_CLIENT AZURE_CLIENT_SECRET=$ARM_SECRET
}
arm_env_cert() {
	arm_env_clear
	export AZURE_TENANT_ID=$ARM_TENANT AZURE_CLIENT_ID=$ARM_CLIENT AZURE_CLIENT_CERTIFICATE_PATH=$ARM_DIR/client.pem
}
arm_env_workload() {
	arm_env_clear
	printf '%s\n' "$ARM_FEDERATED" >"$ARM_DIR/federated-token"
	export AZURE_TENANT_ID=$ARM_TENANT AZURE_CLIENT_ID=$ARM_CLIENT AZURE_FEDERATED_TOKEN_FILE=$ARM_DIR/federated-token
}
arm_env_appservice() {
	arm_env_clear
	export IDENTITY_ENDPOINT=$ARM_HTTP/msi/token IDENTITY_HEADER=$ARM_ID_HEADER
}
arm_env_imds() {
	arm_env_clear
	export AZURE_POD_IDENTITY_AUTHORITY_HOST=$ARM_HTTP
}

# A fake `az` on PATH that prints a CLI-shaped token answer obtained from the
# test server's client-secret flow (so ARM accepts it).
arm_env_cli() {
	arm_env_clear
	mkdir -p "$ARM_DIR/bin"
	local tok
	tok=$(arm_exec curl -s --cacert "$ARM_CA" "$ARM_URL/$ARM_TENANT/oauth2/v2.0/token" \
		-d grant_type=client_credentials -d "client_id=$ARM_CLIENT" --data-urlencode "client_secret=$ARM_SECRET" \
		-d "scope=https://management.azure.com/.default" | jq -r .access_token)
	cat >"$ARM_DIR/bin/az" <<AZ
#!/bin/sh
# test double for the Azure CLI: \$@ must be exactly what kvpe runs
[ "\$*" = "account get-access-token --resource https://management.azure.com/ --output json" ] || { echo "ERROR: unexpected arguments: \$*" >&2; exit 2; }
printf '{"accessToken": "%s", "expiresOn": "2099-01-01 00:00:00.000000", "expires_on": %s, "subscription": "x", "tenant": "$ARM_TENANT", "tokenType": "Bearer"}\n' "$tok" "\$((\$(date +%s) + 3600))"
AZ
	chmod +x "$ARM_DIR/bin/az"
	export PATH="$ARM_DIR/bin:$PATH"
}

arm_faults() {
	arm_exec curl -s --cacert "$ARM_CA" -X POST "$ARM_URL/_control/faults" -H 'Content-Type: application/json' -d "$1" >/dev/null
}
arm_reset() {
	arm_exec curl -s --cacert "$ARM_CA" -X POST "$ARM_URL/_control/reset" >/dev/null
}
arm_log() {
	arm_exec curl -s --cacert "$ARM_CA" "$ARM_URL/_control/log"
}
