// SPDX-License-Identifier: GPL-2.0
/*
 * Per-subscriber header templates (tpl.h).  A frame of one family goes to
 * subscribers of the same: the CLI refuses the others, and they are
 * skipped here too.
 */
#include <string.h>
#include <sys/socket.h>

#include "control.h"
#include "neigh.h"
#include "tpl.h"

void xr_tpl_build(const struct xr_neigh *n, const uint8_t *egress_mac,
		  uint32_t ctl, const struct xdprelay_subs *subs,
		  struct xr_tpl_set *set)
{
	static const int families[2] = { AF_INET, AF_INET6 };
	uint32_t nr = subs->nr, j, fi, t = 0, nn = 0;

	if (nr > XDPRELAY_MAX_SUBS)
		nr = XDPRELAY_MAX_SUBS;
	memset(set->n, 0, sizeof(set->n));
	memset(set->no_neigh, 0, sizeof(set->no_neigh));

	for (fi = 0; fi < 2; fi++) {
		for (j = 0; j < nr; j++) {
			const struct xdprelay_endpoint *ep = &subs->sub[j];
			struct xr_tpl *tp = &set->tpl[t];
			struct xr_nh nh;

			if (ep->family != families[fi])
				continue;
			if (!(ctl & XR_CTL_KNOWN) ||
			    !xr_neigh_lookup(n, ep->family, ep->addr, &nh) ||
			    nh.state != XR_NH_OK) {
				set->no_neigh[fi]++;
				set->no_neigh_slot[nn++] = subs->slot[j];
				continue;
			}
			memset(tp, 0, sizeof(*tp));
			memcpy(tp->eth_dst, nh.mac, 6);
			memcpy(tp->eth_src, egress_mac, 6);
			tp->family = ep->family;
			tp->ttl = XR_DEFAULT_TTL;
			tp->sport = ctl & 0xffff;
			tp->dport = ep->port;
			memcpy(tp->saddr, nh.src, 16);
			memcpy(tp->daddr, ep->addr, 16);
			tp->slot = subs->slot[j];
			set->n[fi]++;
			t++;
		}
	}
}
