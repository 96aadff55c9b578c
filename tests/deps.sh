#!/bin/sh
# deps.sh — installs the Debian packages kvpe builds and tests with.
# As root: `apt-get update` once, then `apt-get install -y` of what is
# missing.  Otherwise: prints the exact apt-get line and fails.
#   tests/deps.sh           build + test + demo packages
#   tests/deps.sh --bench   also the benchmark peers and tools (dnsperf, dig, time, perf)
set -eu

BUILD="gcc make pkg-config libc-ares-dev libcurl4-openssl-dev libcjson-dev libssl-dev libmicrohttpd-dev"
# clang-tools: scan-build, the Clang static analyzer `make analyze` runs;
# strace: tests/integration/outputs.sh looks at how report files are created;
# mandoc lints kvpe(1) (manpage.sh); dpkg-dev (dpkg-shlibdeps, dpkg-buildflags)
# and lintian build and check the .deb (make deb, package.sh); bind9-dnsutils:
# dig, which the DNS-path lab tests (tests/lib/netns.sh) ask with.
TEST="libcmocka-dev unbound openssl python3 iproute2 curl jq valgrind clang libclang-rt-14-dev clang-tools procps strace
mandoc dpkg-dev lintian bind9-dnsutils"
BENCH="dnsperf bind9-dnsutils time linux-perf"

want="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && want="$want $BENCH"

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# policy-rc.d keeps the unbound package from starting a system resolver.
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.kvpe
	chmod +x /usr/sbin/policy-rc.d.kvpe
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		cp /usr/sbin/policy-rc.d.kvpe /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.kvpe' EXIT
	else
		trap 'rm -f /usr/sbin/policy-rc.d.kvpe' EXIT
	fi
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them as root with:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
