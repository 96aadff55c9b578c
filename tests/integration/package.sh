#!/usr/bin/env bash
# make deb: the Debian package (agent/dist/deb.sh) as dpkg, apt and lintian
# see it.  Its control fields and dependencies, every file in its place with
# root ownership and its mode, a stripped binary, units running /usr/bin/kvpe;
# lintian with no error and no warning (the overridden tags are listed in
# the log); apt would install it on this machine (a simulation: nothing
# changes); and a real dpkg install and purge in a scratch root, which
# leaves nothing behind.  Root only (dpkg --root); the normal build only
# (it builds its own hardened objects, in build/deb/obj).
. "$(dirname "$0")/../lib/common.sh"
unset MAKEFLAGS MFLAGS MAKELEVEL # a nested make must not reuse make test's jobserver

if ! is_root; then
	skip "package: needs root (dpkg --root); run as root"
	finish
	exit
fi
if [ -n "${KVPE_VALGRIND:-}" ] || [ -n "${ASAN_OPTIONS:-}" ]; then
	skip "package: checked with the normal build (it builds its own objects)"
	finish
	exit
fi
for tool in dpkg-deb dpkg-shlibdeps dpkg-buildflags; do
	command -v $tool >/dev/null || { skip "$tool not installed (tests/deps.sh installs dpkg-dev)"; finish; exit; }
done

version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")-1
arch=$(dpkg --print-architecture)
DEB=$TOP/build/kvpe_${version}_$arch.deb
start=$(date +%s%N)
if make --no-print-directory -C "$TOP" deb >"$T/make.out" 2>&1 && [ -f "$DEB" ]; then
	ok "make deb -> build/$(basename "$DEB") ($((($(date +%s%N) - start) / 1000000)) ms)"
else
	not_ok "make deb: $(tail -5 "$T/make.out")"
	finish
	exit 1
fi

# 1. Control fields.
dpkg-deb --field "$DEB" >"$T/control"
field() { sed -n "s/^$1: //p" "$T/control"; }
[ "$(field Package)" = kvpe ] && [ "$(field Version)" = "$version" ] && [ "$(field Architecture)" = "$arch" ] &&
	ok "Package kvpe, Version $version, Architecture $arch" || not_ok "control: $(cat "$T/control")"
deps=$(field Depends)
bad=
for lib in libc6 libc-ares2 libcurl4 libcjson1 libssl3 libmicrohttpd12; do
	grep -qE "(^|, )$lib( |,|$)" <<<"$deps" || bad="$bad $lib"
done
[ -z "$bad" ] && ok "Depends (dpkg-shlibdeps): $deps" || not_ok "Depends lacks$bad: $deps"
for f in Maintainer Installed-Size Section Priority Homepage; do
	[ -n "$(field $f)" ] || not_ok "control has no $f"
done
[ "$(field Description | wc -c)" -gt 20 ] && grep -q '^ \.$' "$T/control" && ok "control: Maintainer, Section, Priority, long Description" ||
	not_ok "control: $(cat "$T/control")"

# 2. Contents: ownership, modes, places.
dpkg-deb --contents "$DEB" >"$T/contents"
awk '$2 != "root/root"' "$T/contents" | grep -q . && not_ok "files not owned by root: $(awk '$2 != "root/root"' "$T/contents")" ||
	ok "every file is root/root"
want="-rwxr-xr-x ./usr/bin/kvpe
-rw-r--r-- ./usr/share/man/man1/kvpe.1.gz
-rw-r--r-- ./usr/share/bash-completion/completions/kvpe
-rw-r--r-- ./lib/systemd/system/kvpe-agent.service
-rw-r--r-- ./lib/systemd/system/kvpe-check.service
-rw-r--r-- ./lib/systemd/system/kvpe-check.timer
-rw-r--r-- ./usr/share/kvpe/kvpe-alerts-full.yml
-rw-r--r-- ./usr/share/kvpe/kvpe-alerts.yml
-rw-r--r-- ./usr/share/kvpe/kvpe-grafana.json
-rw-r--r-- ./usr/share/doc/kvpe/copyright
-rw-r--r-- ./usr/share/doc/kvpe/changelog.Debian.gz
-rw-r--r-- ./usr/share/doc/kvpe/README.md.gz
-rw-r--r-- ./usr/share/doc/kvpe/examples/config.example.json
-rw-r--r-- ./usr/share/lintian/overrides/kvpe"
got=$(awk '$1 !~ /^d/ {print $1, $6}' "$T/contents" | sort)
if [ "$got" = "$(sort <<<"$want")" ]; then ok "contents: the $(wc -l <<<"$want") files, in place, with their modes"; else
	not_ok "contents differ: $(diff <(sort <<<"$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"; fi
