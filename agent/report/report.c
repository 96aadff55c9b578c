/* report.c — the report's lifecycle, the agent's carry of stale verdicts,
 * the format names, the dispatch to the writers, and the atomic file write. */
#include "kvpe/report.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvpe/arena.h"

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
	if (r->refs > 0) {
		r->refs--; /* a later report still shows verdicts made in this one */
		return;
	}
	for (size_t i = 0; i < r->n_held; i++)
		report_free(r->held[i]);
	free(r->held);
	kv_arena_free(r->arena);
	free(r);
}

/* ---- agent mode: verdicts kept through a source outage ---- */

#define SUB_PREFIX "subscription/"

/* The down subscription a vault came from, or NULL. */
static const struct kv_source *
down_source(const struct kv_source *const *down, size_t n_down, const struct kv_target *t)
{
	if (t->subscription == NULL)
		return NULL;
	for (size_t i = 0; i < n_down; i++)
		if (kv_streq_ci(down[i]->name + strlen(SUB_PREFIX), t->subscription))
			return down[i];
	return NULL;
}

static enum kv_err
hold(struct kv_report *r, struct kv_report *origin)
{
	struct kv_report **v;

	for (size_t i = 0; i < r->n_held; i++)
		if (r->held[i] == origin)
			return KV_OK;
	if ((v = realloc(r->held, (r->n_held + 1) * sizeof(*v))) == NULL)
		return KV_ENOMEM;
	r->held = v;
	r->held[r->n_held++] = origin;
	origin->refs++;
	return KV_OK;
}

/* prev's verdict `x` for a vault of the down source `s`, into cur.  Its
 * observations and findings stay where they were made (origin, held); the
 * target is copied into cur, as an expired one of prev lives in prev's arena,
 * which goes when prev does. */
static enum kv_err
carry(struct kv_report *cur, struct kv_report *prev, const struct kv_result *x, const struct kv_source *s,
    int64_t now_ms, int64_t stale_after_ms, struct kv_result *out)
{
	struct kv_report *origin = x->origin != NULL ? x->origin : prev;
	struct kv_target *t;
	enum kv_err rc;

	if ((rc = hold(cur, origin)) != KV_OK)
		return rc;
	if ((t = kv_arena_memdup(cur->arena, x->t, sizeof(*t))) == NULL)
		return KV_ENOMEM;
	if (x->t->incomplete != NULL && (t->incomplete = kv_arena_strdup(cur->arena, x->t->incomplete)) == NULL)
		return KV_ENOMEM;
	*out = *x;
	out->t = t;
	out->origin = origin;
	if (now_ms - s->down_since_ms >= stale_after_ms) {
		/* Too old to vouch for: a pass becomes error (and stays so until the
		 * source is back); a fail keeps failing (its alert must not resolve
		 * before a cycle sees the vault fixed). */
		char since[32], seen[32];
		kv_fmt_time(s->down_since_ms, since, sizeof(since));
		kv_fmt_time(origin->started_ms, seen, sizeof(seen));
		t->incomplete = kv_arena_printf(cur->arena, "not checked since %s: source %s down since %s", seen, s->name,
		    since);
		if (t->incomplete == NULL)
			return KV_ENOMEM;
		if (out->status == KV_ST_PASS)
			out->status = KV_ST_ERROR;
	}
	return KV_OK;
}

