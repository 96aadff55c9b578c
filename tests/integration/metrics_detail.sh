#!/usr/bin/env bash
# --metrics-detail and the files that read the metrics: one `kvpe agent`
# against the DNS lab (a healthy vault probed over HTTPS at a Key Vault
# stand-in, a failing one), scraped with "metrics-detail": "full", then
# reloaded (SIGHUP) to the default and scraped again.  Every metric the
# Grafana dashboard and the alert rules (agent/deploy/) name must be in the
# full scrape, those of kvpe-alerts.yml in the default one; by default a
# healthy vault costs at most 4 series.  Needs root for port 443 (the probe
# series); without it, and under valgrind, the probe part is skipped.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/ca.sh"
D=$TOP/agent/deploy
DASH=$D/kvpe-grafana.json

# 1. The files themselves.
if command -v promtool >/dev/null; then
	promtool check rules "$D"/kvpe-alerts*.yml >"$T/rules.out" 2>&1 && ok "promtool check rules: $(ls "$D"/kvpe-alerts*.yml | wc -l) files" ||
		not_ok "promtool check rules: $(tail -3 "$T/rules.out")"
else
	skip "promtool not installed (tests/deps.sh installs prometheus)"
fi
res=$(python3 - "$DASH" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
bad = []
if not 36 <= d.get("schemaVersion", 0) <= 41:
    bad.append("schemaVersion %s is not Grafana 10/11's" % d.get("schemaVersion"))
var = [v for v in d["templating"]["list"] if v.get("type") == "datasource"]
if not var or var[0].get("query") != "prometheus":
    bad.append("no Prometheus datasource variable")
name = var[0]["name"] if var else "?"
ids, titles = set(), set()
for p in d["panels"]:
    if p["id"] in ids:
        bad.append("panel id %s twice" % p["id"])
    ids.add(p["id"])
    titles.add(p["title"])
    if p["type"] == "row":
        continue
    if p.get("datasource", {}).get("uid") != "${%s}" % name:
        bad.append("panel %r does not use the datasource variable" % p["title"])
    if not p.get("targets") or not all(t.get("expr") for t in p["targets"]):
        bad.append("panel %r has a target without expr" % p["title"])
for want in ("Vaults by status", "Findings by code", "Failing vaults and their findings", "Source up",
             "Run duration", "Time since the last completed check", "ARM requests and throttling", "DNS lookup time"):
    if want not in titles:
        bad.append("no panel %r" % want)
print("; ".join(bad) if bad else "%d panels" % len(ids))
sys.exit(1 if bad else 0)
PY
) && ok "dashboard: $res" || not_ok "dashboard: $res"

# The metric names an expression uses (every kvpe_ name in it).
names_in() { grep -oE 'kvpe_[a-z0-9_]+' | sort -u; }
jq -r '.. | objects | (.expr?, .query?.query?, .definition?) | strings' "$DASH" | names_in >"$T/dash.names"
# a rule's expr: its line and the lines under it up to the next key
exprs() { awk '/^ *#/ { next } /^ *(- )?[a-z_]+:/ { e = 0 } /^ *expr:/ { e = 1 } e' "$@"; }
exprs "$D"/kvpe-alerts.yml | names_in >"$T/rules-basic.names"
exprs "$D"/kvpe-alerts*.yml | names_in >"$T/rules-all.names"

# 2. The lab: a healthy vault with a Key Vault stand-in at its address.
NET=${KVPE_TEST_PROBE_NET:-127.0.0}
PROBE=off
CAFILE=/etc/ssl/certs/ca-certificates.crt
# Under valgrind the TLS probe of an agent cycle outlasts its budget: the
# probe series are checked in the release and asan runs only.
if is_root && [ -z "${KVPE_VALGRIND:-}" ]; then
	CA=$T/ca
	ca_make "$CA" && ca_cert "$CA" kvm-ok "DNS:kvm-ok.vault.azure.net" || { not_ok "test CA"; finish; exit 1; }
	python3 "$TOP/tests/servers/kvserver.py" --pidfile "$T/kvserver.pid" --log "$T/kv.log" \
		"$NET.31:443:vault:$CA/kvm-ok.pem:$CA/kvm-ok.key" 2>"$T/kvserver.err" &
	wait_for test -s "$T/kvserver.pid" || { not_ok "kvserver did not start"; cat "$T/kvserver.err"; finish; exit 1; }
	PROBE=https
	CAFILE=$CA/ca.pem
else
	skip "probe series: binding $NET.31:443 needs root, and no valgrind"
fi
echo "{\"vaults\": [{\"name\": \"kvm-ok\", \"ip\": \"$NET.31\"}, {\"name\": \"kvm-missing\", \"ip\": \"$NET.32\", \"zone\": []}]}" \
	>"$T/tenant.json"
