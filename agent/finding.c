/* finding.c — tables generated from KV_FINDING_LIST. */
#include "kvpe/finding.h"

#include <string.h>

static const struct {
	const char *name;
	enum kv_severity sev;
	bool error;
	const char *cause;
} finding_table[] = {
#define KV_FINDING_ROW(code, sev, err, cause) {#code, KV_SEV_##sev, err, cause},
	KV_FINDING_LIST(KV_FINDING_ROW)
#undef KV_FINDING_ROW
};

const char *
finding_name(enum kv_finding_code code)
{
	return code < KV_F_COUNT ? finding_table[code].name : "UNKNOWN";
}

enum kv_severity
finding_severity(enum kv_finding_code code)
{
	return code < KV_F_COUNT ? finding_table[code].sev : KV_SEV_HIGH;
}

bool
finding_is_error(enum kv_finding_code code)
{
	return code < KV_F_COUNT && finding_table[code].error;
}

const char *
finding_cause(enum kv_finding_code code)
{
	return code < KV_F_COUNT ? finding_table[code].cause : "";
}

const char *
finding_severity_name(enum kv_severity sev)
{
	switch (sev) {
	case KV_SEV_LOW:
		return "low";
	case KV_SEV_MEDIUM:
		return "medium";
	case KV_SEV_HIGH:
		return "high";
	}
	return "high";
}

enum kv_err
finding_parse(const char *name, enum kv_finding_code *out)
{
	for (unsigned i = 0; i < KV_F_COUNT; i++) {
		if (strcmp(name, finding_table[i].name) == 0) {
			*out = (enum kv_finding_code)i;
			return KV_OK;
		}
	}
	return KV_ENOTFOUND;
}
