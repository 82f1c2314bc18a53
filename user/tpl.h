/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-subscriber header templates: what a relayed frame carries for each
 * subscriber of a stream whose next hop is resolved, built from the
 * subscriber list, the neighbour table and the stream's settings.  The
 * AF_XDP path rewrites frames with them.
 */
#ifndef XR_TPL_H
#define XR_TPL_H

#include <stdint.h>

#include "xdprelay.h"
#include "rewrite.h"

struct xr_neigh;

struct xr_tpl_set {
	uint16_t n[2];		/* resolved subscribers, IPv4 and IPv6 */
	uint16_t no_neigh[2];	/* the others, not relayed to */
	struct xr_tpl tpl[XDPRELAY_MAX_SUBS];	/* IPv4 first, then IPv6 */
	/* The others' rows of counters, IPv4 first, then IPv6. */
	uint16_t no_neigh_slot[XDPRELAY_MAX_SUBS];
};

/*
 * Templates for the subscribers of @subs whose next hop @n has resolved,
 * sent from @egress_mac with the settings @ctl (control.h's XR_CTL_KNOWN
 * and source port): none until the stream's settings are known.
 */
void xr_tpl_build(const struct xr_neigh *n, const uint8_t *egress_mac,
		  uint32_t ctl, const struct xdprelay_subs *subs,
		  struct xr_tpl_set *set);

#endif /* XR_TPL_H */
