#!/usr/bin/env bash
# What a user feeds kvpe, read whole or refused with a one-line reason:
#   --inventory files of several JSON documents (concatenated, one resource
#   a line, pretty-printed ones appended, an array then objects), standard
#   input, trailing garbage, a cut-off document, NUL bytes, empty and
#   whitespace-only files, a directory, types kvpe does not read;
#   --config with a second object, trailing garbage, a directory;
#   an ARM page and a token answer with trailing data (the local ARM server);
#   names with a trailing dot in every form, hsm: with a vault FQDN,
#   --timeout -1, AZURE_AUTHORITY_HOST that is not a URL.
# Every refusal: exit 2, one line on stderr naming the file (and byte
# offset) or the variable, and nothing written to --output.  Under valgrind
# (some 50 runs at seconds each) one case of each code path runs: `full`.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/arm.sh"

# Two vaults and a Managed HSM in subscription a, one vault in b.
python3 - "$T/tenant.json" <<'PY'
import json, sys
v = lambda name, ip, **kw: dict(name=name, ip=ip, public_access="Disabled", **kw)
json.dump({"vaults": [v("kv-a1", "10.1.0.1"), v("kv-a2", "10.1.0.2"), v("kv-b1", "10.1.1.1", subscription="b"),
                      v("hsm-a1", "10.1.0.9", kind="hsm")]}, open(sys.argv[1], "w"))
PY
lab_up "$T/tenant.json" --arm || { not_ok "lab did not start"; finish; exit 1; }
INV=$LAB_DIR/inventory-arm.json
RUN=(check --dns-server "$LAB_VNET" --probe off --format json)
names() { jq -r '[.vaults[] | "\(.name)=\(.status)"] | join(",")' "$1"; }
full() { [ -z "${KVPE_VALGRIND:-}" ]; }

# refused LABEL WANT_TEXT ARGS...: exit 2, exactly one stderr line holding
# WANT_TEXT (fixed string), no report at --output.  (-q: no info lines.)
refused() {
	local label=$1 want=$2 f
	shift 2
	f=$T/refused-$(printf '%s' "$label" | tr -c 'A-Za-z0-9' _)
	rm -f "$T/refused.json"
	run_kvpe "$f.out" "$@" -q -o "$T/refused.json"
	expect_rc "$label" 2
	if [ "$(wc -l <"$f.out.err")" -eq 1 ] && grep -qF -- "$want" "$f.out.err"; then
		ok "$label: one line naming it"
	else
		not_ok "$label: stderr is not one line with '$want':"
		cat "$f.out.err"
	fi
	[ ! -e "$T/refused.json" ] && ok "$label: nothing written to --output" || not_ok "$label: --output written"
}

# ---- the same inventory in every multi-document layout ----
run_kvpe "$T/base.json" "${RUN[@]}" --inventory "$INV"
expect_rc "one array (baseline)" 0
BASE=$(names "$T/base.json")
expect_eq "baseline: every vault" "$BASE" "hsm-a1=pass,kv-a1=pass,kv-a2=pass,kv-b1=pass"
python3 - "$INV" "$T" <<'PY'
import json, sys
items, t = json.load(open(sys.argv[1])), sys.argv[2]
w = lambda name, text: open("%s/%s" % (t, name), "w").write(text)
w("concat.json", "".join(json.dumps(r) for r in items))
w("ndjson.json", "".join(json.dumps(r) + "\n" for r in items))
# `az keyvault show ... >> inv.json` for each: pretty-printed, one after another
w("pretty.json", "".join(json.dumps(r, indent=2) + "\n" for r in items))
half = len(items) // 2
w("array-object.json", json.dumps(items[:half], indent=2) + "\n" + "\n".join(json.dumps(r) for r in items[half:]))
w("list-pages.json", json.dumps({"value": items[:half]}) + "\r\n" + json.dumps({"value": items[half:]}) + "\r\n")
vnets = [{"id": "/subscriptions/5c1ab000-0000-4000-8000-00000000000a/resourceGroups/rg-net/providers/"
                "Microsoft.Network/networkSecurityGroups/nsg-%d" % i, "name": "nsg-%d" % i,
          "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
          "securityRules": []} for i in range(3)]