awk '$1 ~ /^d/ && $1 != "drwxr-xr-x"' "$T/contents" | grep -q . && not_ok "a directory is not 0755" || ok "directories 0755"
dpkg-deb --extract "$DEB" "$T/x"
readelf -S "$T/x/usr/bin/kvpe" | grep -q '\.symtab' && not_ok "the binary is not stripped" || ok "the binary is stripped"
readelf -d "$T/x/usr/bin/kvpe" | grep -q 'BIND_NOW' && readelf -lW "$T/x/usr/bin/kvpe" | grep -q GNU_RELRO &&
	ok "hardened: full RELRO" || not_ok "the binary lacks RELRO/BIND_NOW"
"$T/x/usr/bin/kvpe" --version | grep -q "^kvpe ${version%-*} " && ok "the packaged kvpe --version" ||
	not_ok "packaged --version: $("$T/x/usr/bin/kvpe" --version 2>&1)"
n=$(grep -c '^ExecStart=/usr/bin/kvpe ' "$T"/x/lib/systemd/system/*.service | awk -F: '{s += $2} END {print s}')
[ "$n" = 2 ] && ok "ExecStart=/usr/bin/kvpe in both services" || not_ok "ExecStart: $(grep -h ExecStart "$T"/x/lib/systemd/system/*)"
zcat "$T/x/usr/share/man/man1/kvpe.1.gz" | grep -q '^\.It Pa /lib/systemd/system/kvpe-agent.service' &&
	ok "the man page names /lib/systemd/system" || not_ok "the packaged man page names other unit paths"
grep -q '^License: Expat' "$T/x/usr/share/doc/kvpe/copyright" && grep -q 'Permission is hereby granted' "$T/x/usr/share/doc/kvpe/copyright" &&
	ok "copyright: DEP-5, the MIT (Expat) text" || not_ok "copyright: $(head -8 "$T/x/usr/share/doc/kvpe/copyright")"
zcat "$T/x/usr/share/doc/kvpe/changelog.Debian.gz" | head -1 | grep -qF "kvpe ($version)" && ok "changelog.Debian.gz" ||
	not_ok "changelog: $(zcat "$T/x/usr/share/doc/kvpe/changelog.Debian.gz" | head -1)"

# 3. lintian: no error, no warning.
if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 --show-overrides -I -E --pedantic "$DEB" >"$T/lintian" 2>&1
	sed 's/^/  lintian: /' "$T/lintian"
	if grep -qE '^[EW]: ' "$T/lintian"; then not_ok "lintian: $(grep -E '^[EW]: ' "$T/lintian" | tr '\n' ' ')"; else
		ok "lintian: no error, no warning"; fi
else
	skip "lintian not installed (tests/deps.sh installs it)"
fi

# 4. apt would install it here (simulated: nothing changes).
apt-get install -s "$DEB" >"$T/apt" 2>&1
grep -q "^Inst kvpe " "$T/apt" || grep -q "kvpe is already the newest" "$T/apt" && ok "apt-get install -s ./kvpe_*.deb: installable" ||
	not_ok "apt-get -s: $(tail -5 "$T/apt")"

# 5. dpkg in a scratch root: install, run, purge.
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
: >"$R/var/lib/dpkg/status"
dpk() { dpkg --root="$R" --force-script-chrootless --force-depends --log=/dev/null "$@" >>"$T/dpkg.out" 2>&1; }
dpk -i "$DEB" && ok "dpkg --root: installed" || not_ok "dpkg -i: $(tail -5 "$T/dpkg.out")"
"$R/usr/bin/kvpe" --version >/dev/null && [ -f "$R/lib/systemd/system/kvpe-agent.service" ] &&
	ok "the scratch install runs" || not_ok "scratch install: no binary or units"
dpk --purge kvpe && ok "dpkg --root: purged" || not_ok "dpkg --purge: $(tail -5 "$T/dpkg.out")"
left=$(cd "$R" && find . -mindepth 1 -not -path './var*')
[ -z "$left" ] && ok "purge leaves nothing" || not_ok "left after purge: $(echo $left)"
finish
