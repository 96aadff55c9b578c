# netns.sh — network-namespace labs for kvpe's integration tests (bash).
# Source after common.sh.  Everything runs inside a namespace this test
# creates: its own loopback and one interface carrying the lab's "Azure"
# addresses (/32 each, no default route), so no packet can leave it.
#
#   netns_need_root NAME        skip the whole test (clean "skip", exit 0) unless root
#   netns_up                    namespace kvpe-lab-$$ with lo and kvlab0 up; sets NS.
#                               Its cleanup hook (registered here) kills every server
#                               started with netns_start, deletes the namespace and
#                               /etc/netns/$NS
#   netns_addr ADDR...          adds ADDR/32 to kvlab0
#   netns_resolv ADDR...        /etc/netns/$NS/resolv.conf: the system resolver inside
#   netns_exec CMD...           runs CMD inside the namespace
#   netns_start NAME CMD...     starts CMD inside, in the background; pid file
#                               $T/netns/NAME.pid, output in $T/netns/NAME.out
#   netns_stop NAME             stops one of them
#
# The DNS-path lab (tests/lab/PATH-LAB.md) on top of it:
#   path_lab_up [--agent VNET|VM] [ARMSERVER ARGS...]
#       builds tests/lab/path-tenant.json (tests/lab/mkpath.py) into $T/lab and
#       starts, inside the namespace: azdns (Azure DNS of every VNet, the
#       inbound endpoints, the internet and on-prem resolvers), one unbound per
#       DNS VM, armserver (ARM + Entra on the namespace's 127.0.0.1, IMDS on
#       169.254.169.254:80); the agent stands in --agent (default: the model's
#       agent_vnet).  Sets LAB_DIR, LAB_JSON, ARM_URL, ARM_CA, ARM_DIR, ARM_NETNS,
#       ARM_HTTP (= LAB_IMDS_URL, http://169.254.169.254), LAB_AZDNS_LOG, LAB_SUB,
#       LAB_START_MS and LAB_AGENT_VM, LAB_AGENT_VM_ID, LAB_AGENT_VNET,
#       LAB_AGENT_VNET_ID, LAB_AGENT_IP, LAB_CLIENT_RESOLVERS (array).
#       ARM_URL, ARM_HTTP and every lab address work only inside the namespace:
#       run kvpe, curl and dig through netns_exec.
#   path_lab_stand_in VNET|VM   kvpe now "runs on" that VM (a VNet: its agent VM):
#       IMDS describes it, 168.63.129.16:53 answers as Azure DNS of its VNet, and
#       resolv.conf lists its clients' resolvers (NIC dnsSettings, else the VNet's
#       dhcpOptions.dnsServers, else 168.63.129.16)
#   path_lab_kvservers [MODE]   Key Vault stand-ins (tests/servers/kvserver.py, MODE
#       as there, default "vault") on 443 of every private endpoint address, with a
#       certificate for *.vault.azure.net from the lab CA ($ARM_CA); requests are
#       logged to $LAB_DIR/kv.log.  Probes to them need KVPE_PROBE_ALLOW widened
#       (common.sh allows loopback only) for the kvpe run inside the namespace.
#   lab_fact JQ_FILTER          a value from $LAB_JSON (jq -r)
#   lab_answer SERVER[:PORT] NAME [TYPE]
#       asks SERVER from inside the namespace (dig, one try, 2 s) and prints
#       the rcode when it is not NOERROR (NXDOMAIN, SERVFAIL, TIMEOUT), else the
#       final addresses comma-joined ("" = NODATA)
#   lab_answers                 the same for many questions at once (one process,
#       in parallel): stdin lines "SERVER[:PORT] NAME [TYPE]", stdout lines
#       "SERVER[:PORT]<tab>NAME<tab>TYPE<tab>RESULT" (tests/lib/dnsask.py)
#   path_lab_reload             azdns re-reads $LAB_DIR/azdns.json (a test edited a
#       zone, link or rule there: a remediation); then lab_flush
#   lab_flush                   empties the DNS VMs' caches (after a model change)

NETNS_IF=kvlab0

netns_need_root() {
	if ! is_root; then
		skip "$1: needs root for network namespaces (CI runs as root)"
		finish
		exit 0
	fi
	command -v ip >/dev/null || { not_ok "$1: ip (iproute2) is missing: tests/deps.sh"; finish; exit 1; }
}

# Debian's python3 (tests/deps.sh) where it is: a version manager's shim on
# PATH costs 0.4-1 s a start on these machines, the lab starts three.
netns_python() {
	[ -n "${PYTHON:-}" ] && return 0
	if [ -x /usr/bin/python3 ]; then
		PYTHON=/usr/bin/python3
	else
		PYTHON=python3
	fi
}

