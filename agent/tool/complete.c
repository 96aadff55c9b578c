/* complete.c — the bash completion script, written from the option table.
 *
 * The script's logic is fixed text; what it knows about kvpe (commands,
 * their options, which options take one value, the values kvpe accepts) is
 * generated from CLI_OPT_LIST and the parsers' own name tables, so it cannot
 * drift from `--help`.  It needs nothing but bash (no bash-completion
 * helpers), so it also works after `source <(kvpe --completion bash)`. */
#include "kvpe/complete.h"

#include <string.h>

#include "kvpe/cli.h"
#include "kvpe/cloud.h"
#include "kvpe/types.h"

#define COMPLETE_VALUES_MAX 512

static const struct cli_opt_info opts[] = {
#define COMPLETE_OPT_ROW(id, name, sh, arg, cmds, rep, help) {name, sh, arg, cmds, rep, help},
	CLI_OPT_LIST(COMPLETE_OPT_ROW)
#undef COMPLETE_OPT_ROW
};

static const struct {
	const char *name;
	unsigned mask;
} commands[] = {{"check", CLI_C}, {"agent", CLI_A}, {"resolve", CLI_R}, {"trace", CLI_T}};

/* The script's fixed parts.  cands: the candidates for the word being
 * typed, without $pre (the "--opt=" it starts with, if any). */
static const char script_head[] =
    "# COMPREPLY: the words in \"$@\" that start with $cur, each without the\n"
    "# part of $cur up to readline's last word break (the '=' of --format=json\n"
    "# when '=' is in COMP_WORDBREAKS, as it is by default).\n"
    "_kvpe_reply()\n"
    "{\n"
    "\tlocal i=${#cur} w\n"
    "\twhile ((i > 0)) && [[ ${COMP_WORDBREAKS-} != *\"${cur:i-1:1}\"* ]]; do\n"
    "\t\t((i--))\n"
    "\tdone\n"
    "\tfor w in \"$@\"; do\n"
    "\t\t[[ $w == \"$cur\"* ]] && COMPREPLY+=(\"${w:i}\")\n"
    "\tdone\n"
    "\treturn 0\n"
    "}\n"
    "\n"
    "_kvpe_files() # WORD [PREFIX]\n"
    "{\n"
    "\tcompopt -o filenames 2>/dev/null\n"
    "\tmapfile -t cands < <(compgen -f -- \"$1\")\n"
    "\tcands=(\"${cands[@]/#/${2-}}\")\n"
    "}\n"
    "\n"
    "_kvpe_report() # FORMAT...: FORMAT=PATH\n"
    "{\n"
    "\tif [[ $val == *=* ]]; then\n"
    "\t\t_kvpe_files \"${val#*=}\" \"${val%%=*}=\"\n"
    "\telse\n"
    "\t\tcompopt -o nospace 2>/dev/null\n"
    "\t\tcands=(\"${@/%/=}\")\n"
    "\tfi\n"
    "}\n"
    "\n"
    "_kvpe()\n"
    "{\n"
    "\tlocal line cur prev cmd opt val pre opts once w\n"
    "\tlocal -a words cands\n"
    "\tCOMPREPLY=()\n"
    "\t# The words up to the cursor as kvpe will get them: '=' and ':' do not\n"
    "\t# split them (they do split COMP_WORDS).\n"
    "\tif [[ -n ${COMP_LINE+set} ]]; then\n"
    "\t\tline=${COMP_LINE:0:COMP_POINT}\n"
    "\telse\n"
    "\t\tline=\"${COMP_WORDS[*]:0:COMP_CWORD+1}\"\n"
    "\tfi\n"
    "\tread -r -a words <<<\"$line\"\n"
    "\t[[ ${#words[@]} -eq 0 || $line == *[[:space:]] ]] && words+=(\"\")\n"
    "\tcur=${words[${#words[@]}-1]}\n"
    "\tif ((${#words[@]} <= 2)); then\n";

static const char script_mid[] =
    "\t# The option whose value is being typed: --opt VALUE or --opt=VALUE.\n"
    "\tprev=${words[${#words[@]}-2]}\n"
    "\topt=$prev val=$cur pre=\n"
    "\tif [[ $cur == --*=* ]]; then\n"
    "\t\topt=${cur%%=*} val=${cur#*=} pre=$opt=\n"
    "\telif [[ $cur == -* ]]; then\n"
    "\t\topt=\n"
    "\tfi\n"
    "\tcase $cmd:$opt in\n";

