#!/usr/bin/env bash
# The README documents every option of the option table (as `--help` prints
# them) and every finding code with an anchor; `--help` lists each option.
. "$(dirname "$0")/../lib/common.sh"
README=$TOP/README.md

for cmd in check agent resolve trace; do
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
# The README's cause and fix of each code are finding.c's, which the SARIF
# rules carry as fullDescription and help (a resolver refusing the
# connection makes a report without a server).
RC=0
"$KVPE" check --vault kv-docs --dns-server "127.0.0.1:$(free_port)" --probe off --timeout 200 --format sarif \
	>"$T/rules.sarif" 2>/dev/null || RC=$?
validate_skip "$T/rules.sarif" # SARIF validity: report_formats.sh (this run only reads the rules)
python3 - "$README" "$T/rules.sarif" >"$T/rules.out" <<'PY'
import json, re, sys
rules = {r["id"]: r for r in json.load(open(sys.argv[2]))["runs"][0]["tool"]["driver"]["rules"]}
rows = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r'^\| <a id="[a-z0-9_]+"></a>`([A-Z0-9_]+)` \| \w+ \| (.*) \| (.*) \|$', line.rstrip("\n"))
    if m:
        rows[m.group(1)] = (m.group(2), m.group(3))
for code, r in rules.items():
    cause, fix = rows.get(code, (None, None))
    want = "**Cause:** %s\n\n**Fix:** %s\n\nSee [the README](%s)." % (cause, fix, r["helpUri"])
    if cause == r["fullDescription"]["markdown"] and want == r["help"]["markdown"]:
        print("ok README's cause and fix of %s are the SARIF rule's" % code)
    else:
        print("not ok README's cause and fix of %s differ from finding.c's: README %r, SARIF %r" %
              (code, (cause, fix), r["help"]["markdown"]))
PY
tap_lines "$T/rules.out"
expect_eq "README's finding rows checked against the SARIF rules" "$(grep -c . "$T/rules.out")" "$n"
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
