#!/bin/sh
# deb.sh — what `make deb` runs: a Debian package from `make install`.
#
#   DEB_VERSION=0.1.0-1 DEB_MAINTAINER='Name <mail>' agent/dist/deb.sh KVPE_BIN COMPLETION OUTDIR
#
# Installs with PREFIX=/usr (units in /lib/systemd/system, as bookworm keeps
# them) into OUTDIR/deb/root, then does what debhelper would: strips the
# binary, compresses the man page and the README, writes the copyright file
# (from LICENSE), changelog.Debian.gz, md5sums, the control file with the
# shared-library dependencies dpkg-shlibdeps finds, and maintainer scripts
# that only tell systemd the units changed (nothing is enabled or started:
# kvpe needs a credential and a configuration first).  Timestamps come from
# the last commit (SOURCE_DATE_EPOCH), so two builds of one commit match.
set -eu

cd "$(dirname "$0")/../.."
[ $# -eq 3 ] || { echo "usage: deb.sh KVPE_BIN COMPLETION OUTDIR" >&2; exit 2; }
BIN=$1 COMPLETION=$2 OUT=$3
: "${DEB_VERSION:?}" "${DEB_MAINTAINER:?}"
ARCH=$(dpkg --print-architecture)
ROOT=$OUT/deb/root
DEB=$OUT/kvpe_${DEB_VERSION}_$ARCH.deb
DOC=$ROOT/usr/share/doc/kvpe
: "${SOURCE_DATE_EPOCH:=$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH

rm -rf "$OUT/deb/root" "$OUT/deb/shlibs"
mkdir -p "$ROOT"
DESTDIR=$ROOT PREFIX=/usr UNITDIR=/lib/systemd/system NO_MANIFEST=1 KVPE_BIN=$BIN COMPLETION=$COMPLETION \
	agent/dist/install.sh install >/dev/null

# What debhelper's dh_strip, dh_compress and dh_installdocs would do.
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$ROOT/usr/bin/kvpe"
gzip -9n "$ROOT/usr/share/man/man1/kvpe.1" "$DOC/README.md"
rm "$DOC/LICENSE" # its text is in copyright
{
	cat <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: kvpe
Source: https://github.com/kvpe/kvpe

Files: *
EOF
	sed -n 's/^Copyright (c) /Copyright: /p' LICENSE
	echo "License: Expat"
	# The license text, without its title and copyright line, as DEP-5 wants
	# it: indented, blank lines as " .".
	sed -e '1,/^Copyright/d' LICENSE | sed -e '/./,$!d' -e 's/^$/./' -e 's/^/ /'
} >"$DOC/copyright"
{
	echo "kvpe ($DEB_VERSION) unstable; urgency=medium"
	echo
	echo "  * Package built from kvpe ${DEB_VERSION%-*} (revision $(git rev-parse --short HEAD 2>/dev/null || echo unknown))."
	echo
	echo " -- $DEB_MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$DOC/changelog.Debian.gz"

# The lintian tags that do not apply, each with why (lintian prints them as
# overridden with --show-overrides).
mkdir -p "$ROOT/usr/share/lintian/overrides"
cat >"$ROOT/usr/share/lintian/overrides/kvpe" <<'EOF'
# Built from the kvpe tree by `make deb`, not uploaded to Debian: there is no
# ITP bug for the first changelog entry to close.
kvpe: initial-upload-closes-no-bugs
# The agent needs systemd: Type=notify with a watchdog, and a sandbox no init
# script can give.  Without systemd, run `kvpe agent --once` from cron.
kvpe: package-supports-alternative-init-but-no-init.d-script
EOF

mkdir -m 0755 "$ROOT/DEBIAN"
# dpkg-shlibdeps reads debian/control; a scratch one names the package.
mkdir -p "$OUT/deb/shlibs/debian"
printf 'Source: kvpe\n\nPackage: kvpe\nArchitecture: any\n' >"$OUT/deb/shlibs/debian/control"
bin=$(cd "$ROOT/usr/bin" && pwd)/kvpe
depends=$(cd "$OUT/deb/shlibs" && dpkg-shlibdeps -O "$bin" | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
cat >"$ROOT/DEBIAN/control" <<EOF
Package: kvpe
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: $DEB_MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
Depends: $depends
Suggests: prometheus-node-exporter
Section: net
Priority: optional
Homepage: https://github.com/kvpe/kvpe
Description: Azure Key Vault private endpoint checker
 kvpe proves that Azure Key Vaults and Managed HSMs are reachable only
 through their private endpoints. Run inside the virtual network, it asks
 Azure Resource Manager what should be true (vault, private endpoint,
 network interface address, private DNS zone record), observes what is
 true (DNS answers with their whole CNAME chain, TCP, TLS and HTTPS
 probes) and reports every vault whose reality differs, with the az
 command that fixes it.
 .
 kvpe check is a one-shot check with exit codes for pipelines and JSON,
 JUnit, SARIF, Prometheus and Nagios output; kvpe agent serves Prometheus
 metrics under systemd (kvpe-agent.service, or kvpe-check.timer for a
 node_exporter textfile). The units are installed but not enabled.
EOF

# Maintainer scripts: let systemd see the units, stop them before the
# binary goes, restart a running agent after an upgrade.  Nothing when
# installed into another root (DPKG_ROOT) or without systemd running.
cat >"$ROOT/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
	if [ -n "$2" ]; then
		deb-systemd-invoke try-restart kvpe-agent.service >/dev/null || true
	fi
fi
EOF
cat >"$ROOT/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	deb-systemd-invoke stop kvpe-check.timer kvpe-check.service kvpe-agent.service >/dev/null || true
fi
EOF
cat >"$ROOT/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
EOF
chmod 0755 "$ROOT/DEBIAN/postinst" "$ROOT/DEBIAN/prerm" "$ROOT/DEBIAN/postrm"
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs md5sum) \
	>"$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/md5sums"
find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f "$OUT"/kvpe_*.deb
dpkg-deb --root-owner-group --build "$ROOT" "$DEB" >/dev/null
echo "  DEB     $DEB"