static const char script_tail[] =
    "\t*)\n"
    "\t\t[[ -z $cur || $cur == -* ]] || return 0\n"
    "\t\t# The command's options, but not one given already that takes one value.\n"
    "\t\topts=\" $opts \"\n"
    "\t\tfor w in \"${words[@]:2:${#words[@]}-3}\"; do\n"
    "\t\t\tw=${w%%=*}\n"
    "\t\t\tcase $w in\n";

static const char script_end[] =
    "\t\t\tesac\n"
    "\t\t\t[[ \" $once \" == *\" $w \"* ]] && opts=${opts/ $w / }\n"
    "\t\tdone\n"
    "\t\tread -r -a cands <<<\"$opts\"\n"
    "\t\t;;\n"
    "\tesac\n"
    "\t_kvpe_reply \"${cands[@]/#/$pre}\"\n"
    "}\n"
    "complete -F _kvpe kvpe\n";

/* What the script offers for an option's argument. */
enum complete_kind { COMPLETE_NONE, COMPLETE_WORDS, COMPLETE_FILES, COMPLETE_REPORT };

/* Appends " word" to buf; false when it does not fit or is not a plain
 * word (the script prints values unquoted). */
static bool
add_word(char *buf, size_t size, size_t *len, const char *w)
{
	size_t n = strlen(w);

	if (n == 0 || strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n ||
	    *len + n + 2 > size)
		return false;
	if (*len > 0)
		buf[(*len)++] = ' ';
	memcpy(buf + *len, w, n + 1);
	*len += n;
	return true;
}

/* The values `kvpe <cmd> --<opt>` accepts, space-separated, into buf ("" for
 * none); the names come from the parsers' own tables where they have one. */
static enum kv_err
values(enum cli_opt_id id, unsigned cmd, char *buf, size_t size)
{
	size_t len = 0;
	bool ok = true;

	buf[0] = '\0';
	switch (id) {
	case CLI_OPT_FORMAT:
	case CLI_OPT_REPORT:
		if (cmd == CLI_R || cmd == CLI_T) {
			/* resolve_main and trace_main write only these two. */
			ok = add_word(buf, size, &len, "table") && add_word(buf, size, &len, "json");
			break;
		}
		/* Every format the parser reads back to itself: report_format_name
		 * answers "json" past the last one. */
		for (int f = 0; ok; f++) {
			enum report_format back;
			const char *name = report_format_name((enum report_format)f);
			if (report_format_parse(name, &back) != KV_OK || (int)back != f)
				break;
			ok = add_word(buf, size, &len, name);
		}
		break;
	case CLI_OPT_PROBE:
		for (int lv = KV_PROBE_OFF; lv <= KV_PROBE_HTTPS && ok; lv++)
			ok = add_word(buf, size, &len, kv_probe_level_name((enum kv_probe_level)lv));
		break;
	case CLI_OPT_CLOUD:
		for (int c = 0; c < KV_CLOUD_COUNT && ok; c++)
			ok = add_word(buf, size, &len, cloud_get((enum kv_cloud_id)c)->name);
		break;
	case CLI_OPT_LOG_FORMAT:
		ok = add_word(buf, size, &len, "text") && add_word(buf, size, &len, "logfmt");
		break;
	case CLI_OPT_METRICS_DETAIL:
		ok = add_word(buf, size, &len, "basic") && add_word(buf, size, &len, "full");
		break;
	case CLI_OPT_VANTAGE:
		ok = add_word(buf, size, &len, "off"); /* else an address: nothing to offer */
		break;
	default:
		break;
	}
	return ok ? KV_OK : KV_EINTERNAL;
}

static enum complete_kind
kind_of(enum cli_opt_id id, const char *vals)
{
	if (opts[id].arg == NULL)
		return COMPLETE_NONE;
	if (id == CLI_OPT_REPORT)
		return COMPLETE_REPORT;
	if (strcmp(opts[id].arg, "FILE") == 0)
		return COMPLETE_FILES;
	return vals[0] != '\0' ? COMPLETE_WORDS : COMPLETE_NONE;
}

/* "cmd:--name | cmd:-x", after " | " and a line break between options when
 * it is not the arm's first. */
static void
patterns(FILE *f, const char *cmd, const struct cli_opt_info *o, bool *first, bool *newline)
{
	fprintf(f, "%s%s:--%s", *first ? "\t" : *newline ? " | \\\n\t" : " | ", cmd, o->name);
	if (o->short_name != 0)
		fprintf(f, " | %s:-%c", cmd, o->short_name);
	*first = *newline = false;
}

