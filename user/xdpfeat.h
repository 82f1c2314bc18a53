/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a network device says it can do with XDP: the netdev generic
 * netlink family's xdp-features (Linux 6.3 and later).
 */
#ifndef XR_XDPFEAT_H
#define XR_XDPFEAT_H

#include <stdint.h>

/* NETDEV_XDP_ACT_* of linux/netdev.h, which older uapi headers lack. */
#define XR_XDP_ACT_BASIC		(1ULL << 0)
#define XR_XDP_ACT_REDIRECT		(1ULL << 1)
#define XR_XDP_ACT_NDO_XMIT		(1ULL << 2)
#define XR_XDP_ACT_XSK_ZEROCOPY		(1ULL << 3)

/*
 * The xdp-features of @ifindex in the caller's network namespace: 0 with
 * *@features set, -EOPNOTSUPP when the kernel has no netdev family, or
 * -errno.
 */
int xr_xdp_features(int ifindex, uint64_t *features);

/*
 * How many transmit queues the stack has on @ifindex, an interface that
 * is up, in the caller's network namespace: the netdev family's queues
 * (Linux 6.8 and later), which leave out those a driver keeps for XDP.
 * 0 with *@ntx set, -EOPNOTSUPP when the kernel cannot say, or -errno.
 */
int xr_stack_tx_queues(int ifindex, unsigned int *ntx);

#endif /* XR_XDPFEAT_H */
