#!/usr/bin/env bash
# The README documents every option of the option table (as `--help` prints
# them) and every finding code with an anchor; `--help` lists each option.
. "$(dirname "$0")/../lib/common.sh"
README=$TOP/README.md

for cmd in check agent resolve; do
	"$KVPE" "$cmd" --help >"$T/help.$cmd" 2>&1
done
opts=$(cat "$T"/help.* | grep -oE -- '--[a-z][a-z-]+' | sort -u)
for o in $opts; do
	if grep -q -- "\`$o" "$README"; then ok "README documents $o"; else not_ok "README lacks $o"; fi
done
codes=$(sed -n 's/^\tX(\([A-Z0-9_]*\),.*/\1/p' "$TOP/include/kvpe/finding.h")
n=0
for c in $codes; do
	n=$((n + 1))
	lc=$(echo "$c" | tr 'A-Z' 'a-z')
	if grep -q "<a id=\"$lc\"></a>\`$c\`" "$README"; then ok "README documents $c"; else not_ok "README lacks $c (with anchor)"; fi
done
if [ "$n" -ge 19 ]; then ok "finding table has every spec code ($n)"; else not_ok "finding table: only $n codes"; fi
finish