lab_up "$T/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
config() { # DETAIL
	cat >"$T/config.json" <<JSON
{"vault": ["kvm-ok=$NET.31", "kvm-missing=$NET.32"], "dns-server": ["$LAB_VNET"], "probe": "$PROBE",
 "ca-file": "$CAFILE", "timeout": $((2000 * SLOW)), "metrics-detail": "$1"}
JSON
}
config full
"$KVPE" agent --config "$T/config.json" --interval 300ms --listen "127.0.0.1:$PORT" >/dev/null 2>"$T/agent.err" &
AGENT=$!
echo $AGENT >"$T/agent.pid"
wait_for curl -sf "$URL/healthz" || { not_ok "agent not healthy"; cat "$T/agent.err"; finish; exit 1; }
curl -s "$URL/metrics" >"$T/full.prom"
curl -s "$URL/v1/report" >"$T/report.json"
res=$(python3 "$TOP/tests/lib/promcheck.py" "$T/full.prom") && ok "full: exposition valid ($res)" || not_ok "full: $res"
expect_eq "the healthy vault passed, the other failed" \
	"$(awk '$1 == "kvpe_vault_up{vault=\"kvm-ok\"}" || $1 == "kvpe_vault_up{vault=\"kvm-missing\"}" {print $2}' "$T/full.prom" | tr -d '\n')" 01

# absent NAMES_FILE SCRAPE: the names without a sample in SCRAPE.  Two
# kinds of family have samples only at times: kvpe_vault_stale while a
# source is down, the per-server ones once servers are asked directly (the
# report then holds vantage observations); until then their TYPE line is
# enough.
vantages=$(jq '[.vaults[] | .dns.vantages // [] | length] | add // 0' "$T/report.json")
absent() {
	local n
	while read -r n; do
		grep -qE "^$n[{ ]" "$2" && continue
		case $n in
		kvpe_vault_stale) grep -q "^# TYPE $n gauge" "$2" && continue ;;
		kvpe_dns_vantage_*) [ "$vantages" = 0 ] && grep -q "^# TYPE $n gauge" "$2" && continue ;;
		esac
		echo "$n"
	done <"$1"
}
miss=$(absent "$T/dash.names" "$T/full.prom" | tr '\n' ' ')
[ -z "$miss" ] && ok "full: the dashboard's $(wc -l <"$T/dash.names") metrics are all scraped" ||
	not_ok "full: the dashboard names metrics the agent does not expose: $miss"
if [ "$PROBE" = https ]; then
	miss=$(absent "$T/rules-all.names" "$T/full.prom" | tr '\n' ' ')
	[ -z "$miss" ] && ok "full: every metric of the alert rules is scraped ($(wc -l <"$T/rules-all.names"))" ||
		not_ok "full: the alert rules name metrics the agent does not expose: $miss"
fi
n_full=$(grep -c 'vault="kvm-ok"' "$T/full.prom")
expect_eq "full: the healthy vault's detail series are there" "$((n_full > 4))" 1

# 3. Reloaded to the default: the status series only.
config basic
kill -HUP "$AGENT"
for _ in $(seq 1 $((50 * SLOW))); do
	curl -s "$URL/metrics" >"$T/basic.prom"
	grep -q '^kvpe_dns_lookup_seconds' "$T/basic.prom" || break
	sleep 0.1
done
res=$(python3 "$TOP/tests/lib/promcheck.py" "$T/basic.prom") && ok "basic: exposition valid ($res)" || not_ok "basic: $res"
expect_eq "basic: no detail family, not even its HELP" \
	"$(grep -E '^(# HELP |# TYPE )?kvpe_(dns|probe|tls|ip_addr|private_endpoint|public_network)_' "$T/basic.prom" |
		grep -cv '^\(# [A-Z]* \)\?kvpe_dns_lookup_duration_seconds')" 0
# The aggregate lookup-time histogram stays, counting every cycle's lookups.
expect_eq "basic: the lookup-time histogram stays, cumulative (+Inf = count, > one cycle's 2)" \
	"$(awk '$1 == "kvpe_dns_lookup_duration_seconds_bucket{le=\"+Inf\"}" {i = $2} $1 == "kvpe_dns_lookup_duration_seconds_count" {c = $2}
		END {print (i == c && c > 2) ? "ok" : "bad " i " " c}' "$T/basic.prom")" ok
healthy=$(awk -F'"' '/^kvpe_vault_up\{/ && / 1$/ {print $2}' "$T/basic.prom")
bad=
for v in $healthy; do
	n=$(grep -c "vault=\"$v\"" "$T/basic.prom")
	[ "$n" -le 4 ] || bad="$bad $v:$n"
done
[ -n "$healthy" ] && [ -z "$bad" ] && ok "basic: each healthy vault costs at most 4 series ($(echo $healthy))" ||
	not_ok "basic: healthy vaults over 4 series:${bad:- none healthy}"
# One series per code it has (DNS_NXDOMAIN; with probes also PROBE_TCP_FAILED:
# its endpoint address is probed and nothing listens there).
expect_eq "basic: the failing vault keeps its findings" \
	"$(grep '^kvpe_vault_findings{vault="kvm-missing"' "$T/basic.prom" | sed -E 's/.*code="([A-Z_]+)".*/\1/' | sort | paste -sd,)" \
	"$(jq -r '.vaults[] | select(.name == "kvm-missing") | [.findings[].code] | unique | join(",")' "$T/report.json")"
miss=$(absent "$T/rules-basic.names" "$T/basic.prom" | tr '\n' ' ')
[ -z "$miss" ] && ok "basic: kvpe-alerts.yml's $(wc -l <"$T/rules-basic.names") metrics are all scraped" ||
	not_ok "basic: kvpe-alerts.yml names metrics absent by default: $miss"
sigterm "$AGENT"
expect_eq "agent stopped on SIGTERM" "$RC" 0
expect_clean_stderr "agent" "$T/agent.err"
finish
