#!/usr/bin/env bash
# The system-resolver path: kvpe with no --dns-server inside a network
# namespace (a "VNet host") whose /etc/netns/<ns>/resolv.conf points at the
# lab's VNet resolver, as a VM's resolv.conf points at Azure DNS.
. "$(dirname "$0")/../lib/common.sh"

if ! is_root; then
	skip "dns_netns: needs root for ip netns (CI runs as root)"
	finish
	exit 0
fi
NS=kvpe-t$$
netns_cleanup() {
	[ -f "$T/ns.pid" ] && kill "$(cat "$T/ns.pid")" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS"
}
on_cleanup netns_cleanup
ip netns add "$NS" && ip -n "$NS" link set lo up || { not_ok "cannot create netns"; finish; exit 1; }
mkdir -p "/etc/netns/$NS"
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"/etc/netns/$NS/resolv.conf"

# The VNet resolver listens on 127.0.0.1:53 inside the namespace only.
LAB_DIR=$T/lab
mkdir -p "$LAB_DIR"
python3 "$TOP/tests/lab/mklab.py" "$TOP/tests/lab/tenant.json" "$LAB_DIR" 53 5353
ip netns exec "$NS" unbound -d -c "$LAB_DIR/vnet.conf" >"$LAB_DIR/vnet.stderr" 2>&1 &
echo $! >"$T/ns.pid"
if ! wait_for unbound-control -c "$LAB_DIR/vnet.conf" status; then
	not_ok "unbound in the namespace did not start"
	cat "$LAB_DIR/vnet.stderr"
	finish
	exit 1
fi

out=$T/sys.json
RC=0
ip netns exec "$NS" "$KVPE" check --probe off --format json --vault kv-healthy=10.1.0.4 --vault kv-missing=10.1.0.5 \
	>"$out" 2>"$out.err" || RC=$?
expect_rc "system resolver" 1
expect_eq "resolvers read from resolv.conf" "$(jq -r '.agent.resolvers|join(",")' "$out")" "127.0.0.1:53"
expect_eq "healthy via the system resolver" "$(codes "$out" kv-healthy)" ""
expect_eq "missing via the system resolver" "$(codes "$out" kv-missing)" DNS_NXDOMAIN
expect_eq "answering server" "$(vault_field "$out" kv-healthy .dns.server)" "127.0.0.1:53"
expect_clean_stderr "system resolver" "$out.err"

# The same host seen from outside the namespace cannot reach that resolver:
# the namespace's loopback is its own.
RC=0
ip netns exec "$NS" "$KVPE" resolve --format json kv-healthy.vault.azure.net >"$T/r.json" 2>"$T/r.err" || RC=$?
expect_rc "resolve via the system resolver" 0
expect_eq "resolve: diagnosis" "$(jq -r '.names[0].diagnosis' "$T/r.json" | cut -d: -f1)" private

# More servers than kvpe asks (32) in resolv.conf: a clear reason, exit 2.
for i in $(seq 1 33); do echo "nameserver 127.0.0.$i"; done >"/etc/netns/$NS/resolv.conf"
RC=0
ip netns exec "$NS" "$KVPE" check --probe off --vault kv-healthy >"$T/many.out" 2>"$T/many.err" || RC=$?
expect_rc "33 servers in resolv.conf" 2
expect_eq "33 servers in resolv.conf: says so" \
	"$(wc -l <"$T/many.err") $(grep -c '/etc/resolv.conf: more than 32 DNS servers; kvpe asks at most 32' "$T/many.err")" "1 1"
finish
