// SPDX-License-Identifier: GPL-2.0
/*
 * Header rewrite and incremental checksums for relayed frames.
 *
 * Checksums are summed over 16-bit words as they lie in memory: the one's
 * complement sum is the same in either byte order as long as every operand
 * is taken the same way, so nothing is byte-swapped here.  Loads and stores
 * go through memcpy because the IP header of a frame behind an odd number
 * of VLAN tags, or at an AF_XDP headroom offset, is not 4-byte aligned.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "rewrite.h"

#define XR_ETH_P_IP		0x0800
#define XR_ETH_P_IPV6		0x86dd
#define XR_ETH_P_8021Q		0x8100
#define XR_ETH_P_8021AD		0x88a8

#define XR_IPV4_HLEN		20
#define XR_IPV6_HLEN		40
#define XR_UDP_HLEN		8
#define XR_IP_MF		0x2000
#define XR_IP_OFFSET		0x1fff

/* Offsets inside the headers. */
#define XR_IPV4_TTL		8	/* TTL and protocol: one 16-bit word */
#define XR_IPV4_CSUM		10
#define XR_IPV4_ADDRS		12	/* saddr then daddr */
#define XR_IPV6_HOPLIMIT	7
#define XR_IPV6_ADDRS		8
#define XR_UDP_LEN		4
#define XR_UDP_CSUM		6

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

uint32_t xr_csum_add(uint32_t sum, const void *buf, uint32_t len)
{
	const uint8_t *p = buf;
	uint64_t acc = sum;
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += get16(p + i);
	if (len & 1) {
		/* The odd byte is the first of a word padded with zero. */
		uint8_t last[2] = { p[len - 1], 0 };

		acc += get16(last);
	}
	while (acc >> 32)
		acc = (acc & 0xffffffff) + (acc >> 32);
	return acc;
}

uint16_t xr_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/*
 * Add, for each 16-bit word of a field, the complement of its old value and
 * its new value: RFC 1624 eqn. 3 without the outer complements.
 */
static uint32_t csum_diff(uint32_t acc, const uint8_t *old,
			  const uint8_t *new, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i += 2) {
		acc += (uint16_t)~get16(old + i);
		acc += get16(new + i);
	}
	return acc;
}

/* HC' = ~(~HC + sum(~m) + sum(m')), given acc = sum(~m) + sum(m'). */
static inline uint16_t csum_update(uint16_t check, uint32_t acc)
{
	return ~xr_csum_fold(acc + (uint16_t)~check);
}

static int parse_udp(const uint8_t *f, uint32_t ip_payload, struct xr_pkt *p)
{
	uint16_t ulen = ntohs(get16(f + p->l4_off + XR_UDP_LEN));

	if (ip_payload < XR_UDP_HLEN || ulen < XR_UDP_HLEN ||
	    ulen > ip_payload)
		return -EINVAL;
	return 0;
}

static int parse_ipv4(const uint8_t *f, uint32_t len, struct xr_pkt *p)
{
	const uint8_t *ip = f + p->l3_off;
	uint32_t hlen, tot_len;

	if ((uint32_t)p->l3_off + XR_IPV4_HLEN > len || (ip[0] >> 4) != 4)
		return -EINVAL;
	hlen = (ip[0] & 0xf) * 4;
	tot_len = ntohs(get16(ip + 2));
	if (hlen < XR_IPV4_HLEN || tot_len < hlen + XR_UDP_HLEN ||
	    p->l3_off + tot_len > len)
		return -EINVAL;
	if (ntohs(get16(ip + 6)) & (XR_IP_MF | XR_IP_OFFSET))
		return -EINVAL;
	if (ip[9] != IPPROTO_UDP)
		return -EINVAL;
	p->family = AF_INET;
	p->l4_off = p->l3_off + hlen;
	p->ip_len = tot_len;
	return parse_udp(f, tot_len - hlen, p);
}

static int parse_ipv6(const uint8_t *f, uint32_t len, struct xr_pkt *p)
{
	const uint8_t *ip = f + p->l3_off;
	uint32_t plen;

	if ((uint32_t)p->l3_off + XR_IPV6_HLEN > len || (ip[0] >> 4) != 6)
		return -EINVAL;
	plen = ntohs(get16(ip + 4));
	if (p->l3_off + XR_IPV6_HLEN + plen > len || ip[6] != IPPROTO_UDP)
		return -EINVAL;
	p->family = AF_INET6;
	p->l4_off = p->l3_off + XR_IPV6_HLEN;
	p->ip_len = XR_IPV6_HLEN + plen;
	return parse_udp(f, plen, p);
}

int xr_parse(const void *frame, uint32_t len, struct xr_pkt *p)
{
	const uint8_t *f = frame;
	uint32_t off = XR_ETH_HLEN - 2;	/* the EtherType */
	uint16_t proto;
	int i;

	if (len < XR_ETH_HLEN || len > UINT16_MAX)
		return -EINVAL;
	proto = ntohs(get16(f + off));
	for (i = 0; i < XR_MAX_VLAN; i++) {
		if (proto != XR_ETH_P_8021Q && proto != XR_ETH_P_8021AD)
			break;
		off += XR_VLAN_HLEN;
		if (off + 2 > len)
			return -EINVAL;
		proto = ntohs(get16(f + off));
	}
	p->l3_off = off + 2;

	if (proto == XR_ETH_P_IP)
		return parse_ipv4(f, len, p);
	if (proto == XR_ETH_P_IPV6)
		return parse_ipv6(f, len, p);
	return -EINVAL;
}

