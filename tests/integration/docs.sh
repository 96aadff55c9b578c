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
# Every metric of the writer's table, and every deployment file.
for m in $(sed -n 's/^\tX(\(kvpe_[a-z_]*\),.*/\1/p' "$TOP/include/kvpe/report.h"); do
	if grep -q "| \`$m\`" "$README"; then ok "README documents $m"; else not_ok "README lacks metric $m"; fi
done
for f in "$TOP"/agent/deploy/*; do
	b=$(basename "$f")
	if grep -q "agent/deploy/$b" "$README"; then ok "README links $b"; else not_ok "README does not mention agent/deploy/$b"; fi
done
# The systemd units parse (when systemd-analyze is there).
if command -v systemd-analyze >/dev/null; then
	for u in "$TOP"/agent/deploy/*.service "$TOP"/agent/deploy/*.timer; do
		out=$(systemd-analyze verify "$u" 2>&1 | grep -v -e 'kvpe: No such file' -e 'Command .* is not executable' -e '/usr/local/bin/kvpe')
		if [ -z "$out" ]; then ok "systemd-analyze verify $(basename "$u")"; else not_ok "$(basename "$u"): $out"; fi
	done
else
	skip "systemd-analyze not installed"
fi
if command -v promtool >/dev/null; then
	promtool check rules "$TOP/agent/deploy/kvpe-alerts.yml" >/dev/null 2>&1 && ok "promtool check rules" || not_ok "promtool rejects kvpe-alerts.yml"
fi
finish
