/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counts a relay reports to xdprelay.ko through /dev/xdprelay: what it
 * sent (both backends), and what it received where no XDP program
 * counted it (the socket backend).
 */
#ifndef XR_REPORT_H
#define XR_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/bpf.h>

#include "state.h"
#include "xdprelay.h"

struct xr_report_seen {
	uint64_t packets;
	uint64_t bytes;
};

/* A subscriber's row of xr_slots, as last reported. */
struct xr_report_sub {
	uint32_t gen;
	uint64_t c[4];		/* packets, bytes, tx_errors, no_neigh */
};

struct xr_reporter {
	int fd;				/* /dev/xdprelay, -1: closed */
	bool warned;
	struct xr_state *st;
	struct xr_report_seen *seen;	/* what was sent, as last reported */
	bool *direct;			/* by id: xr_dtx counts too */
	struct xr_report_sub *subs;	/* by row of xr_slots */
};

int xr_reporter_init(struct xr_reporter *rp, struct xr_state *st);
void xr_reporter_fini(struct xr_reporter *rp);

/*
 * Opens the device when it is closed and the module is loaded; the
 * module then hears of what is sent from now on.  Returns true when open.
 */
bool xr_reporter_open(struct xr_reporter *rp);

/*
 * What was sent since the last report, all streams in one call: xr_tx,
 * and xr_dtx for the streams that have been on the direct path; and, with
 * the program that counts through the module, what the relay sent to each
 * subscriber (xr_slots; the programs count theirs there themselves).
 */
void xr_report_tx(struct xr_reporter *rp);

/*
 * Stream @id is on the direct path: what the program sends of it counts
 * from now on.  Reading xr_dtx costs a syscall: only these streams pay.
 */
void xr_report_direct(struct xr_reporter *rp, uint32_t id);

/*
 * What the socket backend received of a stream, by what became of it:
 * taken to be relayed, over the stream's rate, from a refused source.
 */
enum xr_rx_kind {
	XR_RX_TAKEN,
	XR_RX_POLICED,
	XR_RX_SRC_REFUSED,
	XR_RX_KINDS,
};

struct xr_rx_count {
	uint64_t packets[XR_RX_KINDS];
	uint64_t bytes[XR_RX_KINDS];
};

/* The counter each kind counts under besides rx_packets and rx_bytes. */
extern const uint32_t xr_rx_outcome[XR_RX_KINDS];

/*
 * Adds what @c[id] holds, for streams 1 .. XDPRELAY_MAX_STREAMS - 1, to
 * the module's rx counters and outcome counters, and clears what it
 * reported.  Returns 0, or -errno with the counts kept for the next call.
 */
int xr_report_rx(struct xr_reporter *rp, struct xr_rx_count *c);

#endif /* XR_REPORT_H */
