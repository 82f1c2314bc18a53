/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The relay's control plane, shared by every data path: the state of
 * `xdprelayctl run` (struct relay), what control.c does with it (streams,
 * subscribers, next hops, groups, reports, the main loop) and what
 * signals.c does for it (signals, SIGHUP reloads, the status file, the
 * egress's link, the program on the ingress).  The paths (backend.h) read
 * this state; only the main thread writes it, except where it says.
 */
#ifndef XR_CONTROL_H
#define XR_CONTROL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "relay.h"
#include "report.h"
#include "state.h"
#include "watch.h"

/* How often the main loop runs when nothing wakes it. */
#define XR_TICK_MS		100

/* A stream's setting published for the workers: XR_CTL_KNOWN | port. */
#define XR_CTL_KNOWN		(1U << 16)

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

/*
 * Whether the egress can send: up, with a carrier.  A veth whose peer is
 * down, or a NIC without a link, takes frames and drops them without a
 * word to the sender: the paths count them as tx_errors instead of
 * sending.  The main thread checks it every pass, says when it changes,
 * and the workers read @up.
 */
struct relay_egress {
	bool up;
	bool known;
};

/* A membership of a stream's group on the ingress (or its VLAN device). */
struct relay_group {
	int fd;
	uint16_t family;
	uint16_t vlan;
	uint8_t group[16];
	bool warned;
};

/*
 * The direct path, as the control plane keeps it (direct.c): per stream,
 * the path it runs and why, and the xr_direct entry it wrote.
 */
#define XR_WHY_LEN		160

enum relay_run_path {
	RELAY_RUNS_NONE,	/* no such stream */
	RELAY_RUNS_AFXDP,
	RELAY_RUNS_DIRECT,
	RELAY_RUNS_SOCKET,
};

struct relay_direct_stream {
	uint8_t runs;		/* enum relay_run_path */
	bool installed;		/* xr_direct holds @cur */
	struct xdprelay_direct cur;
	struct xdprelay_direct *fan;	/* the set @cur names (cur.tc) */
	uint16_t fan_n[2];	/* xr_fanout sets, per generation */
	uint64_t flipped;	/* when the generation last changed, ms */
	char why[XR_WHY_LEN];
};

struct relay_direct {
	bool ok;		/* the egress takes XDP redirects */
	bool known;		/* @ok has been found out */
	char why[XR_WHY_LEN];	/* why not, when not */
	/* The fan-out TC program on the ingress, or why not. */
	bool tc_ok;
	uint32_t tc_prog;
	char tc_why[XR_WHY_LEN];
	char tc_note[256];		/* a warning that goes with it */
	struct xdprelay_direct *set;	/* scratch: XDPRELAY_MAX_SUBS */
	struct xr_tpl_set *tpls;	/* scratch */
	uint64_t next_probe;
	/* What the entries were last made from; @dirty: a stream changed. */
	bool dirty;
	uint32_t ngen;
	bool up;
	bool changed;		/* a stream's path changed: status again */
	bool taken_over;	/* entries of an earlier relay were found */
	struct relay_direct_stream *s;	/* by stream id */
	/* --direct-cpus: a stream is handed to cpu[id % ncpus]. */
	uint16_t *cpu;
	unsigned int ncpus;
	bool *want;		/* by CPU: has an xr_cpus entry */
};

struct relay {
	const struct relay_config *cfg;
	const struct xr_backend *be;
	/*
	 * Beside the AF_XDP path, the socket path, for the streams that ask
	 * for it (path socket); NULL where @be is the socket path itself.
	 * The control plane calls both.
	 */
	const struct xr_backend *beside;
	void *priv;			/* the AF_XDP path's own state */
	void *sock;			/* the socket path's */
	struct xr_state st;
	bool st_open;
	int ingress_ifindex;
	int egress_ifindex;
	uint8_t egress_mac[6];
	struct xr_neigh *neigh;		/* the subscribers' next hops */

	/* Published for the workers. */
	uint32_t ctl[XDPRELAY_MAX_STREAMS];
	uint32_t cgen;			/* bumped when ctl[] changes */
	struct relay_egress egress;

	/* The main thread's. */
	struct xdprelay_info *info;	/* xr_info, as last read */
	struct xdprelay_subs *subs;	/* xr_subs, as last read */
	uint32_t *subs_seen;
	uint32_t *apply_seq;		/* to publish as applied; 0: none */
	uint64_t *apply_by;		/* and at the latest then, in ms */
	int apply_pending;
	int neigh_pending;
	struct relay_group *groups;
	struct xr_reporter rep;
	int sfd;			/* SIGINT, SIGTERM, SIGHUP */
	struct relay_reload reload;
	bool status_written;
	struct relay_direct direct;
	struct relay_watch watch;
};

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t relay_now_ms(void);

/* signals.c */

/*
 * SIGINT, SIGTERM and SIGHUP are blocked in the calling thread (and the
 * threads it starts) and read from *@sfd; relay_signals_unblock() puts the
 * mask of @oldmask back.
 */
int relay_signals_block(int *sfd, sigset_t *oldmask);
void relay_signals_unblock(int sfd, const sigset_t *oldmask);

/*
 * True when SIGINT or SIGTERM waits on the signalfd, without taking it:
 * set-up steps that take a while give up early on it, and the main loop
 * then reads it and stops cleanly.
 */
bool relay_stop_pending(void);

void relay_reload_request(struct relay_reload *rl);
/*
 * From the main loop: true when a reload ended since the last call, and
 * the streams and subscribers are to be read again.
 */
bool relay_reload_poll(struct relay_reload *rl);
/* At stop: no more waiting for next hops, and the thread joined. */
void relay_reload_stop(struct relay_reload *rl);

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
 * Writes xr_status_file() for xdprelayctl status: the pid, interfaces and
 * the path's mode of each queue.  Written to a new file beside it and
 * renamed over it, so that no reader sees half of it and no link planted
 * at its name is followed.  Returns 0, or -errno with a warning.
 */
int relay_status_write(const struct relay *r);

bool relay_egress_check(struct relay_egress *e, const char *ifname);

/* direct.c */

/*
 * Set-up: whether the egress takes redirects, and the
 * xr_direct entries a previous relay left, taken over as they are.
 */
int relay_direct_setup(struct relay *r);
/*
 * Every pass of the main loop, when a stream, the neighbour table or the
 * egress changed (and once a second regardless): each stream's path
 * decided again, and its xr_direct entry made what the subscribers, their
 * next hops and the egress say now.  An entry is written only when it
 * changes.
 */
void relay_direct_sync(struct relay *r, uint64_t now_ms);
/*
 * At stop, direct streams stay: the program goes on relaying them while
 * no relay runs, as the last one left them.
 */
void relay_direct_fini(struct relay *r);
const char *relay_runs_str(unsigned int runs);

#endif /* XR_CONTROL_H */