/* The case arms for the options whose argument is of kind `want`: one per
 * option and group of commands with the same values for COMPLETE_WORDS and
 * COMPLETE_REPORT; one for all the others of that kind. */
static enum kv_err
arms(FILE *f, enum complete_kind want)
{
	char vals[KV_ARRAY_LEN(commands)][COMPLETE_VALUES_MAX];
	bool shared = want == COMPLETE_FILES || want == COMPLETE_NONE, first = true, newline;
	enum kv_err rc;

	for (size_t i = 0; i < KV_ARRAY_LEN(opts); i++) {
		const struct cli_opt_info *o = &opts[i];
		bool done[KV_ARRAY_LEN(commands)] = {false};

		if (o->arg == NULL)
			continue;
		for (size_t c = 0; c < KV_ARRAY_LEN(commands); c++)
			if ((o->cmds & commands[c].mask) &&
			    (rc = values((enum cli_opt_id)i, commands[c].mask, vals[c], sizeof(vals[c]))) != KV_OK)
				return rc;
		newline = true;
		for (size_t c = 0; c < KV_ARRAY_LEN(commands); c++) {
			if (done[c] || !(o->cmds & commands[c].mask) || kind_of((enum cli_opt_id)i, vals[c]) != want)
				continue;
			for (size_t d = c; d < KV_ARRAY_LEN(commands); d++) {
				if (!done[d] && (o->cmds & commands[d].mask) && strcmp(vals[c], vals[d]) == 0) {
					patterns(f, commands[d].name, o, &first, &newline);
					done[d] = true;
				}
			}
			if (want == COMPLETE_WORDS)
				fprintf(f, ")\n\t\tcands=(%s) ;;\n", vals[c]);
			else if (want == COMPLETE_REPORT)
				fprintf(f, ")\n\t\t_kvpe_report %s ;;\n", vals[c]);
			if (!shared)
				first = true;
		}
	}
	if (shared && !first)
		fputs(want == COMPLETE_FILES ? ")\n\t\t_kvpe_files \"$val\" ;;\n"
					     : ")\n\t\treturn 0 ;; # a value kvpe cannot guess\n",
		    f);
	return KV_OK;
}

/* A command's options for `opts`, or (once) those that take one value. */
static void
option_names(FILE *f, unsigned mask, bool once)
{
	bool first = true;

	for (size_t i = 0; i < KV_ARRAY_LEN(opts); i++) {
		if (!(opts[i].cmds & mask) || (once && opts[i].repeatable))
			continue;
		fprintf(f, "%s--%s", first ? "" : " ", opts[i].name);
		first = false;
	}
}

enum kv_err
complete_bash(FILE *f)
{
	enum kv_err rc = KV_OK;

	fprintf(f, "# bash completion for kvpe(1), written by `kvpe --completion bash` (kvpe %s)\n"
		   "# from its option table: regenerate it rather than edit it.\n\n",
	    KV_VERSION);
	fputs(script_head, f);
	fputs("\t\t_kvpe_reply", f);
	for (size_t c = 0; c < KV_ARRAY_LEN(commands); c++)
		fprintf(f, " %s", commands[c].name);
	fputs(" --help --version\n\t\treturn 0\n\tfi\n\tcmd=${words[1]}\n\tcase $cmd in\n", f);
	for (size_t c = 0; c < KV_ARRAY_LEN(commands); c++) {
		fprintf(f, "\t%s)\n\t\topts='", commands[c].name);
		option_names(f, commands[c].mask, false);
		fputs("'\n\t\tonce='", f);
		option_names(f, commands[c].mask, true);
		fputs("' ;;\n", f);
	}
	fputs("\t*) return 0 ;;\n\tesac\n", f);
	fputs(script_mid, f);
	if ((rc = arms(f, COMPLETE_WORDS)) != KV_OK || (rc = arms(f, COMPLETE_REPORT)) != KV_OK ||
	    (rc = arms(f, COMPLETE_FILES)) != KV_OK || (rc = arms(f, COMPLETE_NONE)) != KV_OK)
		return rc;
	fputs(script_tail, f);
	for (size_t i = 0; i < KV_ARRAY_LEN(opts); i++)
		if (opts[i].short_name != 0)
			fprintf(f, "\t\t\t-%c) w=--%s ;;\n", opts[i].short_name, opts[i].name);
	fputs(script_end, f);
	return ferror(f) ? KV_EIO : KV_OK;
}
