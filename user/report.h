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

#include "xdprelay.h"

struct xr_report_seen {
	uint64_t packets;
	uint64_t bytes;
};

struct xr_reporter {
	int fd;				/* /dev/xdprelay, -1: closed */
	bool warned;
	const struct xdprelay_tx *tx;	/* xr_tx, mmapped */
	struct xr_report_seen *seen;	/* xr_tx as last reported */
};

int xr_reporter_init(struct xr_reporter *rp, const struct xdprelay_tx *tx);
void xr_reporter_fini(struct xr_reporter *rp);

/*
 * Opens the device when it is closed and the module is loaded; the
 * module then hears of what is sent from now on.  Returns true when open.
 */
bool xr_reporter_open(struct xr_reporter *rp);

/* What xr_tx counted since the last report, all streams in one call. */
void xr_report_tx(struct xr_reporter *rp);

/*
 * Adds @packets[id] and @bytes[id] of streams 1 .. XDPRELAY_MAX_STREAMS - 1
 * to the module's rx counters and clears what it reported.  Returns 0, or
 * -errno with the counts kept for the next call.
 */
int xr_report_rx(struct xr_reporter *rp, uint64_t *packets,
		 uint64_t *bytes);

#endif /* XR_REPORT_H */
