#!/usr/bin/env bash
# make install / make uninstall, and the bash completion they install.
#
# With the normal build: `make install DESTDIR=…` puts every file where the
# README says, with the units' ExecStart and the man page's paths rewritten;
# `make uninstall` removes exactly that, and the directories install created.
# A second install into a real PREFIX (under $T) gives units whose ExecStart
# runs the installed binary, which `systemd-analyze verify` checks.
#
# With every build (the sanitizers and valgrind run the generator): the
# completion script `kvpe --completion bash` writes parses, completes each
# command's options exactly as `--help` lists them, and offers the values the
# parser itself names for --format, --probe, --cloud and --log-format.
. "$(dirname "$0")/../lib/common.sh"
unset MAKEFLAGS MFLAGS MAKELEVEL # a nested make must not reuse make test's jobserver

KVPE_CONFIG=$T/empty.json # no /etc/kvpe/config.json of this machine
echo '{}' >"$KVPE_CONFIG"
export KVPE_CONFIG

# ---- the completion script, from the binary under test ----
"$KVPE" --completion bash >"$T/kvpe.bash" 2>"$T/gen.err"
[ $? -eq 0 ] && [ -s "$T/kvpe.bash" ] && ok "kvpe --completion bash writes the script" ||
	not_ok "kvpe --completion bash: $(cat "$T/gen.err")"
bash -n "$T/kvpe.bash" && ok "bash -n: the script parses" || not_ok "bash -n rejects the script"
"$KVPE" --completion zsh >/dev/null 2>"$T/zsh.err"
[ $? -eq 2 ] && grep -q 'expected bash' "$T/zsh.err" && ok "--completion zsh: refused (exit 2)" ||
	not_ok "--completion zsh: $(cat "$T/zsh.err")"
if [ -w /dev/full ]; then
	"$KVPE" --completion bash >/dev/full 2>"$T/full.err"
	[ $? -eq 2 ] && grep -q 'cannot write' "$T/full.err" && ok "--completion bash >/dev/full: exit 2 with a reason" ||
		not_ok "--completion bash >/dev/full: $(cat "$T/full.err")"
fi

