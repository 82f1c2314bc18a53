/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket backend of `xdprelayctl run`: the same streams, subscribers
 * and counters as the AF_XDP relay, over ordinary UDP sockets.
 */
#ifndef XR_SOCKRELAY_H
#define XR_SOCKRELAY_H

#include <stdbool.h>
#include <stddef.h>

#include "relay.h"

/*
 * Whether the AF_XDP backend can run on @ingress: xr_xsks is pinned and
 * an XDP program using it is attached.  When not, @why says why.
 */
bool sock_relay_xdp_usable(const char *ingress, char *why, size_t len);

/* As relay_run(), with recvmmsg/sendmmsg. */
int sock_relay_run(const struct relay_config *cfg);

#endif /* XR_SOCKRELAY_H */
