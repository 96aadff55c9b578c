/* notify.c — see notify.h; the protocol is sd_notify(3)'s. */
#include "kvpe/notify.h"

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

void
notify_send(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	char msg[512];
	size_t pl;
	socklen_t sl;
	va_list ap;
	int fd, n;

	if (path == NULL || (path[0] != '/' && path[0] != '@') || (pl = strlen(path)) >= sizeof(sa.sun_path))
		return;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, pl);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + pl);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, MSG_NOSIGNAL,
	    (struct sockaddr *)&sa, sl);
	close(fd);
}

int64_t
notify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	long v, p;

	/* sd_watchdog_enabled(3): WATCHDOG_PID, when set, must name us (a
	 * child started with our environment is not the watched process). */
	if (pid != NULL && (kv_parse_long(pid, 1, LONG_MAX, &p) != KV_OK || (pid_t)p != getpid()))
		return 0;
	if (usec == NULL || kv_parse_long(usec, 1, LONG_MAX, &v) != KV_OK)
		return 0;
	return (int64_t)v;
}