# comp SCRIPT LINE [WORDBREAKS]: what completing at the end of LINE offers,
# one candidate a line, as bash's programmable completion calls _kvpe.
comp() {
	bash -c '
		. "$1"
		COMP_WORDBREAKS=$3
		COMP_LINE=$2 COMP_POINT=${#2}
		read -r -a COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_kvpe kvpe "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$1" "$2" "${3-$BASH_WORDBREAKS}" | sed '/^$/d'
}
BASH_WORDBREAKS=$' \t\n"\'><=;|&(:' # bash's default COMP_WORDBREAKS
# expect NAME GOT WANT (both one item a line, compared as sets)
expect() {
	if [ "$(sort <<<"$2")" = "$(sort <<<"$3")" ]; then ok "$1"; else not_ok "$1: got [$(echo $2)], want [$(echo $3)]"; fi
}
lines() { tr ' ' '\n' <<<"$*"; }

# The values the parser names in its own error message ("expected a, b or c").
parser_values() { # command option
	local extra=
	[ "$1" = resolve ] && extra=x.example
	"$KVPE" "$1" "$2" bogus-value $extra 2>&1 | sed -n 's/.*expected //p' | head -1 | sed 's/ or /, /' | tr -d ' ' | tr ',' '\n'
}

comp_selftest() { # SCRIPT: the checks every build's generator must pass
	local s=$1 c want got
	expect "completes the commands" "$(comp "$s" "kvpe ")" "$(lines check agent resolve trace --help --version)"
	expect "kvpe check --for -> --format" "$(comp "$s" "kvpe check --for")" "--format"
	for c in check agent resolve; do
		want=$("$KVPE" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
		expect "kvpe $c --<TAB>: the options --help lists" "$(comp "$s" "kvpe $c --")" "$want"
	done
	got=$(comp "$s" "kvpe check --format json -q --")
	if grep -qx -- --vault <<<"$got" && ! grep -qx -e --format -e --quiet <<<"$got"; then
		ok "options given once (--format, -q) are not offered again; repeatable ones are"
	else
		not_ok "after --format json -q: $(echo $got)"
	fi
	expect "kvpe check --format: the formats the parser names" "$(comp "$s" "kvpe check --format ")" \
		"$(parser_values check --format)"
	expect "kvpe check --probe: the levels the parser names" "$(comp "$s" "kvpe check --probe ")" \
		"$(parser_values check --probe)"
	expect "kvpe agent --cloud: the clouds the parser names" "$(comp "$s" "kvpe agent --cloud ")" \
		"$(parser_values agent --cloud)"
	expect "kvpe resolve --log-format: what the parser names" "$(comp "$s" "kvpe resolve --log-format ")" \
		"$(parser_values resolve --log-format)"
	expect "--format=ju completes after the '='" "$(comp "$s" "kvpe check --format=ju")" "junit"
	expect "--format=ju without '=' in COMP_WORDBREAKS" "$(comp "$s" "kvpe check --format=ju" $' \t\n')" \
		"--format=junit"
	expect "kvpe check --report: FORMAT=" "$(comp "$s" "kvpe check --report sa")" "sarif="
	mkdir -p "$T/files"
	: >"$T/files/inv-a.json"
	: >"$T/files/inv-b.json"
	expect "kvpe check --inventory: file names" "$(comp "$s" "kvpe check --inventory $T/files/inv-")" \
		"$(lines "$T/files/inv-a.json" "$T/files/inv-b.json")"
	expect "kvpe check -o: file names" "$(comp "$s" "kvpe check -o $T/files/inv-a")" "$T/files/inv-a.json"
	expect "kvpe check --report sarif=PATH: file names" "$(comp "$s" "kvpe check --report sarif=$T/files/inv-b")" \
		"$T/files/inv-b.json"
	expect "kvpe check --vault: nothing to guess" "$(comp "$s" "kvpe check --vault ")" ""
	expect "kvpe resolve NAME: no options offered in a name" "$(comp "$s" "kvpe resolve conto")" ""
	# resolve writes two formats: each one offered is taken (a closed
	# port answers at once).
	got=$(comp "$s" "kvpe resolve --format ")
	local port bad=
	port=$(free_port)
	for f in $got; do
		"$KVPE" resolve --format "$f" --dns-server "127.0.0.1:$port" --timeout 200 x.example >/dev/null 2>"$T/res.err"
		grep -q -- '--format' "$T/res.err" && bad="$bad $f"
	done
	if [ -n "$got" ] && [ -z "$bad" ]; then ok "kvpe resolve --format offers only what resolve writes ($(echo $got))"; else
		not_ok "resolve refuses the offered formats:$bad"; fi
}
if [ -n "${KVPE_VALGRIND:-}" ]; then
	# One run of the generator under memcheck is its code path; the script
	# is the normal build's, byte for byte.
	cmp -s "$T/kvpe.bash" "$TOP/build/release/kvpe.bash" && ok "under valgrind: the same script as the normal build" ||
		not_ok "under valgrind the script differs from build/release/kvpe.bash"
else
	comp_selftest "$T/kvpe.bash"
fi

# ---- make install / uninstall: the normal build only ----
if [ -n "${KVPE_VALGRIND:-}" ] || [ -n "${ASAN_OPTIONS:-}" ]; then
	skip "make install: checked with the normal build (it installs build/release)"
	finish
	exit
fi
MK=(make --no-print-directory -C "$TOP")
"${MK[@]}" -q build/release/kvpe build/release/kvpe.bash ||
	"${MK[@]}" build/release/kvpe build/release/kvpe.bash >/dev/null

# 1. DESTDIR, default PREFIX.
D=$T/dest
"${MK[@]}" install DESTDIR="$D" >"$T/install.out" 2>&1 && ok "make install DESTDIR=…" ||
	not_ok "make install: $(tail -3 "$T/install.out")"
P=$D/usr/local
want="bin/kvpe share/man/man1/kvpe.1 share/bash-completion/completions/kvpe share/kvpe/kvpe-alerts.yml
share/kvpe/kvpe-alerts-full.yml share/kvpe/kvpe-grafana.json
share/doc/kvpe/examples/config.example.json share/doc/kvpe/README.md share/doc/kvpe/LICENSE
lib/systemd/system/kvpe-agent.service lib/systemd/system/kvpe-check.service lib/systemd/system/kvpe-check.timer
share/kvpe/installed-files"
bad=
for f in $want; do [ -f "$P/$f" ] || bad="$bad $f"; done
[ -z "$bad" ] && ok "every file is installed under DESTDIR/usr/local" || not_ok "not installed:$bad"
# Every deployment file is installed somewhere (a new one is not forgotten).
bad=
for f in "$TOP"/agent/deploy/*; do
	find "$D" -type f -name "$(basename "$f")" | grep -q . || bad="$bad $(basename "$f")"
done
[ -z "$bad" ] && ok "every agent/deploy file is installed" || not_ok "agent/deploy files not installed:$bad"
extra=$(cd "$D" && find . -type f | sed 's#^\./usr/local/##' | grep -vxF "$(tr ' ' '\n' <<<"$want")")
[ -z "$extra" ] && ok "nothing else is installed" || not_ok "also installed: $extra"
[ "$(stat -c %a "$P/bin/kvpe")" = 755 ] && [ "$(stat -c %a "$P/share/man/man1/kvpe.1")" = 644 ] &&
	ok "modes: binary 0755, data 0644" || not_ok "modes: $(stat -c '%a %n' "$P/bin/kvpe" "$P/share/man/man1/kvpe.1")"
cmp -s "$P/bin/kvpe" "$TOP/build/release/kvpe" && ok "the binary is the release build" || not_ok "installed binary differs"
cmp -s "$P/share/bash-completion/completions/kvpe" "$TOP/build/release/kvpe.bash" &&
	ok "the completion is the one the build generated" || not_ok "installed completion differs from build/release/kvpe.bash"
n=$(grep -c '^ExecStart=/usr/local/bin/kvpe ' "$P"/lib/systemd/system/*.service | awk -F: '{s += $2} END {print s}')
[ "$n" = 2 ] && ok "ExecStart=/usr/local/bin/kvpe in both services" || not_ok "ExecStart: $(grep -h ExecStart "$P"/lib/systemd/system/*)"
out=$("${MK[@]}" install DESTDIR="$D" 2>&1 | grep -v '^  INSTALL')
if [ -n "$out" ]; then
	not_ok "a second make install printed more than INSTALL lines: $out"
else
	ok "a second make install over the first"
fi
"${MK[@]}" uninstall DESTDIR="$D" >"$T/uninstall.out" 2>&1 && ok "make uninstall DESTDIR=…" ||
	not_ok "make uninstall: $(tail -3 "$T/uninstall.out")"
left=$(cd "$D" && find . -mindepth 1)
[ -z "$left" ] && ok "uninstall leaves nothing in DESTDIR" || not_ok "left after uninstall: $(echo $left)"
"${MK[@]}" uninstall DESTDIR="$D" >"$T/uninstall2.out" 2>&1
[ $? -ne 0 ] && grep -q 'nothing was installed' "$T/uninstall2.out" && ok "uninstall without an install: refused, says why" ||
	not_ok "second uninstall: $(cat "$T/uninstall2.out")"

# 2. A real PREFIX: the installed units run the installed binary.
Q=$T/prefix
"${MK[@]}" install PREFIX="$Q" >"$T/install2.out" 2>&1 && ok "make install PREFIX=$Q" ||
	not_ok "make install PREFIX: $(tail -3 "$T/install2.out")"
"$Q/bin/kvpe" --version | grep -qE '^kvpe [0-9]' && ok "the installed kvpe --version" || not_ok "installed kvpe --version"
n=$(grep -c "^ExecStart=$Q/bin/kvpe " "$Q"/lib/systemd/system/*.service | awk -F: '{s += $2} END {print s}')
[ "$n" = 2 ] && ok "ExecStart rewritten to PREFIX/bin/kvpe" || not_ok "ExecStart: $(grep -h ExecStart "$Q"/lib/systemd/system/*)"
grep -q "^.It Pa $Q/lib/systemd/system/kvpe-agent.service" "$Q/share/man/man1/kvpe.1" &&
	! grep -v '^\.\\"' "$Q/share/man/man1/kvpe.1" | grep -q /usr/local && ok "the man page names the installed paths" ||
	not_ok "installed man page: $(grep -n /usr/local "$Q/share/man/man1/kvpe.1" | head -3)"
if command -v mandoc >/dev/null; then
	out=$(mandoc -T lint -W warning "$Q/share/man/man1/kvpe.1" 2>&1) && [ -z "$out" ] &&
		ok "the installed man page lints clean" || not_ok "installed man page: $out"
fi
if command -v systemd-analyze >/dev/null; then
	for u in "$Q"/lib/systemd/system/*; do
		out=$(systemd-analyze verify "$u" 2>&1)
		[ -z "$out" ] && ok "systemd-analyze verify installed $(basename "$u")" || not_ok "$(basename "$u"): $out"
	done
else
	skip "systemd-analyze not installed"
fi
# The installed completion completes like the generated one.
expect "installed completion: kvpe check --for -> --format" \
	"$(comp "$Q/share/bash-completion/completions/kvpe" "kvpe check --for")" "--format"
# Reinstall over a manifest naming a file this version does not ship: it goes.
echo "f $Q/share/kvpe/old-rules.yml" >>"$Q/share/kvpe/installed-files"
: >"$Q/share/kvpe/old-rules.yml"
"${MK[@]}" install PREFIX="$Q" >/dev/null 2>&1
[ ! -e "$Q/share/kvpe/old-rules.yml" ] && ok "reinstall removes a file the older install listed" ||
	not_ok "old-rules.yml still there after reinstall"
# A file of the operator's in a directory install created stays, with it.
: >"$Q/share/kvpe/local-rules.yml"
"${MK[@]}" uninstall PREFIX="$Q" >"$T/uninstall3.out" 2>&1
left=$(cd "$T" && find prefix 2>/dev/null | sort | tr '\n' ' ')
[ "$left" = "prefix prefix/share prefix/share/kvpe prefix/share/kvpe/local-rules.yml " ] &&
	grep -q 'KEEP    '"$Q"'/share/kvpe (not empty' "$T/uninstall3.out" &&
	ok "uninstall keeps a file it did not install, and its directories" || not_ok "after uninstall: $left"
"${MK[@]}" install PREFIX=relative/path >"$T/rel.out" 2>&1
[ $? -ne 0 ] && grep -q 'not an absolute path' "$T/rel.out" && ok "a relative PREFIX is refused" ||
	not_ok "PREFIX=relative/path: $(cat "$T/rel.out")"
finish