enum kv_err
report_carry_stale(struct kv_report *cur, struct kv_report *prev, int64_t now_ms, int64_t stale_after_ms)
{
	const struct kv_source **down = NULL;
	struct kv_result *v = NULL;
	size_t n_down = 0, n = 0, i = 0, j = 0;
	enum kv_err rc = KV_OK;

	if ((down = calloc(cur->n_sources ? cur->n_sources : 1, sizeof(*down))) == NULL)
		return KV_ENOMEM;
	for (size_t k = 0; k < cur->n_sources; k++) {
		struct kv_source *s = &cur->sources[k];
		s->down_since_ms = 0;
		if (s->up)
			continue;
		s->down_since_ms = cur->started_ms;
		for (size_t m = 0; prev != NULL && m < prev->n_sources; m++)
			if (!prev->sources[m].up && prev->sources[m].down_since_ms > 0 &&
			    strcmp(prev->sources[m].name, s->name) == 0)
				s->down_since_ms = prev->sources[m].down_since_ms;
		if (strncmp(s->name, SUB_PREFIX, strlen(SUB_PREFIX)) == 0)
			down[n_down++] = s;
	}
	if (n_down == 0 || prev == NULL || prev->n_results == 0)
		goto out;
	/* Both lists are sorted the same way: one merge walk. */
	if ((v = kv_arena_calloc(cur->arena, cur->n_results + prev->n_results, sizeof(*v))) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	while (rc == KV_OK && (i < cur->n_results || j < prev->n_results)) {
		const struct kv_result *y = i < cur->n_results ? &cur->results[i] : NULL;
		const struct kv_result *x = j < prev->n_results ? &prev->results[j] : NULL;
		const struct kv_source *s;
		int c;
		if (y == NULL && x == NULL)
			break;
		c = x == NULL ? -1 : y == NULL ? 1 : kv_target_cmp(y->t, x->t);
		if (c < 0) {
			v[n++] = *y; /* new since the last cycle: as this cycle saw it */
			i++;
		} else if (c > 0) {
			/* gone from this cycle: kept only when its source is down */
			if ((s = down_source(down, n_down, x->t)) != NULL)
				rc = carry(cur, prev, x, s, now_ms, stale_after_ms, &v[n++]);
			j++;
		} else {
			if ((s = down_source(down, n_down, y->t)) != NULL)
				rc = carry(cur, prev, x, s, now_ms, stale_after_ms, &v[n++]);
			else
				v[n++] = *y;
			i++;
			j++;
		}
	}
	if (rc == KV_OK) {
		cur->results = v;
		cur->n_results = n;
	}
out:
	free(down);
	return rc;
}

static const char *const format_names[] = {"table", "json", "jsonl", "junit", "sarif", "prometheus", "nagios"};

const char *
report_format_name(enum report_format f)
{
	return (size_t)f < KV_ARRAY_LEN(format_names) ? format_names[f] : "json";
}

enum kv_err
report_format_parse(const char *s, enum report_format *out)
{
	for (size_t i = 0; i < KV_ARRAY_LEN(format_names); i++) {
		if (strcmp(s, format_names[i]) == 0) {
			*out = (enum report_format)i;
			return KV_OK;
		}
	}
	return KV_EUSAGE;
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
		struct report_prom_state st;
		report_prom_state_from_report(r, &st);
		st.full = o->metrics_full;
		if (o->prev != NULL)
			report_prom_state_carry(&st, o->prev);
		return report_prom(r, &st, out);
	}
	}
	return KV_EUSAGE;
}

