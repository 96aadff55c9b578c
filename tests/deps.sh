#!/bin/sh
# deps.sh — installs the Debian packages kvpe builds and tests with, and the
# validators the tests run every report through (tests/lib/validate.py).
# As root: `apt-get update` once, then `apt-get install -y` of what is
# missing.  Otherwise: prints the exact apt-get line and fails.
#   tests/deps.sh           build + test + demo packages
#   tests/deps.sh --bench   also the benchmark peers and tools (dnsperf, dig, time, perf)
set -eu

BUILD="gcc make pkg-config libc-ares-dev libcurl4-openssl-dev libcjson-dev libssl-dev libmicrohttpd-dev"
# clang-tools: scan-build, the Clang static analyzer `make analyze` runs;
# strace: tests/integration/outputs.sh looks at how report files are created.
# The validators of what kvpe writes: prometheus (promtool check metrics),
# libxml2-utils (xmllint against Jenkins' junit-10.xsd), python3-jsonschema
# (agent/schema/, draft 2020-12, for /usr/bin/python3), mandoc (the man
# page's lint), lintian (the .deb's); dpkg-dev (dpkg-shlibdeps,
# dpkg-buildflags) builds the .deb (make deb, package.sh); bind9-dnsutils:
# dig, which the DNS-path lab tests (tests/lib/netns.sh) ask with.
TEST="libcmocka-dev unbound openssl python3 iproute2 curl jq valgrind clang libclang-rt-14-dev clang-tools procps strace
prometheus libxml2-utils python3-jsonschema mandoc lintian dpkg-dev bind9-dnsutils"
BENCH="dnsperf bind9-dnsutils time linux-perf"

# sarif-multitool (the SARIF validator GitHub's and Azure DevOps' rule kinds
# come with) from npm, pinned, cached outside the tree.  Its package is a
# node wrapper around a self-contained .NET binary; the tests call the
# binary directly.
SARIF_MULTITOOL_VERSION=5.7.0
NPM_PREFIX=${KVPE_NPM_PREFIX:-/var/cache/kvpe-npm}
MULTITOOL=$NPM_PREFIX/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

npm_deps() {
	if [ -x "$MULTITOOL" ] && grep -q "\"version\": *\"$SARIF_MULTITOOL_VERSION\"" "${MULTITOOL%/*}/package.json" 2>/dev/null; then
		return 0
	fi
	if ! command -v npm >/dev/null; then
		echo "deps: npm not found: SARIF files will not be validated (install Node.js and npm, then run tests/deps.sh)" >&2
		return 0
	fi
	if ! mkdir -p "$NPM_PREFIX" 2>/dev/null || [ ! -w "$NPM_PREFIX" ]; then
		echo "deps: $NPM_PREFIX is not writable: as root, run" >&2
		echo "  npm install --prefix $NPM_PREFIX --save-exact @microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" >&2
		return 0
	fi
	echo "deps: installing @microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION into $NPM_PREFIX"
	npm install --prefix "$NPM_PREFIX" --save-exact --no-audit --no-fund \
		"@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION" >/dev/null
	# npm may skip the package's postinstall (chmod): make the binary
	# runnable for everyone.
	chmod a+rx "$MULTITOOL" 2>/dev/null || true
}

want="$BUILD $TEST"
[ "${1:-}" = "--bench" ] && want="$want $BENCH"

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	npm_deps
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
	npm_deps
else
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them as root with:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
