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

/* Open, sink, commit and abort share one state: fd -1 with tmp NULL is
 * stdout; a failed open leaves nothing to abort. */
enum kv_err
report_file_open(struct report_file *f, const char *path, char *err, size_t size)
{
	char *dcopy = NULL, *bcopy = NULL;
	const char *base;
	enum kv_err rc = KV_OK;
	size_t tl;

	struct stat st, lst;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (strcmp(path, "-") == 0)
		return KV_OK;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device, FIFO or socket (/dev/null, /dev/stdout, a pipe): written
		 * in place.  Renaming a temp file over it would replace the device
		 * node itself with a regular file. */
		f->direct = true;
		if ((f->path = strdup(path)) == NULL)
			return KV_ENOMEM;
		f->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (f->fd < 0) {
			snprintf(err, size, "%s: %s", path, strerror(errno));
			report_file_abort(f);
			return KV_EIO;
		}
		return KV_OK;
	}
	/* A symbolic link to a report: the file it names is replaced, not the link. */
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode) && (f->path = realpath(path, NULL)) != NULL)
		path = f->path;
	else
		f->path = strdup(path);
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (f->path == NULL || dcopy == NULL || bcopy == NULL || (f->dir = strdup(dirname(dcopy))) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	base = basename(bcopy);
	tl = strlen(f->dir) + strlen(base) + 32;
	if ((f->tmp = malloc(tl)) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	/* ".<file>.tmp.<pid>" in the same directory, so rename(2) is atomic and
	 * node_exporter's textfile collector skips it (dotfile). */
	snprintf(f->tmp, tl, "%s/.%s.tmp.%ld", f->dir, base, (long)getpid());
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0) {
		snprintf(err, size, "%s: %s", path, strerror(errno));
		rc = KV_EIO;
	}
out:
	free(dcopy);
	free(bcopy);
	if (rc != KV_OK) {
		free(f->tmp);
		f->tmp = NULL; /* nothing was created: abort must not unlink */
		report_file_abort(f);
	}
	return rc;
}

enum kv_err
report_file_sink(void *ctx, const char *data, size_t len)
{
	struct report_file *f = ctx;
	int fd = f->fd >= 0 ? f->fd : STDOUT_FILENO;

	if (write_all(fd, data, len) != KV_OK) {
		snprintf(f->err, sizeof(f->err), "%s: %s", f->path ? f->path : "stdout", strerror(errno));
		return KV_EIO;
	}
	return KV_OK;
}

enum kv_err
report_file_commit(struct report_file *f, char *err, size_t size)
{
	enum kv_err rc = KV_OK;
	int dfd;

	if (f->fd < 0 && f->tmp == NULL)
		goto out; /* stdout */
	if (f->direct) {
		if (close(f->fd) != 0) {
			snprintf(err, size, "%s: %s", f->path, strerror(errno));
			rc = KV_EIO;
		}
		f->fd = -1;
		goto out;
	}
	if (fsync(f->fd) != 0 || fchmod(f->fd, 0644) != 0) {
		snprintf(err, size, "%s: %s", f->path, strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	if (close(f->fd) != 0) {
		f->fd = -1;
		snprintf(err, size, "%s: %s", f->path, strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	f->fd = -1;
	if (rename(f->tmp, f->path) != 0) {
		snprintf(err, size, "%s: %s", f->path, strerror(errno));
		rc = KV_EIO;
		goto out;
	}
	free(f->tmp);
	f->tmp = NULL; /* renamed: nothing left to remove */
	dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
out:
	report_file_abort(f);
	return rc;
}

void
report_file_abort(struct report_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp != NULL)
		(void)unlink(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->path);
	f->tmp = f->dir = f->path = NULL;
	f->fd = -1;
	f->direct = false;
}

enum kv_err
report_write_file(const char *path, const char *data, size_t len, char *err, size_t size)
{
	struct report_file f;
	enum kv_err rc = report_file_open(&f, path, err, size);

	if (rc != KV_OK)
		return rc;
	if ((rc = report_file_sink(&f, data, len)) != KV_OK) {
		snprintf(err, size, "%s", f.err);
		report_file_abort(&f);
		return rc;
	}
	return report_file_commit(&f, err, size);
}