enum kv_err
report_write_resolve(const struct report_resolve *rs, enum report_format f, const struct report_opts *o,
    struct kv_buf *out)
{
	switch (f) {
	case REPORT_TABLE:
		return report_table_resolve(rs, o, out);
	case REPORT_JSON:
		return report_json_resolve(rs, o, out);
	case REPORT_JSONL:
	case REPORT_JUNIT:
	case REPORT_SARIF:
	case REPORT_PROMETHEUS:
	case REPORT_NAGIOS:
		break;
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

/* A symbolic link is followed only when its owner could have written the
 * report anyway: ourselves, root, or the directory's owner (the rule of the
 * kernel's protected_symlinks).  In a group-writable textfile directory a
 * link planted by another member must not redirect the write elsewhere. */
static enum kv_err
link_trusted(const char *path, const struct stat *lst, char *err, size_t size)
{
	char *dcopy = strdup(path);
	struct stat dst;
	bool ok;

	if (dcopy == NULL)
		return KV_ENOMEM;
	ok = lst->st_uid == geteuid() || lst->st_uid == 0 ||
	    (stat(dirname(dcopy), &dst) == 0 && lst->st_uid == dst.st_uid);
	free(dcopy);
	if (ok)
		return KV_OK;
	snprintf(err, size, "%s: a symbolic link owned by another user (uid %lu); not followed", path,
	    (unsigned long)lst->st_uid);
	return KV_EIO;
}

/* Why the temp file next to `path` could not be created, in one line: a
 * missing directory is "No such file or directory" as for any open; a
 * directory that exists but refuses new files (/proc, read-only, no write
 * permission) is named. */
static void
tmp_error(const char *path, const char *dir, int e, char *err, size_t size)
{
	struct stat st;

	if (e == ENOTDIR || (e == ENOENT && stat(dir, &st) != 0))
		snprintf(err, size, "%s: %s", path, strerror(e));
	else
		snprintf(err, size, "%s: cannot create a file in %s to write it (%s)", path, dir, strerror(e));
}

/* Append mode: the target itself, created if missing (0644 before umask). */
static enum kv_err
open_append(struct report_file *f, char *err, size_t size)
{
	const int fl = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
	struct stat st;

	f->fd = open(f->path, fl | O_CREAT | O_EXCL, 0644);
	if (f->fd >= 0)
		f->created = true;
	else if (errno == EEXIST)
		f->fd = open(f->path, fl);
	if (f->fd < 0) {
		if (errno == ELOOP)
			snprintf(err, size, "%s: became a symbolic link while being opened; not followed", f->path);
		else if (errno == ENOENT || errno == ENOTDIR)
			snprintf(err, size, "%s: %s", f->path, strerror(errno));
		else
			snprintf(err, size, "%s: cannot append to it (%s)", f->path, strerror(errno));
		return KV_EIO;
	}
	if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, size, "%s: not a regular file", f->path);
		return KV_EIO;
	}
	return KV_OK;
}

/* Open, sink, commit and abort share one state: fd -1 with tmp NULL is
 * stdout; a failed open leaves nothing to abort. */