static void rewrite_ipv4(uint8_t *f, const struct xr_pkt *p,
			 const struct xr_tpl *t)
{
	uint8_t *ip = f + p->l3_off, *udp = f + p->l4_off;
	uint8_t old_addrs[8], new_addrs[8], old_ports[4];
	uint8_t old_ttl[2], new_ttl[2];
	uint16_t check;
	uint32_t acc;

	memcpy(old_addrs, ip + XR_IPV4_ADDRS, sizeof(old_addrs));
	memcpy(new_addrs, t->saddr, 4);
	memcpy(new_addrs + 4, t->daddr, 4);
	memcpy(old_ttl, ip + XR_IPV4_TTL, sizeof(old_ttl));
	new_ttl[0] = t->ttl;
	new_ttl[1] = old_ttl[1];

	acc = csum_diff(0, old_ttl, new_ttl, sizeof(old_ttl));
	acc = csum_diff(acc, old_addrs, new_addrs, sizeof(old_addrs));
	check = get16(ip + XR_IPV4_CSUM);
	put16(ip + XR_IPV4_CSUM, csum_update(check, acc));
	memcpy(ip + XR_IPV4_TTL, new_ttl, sizeof(new_ttl));
	memcpy(ip + XR_IPV4_ADDRS, new_addrs, sizeof(new_addrs));

	memcpy(old_ports, udp, sizeof(old_ports));
	put16(udp, t->sport ? t->sport : get16(old_ports + 2));
	put16(udp + 2, t->dport);
	check = get16(udp + XR_UDP_CSUM);
	/* Zero: the sender computed no checksum (RFC 768); keep it so. */
	if (!check)
		return;
	acc = csum_diff(0, old_addrs, new_addrs, sizeof(old_addrs));
	acc = csum_diff(acc, old_ports, udp, sizeof(old_ports));
	check = csum_update(check, acc);
	put16(udp + XR_UDP_CSUM, check ? check : 0xffff);
}

/* Only for a datagram that arrived without its mandatory checksum. */
static uint16_t udp6_csum_full(const uint8_t *ip, const uint8_t *udp)
{
	uint16_t ulen = ntohs(get16(udp + XR_UDP_LEN));
	uint16_t pseudo[2] = { htons(ulen), htons(IPPROTO_UDP) };
	uint16_t check;
	uint32_t sum;

	sum = xr_csum_add(0, ip + XR_IPV6_ADDRS, 32);
	sum = xr_csum_add(sum, pseudo, sizeof(pseudo));
	sum = xr_csum_add(sum, udp, ulen);
	check = ~xr_csum_fold(sum);
	return check ? check : 0xffff;
}

static void rewrite_ipv6(uint8_t *f, const struct xr_pkt *p,
			 const struct xr_tpl *t)
{
	uint8_t *ip = f + p->l3_off, *udp = f + p->l4_off;
	uint8_t old_addrs[32], old_ports[4];
	uint16_t check;
	uint32_t acc;

	memcpy(old_addrs, ip + XR_IPV6_ADDRS, sizeof(old_addrs));
	memcpy(ip + XR_IPV6_ADDRS, t->saddr, 16);
	memcpy(ip + XR_IPV6_ADDRS + 16, t->daddr, 16);
	ip[XR_IPV6_HOPLIMIT] = t->ttl;

	memcpy(old_ports, udp, sizeof(old_ports));
	put16(udp, t->sport ? t->sport : get16(old_ports + 2));
	put16(udp + 2, t->dport);
	check = get16(udp + XR_UDP_CSUM);
	if (!check) {
		/* Invalid over IPv6 (RFC 8200): never forward it so. */
		put16(udp + XR_UDP_CSUM, udp6_csum_full(ip, udp));
		return;
	}
	acc = csum_diff(0, old_addrs, ip + XR_IPV6_ADDRS, sizeof(old_addrs));
	acc = csum_diff(acc, old_ports, udp, sizeof(old_ports));
	check = csum_update(check, acc);
	put16(udp + XR_UDP_CSUM, check ? check : 0xffff);
}

uint32_t xr_rewrite(void *frame, const struct xr_pkt *p,
		    const struct xr_tpl *t)
{
	uint8_t *f = frame;
	uint32_t start = p->l3_off - XR_ETH_HLEN;
	uint8_t *eth = f + start;

	if (p->family == AF_INET)
		rewrite_ipv4(f, p, t);
	else
		rewrite_ipv6(f, p, t);

	/* VLAN tags, if any, are left behind in front of the new header. */
	memcpy(eth, t->eth_dst, 6);
	memcpy(eth + 6, t->eth_src, 6);
	put16(eth + 12, htons(p->family == AF_INET ? XR_ETH_P_IP :
						     XR_ETH_P_IPV6));
	return start;
}
