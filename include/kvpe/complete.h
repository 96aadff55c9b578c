/* complete.h — the shell completion script, generated from the option table
 * (CLI_OPT_LIST), so an option added there completes without anyone editing
 * a script.  `kvpe --completion bash` prints it; the build keeps a copy in
 * build/ for `make install`. */
#ifndef KVPE_COMPLETE_H
#define KVPE_COMPLETE_H

#include <stdio.h>

#include "kvpe/common.h"

/* Writes the bash completion script to `f`: the commands, each command's
 * options, and the arguments kvpe knows (format, probe level, cloud and log
 * format names, file names for FILE).  KV_EIO when `f` failed. */
enum kv_err complete_bash(FILE *f);

#endif
