/* report.c — report lifecycle, summary, dispatch and the atomic file write. */
#include "kvpe/report.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvpe/arena.h"
#include "kvpe/prom.h"

enum kv_err
report_new(struct kv_report **out)
{
	struct kv_report *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->arena = kv_arena_new(256 * 1024)) == NULL) {
		free(r);
		return KV_ENOMEM;
	}
	r->version = KV_VERSION;
	*out = r;
	return KV_OK;
}

void
report_free(struct kv_report *r)
{
	if (r == NULL)
		return;
	kv_arena_free(r->arena);
	free(r);
}

void
report_summarize(const struct kv_report *r, struct report_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->vaults = r->n_results;
	for (size_t i = 0; i < r->n_results; i++) {
		const struct kv_result *x = &r->results[i];
		switch (x->status) {
		case KV_ST_PASS:
			s->passed++;
			break;
		case KV_ST_FAIL:
			s->failed++;
			break;
		case KV_ST_ERROR:
			s->errors++;
			break;
		}
		for (size_t k = 0; k < x->n_findings; k++) {
			s->findings[x->findings[k].code]++;
			s->n_findings++;
		}
	}
}

const struct kv_finding *
report_primary_finding(const struct kv_result *x)
{
	if (x->status == KV_ST_ERROR) {
		for (size_t i = 0; i < x->n_findings; i++)
			if (finding_is_error(x->findings[i].code))
				return &x->findings[i];
		if (x->t->incomplete != NULL)
			return NULL; /* not checked: INCOMPLETE */
	}
	return x->n_findings > 0 ? &x->findings[0] : NULL;
}

int
report_exit_code(const struct kv_report *r)
{
	/* A subscription or endpoint that could not be read: not everything was checked. */
	if (r->n_errors > 0)
		return 1;
	for (size_t i = 0; i < r->n_results; i++)
		if (r->results[i].status != KV_ST_PASS)
			return 1;
	return 0;
}

enum kv_err
report_write(const struct kv_report *r, enum report_format f, const struct report_opts *o, struct kv_buf *out)
{
	switch (f) {
	case REPORT_TABLE:
		return report_table(r, o, out);
	case REPORT_JSON:
		return report_json(r, o, out);
	case REPORT_JSONL:
		return report_jsonl(r, o, out);
	case REPORT_JUNIT:
		return report_junit(r, o, out);
	case REPORT_SARIF:
		return report_sarif(r, o, out);
	case REPORT_NAGIOS:
		return report_nagios(r, o, out);
	case REPORT_PROMETHEUS: {
		struct prom_state st;
		prom_state_from_report(r, &st);
		return prom_write(r, &st, out);
	}
	}
	return KV_EUSAGE;
}

static enum kv_err
write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return KV_EIO;
		}
		data += w;
		len -= (size_t)w;
	}
	return KV_OK;
}

enum kv_err
report_write_file(const char *path, const char *data, size_t len, char *err, size_t size)
{
	char *dcopy = NULL, *bcopy = NULL, *tmp = NULL;
	const char *dir, *base;
	int fd = -1, dfd = -1;
	enum kv_err rc = KV_OK;
	size_t tl;

	if (strcmp(path, "-") == 0) {
		rc = write_all(STDOUT_FILENO, data, len);
		if (rc != KV_OK)
			snprintf(err, size, "stdout: %s", strerror(errno));
		return rc;
	}
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (dcopy == NULL || bcopy == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	dir = dirname(dcopy);
	base = basename(bcopy);
	tl = strlen(dir) + strlen(base) + 32;
	tmp = malloc(tl);
	if (tmp == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	/* ".<file>.tmp.<pid>" in the same directory, so rename(2) is atomic and
	 * node_exporter's textfile collector skips it (dotfile). */
	snprintf(tmp, tl, "%s/.%s.tmp.%ld", dir, base, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, size, "%s: %s", path, strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	if (write_all(fd, data, len) != KV_OK || fsync(fd) != 0 || fchmod(fd, 0644) != 0) {
		snprintf(err, size, "%s: %s", path, strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, size, "%s: %s", path, strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, size, "%s: %s", path, strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rc != KV_OK && tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	free(dcopy);
	free(bcopy);
	return rc;
}
