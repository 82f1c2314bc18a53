/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AF_XDP relay: the body of `xdprelayctl run`.
 */
#ifndef XR_RELAY_H
#define XR_RELAY_H

#include <signal.h>
#include <stdbool.h>

enum relay_backend {
	RELAY_BACKEND_AUTO,	/* AF_XDP where the program is attached, else socket */
	RELAY_BACKEND_XDP,
	RELAY_BACKEND_SOCKET,
};

enum relay_mode {
	RELAY_MODE_AUTO,	/* zero-copy where the drivers can, else copy */
	RELAY_MODE_ZEROCOPY,	/* zero-copy or fail */
	RELAY_MODE_COPY,
};

#define RELAY_DEFAULT_FRAMES	4096	/* UMEM frames per queue */
#define RELAY_MIN_FRAMES	512
#define RELAY_MAX_FRAMES	(1U << 20)
#define RELAY_DEFAULT_BATCH	64	/* descriptors per ring operation */
#define RELAY_MAX_BATCH		256

/*
 * Written while the relay runs, removed when it exits; plain key=value
 * lines for `xdprelayctl status`:
 *   pid=1234
 *   ingress=eth0
 *   egress=eth1
 *   queues=2
 *   queue.0.mode=zerocopy		(or copy)
 *   queue.1.mode=copy
 *   busy_poll=0
 */

struct relay_config {
	const char *ingress;	/* where the XDP program is attached */
	const char *egress;	/* where frames leave; may be the ingress */
	enum relay_backend backend;
	/* RX queues served, from 0 up; 0: all combined/RX channels. */
	unsigned int queues;
	enum relay_mode mode;
	bool busy_poll;		/* SO_PREFER_BUSY_POLL and friends */
	unsigned int frames;	/* UMEM frames per queue; 0: default */
	unsigned int batch;	/* 0: default */
	int verbose;		/* 0: the usual lines; 1 and up: more */
	/*
	 * Called from the main thread on SIGHUP, before the relay re-reads
	 * the streams, subscribers and routes; non-zero means it failed
	 * (the relay says so and keeps running).  May be NULL.
	 */
	int (*reload)(void *arg);
	void *reload_arg;
};

/*
 * Run until SIGTERM or SIGINT.  Returns 0 after a clean stop (every frame
 * accounted for), 1 on failure, after printing what failed and how to fix
 * it.  SIGINT, SIGTERM and SIGHUP are blocked in the calling thread while
 * it runs and restored when it returns.
 */
/*
 * SIGINT, SIGTERM and SIGHUP are read from *@sfd (a signalfd) by the main
 * thread of either backend, never delivered: block them before starting
 * workers, unblock when they are gone.
 */
int relay_signals_block(int *sfd, sigset_t *oldmask);
void relay_signals_unblock(int sfd, const sigset_t *oldmask);

/*
 * Write xr_status_file() for xdprelayctl status: the pid, interfaces and
 * @mode(@arg, q) of each of @nq queues.  Returns 0, or -1 with a warning.
 */
int relay_status_write(const char *ingress, const char *egress,
		       unsigned int nq, const char *(*mode)(void *, unsigned int),
		       void *arg, bool busy_poll);

int relay_run(const struct relay_config *cfg);

/* "auto", "zerocopy", "copy": 0, or -EINVAL. */
int relay_mode_parse(const char *s, enum relay_mode *mode);
const char *relay_mode_name(enum relay_mode mode);

#endif /* XR_RELAY_H */