netns_up() {
	NS=kvpe-lab-$$
	mkdir -p "$T/netns"
	on_cleanup netns_down
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up || return 1
	# A dummy interface where the kernel has the module; else a bridge without
	# ports (these machines): either one only carries local addresses.
	if ! ip -n "$NS" link add "$NETNS_IF" type dummy 2>/dev/null; then
		ip -n "$NS" link add "$NETNS_IF" type bridge || return 1
	fi
	ip -n "$NS" link set "$NETNS_IF" up || return 1
	mkdir -p "/etc/netns/$NS"
	: >"/etc/netns/$NS/resolv.conf"
}

netns_addr() {
	local a
	for a in "$@"; do
		printf 'address add %s/32 dev %s\n' "$a" "$NETNS_IF"
	done | ip -n "$NS" -batch - || return 1
}

netns_resolv() {
	local a
	{
		for a in "$@"; do echo "nameserver $a"; done
		echo "search lab.ax.internal.cloudapp.net"
		echo "options timeout:1 attempts:1"
	} >"/etc/netns/$NS/resolv.conf"   # rewritten in place: the bind mount sees it
}

netns_exec() {
	ip netns exec "$NS" "$@"
}

netns_start() {
	local name=$1
	shift
	ip netns exec "$NS" "$@" >"$T/netns/$name.out" 2>&1 &
	echo $! >"$T/netns/$name.pid"    # `ip netns exec` execs: the server's own pid
}

netns_stop() {
	pidfile_stop "$T/netns/$1.pid"
}

