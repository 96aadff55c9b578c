#!/usr/bin/env bash
# 200 vaults in one run with a bounded number of queries in flight: every
# verdict is checked against the lab model (speed is `make bench`'s job).
. "$(dirname "$0")/../lib/common.sh"

cat >"$T/tenant.json" <<'JSON'
{"synthetic": {"count": 200, "prefix": "kvs"}}
JSON
lab_up "$T/tenant.json" || { not_ok "lab did not start"; finish; exit 1; }

# The --vault list and the expected codes, from the same model mklab used.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
vaults, want = [], {}
for i in range(200):
    name = "kvs%06d" % i
    ip = "10.%d.%d.%d" % (64 + (i >> 16) % 64, (i >> 8) & 255, i & 255)
    b = i % 100
    vaults.append("%s=%s" % (name, ip))
    if b in (0, 1, 4):
        want[name] = "DNS_PUBLIC_ADDRESS,DNS_NO_PRIVATELINK_CNAME"
    elif b == 2:
        want[name] = "DNS_NXDOMAIN"
    elif b == 3:
        want[name] = "DNS_ADDRESS_MISMATCH"
    else:
        want[name] = ""
json.dump({"vault": vaults, "probe": "off", "format": "json"}, open(t + "/config.json", "w"))
json.dump(want, open(t + "/want.json", "w"))
PY

check_all() { # label, report
	python3 - "$2" "$T/want.json" <<'PY'
import json, sys
rep, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
order = ["DNS_PUBLIC_ADDRESS", "DNS_ADDRESS_MISMATCH", "DNS_NO_PRIVATELINK_CNAME"]
bad = 0
seen = set()
for v in rep["vaults"]:
    seen.add(v["name"])
    got = ",".join(sorted((f["code"] for f in v["findings"]), key=lambda c: (order.index(c) if c in order else -1, c)))
    if got != want.get(v["name"]):
        bad += 1
        if bad < 5:
            print("mismatch", v["name"], got, "want", want.get(v["name"]))
missing = set(want) - seen
print("bad=%d missing=%d" % (bad, len(missing)))
PY
}

run_kvpe "$T/c16.json" check --config "$T/config.json" --dns-server "$LAB_VNET" --concurrency 16 --dns-qps 0 -v
expect_rc "200 vaults" 1
expect_eq "200 vaults: every verdict right" "$(check_all c16 "$T/c16.json" | tail -1)" "bad=0 missing=0"
expect_eq "200 vaults: count" "$(jq '.vaults|length' "$T/c16.json")" 200
peak=$(grep -o 'peak_inflight=[0-9]*' "$T/c16.json.err" | cut -d= -f2)
if [ -n "$peak" ] && [ "$peak" -le 16 ] && [ "$peak" -ge 2 ]; then
	ok "in flight bounded by --concurrency 16 (peak $peak)"
else
	not_ok "in flight: peak '$peak' with --concurrency 16"
fi
expect_eq "no timeouts" "$(jq '[.vaults[].findings[] | select(.code=="DNS_TIMEOUT")] | length' "$T/c16.json")" 0

# The verdicts do not depend on how many queries are in flight.
run_kvpe "$T/c1.json" check --config "$T/config.json" --dns-server "$LAB_VNET" --concurrency 1 --dns-qps 0
expect_eq "--concurrency 1 gives the same verdicts" \
	"$(jq -c '[.vaults[] | [.name, .status, [.findings[].code]]]' "$T/c1.json")" \
	"$(jq -c '[.vaults[] | [.name, .status, [.findings[].code]]]' "$T/c16.json")"

# Paced: 200 names × 2-3 queries at 400/s takes about a second, not less.
start=$(date +%s%N)
run_kvpe "$T/paced.json" check --config "$T/config.json" --dns-server "$LAB_VNET" --dns-qps 400
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "paced run: same verdicts" "$(check_all paced "$T/paced.json" | tail -1)" "bad=0 missing=0"
if [ "$ms" -ge 900 ]; then ok "--dns-qps 400 paces the run ($ms ms)"; else not_ok "--dns-qps 400 took only $ms ms"; fi
within "--dns-qps 400: not slower than needed" "$ms" 4000
finish
