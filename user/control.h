/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What both backends of `xdprelayctl run` share: signals, the status file
 * and SIGHUP reloads.  relay_run() (control.c) blocks the signals before
 * anything else, picks the backend and runs it.
 */
#ifndef XR_CONTROL_H
#define XR_CONTROL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "relay.h"

/* The backends: run until a SIGINT or SIGTERM read from @sfd. */
int xsk_relay_run(const struct relay_config *cfg, int sfd);
int sock_relay_run(const struct relay_config *cfg, int sfd);

/*
 * True when SIGINT or SIGTERM waits on the signalfd, without taking it:
 * set-up steps that take a while give up early on it, and the main loop
 * then reads it and stops cleanly.
 */
bool relay_stop_pending(void);

/*
 * Whether xdprelay's program, the one that uses the pinned xr_xsks, is
 * attached to @ingress (directly or behind libxdp's dispatcher): 0, or
 * -errno with the reason in @why.  *@skb_mode, when not NULL, tells
 * whether it runs in generic mode.
 */
int relay_program_check(const char *ingress, char *why, size_t len,
			bool *skb_mode);

/*
 * Fails with -EBUSY, after saying so, when another live relay owns the
 * status file: one relay per run directory.
 */
int relay_status_check_owner(void);

/*
 * Write xr_status_file() for xdprelayctl status: the pid, interfaces and
 * @mode(@arg, q) of each of @nq queues.  Written to a new file beside it
 * and renamed over it, so that no reader sees half of it and no link
 * planted at its name is followed.  Returns 0, or -errno with a warning.
 */
int relay_status_write(const char *ingress, const char *egress,
		       unsigned int nq, const char *(*mode)(void *, unsigned int),
		       void *arg, bool busy_poll);

/*
 * A SIGHUP reload runs cfg->reload in a thread of its own, so that the
 * main thread goes on with signals, next hops and counters meanwhile: the
 * reload waits for this very relay to resolve the next hops of the
 * streams it adds, as any xdprelayctl does.  A SIGHUP during a reload
 * runs another one after it.
 */
struct relay_reload {
	const struct relay_config *cfg;
	pthread_t thread;
	bool running;		/* started, not joined */
	bool again;		/* SIGHUP while running */
	bool rescan;		/* SIGHUP without a config file */
	int done;		/* set by the thread as it ends */
	int ret;
};

void relay_reload_request(struct relay_reload *rl);
/*
 * From the main loop: true when a reload ended since the last call, and
 * the backend should read the streams and subscribers again.
 */
bool relay_reload_poll(struct relay_reload *rl);
/* At stop: no more waiting for next hops, and the thread joined. */
void relay_reload_stop(struct relay_reload *rl);

/*
 * Whether the egress can send: up, with a carrier.  A veth whose peer is
 * down, or a NIC without a link, takes frames and drops them without a
 * word to the sender: the relay counts them as tx_errors instead of
 * sending.  The main thread checks it every tick, says when it changes,
 * and the workers read @up.
 */
struct relay_egress {
	bool up;
	bool known;
};

bool relay_egress_check(struct relay_egress *e, const char *ifname);

#endif /* XR_CONTROL_H */
