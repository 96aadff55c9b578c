/* replay.c — runs a fuzz target over saved inputs without libFuzzer, so
 * `make test` can replay every checked-in corpus under gcc (release and
 * ASan/UBSan builds).  Each argument is a file or a directory whose regular
 * files are fed, sorted by name, to LLVMFuzzerTestOneInput in a buffer of
 * exactly their size (so the sanitizer sees any read past the end).
 *
 * Prints nothing for an input that passes; a crash is a crash (the process
 * dies, naming the input on stderr where it can: abort(), a fault, an ASan
 * report; gcc's UBSan runtime dies without telling us, so set
 * KVPE_REPLAY_VERBOSE=1 to name every input before it runs).  Ends with
 * "N passed, M failed", the line tests/run.sh counts.  An empty or missing directory counts as a
 * failure: a corpus that silently vanished must not look like a pass. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a harness; weak so the driver links without it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
/* Present only in sanitizer builds: lets us name the input that died. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static const char *current; /* the input being run, for the crash note */
static int verbose;          /* KVPE_REPLAY_VERBOSE: name each input first */

static void
note_crash(void)
{
	const char *pre = "FAILED: replay: crashed on input ";

	if (current == NULL)
		return;
	/* write(2) only: this may run inside a signal handler. */
	if (write(STDERR_FILENO, pre, strlen(pre)) < 0 || write(STDERR_FILENO, current, strlen(current)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

static void
on_signal(int sig)
{
	note_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
install_crash_note(void)
{
	/* SIGABRT (a harness's abort()) is never the sanitizer's; the fault
	 * signals are left to ASan when it is there, so its report stays. */
	signal(SIGABRT, on_signal);
	if (__sanitizer_set_death_callback != NULL) {
		__sanitizer_set_death_callback(note_crash);
		return;
	}
	signal(SIGSEGV, on_signal);
	signal(SIGBUS, on_signal);
	signal(SIGFPE, on_signal);
	signal(SIGILL, on_signal);
}

/* Reads a whole file into an exact-size heap buffer. */
static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long sz;
	size_t n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	buf = malloc(sz > 0 ? (size_t)sz : 1);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)sz, f);
	fclose(f);
	if (n != (size_t)sz) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int
run_file(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;

	if (read_file(path, &data, &len) != 0) {
		printf("FAILED %s: cannot read: %s\n", path, strerror(errno));
		return -1;
	}
	current = path;
	if (verbose)
		fprintf(stderr, "replay: %s\n", path);
	(void)LLVMFuzzerTestOneInput(data, len);
	current = NULL;
	free(data);
	return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Runs every regular file of `dir`; counts into *pass and *fail. */
static void
run_dir(const char *dir, unsigned long *pass, unsigned long *fail)
{
	struct dirent **names = NULL;
	unsigned long ran = 0;
	int n = scandir(dir, &names, NULL, by_name);

	if (n < 0) {
		printf("FAILED %s: cannot list: %s\n", dir, strerror(errno));
		(*fail)++;
		return;
	}
	for (int i = 0; i < n; i++) {
		size_t pl = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = malloc(pl);
		struct stat st;
		if (path == NULL) {
			printf("FAILED %s: out of memory\n", dir);
			(*fail)++;
			break;
		}
		snprintf(path, pl, "%s/%s", dir, names[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			ran++;
			if (run_file(path) == 0)
				(*pass)++;
			else
				(*fail)++;
		}
		free(path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (ran == 0) {
		printf("FAILED %s: no inputs in it\n", dir);
		(*fail)++;
	}
}

int
main(int argc, char **argv)
{
	unsigned long pass = 0, fail = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	verbose = getenv("KVPE_REPLAY_VERBOSE") != NULL;
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	install_crash_note();
	if (argc < 2) {
		printf("usage: %s CORPUS-DIR|FILE...\n", argv[0]);
		fail++;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			printf("FAILED %s: %s\n", argv[i], strerror(errno));
			fail++;
		} else if (S_ISDIR(st.st_mode)) {
			run_dir(argv[i], &pass, &fail);
		} else if (run_file(argv[i]) == 0) {
			pass++;
		} else {
			fail++;
		}
	}
	printf("%lu passed, %lu failed\n", pass, fail);
	return fail == 0 ? 0 : 1;
}
