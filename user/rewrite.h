/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Header rewrite of a relayed frame: pure functions on a byte buffer, no
 * state, no allocation, so the data path and the unit tests share them.
 */
#ifndef XR_REWRITE_H
#define XR_REWRITE_H

#include <stdint.h>

#define XR_ETH_HLEN		14
#define XR_VLAN_HLEN		4
#define XR_MAX_VLAN		2
#define XR_DEFAULT_TTL		64

/* What xr_parse() found in a frame. */
struct xr_pkt {
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint16_t l3_off;	/* IP header, from the frame start */
	uint16_t l4_off;	/* UDP header, from the frame start */
	uint16_t ip_len;	/* IP header and payload, link padding not */
};

/* One subscriber's headers: everything a rewritten frame carries. */
struct xr_tpl {
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	uint16_t family;	/* AF_INET or AF_INET6 */
	uint8_t ttl;		/* IPv4 TTL or IPv6 hop limit */
	uint8_t pad;
	/* Network byte order; 0: the datagram's destination port. */
	uint16_t sport;
	uint16_t dport;		/* network byte order */
	uint8_t saddr[16];	/* IPv4 in the first 4 bytes */
	uint8_t daddr[16];
	uint16_t slot;		/* the subscriber's counters (xr_slots) */
	uint16_t pad2;
};

/*
 * Parse Ethernet, up to XR_MAX_VLAN VLAN tags, IPv4 (options included) or
 * IPv6 without extension headers, and UDP.  Every length is checked
 * against @len.  Returns 0, or -EINVAL for a frame that is not a complete,
 * unfragmented UDP datagram.
 */
int xr_parse(const void *frame, uint32_t len, struct xr_pkt *p);

/*
 * Rewrite the frame parsed into @p for subscriber @t, in place: a new
 * Ethernet header without VLAN tags right before the IP header, addresses,
 * ports and TTL from @t, IPv4 header checksum and UDP checksum updated
 * incrementally (RFC 1624); an IPv4 UDP checksum of zero stays zero.
 * @t->family must be @p->family.  Returns the offset at which the
 * rewritten frame now starts; it is xr_out_len(@p) bytes long.
 */
uint32_t xr_rewrite(void *frame, const struct xr_pkt *p,
		    const struct xr_tpl *t);

static inline uint32_t xr_out_len(const struct xr_pkt *p)
{
	return XR_ETH_HLEN + p->ip_len;
}

/* Internet checksum helpers (RFC 1071), exported for the tests. */
uint32_t xr_csum_add(uint32_t sum, const void *buf, uint32_t len);
uint16_t xr_csum_fold(uint32_t sum);

#endif /* XR_REWRITE_H */