# Cleanup hook: the servers first (a namespace lives on while a process is in
# it), then the namespace and its /etc/netns directory.
netns_down() {
	local pids pid alive
	[ -n "${NS:-}" ] || return 0
	# Every process inside the namespace: those of netns_start, armserver
	# (arm_up), and anything a test left behind.  SIGTERM, a moment, SIGKILL.
	pids="$(cat "$T"/netns/*.pid 2>/dev/null) $(ip netns pids "$NS" 2>/dev/null)"
	for pid in $pids; do kill "$pid" 2>/dev/null; done
	for _ in $(seq 1 30); do
		alive=0
		for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
		[ "$alive" -eq 0 ] && break
		sleep 0.05
	done
	for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
	rm -f "$T"/netns/*.pid
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS"
}

# -- the DNS-path lab -----------------------------------------------------------
lab_fact() {
	jq -r "$1" "$LAB_JSON"
}

# LAB_TRACE=1: the time of each start-up step on stderr.
lab_trace() {
	[ -n "${LAB_TRACE:-}" ] && echo "path lab: $((($(date +%s%N) - t0) / 1000000)) ms $*" >&2
	return 0
}

path_lab_up() {
	local agent="" t0 f ca_pid
	if [ "${1:-}" = "--agent" ]; then
		agent=$2
		shift 2
	fi
	t0=$(date +%s%N)
	netns_python
	LAB_DIR=$T/lab
	LAB_JSON=$LAB_DIR/lab.json
	LAB_AZDNS_LOG=$LAB_DIR/azdns.log
	LAB_IMDS_URL=http://169.254.169.254
	ARM_NETNS=
	ARM_DIR=$T/arm
	mkdir -p "$LAB_DIR" "$ARM_DIR"
	# The test CA meanwhile (the slowest step: key generation).
	ca_make "$ARM_DIR" &
	ca_pid=$!
	"$PYTHON" "$TOP/tests/lab/mkpath.py" "$TOP/tests/lab/path-tenant.json" "$LAB_DIR" ${agent:+--agent "$agent"} ||
		{ echo "path lab: mkpath failed" >&2; return 1; }
	lab_trace mkpath
	netns_up || { echo "path lab: cannot create the namespace" >&2; return 1; }
	# shellcheck disable=SC2046
	netns_addr $(lab_fact '.addresses[]') || { echo "path lab: cannot add the lab addresses" >&2; return 1; }
	LAB_SUB=$(lab_fact .subscription)
	lab_trace namespace
	netns_start azdns "$PYTHON" "$TOP/tests/servers/azdns.py" --model "$LAB_DIR/azdns.json" \
		--pidfile "$LAB_DIR/azdns.ready" --state "$LAB_DIR/azdns.state" --log "$LAB_AZDNS_LOG"
	for f in $(lab_fact '.unbound[].name'); do
		netns_start "$f" unbound -d -c "$LAB_DIR/$f.conf"
	done
	wait "$ca_pid" || { echo "path lab: ca_make failed" >&2; return 1; }
	lab_trace ca
	ARM_NETNS=$NS
	arm_up "$LAB_DIR/arm.json" --http-bind 169.254.169.254 --http-port 80 "$@" || return 1
	ARM_HTTP=$LAB_IMDS_URL    # arm_env_imds / arm_env_appservice: the stand-in at IMDS's own address
	lab_trace armserver
	if ! wait_for test -s "$LAB_DIR/azdns.ready"; then
		echo "path lab: azdns did not start:" >&2
		cat "$T/netns/azdns.out" >&2
		return 1
	fi
	for f in $(lab_fact '.unbound[].name'); do
		if ! wait_for unbound-control -c "$LAB_DIR/$f.conf" status; then
			echo "path lab: unbound ($f) did not start:" >&2
			cat "$T/netns/$f.out" "$LAB_DIR/$f.log" >&2 2>/dev/null
			return 1
		fi
	done
	lab_trace dns
	# mkpath already pointed azdns and IMDS at the agent: only resolv.conf.
	path_lab_facts "${agent:-$(lab_fact .agent_vm)}" || return 1
	lab_trace ready
	LAB_START_MS=$((($(date +%s%N) - t0) / 1000000))
}

# path_lab_facts VNET|VM: LAB_AGENT_* of that VM (a VNet: its agent VM) and
# its resolv.conf.
path_lab_facts() {
	local facts
	facts=$(jq -r --arg v "$1" '(if .vnets[$v] then .vnets[$v].agent_vm else $v end) as $m | .vms[$m] // empty |
		[$m, .id, .vnet, .vnet_id, .ip, (.clients | join(" "))] | @tsv' "$LAB_JSON")
	[ -n "$facts" ] || { echo "path lab: no VM or VNet named $1" >&2; return 1; }
	IFS=$'\t' read -r LAB_AGENT_VM LAB_AGENT_VM_ID LAB_AGENT_VNET LAB_AGENT_VNET_ID LAB_AGENT_IP f <<<"$facts"
	read -r -a LAB_CLIENT_RESOLVERS <<<"$f"
	netns_resolv "${LAB_CLIENT_RESOLVERS[@]}"
}

path_lab_stand_in() {
	local f
	path_lab_facts "$1" || return 1
	netns_exec curl -s -f -o /dev/null -X POST "$LAB_IMDS_URL/_control/imds" -d "{\"vm\": \"$LAB_AGENT_VM_ID\"}" ||
		{ echo "path lab: IMDS did not take $LAB_AGENT_VM" >&2; return 1; }
	# azdns: 168.63.129.16:53 becomes Azure DNS of the agent's VNet.
	f=$LAB_DIR/azdns.json
	jq --arg v "$LAB_AGENT_VNET" '.agent_vnet = $v' "$f" >"$f.tmp" && mv "$f.tmp" "$f" || return 1
	path_lab_reload
}

# SIGHUP, then wait for the state file's generation to move.
path_lab_reload() {
	local gen
	gen=$(jq -r .generation "$LAB_DIR/azdns.state")
	kill -HUP "$(cat "$T/netns/azdns.pid")" || return 1
	if ! wait_for path_lab_generation_past "$gen"; then
		echo "path lab: azdns did not reload" >&2
		return 1
	fi
}

path_lab_kvservers() {
	local mode=${1:-vault} specs=() a
	if [ ! -f "$ARM_DIR/vault.pem" ]; then
		ca_cert "$ARM_DIR" vault "DNS:*.vault.azure.net,DNS:*.privatelink.vaultcore.azure.net" || return 1
	fi
	for a in $(lab_fact '[.vaults[].endpoints[]] | unique | .[]'); do
		specs+=("$a:443:$mode:$ARM_DIR/vault.pem:$ARM_DIR/vault.key")
	done
	netns_stop kvserver
	rm -f "$LAB_DIR/kvserver.ready"
	netns_start kvserver "$PYTHON" "$TOP/tests/servers/kvserver.py" --pidfile "$LAB_DIR/kvserver.ready" \
		--log "$LAB_DIR/kv.log" "${specs[@]}"
	wait_for test -s "$LAB_DIR/kvserver.ready" || { cat "$T/netns/kvserver.out" >&2; return 1; }
}

path_lab_generation_past() {
	[ "$(jq -r .generation "$LAB_DIR/azdns.state" 2>/dev/null)" -gt "$1" ] 2>/dev/null
}

lab_flush() {
	local f
	for f in $(lab_fact '.unbound[].name'); do
		unbound-control -c "$LAB_DIR/$f.conf" flush_zone . >/dev/null
		unbound-control -c "$LAB_DIR/$f.conf" flush_bogus >/dev/null
		unbound-control -c "$LAB_DIR/$f.conf" flush_negative >/dev/null
	done
}

lab_answers() {
	netns_exec "$PYTHON" "$TOP/tests/lib/dnsask.py"
}

lab_answer() {
	local server=$1 name=$2 type=${3:-A} port=53 out status
	case "$server" in *:*) port=${server##*:}; server=${server%:*} ;; esac
	out=$(netns_exec dig +tries=1 +timeout=2 +noall +comments +answer -p "$port" "@$server" "$name" "$type" 2>&1)
	status=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -1)
	if [ -z "$status" ]; then
		echo TIMEOUT
	elif [ "$status" != NOERROR ]; then
		echo "$status"
	else
		printf '%s\n' "$out" | awk -v t="$type" '$0 !~ /^;/ && $4 == t {print $5}' | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n |
			paste -sd, -
	fi
}
