#!/usr/bin/env bash
# demo.sh — `make demo`: brings up the bundled lab (two real unbound
# resolvers serving Azure-shaped zones on loopback), runs a real
# `kvpe check` against the "VNet" resolver, prints the table, and tears the
# lab down again, whatever happens.
set -u
KVPE=${1:-./kvpe}
. "$(dirname "$0")/../lib/common.sh"
KVPE=$(cd "$(dirname "${1:-$TOP/kvpe}")" && pwd)/$(basename "${1:-kvpe}")

echo "kvpe demo: starting the lab (unbound on loopback, ports chosen now)..."
lab_up "$TOP/tests/lab/tenant.json" || { echo "demo: the lab did not start" >&2; exit 2; }
echo "  VNet resolver:    $LAB_VNET   (private DNS zones linked)"
echo "  public resolver:  $LAB_PUBLIC   (the internet's view)"
echo
# The addresses below are the private endpoints' own (what ARM would say).
# Probes stay off: the lab's addresses are not reachable hosts.
set -x
"$KVPE" check --dns-server "$LAB_VNET" --probe off --format table \
	--vault kv-healthy=10.1.0.4 \
	--vault kv-missing=10.1.0.5 \
	--vault kv-stale=10.1.0.6 \
	--vault kv-override=10.1.0.7 \
	--vault kv-nopep \
	--vault hsm:hsm-healthy=10.1.2.4 \
	--vault kv-china.vault.azure.cn=10.1.3.4
rc=$?
{ set +x; } 2>/dev/null
echo
echo "kvpe exited with $rc (0 all passed, 1 findings, 2 run error)."
echo "Try the same vault through the public resolver (zone not linked):"
echo "  $KVPE check --dns-server $LAB_PUBLIC --probe off --vault kv-healthy=10.1.0.4"
"$KVPE" check --dns-server "$LAB_PUBLIC" --probe off --format table --vault kv-healthy=10.1.0.4
echo
echo "kvpe demo: tearing the lab down."
exit 0