w("vnets.json", json.dumps(vnets, indent=2) + "\n")
w("accounts.json", json.dumps([{"id": "5c1ab000", "name": "sub", "state": "Enabled"}]))
good = json.dumps(items, indent=2) + "\n"
w("good.json", good)
w("garbage.json", good + "garbage\n")
second = json.dumps(items[0], indent=2)
w("cut.json", good + second[:len(second) // 2])
PY
for layout in $(full && echo concat ndjson pretty array-object list-pages || echo array-object); do
	run_kvpe "$T/$layout.out.json" "${RUN[@]}" --inventory "$T/$layout.json"
	expect_rc "$layout" 0
	expect_eq "$layout: every document read" "$(names "$T/$layout.out.json")" "$BASE"
done

# standard input, read once
if full; then
	"$KVPE" "${RUN[@]}" --inventory - <"$T/ndjson.json" >"$T/stdin.out.json" 2>"$T/stdin.err" && RC=0 || RC=$?
	expect_rc "--inventory - (redirect)" 0
	expect_eq "--inventory -: every vault" "$(names "$T/stdin.out.json")" "$BASE"
fi
RC=0
cat "$T/pretty.json" | "$KVPE" "${RUN[@]}" --inventory - >"$T/pipe.out.json" 2>"$T/pipe.err" || RC=$?
expect_rc "--inventory - (pipe)" 0
expect_eq "--inventory - from a pipe: every vault" "$(names "$T/pipe.out.json")" "$BASE"
refused "stdin twice" "--inventory - given 2 times: standard input can be read only once" \
	"${RUN[@]}" --inventory - --inventory "$INV" --inventory -
RC=0
printf '{"value": []} x' | "$KVPE" "${RUN[@]}" --inventory - >/dev/null 2>"$T/stdin-bad.err" || RC=$?
expect_rc "--inventory - with garbage" 2
expect_eq "--inventory - with garbage: named, with the offset" "$(cat "$T/stdin-bad.err")" \
	"kvpe: --inventory - (standard input): not valid JSON at byte 14"

# The agent reads standard input once and checks what it read every cycle.
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
"$KVPE" agent --dns-server "$LAB_VNET" --probe off --inventory - --interval 200ms --listen "127.0.0.1:$PORT" \
	<"$T/ndjson.json" >/dev/null 2>"$T/agent.err" &
echo $! >"$T/agent.pid"
runs=0
for _ in $(seq 1 $((100 * SLOW))); do
	runs=$(metric kvpe_runs_total)
	[ "${runs:-0}" -ge 3 ] 2>/dev/null && break
	sleep 0.1
done
[ "${runs:-0}" -ge 3 ] 2>/dev/null && ok "agent --inventory -: $runs cycles" || not_ok "agent --inventory -: only '${runs}' cycles"
expect_eq "agent --inventory -: every vault, every cycle, none failed" \
	"$(metric kvpe_vaults) $(metric kvpe_run_failures_total)" "4 0"
kill "$(cat "$T/agent.pid")" && wait "$(cat "$T/agent.pid")" 2>/dev/null
rm -f "$T/agent.pid"

# ---- what is not whole JSON: the file and the byte offset ----
size=$(stat -c %s "$T/good.json")
refused "trailing garbage" "kvpe: --inventory $T/garbage.json: not valid JSON at byte $size" \
	"${RUN[@]}" --inventory "$T/garbage.json"
refused "cut-off document" \
	"kvpe: --inventory $T/cut.json: not valid JSON: the document that starts at byte $size is cut off at byte $(stat -c %s "$T/cut.json")" \
	"${RUN[@]}" --inventory "$T/cut.json"
head -c 100 /dev/zero >"$T/nul.json"
refused "NUL bytes" "kvpe: --inventory $T/nul.json: not valid JSON at byte 0 (control character 0x00)" \
	"${RUN[@]}" --inventory "$T/nul.json"
: >"$T/empty.json"
refused "empty file" "kvpe: --inventory $T/empty.json: empty, no JSON document" "${RUN[@]}" --inventory "$T/empty.json"
printf ' \n\t\n' >"$T/blank.json"
full && refused "whitespace only" "kvpe: --inventory $T/blank.json: no JSON document, only whitespace" \
	"${RUN[@]}" --inventory "$T/blank.json"
mkdir -p "$T/adir"
refused "a directory" "kvpe: --inventory $T/adir: is a directory, not a file" "${RUN[@]}" --inventory "$T/adir"
full && refused "a missing file" "kvpe: --inventory $T/nope.json: No such file or directory" \
	"${RUN[@]}" --inventory "$T/nope.json"
if is_root; then
	# root reads every file: this one fails at its first read instead
	refused "unreadable file" "kvpe: --inventory /proc/self/mem: Input/output error" "${RUN[@]}" --inventory /proc/self/mem
else
	cp "$INV" "$T/secret.json" && chmod 000 "$T/secret.json"
	refused "unreadable file" "kvpe: --inventory $T/secret.json: Permission denied" "${RUN[@]}" --inventory "$T/secret.json"
fi
# a good file first does not save a bad one after it
full && refused "bad second file" "kvpe: --inventory $T/garbage.json: not valid JSON at byte $size" \
	"${RUN[@]}" --inventory "$INV" --inventory "$T/garbage.json"

# ---- types kvpe does not read ----
run_kvpe "$T/beside.json" "${RUN[@]}" --inventory "$T/vnets.json" --inventory "$INV"
expect_rc "unused types beside the vaults" 0
expect_eq "unused types beside the vaults: skipped, every vault checked" "$(names "$T/beside.json")" "$BASE"
grep -q 'inventory: resources of types kvpe does not read skipped.*skipped=3 type=Microsoft.Network/networkSecurityGroups' \
	"$T/beside.json.err" && ok "unused types: the skip is logged" || not_ok "unused types: no log line"
refused "unused types alone" \
	"kvpe: --inventory $T/vnets.json: no Key Vault, Managed HSM, private endpoint, NIC or private DNS resource (3 of other types skipped, such as Microsoft.Network/networkSecurityGroups)" \
	"${RUN[@]}" --inventory "$T/vnets.json"
refused "no ARM resource at all" "kvpe: --inventory $T/accounts.json: no ARM resource in it" \
	"${RUN[@]}" --inventory "$T/accounts.json"

# ---- --config: one object, nothing after it ----
printf '{"probe": "off"}\n{"probe": "tcp"}\n' >"$T/two.conf"
refused "config: two objects" "kvpe: --config $T/two.conf: not valid JSON: more data after the document, at byte 17" \
	check --config "$T/two.conf" --vault kv-a1 --dns-server "$LAB_VNET"
printf '{"probe": "off"} }' >"$T/junk.conf"
full && refused "config: trailing garbage" "kvpe: --config $T/junk.conf: not valid JSON: more data after the document, at byte 17" \
	check --config "$T/junk.conf" --vault kv-a1 --dns-server "$LAB_VNET"
refused "config: a directory" "kvpe: --config $T/adir: is a directory, not a file" \
	check --config "$T/adir" --vault kv-a1 --dns-server "$LAB_VNET"
printf '{"vault": ["kv-a1.", "kv-a2.vault.azure.net."], "probe": "off"}\n' >"$T/dots.conf"
run_kvpe "$T/dots.json" check --config "$T/dots.conf" --dns-server "$LAB_VNET" --format json
expect_rc "config: vault names with a trailing dot" 0
expect_eq "config: vault names with a trailing dot" "$(names "$T/dots.json")" "kv-a1=pass,kv-a2=pass"

# ---- names: one trailing dot in every form ----
run_kvpe "$T/plain.json" "${RUN[@]}" --vault kv-a1
PLAIN=$(jq -c '[.vaults[] | {name, kind, fqdn, status}]' "$T/plain.json")
for v in $(full && echo kv-a1. kv-a1.vault.azure.net. KV-A1.Vault.Azure.Net. || true) kv-a1.=10.1.0.1; do
	run_kvpe "$T/dot.json" "${RUN[@]}" --vault "$v"
	expect_rc "--vault $v" 0
	expect_eq "--vault $v: the same vault as kv-a1" "$(jq -c '[.vaults[] | {name, kind, fqdn, status}]' "$T/dot.json")" "$PLAIN"
done
run_kvpe "$T/hsm.json" "${RUN[@]}" --vault hsm:hsm-a1. --vault hsm-a1.managedhsm.azure.net.
expect_eq "hsm:NAME. and NAME.managedhsm.azure.net.: one Managed HSM" \
	"$(jq -r '[.vaults[] | "\(.name) \(.kind) \(.fqdn)"] | join(",")' "$T/hsm.json")" "hsm-a1 managedhsm hsm-a1.managedhsm.azure.net"
for v in $(full && echo . .. hsm:. || true) kv-a1..; do
	refused "--vault '$v'" "kvpe: --vault '$v': expected NAME" "${RUN[@]}" --vault "$v"
done
refused "hsm: with a vault FQDN" \
	"kvpe: --vault 'hsm:kv-a1.vault.azure.net': hsm: takes a Managed HSM name or a *.managedhsm.* FQDN" \
	"${RUN[@]}" --vault hsm:kv-a1.vault.azure.net
run_kvpe "$T/res.json" resolve --dns-server "$LAB_VNET" --format json kv-a1.vault.azure.net. kv-a1.
expect_rc "resolve NAME." 0
expect_eq "resolve NAME.: the vault's names, private" \
	"$(jq -r '[.names[] | "\(.name) \(.kind) \(.private)"] | join(",")' "$T/res.json")" \
	"kv-a1.vault.azure.net vault true,kv-a1.vault.azure.net vault true"
refused "resolve ." "kvpe: resolve: '.' is not a DNS name" resolve --dns-server "$LAB_VNET" .
full && refused "resolve .." "kvpe: resolve: '..' is not a DNS name" resolve --dns-server "$LAB_VNET" ..
refused "resolve --format sarif" "kvpe: --format 'sarif': expected table or json" \
	resolve --dns-server "$LAB_VNET" --format sarif kv-a1

# ---- option values ----
refused "--timeout -1" "kvpe: --timeout '-1': expected a duration from 100ms to 10m, such as 5s (a bare number is milliseconds: 100 to 600000)" \
	"${RUN[@]}" --vault kv-a1 --timeout -1
full && refused "--timeout 0" "kvpe: --timeout '0': expected a duration from 100ms to 10m" "${RUN[@]}" --vault kv-a1 --timeout 0
full && refused "--timeout 11m" "kvpe: --timeout '11m': expected a duration from 100ms to 10m" "${RUN[@]}" --vault kv-a1 --timeout 11m
full && refused "--concurrency 0" "kvpe: --concurrency: '0' is not a number from 1 to 100000" "${RUN[@]}" --vault kv-a1 --concurrency 0

# ---- ARM pages and token answers: one whole document each ----
arm_up "$LAB_DIR/arm.json" || { not_ok "ARM server did not start"; finish; exit 1; }
arm_env_secret
export KVPE_ARM_BACKOFF_MS=100
SUB_A=5c1ab000-0000-4000-8000-00000000000a
SUB_B=5c1ab000-0000-4000-8000-00000000000b
ARM=("${RUN[@]}" --ca-file "$ARM_CA" --arm-endpoint "$ARM_URL")

# A vault page of sub b with data after it: that subscription fails, sub a
# is checked as usual.  (The exit code of a partial run is not asserted
# here beyond "not 0".)
arm_faults "[{\"match\": \"$SUB_B/providers/Microsoft.KeyVault/vaults\", \"times\": -1, \"action\": {\"append\": \"{}\"}}]"
run_kvpe "$T/page.json" "${ARM[@]}"
[ "$RC" -ne 0 ] && ok "ARM page with trailing data: the run is not a pass (exit $RC)" || not_ok "ARM page with trailing data: exit 0"
expect_eq "ARM page with trailing data: that subscription's error" \
	"$(jq -r '.errors[] | "\(.scope) \(.message | test("^vaults: malformed answer: not valid JSON: more data after the document, at byte [0-9]+ \\(x-ms-request-id: "))"' "$T/page.json")" \
	"subscription/$SUB_B true"
expect_eq "ARM page with trailing data: sub a checked" \
	"$(jq -r '[.vaults[] | select(.name != "kv-b1") | "\(.name)=\(.status)"] | join(",")' "$T/page.json")" \
	"hsm-a1=pass,kv-a1=pass,kv-a2=pass"
arm_reset

# The subscription list itself: the run cannot proceed.
arm_faults '[{"match": "^/subscriptions\\?", "times": -1, "action": {"append": " x"}}]'
refused "subscription list with trailing data" \
	"kvpe: cannot list subscriptions: malformed answer: not valid JSON: more data after the document, at byte" "${ARM[@]}"
arm_reset

# A token answer with trailing data: the token request fails, and neither
# the token nor the body is printed.
arm_faults '[{"match": "oauth2/v2.0/token", "method": "POST", "times": -1, "action": {"append": "garbage"}}]'
refused "token answer with trailing data" \
	"the answer is not one JSON document: not valid JSON: more data after the document, at byte" "${ARM[@]}"
if grep -qE 'eyJ[A-Za-z0-9_-]{10,}|[A-Za-z0-9_-]{60,}|garbage' "$T"/refused-token_answer_with_trailing_data.out.err; then
	not_ok "token answer: the body was printed"
else
	ok "token answer: neither the token nor the body printed"
fi
arm_reset

# AZURE_AUTHORITY_HOST must be an https:// URL: named in the message.
AZURE_AUTHORITY_HOST='not a url' refused "AZURE_AUTHORITY_HOST not a URL" \
	"kvpe: AZURE_AUTHORITY_HOST is not an https:// URL such as https://login.microsoftonline.com/" "${ARM[@]}"
expect_eq "AZURE_AUTHORITY_HOST not a URL: no request sent" "$(arm_log | jq length)" 0
full && AZURE_AUTHORITY_HOST="http://127.0.0.1:9" refused "AZURE_AUTHORITY_HOST over http" \
	"kvpe: AZURE_AUTHORITY_HOST is not an https:// URL" "${ARM[@]}"

cat "$T"/*.err >"$T/all-stderr"
expect_clean_stderr "every run" "$T/all-stderr"
finish
