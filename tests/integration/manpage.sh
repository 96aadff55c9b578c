#!/usr/bin/env bash
# kvpe(1) (agent/dist/kvpe.1) against the binary: mandoc lints it clean, and
# every option `kvpe COMMAND --help` lists (the option table, CLI_OPT_LIST)
# is documented in the man page's subsections for that command, with the
# same argument, and nothing else is; every finding code and every
# environment variable the code reads is there too.  A new option, code or
# variable without its man page entry fails here.
. "$(dirname "$0")/../lib/common.sh"
MAN=$TOP/agent/dist/kvpe.1

if ! command -v mandoc >/dev/null; then
	skip "mandoc not installed (tests/deps.sh installs it)"
	finish
	exit
fi

# 1. Lint: nothing at warning level or above.
lint=$(mandoc -T lint -W warning "$MAN" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$lint" ]; then ok "mandoc -T lint -W warning: clean"; else not_ok "mandoc -T lint (rc $rc): $lint"; fi

# 2. The rendered page: OPTIONS holds subsections "Title (cmd, cmd)", each a
# list of tags as --help prints them ("-o, --output FILE").
mandoc -T ascii "$MAN" | sed "s/.\x08//g" >"$T/man.txt" # no overstrike
awk '
/^[A-Z]/ { sect = $0; next }
sect == "OPTIONS" && /^   [^ ]/ {
	cmds = ""
	if (match($0, /\([a-z, ]+\)$/)) cmds = substr($0, RSTART + 1, RLENGTH - 2)
	gsub(/ /, "", cmds)
	if (cmds == "") cmds = "kvpe"
	next
}
sect == "OPTIONS" && /^     -/ {
	sub(/^ +/, "")
	split($0, a, /   */)
	n = split(cmds, c, ",")
	for (i = 1; i <= n; i++) print c[i] "\t" a[1]
}' "$T/man.txt" | sort >"$T/man.opts"
for cmd in check agent resolve trace; do
	"$KVPE" "$cmd" --help >"$T/help.$cmd" 2>&1 || not_ok "kvpe $cmd --help failed: $(head -1 "$T/help.$cmd")"
done
for cmd in check agent resolve trace; do
	awk -v cmd="$cmd" '/^  +-/ { sub(/^ +/, ""); split($0, a, /   */); print cmd "\t" a[1] }' "$T/help.$cmd"
done | sort >"$T/help.opts"
n=$(wc -l <"$T/help.opts")
if [ "$n" -ge 40 ]; then ok "--help lists $n command options"; else not_ok "--help lists only $n command options"; fi
missing=$(comm -23 "$T/help.opts" "$T/man.opts")
extra=$(comm -13 "$T/help.opts" <(grep -v '^kvpe	' "$T/man.opts"))
if [ -z "$missing" ]; then
	ok "the man page documents every option of every command, with its argument"
else
	while IFS=$'\t' read -r c o; do not_ok "man page lacks '$o' under a subsection for $c"; done <<<"$missing"
fi
if [ -z "$extra" ]; then
	ok "the man page documents no option a command does not take"
else
	while IFS=$'\t' read -r c o; do not_ok "man page documents '$o' for $c, which kvpe $c --help does not list"; done <<<"$extra"
fi

# Without a command: --help, --version and the hidden --completion bash.
global=$(grep '^kvpe	' "$T/man.opts" | cut -f2 | tr '\n' ' ')
if [ "$global" = "--completion bash --help --version " ]; then
	ok "man page: the options without a command"
else
	not_ok "man page: options without a command are '$global'"
fi
"$KVPE" --help >"$T/help.top" 2>&1 && grep -q -- '--help | --version' "$T/help.top" &&
	ok "kvpe --help lists --help and --version" || not_ok "kvpe --help: $(head -3 "$T/help.top")"
"$KVPE" --version | grep -qE '^kvpe [0-9]' && ok "kvpe --version" || not_ok "kvpe --version"
"$KVPE" --completion bash >/dev/null && ok "kvpe --completion bash" || not_ok "kvpe --completion bash failed"

# 3. Every finding code of the table is a FINDINGS entry.
codes=$(sed -n 's/^\tX(\([A-Z0-9_]*\),.*/\1/p' "$TOP/include/kvpe/finding.h")
n=0 bad=""
for c in $codes; do
	n=$((n + 1))
	sed -n '/^FINDINGS/,/^[A-Z]/p' "$T/man.txt" | grep -qx "     $c" || bad="$bad $c"
done
if [ -z "$bad" ] && [ "$n" -ge 19 ]; then ok "man page lists the $n finding codes"; else not_ok "man page lacks codes:$bad"; fi

# 4. Every environment variable the code reads (getenv, cred.c's env()) is
# in ENVIRONMENT, but the test hooks the README's Development section
# describes (KVPE_ARM_BACKOFF_MS, KVPE_PROBE_ALLOW).
vars=$(grep -rhoE '\b(getenv|env)\("[A-Z_]+"\)' "$TOP/agent" "$TOP/probes" | sed 's/.*("\(.*\)")/\1/' | sort -u |
	grep -vx -e KVPE_ARM_BACKOFF_MS -e KVPE_PROBE_ALLOW)
sed -n '/^ENVIRONMENT/,/^FILES/p' "$T/man.txt" >"$T/man.env"
n=0 bad=""
for v in $vars; do
	n=$((n + 1))
	grep -qw "$v" "$T/man.env" || bad="$bad $v"
done
if [ -z "$bad" ] && [ "$n" -ge 15 ]; then ok "ENVIRONMENT names the $n variables kvpe reads"; else not_ok "ENVIRONMENT lacks:$bad"; fi

# 5. The README says where the page is.
grep -q 'agent/dist/kvpe.1' "$TOP/README.md" && ok "README names agent/dist/kvpe.1" || not_ok "README does not mention agent/dist/kvpe.1"
finish
