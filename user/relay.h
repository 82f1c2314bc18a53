/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The relay: the body of `xdprelayctl run`, with its AF_XDP and socket
 * backends.
 */
#ifndef XR_RELAY_H
#define XR_RELAY_H

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
 *   direct_cpus=2,3		(with --direct-cpus)
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
	/*
	 * A CPU list: the direct path's rewrite and send run there, handed
	 * over from the receiving CPU through a cpumap; NULL: where the
	 * packet arrives.
	 */
	const char *direct_cpus;
	int verbose;		/* 0: the usual lines; 1 and up: more */
	/* Seconds without a packet before a stream is said to be silent. */
	unsigned int silence_s;
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
 * accounted for), or -errno after printing what failed and how to fix it.
 * SIGINT, SIGTERM and SIGHUP are blocked in the calling thread while it
 * runs, from its first step, and restored when it returns.
 */
int relay_run(const struct relay_config *cfg);

#endif /* XR_RELAY_H */
