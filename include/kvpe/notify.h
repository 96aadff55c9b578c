/* notify.h — the agent's side of systemd's sd_notify protocol (the tool), in
 * a few lines (no libsystemd): a datagram to $NOTIFY_SOCKET.  A no-op when
 * the variable is unset. */
#ifndef KVPE_NOTIFY_H
#define KVPE_NOTIFY_H

#include "kvpe/common.h"

/* e.g. "READY=1", "STATUS=…", "WATCHDOG=1", "STOPPING=1", "RELOADING=1". */
void notify_send(const char *fmt, ...) KV_PRINTF(1, 2);

/* The watchdog interval systemd expects "WATCHDOG=1" within, in
 * microseconds, as sd_watchdog_enabled(3) reads it: WATCHDOG_USEC, when
 * WATCHDOG_PID is unset or names this process.  0 when there is none. */
int64_t notify_watchdog_usec(void);

#endif
