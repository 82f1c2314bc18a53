/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between the relay's control plane (control.c) and its data
 * paths.  A path is a struct xr_backend; only control.c lists them, and a
 * path includes this header and control.h, never another path.
 *
 * The control plane owns the streams, the subscribers and their next
 * hops, the multicast memberships, the reports to the module, the status
 * file and the signals; it calls a path (and the one beside it, the
 * socket path beside AF_XDP, for the streams that ask for it) at these
 * points:
 *
 *   setup	the pinned state is open: check what the path needs, make
 *		its sockets; start nothing yet
 *   start	the subscribers' next hops are resolved where quick: start
 *		the workers, let the packets in
 *   stream_changed, subs_changed
 *		a stream's record (xr_info) or subscriber list (xr_subs)
 *		changed, from the main thread, as read there
 *   tick	every pass of the main loop (at least every 100 ms): the
 *		path's own housekeeping; returns how soon it wants the next
 *		pass, in ms
 *   check	0, or -errno when a worker stopped on its own: the relay
 *		stops
 *   queues, queue_mode
 *		for the status file
 *   stop	the relay stops: no new packet in, the workers joined, their
 *		counters flushed
 *   teardown	everything closed; non-zero when a frame was not accounted
 *		for
 */
#ifndef XR_BACKEND_H
#define XR_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/bpf.h>	/* struct bpf_spin_lock, for xdprelay.h */

#include "xdprelay.h"

struct relay;

struct xr_backend {
	const char *name;
	/*
	 * The control plane holds a membership of each stream's group on
	 * the ingress: the AF_XDP path has no socket of its own there.
	 */
	bool joins_groups;
	/*
	 * The path runs beside the xdprelay program on the ingress, so
	 * that streams can take the direct path (direct.c).
	 */
	bool direct;
	int (*setup)(struct relay *r);
	int (*start)(struct relay *r);
	void (*stream_changed)(struct relay *r, uint32_t id,
			       const struct xdprelay_info *info);
	void (*subs_changed)(struct relay *r, uint32_t id,
			     const struct xdprelay_subs *subs);
	int (*tick)(struct relay *r, uint64_t now_ms);
	int (*check)(struct relay *r);
	unsigned int (*queues)(const struct relay *r);
	const char *(*queue_mode)(const struct relay *r, unsigned int q);
	void (*stop)(struct relay *r);
	int (*teardown)(struct relay *r);
};

extern const struct xr_backend xr_backend_xsk;
extern const struct xr_backend xr_backend_sock;

#endif /* XR_BACKEND_H */
