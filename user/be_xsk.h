/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AF_XDP path's own state, shared by its two files: be_xsk.c (set-up,
 * workers, XSKMAP, stop and the frame audit) and xsk_path.c (the hot loop
 * a worker runs).
 */
#ifndef XR_BE_XSK_H
#define XR_BE_XSK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "control.h"
#include "rewrite.h"
#include "tpl.h"
#include "xsk.h"

#define XR_IDLE_POLL_MS		100
#define XR_TX_POLL_MS		1	/* while frames are on their way */
#define XR_TX_RETRIES		4	/* waits for room on a full TX ring */
#define XR_STOP_GRACE_MS	20	/* redirects already under way */
#define XR_STOP_DRAIN_MS	1000	/* completions still outstanding */

struct acc {
	uint64_t packets;
	uint64_t bytes;
	uint64_t copies;
	uint64_t tx_errors;
	uint64_t no_neigh;
};

struct out_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t stream;
	uint16_t slot;		/* the subscriber's row in xr_slots */
};

/*
 * Bytes of a frame that a rewrite changes: Ethernet, two VLAN tags, an
 * IPv4 header with options, UDP.
 */
#define XR_STASH_LEN	96
_Static_assert(XR_ETH_HLEN + XR_MAX_VLAN * XR_VLAN_HLEN + 60 + 8 <=
	       XR_STASH_LEN, "the stash holds every header xr_parse() takes");

/*
 * A frame relayed to several subscribers where the kernel copies what it
 * sends: rewritten for one subscriber per round, its headers restored in
 * between, so that no payload is copied.
 */
struct fan {
	uint64_t addr;
	const struct xr_tpl *tpl;	/* the stream cache's, cnt of them */
	struct xr_pkt p;
	uint32_t stream;
	uint16_t cnt;
	uint16_t hlen;
	uint8_t stash[XR_STASH_LEN];	/* the headers as received */
};

/* A worker's view of one stream: the resolved subscribers' headers. */
struct stream_cache {
	bool valid;
	uint32_t seq;		/* of the xr_subs entry copied */
	uint32_t ngen;		/* neighbour table generation */
	uint32_t cgen;		/* stream settings generation */
	struct xr_tpl_set set;
	struct xdprelay_subs subs;
};

struct xsk_relay;

struct worker {
	struct relay *r;
	struct xsk_relay *xr;
	unsigned int queue;
	int cpu;
	pthread_t thread;
	bool started;
	bool registered;	/* in xr_xsks */
	struct xr_xsk x;
	int zc_err;		/* why zero-copy was not had, in auto mode */
	const char *zc_failed;

	uint32_t ngen, cgen;
	struct stream_cache *cache;	/* by stream id */
	struct acc *acc;		/* by stream id, this batch */
	uint8_t *dirty;
	uint16_t *dirty_ids;
	uint32_t ndirty;
	struct acc acc0;		/* no stream: bad metadata */
	/* The same per subscriber, by row of xr_slots. */
	struct xdprelay_subtx *sacc;
	uint8_t *sdirty;
	uint16_t *sdirty_ids;
	uint32_t nsdirty;
	struct out_desc *out;
	struct fan *fan;		/* this batch's, up to xr->batch */
	uint32_t nfan;

	/*
	 * Busy polling: whether the kernel has a NAPI instance to poll for
	 * the ingress socket (SO_INCOMING_NAPI_ID, known once a frame came).
	 */
	bool napi_known;
	bool napi_polled;

	struct xdprelay_queue *qrow;	/* its row of xr_queues, or NULL */
	uint64_t rx_packets;
	uint64_t bad_meta;
	uint64_t malformed;
	int err;		/* what stopped the worker early */
	int done;
};

struct xsk_relay {
	unsigned int nq;
	unsigned int batch;
	unsigned int frames;
	unsigned int frame_size;
	unsigned int ring_size;
	unsigned int reserve;	/* free frames kept back for copies */
	struct worker *w;
	bool started;		/* the workers, once: the audit means something */
	int stop;		/* read by the workers */
	uint64_t xsk_drops;	/* the kernel's, as last added to xr_tx */
};

/* xsk_path.c: what a worker runs, its argument a struct worker. */
void *xsk_worker_main(void *arg);

#endif /* XR_BE_XSK_H */