enum kv_err
report_file_open(struct report_file *f, const char *path, enum report_file_mode mode, char *err, size_t size)
{
	char *dcopy = NULL, *bcopy = NULL;
	const char *base;
	enum kv_err rc = KV_OK;
	bool link = false;
	size_t tl;
	struct stat st, lst;

	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (strcmp(path, "-") == 0)
		return KV_OK; /* stdout: written as it comes, whatever the mode */
	f->append = mode == REPORT_FILE_APPEND;
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		if ((rc = link_trusted(path, &lst, err, size)) != KV_OK)
			return rc;
		link = true;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A device, FIFO or socket (/dev/null, /dev/stdout, a pipe): written
		 * in place.  Renaming a temp file over it would replace the device
		 * node itself with a regular file. */
		f->direct = true;
		f->append = false;
		if ((f->path = strdup(path)) == NULL)
			return KV_ENOMEM;
		f->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | (link ? 0 : O_NOFOLLOW));
		if (f->fd < 0) {
			snprintf(err, size, "%s: %s", path, strerror(errno));
			report_file_abort(f);
			return KV_EIO;
		}
		return KV_OK;
	}
	/* A symbolic link to a report: the file it names is replaced, not the link. */
	if (link && (f->path = realpath(path, NULL)) != NULL)
		path = f->path;
	else
		f->path = strdup(path);
	if (f->path == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	if (f->append) {
		rc = open_append(f, err, size);
		goto out;
	}
	dcopy = strdup(path);
	bcopy = strdup(path);
	if (dcopy == NULL || bcopy == NULL || (f->dir = strdup(dirname(dcopy))) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	base = basename(bcopy);
	tl = strlen(f->dir) + strlen(base) + 16;
	if ((f->tmp = malloc(tl)) == NULL) {
		rc = KV_ENOMEM;
		goto out;
	}
	/* ".<file>.tmp.XXXXXX" in the same directory, so rename(2) is atomic and
	 * node_exporter's textfile collector skips it (dotfile).  Created
	 * exclusively (O_EXCL: never through a link or into a file someone
	 * planted) under a random name, mode 0600 until the commit. */
	snprintf(f->tmp, tl, "%s/.%s.tmp.XXXXXX", f->dir, base);
	f->fd = mkostemp(f->tmp, O_CLOEXEC | O_NOFOLLOW);
	if (f->fd < 0) {
		tmp_error(path, f->dir, errno, err, size);
		free(f->tmp);
		f->tmp = NULL; /* nothing was created: abort must not unlink */
		rc = KV_EIO;
	}
out:
	free(dcopy);
	free(bcopy);
	if (rc != KV_OK)
		report_file_abort(f);
	return rc;
}

/* Append mode, before the first byte: take the file for ourselves (another
 * kvpe appending the same log waits) and note where our lines start, so an
 * abort can cut them off again. */
static enum kv_err
append_begin(struct report_file *f)
{
	off_t at;

	if (f->locked)
		return KV_OK;
	while (flock(f->fd, LOCK_EX) != 0)
		if (errno != EINTR)
			return KV_EIO;
	f->locked = true;
	if ((at = lseek(f->fd, 0, SEEK_END)) < 0)
		return KV_EIO;
	f->start = at;
	return KV_OK;
}

enum kv_err
report_file_sink(void *ctx, const char *data, size_t len)
{
	struct report_file *f = ctx;
	int fd = f->fd >= 0 ? f->fd : STDOUT_FILENO;

	if ((f->append && append_begin(f) != KV_OK) || write_all(fd, data, len) != KV_OK) {
		char msg[sizeof(f->err)];
		/* Through a local: Clang's analyzer takes an snprintf into f->err
		 * for a write over all of *f, and f->path for leaked. */
		snprintf(msg, sizeof(msg), "%s: %s", f->path ? f->path : "stdout", strerror(errno));
		memcpy(f->err, msg, sizeof(f->err));
		return KV_EIO;
	}
	return KV_OK;
}

static void
fsync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

enum kv_err
report_file_commit(struct report_file *f, char *err, size_t size)
{
	enum kv_err rc = KV_OK;

	if (f->fd < 0 && f->tmp == NULL)
		goto out; /* stdout */
	if (f->tmp == NULL) { /* written in place: a stream, or an appended log */
		if (f->append && fsync(f->fd) != 0) {
			snprintf(err, size, "%s: %s", f->path, strerror(errno));
			rc = KV_EIO;
			goto out; /* the abort cuts our lines off */
		}
		f->locked = f->created = false; /* the lines stay */
		if (close(f->fd) != 0) {
			snprintf(err, size, "%s: %s", f->path, strerror(errno));
			rc = KV_EIO;
		}
		f->fd = -1; /* closing released the lock */
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
	fsync_dir(f->dir);
out:
	report_file_abort(f);
	return rc;
}

void
report_file_abort(struct report_file *f)
{
	struct stat st, pst;

	if (f->fd >= 0 && f->append) {
		/* Cut our lines off again; a log we created and left empty goes. */
		if (f->locked)
			(void)!ftruncate(f->fd, f->start);
		if (f->created && fstat(f->fd, &st) == 0 && st.st_size == 0 && lstat(f->path, &pst) == 0 &&
		    pst.st_ino == st.st_ino && pst.st_dev == st.st_dev)
			(void)unlink(f->path);
	}
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp != NULL)
		(void)unlink(f->tmp);
	free(f->tmp);
	free(f->dir);
	free(f->path);
	f->tmp = f->dir = f->path = NULL;
	f->fd = -1;
	f->direct = f->append = f->locked = f->created = false;
}

enum kv_err
report_write_file(const char *path, const char *data, size_t len, char *err, size_t size)
{
	struct report_file f;
	enum kv_err rc = report_file_open(&f, path, REPORT_FILE_REPLACE, err, size);

	if (rc != KV_OK)
		return rc;
	if ((rc = report_file_sink(&f, data, len)) != KV_OK) {
		snprintf(err, size, "%s", f.err);
		report_file_abort(&f);
		return rc;
	}
	return report_file_commit(&f, err, size);
}
