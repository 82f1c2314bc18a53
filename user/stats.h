/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdprelayctl stats: per-stream and global counters as a table, JSON or
 * Prometheus text, once or every few seconds.
 */
#ifndef XR_STATS_H
#define XR_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "params.h"

struct xr_stats_cfg {
	const char *name;	/* one stream, or NULL: all */
	uint32_t watch;		/* seconds between redraws; 0: once */
	uint32_t count;		/* redraws with --watch; 0: no end */
	bool subscribers;	/* the plain view's subscriber table */
	bool queues;		/* the plain view's queue table */
	bool json;
	bool prometheus;
};

extern const struct xr_opt xr_stats_opts[];
int xr_stats_cmd(void *cfg);

#endif /* XR_STATS_H */
