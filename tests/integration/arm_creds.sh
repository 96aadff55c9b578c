#!/usr/bin/env bash
# The credential chain against the local token endpoints: every credential
# type, its order, its failures, token refresh — and that no secret, client
# assertion or token ever reaches stdout or stderr, failures included.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

cat >"$T/tenant.json" <<'JSON'
{"vaults": [{"name": "kv-cred", "ip": "10.1.0.4", "public_access": "Disabled"}]}
JSON
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
SUB=5c1ab000-0000-4000-8000-00000000000a
RUN=(check --dns-server "$LAB_VNET" --probe off --format json --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL" -v)

# No secret-bearing value, JWT (client assertion) or server token (64-char
# url-safe) may appear in anything kvpe printed.
no_leak() {
	local label=$1
	shift
	if grep -qF -e "$ARM_SECRET" -e "$ARM_FEDERATED" -e "$ARM_ID_HEADER" "$@" ||
		grep -qE 'eyJ[A-Za-z0-9_-]{10,}|[A-Za-z0-9_-]{60,}' "$@"; then
		not_ok "$label: a secret or token was printed"
		grep -nE 'eyJ|[A-Za-z0-9_-]{60,}' "$@" | head -3
	else
		ok "$label: no secret or token in stdout/stderr"
	fi
}

# cred_case LABEL ENV_FN WANT_SOURCE [extra checks on the token request]
cred_case() {
	local label=$1 envfn=$2 source=$3
	arm_reset
	$envfn
	run_kvpe "$T/$label.json" "${RUN[@]}"
	expect_rc "$label" 0
	expect_eq "$label: vault checked" "$(codes "$T/$label.json" kv-cred),$(vault_field "$T/$label.json" kv-cred .status)" ",pass"
	if grep -q "credential selected source=\"$source\"" "$T/$label.json.err"; then ok "$label: -v names $source"; else
		not_ok "$label: credential source not '$source'"
		cat "$T/$label.json.err" | head -5
	fi
	no_leak "$label" "$T/$label.json" "$T/$label.json.err"
}

cred_case secret arm_env_secret "environment (client secret)"
expect_eq "secret: form carries client_secret" "$(arm_log | jq -r '[.[] | select(.method=="POST")][0].form_keys|join(",")')" \
	"client_id,client_secret,grant_type,scope"

cred_case cert-ps256 arm_env_cert "environment (client certificate)"
expect_eq "cert: a client assertion was sent (and verified by the server)" \
	"$(arm_log | jq -r '[.[] | select(.method=="POST")][0] | "\(.status) \(.form_keys|join(","))"')" \
	"200 client_assertion,client_assertion_type,client_id,grant_type,scope"

env_cert_rs256() { arm_env_cert; export KVPE_ASSERTION_ALG=RS256; }
cred_case cert-rs256 env_cert_rs256 "environment (client certificate)"
env_cert_chain() { arm_env_cert; export AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true; }
cred_case cert-x5c env_cert_chain "environment (client certificate)"

cred_case workload arm_env_workload "workload identity"
cred_case appservice arm_env_appservice "managed identity (App Service)"
expect_eq "appservice: X-IDENTITY-HEADER sent" "$(arm_log | jq '[.[] | select(.path=="/msi/token")][0].headers["x-identity-header_present"]')" true

cred_case imds arm_env_imds "managed identity (IMDS)"
expect_eq "imds: Metadata: true sent" "$(arm_log | jq -r '[.[] | select(.path|startswith("/metadata"))][0].headers.metadata')" true
env_imds_user() { arm_env_imds; export AZURE_CLIENT_ID=$ARM_MSI_CLIENT; }
cred_case imds-user-assigned env_imds_user "managed identity (IMDS)"
expect_eq "imds: client_id selects the user-assigned identity" \
	"$(arm_log | jq -r '[.[] | select(.path|startswith("/metadata"))][0].query' | grep -c "client_id=$ARM_MSI_CLIENT")" 1

cred_case cli arm_env_cli "Azure CLI"

# Something that is not IMDS answers at its address (a proxy, a non-Azure
# host): managed identity is unavailable and the chain goes on to the Azure
# CLI, as DefaultAzureCredential does.  The stand-in is asked (never the
# real 169.254.169.254); the fake az is first on PATH.
env_imds_not_imds() { arm_env_cli; export AZURE_POD_IDENTITY_AUTHORITY_HOST=$ARM_HTTP; }
imds_not_imds() { # label 'fault-action-json' what-the-log-says
	local label=$1
	arm_reset
	arm_faults "[{\"match\": \"^/metadata/identity/oauth2/token\", \"times\": -1, \"action\": $2}]"
	env_imds_not_imds
	run_kvpe "$T/$label.json" "${RUN[@]}"
	expect_rc "$label: on to the Azure CLI" 0
	expect_eq "$label: vault checked" "$(vault_field "$T/$label.json" kv-cred .status)" pass
	expect_eq "$label: the stand-in was asked, once" \
		"$(arm_log | jq '[.[] | select(.path == "/metadata/identity/oauth2/token" and .listener == "http")] | length')" 1
	if grep -q 'credential selected source="Azure CLI"' "$T/$label.json.err" &&
		grep -q "managed identity unavailable; trying the Azure CLI.*$3" "$T/$label.json.err"; then
		ok "$label: -v says why IMDS was passed over"
	else
		not_ok "$label: no 'managed identity unavailable' line naming '$3'"
		head -5 "$T/$label.json.err"
	fi
	no_leak "$label" "$T/$label.json" "$T/$label.json.err"
}
imds_not_imds imds-403-html \
	'{"raw": "<html><body><h1>403 Forbidden</h1>Request blocked by proxy</body></html>", "status": 403, "content_type": "text/html"}' \
	"HTTP 403 with a body that is not a token answer (text/html"
imds_not_imds imds-200-html \
	'{"raw": "<html><body>Welcome to nginx!</body></html>", "status": 200, "content_type": "text/html"}' \
	"HTTP 200 with a body that is not a token answer"
imds_not_imds imds-500 '{"status": 500}' "HTTP 500"
imds_not_imds imds-drops '{"close": true}' "managed identity (IMDS): "
# No az either: both reasons in the one error line.
env_imds_403_no_az() { arm_env_clear; export AZURE_POD_IDENTITY_AUTHORITY_HOST=$ARM_HTTP PATH=/usr/bin:/bin; }
PATH_SAVED=$PATH
arm_reset
arm_faults '[{"match": "^/metadata/identity/oauth2/token", "times": -1, "action": {"raw": "<html>403</html>", "status": 403, "content_type": "text/html"}}]'
env_imds_403_no_az
run_kvpe "$T/imds-403-no-az.json" "${RUN[@]}"
export PATH=$PATH_SAVED
expect_rc "imds 403, no az" 2
expect_eq "imds 403, no az: one line naming both" \
	"$(grep -c '^kvpe: no credential: .*managed identity: managed identity (IMDS): HTTP 403 .*Azure CLI: az not found on PATH' "$T/imds-403-no-az.json.err")" 1

# systemd's LoadCredential=: the secret as a file in $CREDENTIALS_DIRECTORY.
env_systemd_cred() {
	arm_env_clear
	mkdir -p "$T/creds"
	printf '%s\n' "$ARM_SECRET" >"$T/creds/AZURE_CLIENT_SECRET"
	chmod 0400 "$T/creds/AZURE_CLIENT_SECRET"
	export AZURE_TENANT_ID=$ARM_TENANT AZURE_CLIENT_ID=$ARM_CLIENT CREDENTIALS_DIRECTORY=$T/creds
}
cred_case systemd-credential env_systemd_cred "environment (client secret)"
expect_eq "systemd credential: no permission warning at 0400" "$(grep -c 'readable by other users' "$T/systemd-credential.json.err")" 0
chmod 0644 "$T/creds/AZURE_CLIENT_SECRET"
run_kvpe "$T/loose.json" "${RUN[@]}"
expect_eq "systemd credential readable by others: warned (by name, not value)" \
	"$(grep -c 'credential file is readable by other users; chmod 600 it.*variable=AZURE_CLIENT_SECRET mode=0644' "$T/loose.json.err")" 1
no_leak loose-credential "$T/loose.json" "$T/loose.json.err"
unset CREDENTIALS_DIRECTORY

# AZURE_AUTHORITY_HOST with a trailing slash works the same.
env_secret_slash() { arm_env_secret; export AZURE_AUTHORITY_HOST=$ARM_URL/; }
cred_case authority-trailing-slash env_secret_slash "environment (client secret)"

# Chain order: the environment wins over a managed identity that is also there.
env_both() { arm_env_appservice; export AZURE_TENANT_ID=$ARM_TENANT AZURE_CLIENT_ID=$ARM_CLIENT AZURE_CLIENT_SECRET=$ARM_SECRET; }
cred_case order-env-first env_both "environment (client secret)"

# ---- failures: exit 2, a clear reason, nothing secret ----
fail_case() { # label envfn want_message [faults]
	local label=$1 envfn=$2 want=$3
	arm_reset
	[ -n "${4:-}" ] && arm_faults "$4"
	$envfn
	run_kvpe "$T/$label.json" "${RUN[@]}"
	expect_rc "$label" 2
	if grep -qF -- "$want" "$T/$label.json.err"; then ok "$label: says '$want'"; else
		not_ok "$label: message lacks '$want'"
		cat "$T/$label.json.err"
	fi
	expect_eq "$label: one line on stderr after the logs" "$(grep -c '^kvpe: ' "$T/$label.json.err")" 1
	no_leak "$label" "$T/$label.json" "$T/$label.json.err"
}
env_bad_secret() { arm_env_secret; export AZURE_CLIENT_SECRET="wrong-$ARM_SECRET"; }
fail_case bad-secret env_bad_secret "AADSTS7000215"
fail_case token-500 arm_env_secret "token endpoint: HTTP 500" \
	'[{"match": "oauth2/v2.0/token", "times": -1, "action": {"status": 500, "body": "<html>oops</html>", "headers": {"Content-Type": "text/html"}}}]'
fail_case token-html arm_env_secret "not a token answer" \
	'[{"match": "oauth2/v2.0/token", "times": -1, "action": {"raw": "<html><body>Sign in</body></html>", "status": 200, "content_type": "text/html"}}]'
fail_case token-expired arm_env_secret "already expired" \
	'[{"match": "oauth2/v2.0/token", "times": -1, "action": {"token_expires_in": -30}}]'
env_cert_password() { arm_env_cert; export AZURE_CLIENT_CERTIFICATE_PASSWORD=hunter2; }
fail_case cert-password env_cert_password "only unencrypted PEM"
env_cert_missing() { arm_env_cert; export AZURE_CLIENT_CERTIFICATE_PATH=$T/nope.pem; }
fail_case cert-missing env_cert_missing "cannot open $T/nope.pem"
# An RSA certificate of the same CA that is not the app's (kvpe signs RS256).
CA_KEY=rsa ca_cert "$ARM_DIR" other-client "DNS:other-client" || not_ok "other client certificate"
env_wrong_cert() { arm_env_cert; export AZURE_CLIENT_CERTIFICATE_PATH=$ARM_DIR/other-bundle.pem; cat "$ARM_DIR/other-client.key" "$ARM_DIR/other-client.pem" >"$ARM_DIR/other-bundle.pem"; }
fail_case cert-not-registered env_wrong_cert "invalid_client"
env_bad_federated() { arm_env_workload; echo "not-the-token" >"$AZURE_FEDERATED_TOKEN_FILE"; }
fail_case workload-wrong-token env_bad_federated "invalid_client"
env_fed_empty() { arm_env_workload; : >"$AZURE_FEDERATED_TOKEN_FILE"; }
fail_case workload-empty-file env_fed_empty "is empty"
# Credential files are read whole or not at all: over the cap (or with a NUL
# byte, where a C string would end) is a clear error naming the file, never
# a secret cut short and sent.
big_file() { python3 -c "import sys; sys.stdout.write('$2' * $3)" >"$1"; }
env_fed_huge() { arm_env_workload; big_file "$AZURE_FEDERATED_TOKEN_FILE" A 70000; }
fail_case workload-token-over-cap env_fed_huge "AZURE_FEDERATED_TOKEN_FILE: $ARM_DIR/federated-token is larger than 65536 bytes; not read"
env_cert_huge() { arm_env_cert; export AZURE_CLIENT_CERTIFICATE_PATH=$T/huge.pem; cat "$ARM_DIR/client.pem" >"$T/huge.pem"; big_file "$T/huge.pem.pad" '#' 1100000; cat "$T/huge.pem.pad" >>"$T/huge.pem"; }
fail_case cert-over-cap env_cert_huge "AZURE_CLIENT_CERTIFICATE_PATH: $T/huge.pem is larger than 1048576 bytes; not read"
env_systemd_secret_huge() {
	arm_env_clear
	mkdir -p "$T/bigcreds"
	big_file "$T/bigcreds/AZURE_CLIENT_SECRET" s 20000
	chmod 0400 "$T/bigcreds/AZURE_CLIENT_SECRET"
	export AZURE_TENANT_ID=$ARM_TENANT AZURE_CLIENT_ID=$ARM_CLIENT CREDENTIALS_DIRECTORY=$T/bigcreds
}
fail_case systemd-secret-over-cap env_systemd_secret_huge \
	"CREDENTIALS_DIRECTORY/AZURE_CLIENT_SECRET: $T/bigcreds/AZURE_CLIENT_SECRET is larger than 16384 bytes; not read"
env_systemd_secret_nul() {
	arm_env_clear
	mkdir -p "$T/nulcreds"
	printf '%s\0tail\n' "$ARM_SECRET" >"$T/nulcreds/AZURE_CLIENT_SECRET"
	chmod 0400 "$T/nulcreds/AZURE_CLIENT_SECRET"
	export AZURE_TENANT_ID=$ARM_TENANT AZURE_CLIENT_ID=$ARM_CLIENT CREDENTIALS_DIRECTORY=$T/nulcreds
}
fail_case systemd-secret-nul env_systemd_secret_nul "AZURE_CLIENT_SECRET holds a NUL byte; expected text"
expect_eq "secret with a NUL byte: no token was asked for" "$(arm_log | jq '[.[] | select(.method=="POST")] | length')" 0
unset CREDENTIALS_DIRECTORY
env_bad_header() { arm_env_appservice; export IDENTITY_HEADER=wrong-header; }
fail_case appservice-bad-header env_bad_header "managed identity endpoint (IDENTITY_ENDPOINT): HTTP 401"
env_cli_fails() {
	arm_env_clear
	mkdir -p "$ARM_DIR/badbin"
	printf '#!/bin/sh\necho "ERROR: Please run '"'"'az login'"'"' to setup account." >&2\nexit 1\n' >"$ARM_DIR/badbin/az"
	chmod +x "$ARM_DIR/badbin/az"
	export PATH="$ARM_DIR/badbin:$PATH"
}
fail_case cli-not-logged-in env_cli_fails "Please run 'az login'"
PATH_SAVED=$PATH
env_none() { arm_env_clear; export PATH=/usr/bin:/bin; }
fail_case no-credential env_none "no credential: set AZURE_TENANT_ID"
export PATH=$PATH_SAVED
env_imds_wrong_user() { arm_env_imds; export AZURE_CLIENT_ID=00000000-0000-0000-0000-00000000dead PATH=/usr/bin:/bin; }
fail_case imds-unknown-identity env_imds_wrong_user "Identity not found"
export PATH=$PATH_SAVED

# ---- refresh: a token that lives 4 s is renewed before it runs out ----
# (the zone list held back 5 s; under valgrind, which slows everything, a
# 20 s token and 25 s)
arm_down
arm_up "$LAB_DIR/arm.json" --token-lifetime $((4 * SLOW)) --page-size 1 || { not_ok "restart"; finish; exit 1; }
RUN=(check --dns-server "$LAB_VNET" --probe off --format json --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL" -v)
arm_env_secret
# The zone list is slow; its record and link lists go out after it, when the
# token has less than half its life left.
arm_faults '[{"match": "providers/Microsoft.Network/privateDnsZones\\?", "times": 1, "action": {"delay": '$((5 * SLOW))'.0}}]'
run_kvpe "$T/refresh.json" "${RUN[@]}" --subscription "$SUB"
expect_rc "refresh" 0
n=$(arm_log | jq '[.[] | select(.method=="POST")] | length')
if [ "$n" -ge 2 ]; then ok "refresh: token renewed during the run ($n token requests)"; else not_ok "refresh: only $n token request"; fi
expect_eq "refresh: no ARM request was refused" "$(arm_log | jq '[.[] | select(.status==401)] | length')" 0
no_leak refresh "$T/refresh.json" "$T/refresh.json.err"
finish
