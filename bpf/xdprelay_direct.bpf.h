/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The direct path's maps, header rewrite and send, shared by the XDP
 * program (xdprelay.bpf.c) and the programs the relay loads itself
 * (xdprelay_tc.bpf.c: fan-out on TC, the cpumap's stage): all pin the
 * maps by name, so that they meet the same ones.
 */
#ifndef _XDPRELAY_DIRECT_BPF_H
#define _XDPRELAY_DIRECT_BPF_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdprelay.h"

/* Not in the uapi headers. */
#define XR_AF_INET		2
#define XR_AF_INET6		10

/*
 * Streams on the direct path.  Without preallocation, an update puts a
 * new element in and frees the old one after an RCU grace period, so that
 * the program never reads a header half written.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_direct);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_direct SEC(".maps");

/* The subscribers of fan-out streams, as xr_direct says. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, XDPRELAY_FANOUT_ENTRIES);
	__type(key, struct xdprelay_fkey);
	__type(value, struct xdprelay_fset);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_fanout SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_dtx);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_dtx SEC(".maps");

/* Per subscriber, at the row its entry names (struct xdprelay_slot). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPRELAY_SLOTS);
	__type(key, __u32);
	__type(value, struct xdprelay_subtx);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_subtx SEC(".maps");

/* What the direct path counts in xr_dtx. */
enum xr_tx_field {
	XR_TX_SENT,		/* packets and bytes */
	XR_TX_ERRORS,
	XR_TX_NO_NEIGH,
	XR_TX_HANDED,		/* to another CPU */
	XR_TX_ARRIVED,		/* there */
};

static __always_inline void tx_row(__u32 row, enum xr_tx_field f,
				   __u32 bytes)
{
	struct xdprelay_dtx *tx = bpf_map_lookup_elem(&xr_dtx, &row);

	if (!tx)
		return;
	switch (f) {
	case XR_TX_SENT:
		tx->packets++;
		tx->bytes += bytes;
		break;
	case XR_TX_ERRORS:
		tx->tx_errors++;
		break;
	case XR_TX_NO_NEIGH:
		tx->no_neigh++;
		break;
	case XR_TX_HANDED:
		tx->handed++;
		break;
	case XR_TX_ARRIVED:
		tx->arrived++;
		break;
	}
}

/*
 * With xdprelay.ko, what is sent is counted there too, where /sys shows
 * it, whether a relay runs or not.
 */
static __always_inline void tx_count(__u32 id, enum xr_tx_field f,
				     __u32 bytes)
{
	tx_row(id, f, bytes);
	tx_row(0, f, bytes);
#ifdef XDPRELAY_KFUNC
	if (f == XR_TX_SENT)
		xdprelay_sent(id, bytes);
#endif
}

/*
 * The same for the subscriber whose entry is @e, in the stream's row and
 * in the subscriber's own (sent, errors, no_neigh only): xr_subtx, and
 * with xdprelay.ko its row there.
 */
static __always_inline void sub_count(__u32 id,
				      const struct xdprelay_direct *e,
				      enum xr_tx_field f, __u32 bytes)
{
	struct xdprelay_subtx *st;
	__u32 slot = e->slot, event;

	tx_count(id, f, bytes);
	if (!slot)
		return;
	st = bpf_map_lookup_elem(&xr_subtx, &slot);
	if (!st)
		return;
	switch (f) {
	case XR_TX_SENT:
		st->packets++;
		st->bytes += bytes;
		event = XDPRELAY_SUB_SENT;
		break;
	case XR_TX_ERRORS:
		st->tx_errors++;
		event = XDPRELAY_SUB_ERROR;
		break;
	case XR_TX_NO_NEIGH:
		st->no_neigh++;
		event = XDPRELAY_SUB_NO_NEIGH;
		break;
	default:
		return;
	}
#ifdef XDPRELAY_KFUNC
	xdprelay_sub_count(slot, event, bytes);
#else
	(void)event;
#endif
}

/*
 * Incremental checksum update (RFC 1624, eqn. 3): the one's-complement
 * sum of ~old + new over 16-bit words, in whatever byte order they are
 * stored, added to ~check.
 */
static __always_inline __u32 csum_delta(__u32 sum, const __u16 *old,
					const __u16 *new, int words)
{
	int i;

#pragma unroll
	for (i = 0; i < words; i++)
		sum += (__u16)~old[i] + (__u32)new[i];
	return sum;
}

static __always_inline __u16 csum_update(__u16 check, __u32 delta)
{
	__u32 sum = (__u16)~check + delta;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * Ports, UDP checksum; @delta holds the pseudo-header's change.  With
 * @l4, the change of the UDP header's own sum goes there, for an skb
 * whose checksum covers the whole packet (CHECKSUM_COMPLETE).
 */
static __always_inline void rewrite_udp(struct udphdr *udp,
					const struct xdprelay_direct *d,
					__u32 delta, __u32 *l4)
{
	__u16 old[3], check;

	old[0] = udp->source;
	old[1] = udp->dest;
	old[2] = udp->check;
	udp->source = d->sport;
	udp->dest = d->dport;
	/* Zero over IPv4: the sender computed none (RFC 768); keep it so. */
	if (udp->check) {
		delta = csum_delta(delta, old, &udp->source, 2);
		check = csum_update(udp->check, delta);
		udp->check = check ? check : 0xffff;
	}
	if (l4)
		*l4 = csum_delta(0, old, &udp->source, 3);
}

static __always_inline int rewrite_ipv4(void *data, void *data_end,
					const struct xdprelay_direct *d,
					__u32 *l4)
{
	struct iphdr *iph = data + sizeof(struct ethhdr);
	__u16 old_ttl, old_addrs[4];
	struct udphdr *udp;
	__u32 delta;

	if ((void *)(iph + 1) > data_end)
		return -1;
	udp = (void *)iph + (iph->ihl & 0xf) * 4;
	if ((void *)(udp + 1) > data_end)
		return -1;

	old_ttl = *((__u16 *)iph + 4);		/* TTL and protocol */
	__builtin_memcpy(old_addrs, &iph->saddr, sizeof(old_addrs));
	iph->ttl = d->ttl;
	__builtin_memcpy(&iph->saddr, d->saddr, 4);
	__builtin_memcpy(&iph->daddr, d->daddr, 4);

	delta = csum_delta(0, old_addrs, (__u16 *)&iph->saddr, 4);
	rewrite_udp(udp, d, delta, l4);
	delta = csum_delta(delta, &old_ttl, (__u16 *)iph + 4, 1);
	iph->check = csum_update(iph->check, delta);
	return 0;
}

static __always_inline int rewrite_ipv6(void *data, void *data_end,
					const struct xdprelay_direct *d,
					__u32 *l4)
{
	struct ipv6hdr *ip6h = data + sizeof(struct ethhdr);
	struct udphdr *udp = (void *)(ip6h + 1);
	__u16 old_addrs[16];
	__u32 delta;

	if ((void *)(udp + 1) > data_end)
		return -1;

	__builtin_memcpy(old_addrs, &ip6h->saddr, sizeof(old_addrs));
	ip6h->hop_limit = d->ttl;
	__builtin_memcpy(&ip6h->saddr, d->saddr, 16);
	__builtin_memcpy(&ip6h->daddr, d->daddr, 16);

	delta = csum_delta(0, old_addrs, (__u16 *)&ip6h->saddr, 16);
	rewrite_udp(udp, d, delta, l4);
	return 0;
}

/*
 * A fan-out frame, rewritten for its first subscriber, goes to the stack
 * with the set in front; the TC program on this ingress takes it there
 * (it sends and counts every copy).  Without room for the metadata no
 * copy can be sent: it is dropped, and counted as a tx error.
 */
static __always_inline int fanout_pass(struct xdp_md *ctx, __u32 id,
				       const struct xdprelay_direct *d)
{
	struct xdprelay_fmeta *m;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		goto drop;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		goto drop;
	m->stream_id = id;
	m->gen = d->gen;
	m->nr = d->nr;
	m->magic = XDPRELAY_FMETA_MAGIC;
	return XDP_PASS;
drop:
	tx_count(id, XR_TX_ERRORS, 0);
	return XDP_DROP;
}

/*
 * Send a frame of stream @id as its entry @d says: with an Ethernet
 * header of its own (no VLAN tag), without link padding, to the egress
 * in @d; or, for a fan-out, with the first subscriber's header and the
 * set to send it to in front, to the TC program through the stack.  The
 * parser found the IP header of @family at @l3_off and @ip_len bytes of
 * datagram.  Returns the XDP action.
 */
static __always_inline int direct_send(struct xdp_md *ctx, __u32 id,
				       const struct xdprelay_direct *d,
				       __u32 family, __u32 l3_off,
				       __u32 ip_len)
{
	__u32 bytes = ctx->data_end - ctx->data;
	__u32 out_len = sizeof(struct ethhdr) + ip_len;
	void *data, *data_end;
	struct ethhdr *eth;
	int err, act;

	if (d->tc)
		goto rewrite;
	if (d->state == XDPRELAY_DIRECT_NO_NEIGH) {
		sub_count(id, d, XR_TX_NO_NEIGH, 0);
		return XDP_DROP;
	}
	if (d->state != XDPRELAY_DIRECT_SEND)
		goto tx_error;
rewrite:
	if (d->family != family || l3_off < sizeof(struct ethhdr) ||
	    l3_off + ip_len > bytes)
		goto tx_error;

	if (bytes > l3_off + ip_len &&
	    bpf_xdp_adjust_tail(ctx, -(int)(bytes - l3_off - ip_len)))
		goto tx_error;
	if (l3_off > sizeof(struct ethhdr) &&
	    bpf_xdp_adjust_head(ctx, l3_off - sizeof(struct ethhdr)))
		goto tx_error;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		goto tx_error;
	if (d->family == XR_AF_INET) {
		err = rewrite_ipv4(data, data_end, d, NULL);
		eth->h_proto = bpf_htons(ETH_P_IP);
	} else {
		err = rewrite_ipv6(data, data_end, d, NULL);
		eth->h_proto = bpf_htons(ETH_P_IPV6);
	}
	if (err)
		goto tx_error;
	__builtin_memcpy(eth->h_dest, d->eth_dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, d->eth_src, ETH_ALEN);
	if (d->tc)
		return fanout_pass(ctx, id, d);

	/*
	 * A redirect to a device by index takes the same bulk queue as
	 * one through a devmap, without a map whose pin libbpf 1.1 cannot
	 * reuse (the kernel adds BPF_F_RDONLY_PROG to a devmap's flags).
	 */
	act = bpf_redirect(d->ifindex, 0);
	if (act != XDP_REDIRECT)
		goto tx_error;
	sub_count(id, d, XR_TX_SENT, out_len);
	return XDP_REDIRECT;

tx_error:
	/* A fan-out's copies are counted by the TC program. */
	if (d->tc)
		tx_count(id, XR_TX_ERRORS, 0);
	else
		sub_count(id, d, XR_TX_ERRORS, 0);
	return XDP_DROP;
}

#endif /* _XDPRELAY_DIRECT_BPF_H */
