// SPDX-License-Identifier: GPL-2.0
/*
 * xdprelay XDP steering program.
 *
 * Parses Ethernet (up to two VLAN tags), IPv4 or IPv6 and UDP, looks the
 * destination up in xr_streams (with the VLAN id of the innermost tag, a
 * stream of that VLAN first, then one of any VLAN) and hands matched
 * packets to the AF_XDP socket of the receive queue, with the stream id in
 * front of the frame as XDP metadata.  A stream on the direct path
 * (xr_direct) it relays itself: headers rewritten from the relay's
 * template, the frame redirected to the egress, or handed to the fan-out
 * TC program; so too a stream whose entry stands by, while its queue has
 * no AF_XDP socket.  Where the relay asks for it, that work is done on
 * another CPU: the frame is handed there through a cpumap.  A stream on
 * the relay's socket path goes to the stack, past the policer, for the
 * relay's UDP socket there.
 * Everything it cannot parse cleanly, every IP fragment and every packet
 * that is not a stream goes to the stack untouched.
 *
 * Built twice from this source: with XDPRELAY_KFUNC the counters live in
 * xdprelay.ko and are bumped through its kfunc; without it they live in the
 * per-CPU array xr_counters, for hosts that cannot load the module.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xdprelay.h"
#include "xdprelay_direct.bpf.h"

/* Not in the uapi headers. */
#define XR_IP_MF		0x2000
#define XR_IP_OFFSET		0x1fff

/* Tags beyond this many are not parsed: the packet is not a stream. */
#define XR_MAX_VLAN		2

/* The parser's answer when the packet is a candidate for a stream. */
#define XR_CANDIDATE		0

struct xr_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* What the parser hands to the stream lookup. */
struct xr_pkt {
	struct xdprelay_key key;	/* vlan: of the innermost tag */
	__u32 saddr[4];		/* laid out like xdprelay_stream.src_addr */
	__u32 ip_payload;	/* bytes the IP header says follow it */
	__u32 udp_len;		/* UDP length field, host order */
	__u32 l3_off;		/* IP header, from the frame's start */
	__u32 ip_hlen;		/* IP header length */
	__u16 udp_check;	/* UDP checksum as received */
};

#define XR_VLAN_VID_MASK	0x0fff

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, struct xdprelay_key);
	__type(value, struct xdprelay_stream);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_streams SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XDPRELAY_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_policer);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_policers SEC(".maps");

/*
 * Not used by the program: defined here so that whoever loads it (ip link
 * or xdprelayctl attach) creates and pins the control plane's state too.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_subs);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_subs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XDPRELAY_SLOTS);
	__type(key, __u32);
	__type(value, struct xdprelay_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_tx);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XDPRELAY_MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct xdprelay_queue);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_queues SEC(".maps");

#include "xdprelay_health.bpf.h"

/* The CPUs the direct path hands frames to, with xdprelay_cpu on each. */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, XDPRELAY_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_cpus SEC(".maps");

#ifndef XDPRELAY_KFUNC
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_counters);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_counters SEC(".maps");

static __always_inline void count_row(__u32 row, __u32 outcome, __u32 bytes)
{
	struct xdprelay_counters *c;

	c = bpf_map_lookup_elem(&xr_counters, &row);
	if (!c)
		return;
	c->c[XDPRELAY_RX_PACKETS]++;
	c->c[XDPRELAY_RX_BYTES] += bytes;
	c->c[outcome]++;
}
#endif

/*
 * Count one packet against the global row and, when it belongs to a
 * stream, against the stream's row: the same contract as the module's
 * xdprelay_account().
 */
static __always_inline void account(__u32 stream, __u32 outcome, __u32 bytes)
{
#ifdef XDPRELAY_KFUNC
	xdprelay_account(stream, outcome, bytes);
#else
	if (outcome < XDPRELAY_FIRST_OUTCOME ||
	    outcome > XDPRELAY_LAST_OUTCOME ||
	    stream >= XDPRELAY_MAX_STREAMS)
		return;
	count_row(0, outcome, bytes);
	if (stream)
		count_row(stream, outcome, bytes);
#endif
}

/*
 * A 16-bit length from the packet, for pointer arithmetic.  Verifiers
 * before 6.13 drop the bounds of a byte-swapped register; the mask, kept
 * by the compiler behind the barrier, gives them back.
 */
static __always_inline __u32 pkt_len16(__be16 v)
{
	__u32 len = bpf_ntohs(v);

	asm volatile("" : "+r"(len));
	return len & 0xffff;
}

static __always_inline int parse_udp(void *udp_start, void *data_end,
				     struct xr_pkt *pkt)
{
	struct udphdr *udp = udp_start;

	if ((void *)(udp + 1) > data_end ||
	    pkt->ip_payload < sizeof(*udp))
		return XDPRELAY_MALFORMED;
	pkt->key.ep.port = udp->dest;
	pkt->udp_len = bpf_ntohs(udp->len);
	pkt->udp_check = udp->check;
	return XR_CANDIDATE;
}

static __always_inline int parse_ipv4(void *pos, void *data_end,
				      struct xr_pkt *pkt)
{
	struct iphdr *iph = pos;
	__u32 hlen, tot_len;

	if ((void *)(iph + 1) > data_end)
		return XDPRELAY_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return XDPRELAY_MALFORMED;
	hlen = iph->ihl * 4;
	if (pos + hlen > data_end)
		return XDPRELAY_MALFORMED;
	tot_len = pkt_len16(iph->tot_len);
	/* Bytes after the datagram are link padding; missing ones are not. */
	if (tot_len < hlen || pos + tot_len > data_end)
		return XDPRELAY_MALFORMED;
	if (iph->frag_off & bpf_htons(XR_IP_MF | XR_IP_OFFSET))
		return XDPRELAY_FRAGMENTS;
	if (iph->protocol != IPPROTO_UDP)
		return XDPRELAY_UNMATCHED;

	pkt->key.ep.family = XR_AF_INET;
	__builtin_memcpy(pkt->key.ep.addr, &iph->daddr, sizeof(iph->daddr));
	pkt->saddr[0] = iph->saddr;
	pkt->ip_payload = tot_len - hlen;
	pkt->ip_hlen = hlen;
	return parse_udp(pos + hlen, data_end, pkt);
}

static __always_inline int parse_ipv6(void *pos, void *data_end,
				      struct xr_pkt *pkt)
{
	struct ipv6hdr *ip6h = pos;
	__u32 payload_len;

	if ((void *)(ip6h + 1) > data_end)
		return XDPRELAY_MALFORMED;
	if (ip6h->version != 6)
		return XDPRELAY_MALFORMED;
	payload_len = pkt_len16(ip6h->payload_len);
	if ((void *)(ip6h + 1) + payload_len > data_end)
		return XDPRELAY_MALFORMED;
	if (ip6h->nexthdr == IPPROTO_FRAGMENT)
		return XDPRELAY_FRAGMENTS;
	/* Streams carry no extension headers; anything else is not ours. */
	if (ip6h->nexthdr != IPPROTO_UDP)
		return XDPRELAY_UNMATCHED;

	pkt->key.ep.family = XR_AF_INET6;
	__builtin_memcpy(pkt->key.ep.addr, &ip6h->daddr, sizeof(ip6h->daddr));
	__builtin_memcpy(pkt->saddr, &ip6h->saddr, sizeof(ip6h->saddr));
	pkt->ip_payload = payload_len;
	pkt->ip_hlen = sizeof(*ip6h);
	return parse_udp(ip6h + 1, data_end, pkt);
}

/*
 * Returns XR_CANDIDATE with @pkt filled in for a complete UDP header over
 * IPv4 or IPv6, otherwise the outcome to count.
 */
static __always_inline int parse(void *data, void *data_end,
				 struct xr_pkt *pkt)
{
	struct ethhdr *eth = data;
	void *pos = eth + 1;
	__be16 h_proto;
	int i;

	if (pos > data_end)
		return XDPRELAY_MALFORMED;
	h_proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < XR_MAX_VLAN; i++) {
		struct xr_vlan_hdr *vh = pos;

		if (h_proto != bpf_htons(ETH_P_8021Q) &&
		    h_proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return XDPRELAY_MALFORMED;
		h_proto = vh->proto;
		pkt->key.vlan = bpf_ntohs(vh->tci) & XR_VLAN_VID_MASK;
		pos = vh + 1;
	}

	pkt->l3_off = pos - data;
	if (h_proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(pos, data_end, pkt);
	if (h_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(pos, data_end, pkt);
	/* Non-IP, and a third VLAN tag. */
	return XDPRELAY_UNMATCHED;
}

static __always_inline int src_allowed(const struct xdprelay_stream *s,
				       const struct xr_pkt *pkt)
{
	__u32 addr[4], mask[4];
	int i;

	if (!(s->flags & XDPRELAY_F_SRC_FILTER))
		return 1;
	__builtin_memcpy(addr, s->src_addr, sizeof(addr));
	__builtin_memcpy(mask, s->src_mask, sizeof(mask));
#pragma unroll
	for (i = 0; i < 4; i++)
		if ((pkt->saddr[i] & mask[i]) != addr[i])
			return 0;
	return 1;
}

/*
 * The stream's token bucket (xdprelay_police()).  Returns 1 when the
 * packet is within the rate, 0 when it is over.
 */
static __always_inline int police(__u32 id, const struct xdprelay_stream *s)
{
	struct xdprelay_policer *p;
	__u64 now;
	int ok;

	if (!s->rate_pps)
		return 1;
	p = bpf_map_lookup_elem(&xr_policers, &id);
	if (!p)
		return 1;
	/* No helper may run under the lock. */
	now = bpf_ktime_get_ns();

	bpf_spin_lock(&p->lock);
	ok = xdprelay_police(&p->credit, &p->last_ns, now, s->rate_pps,
			     s->burst);
	bpf_spin_unlock(&p->lock);

	return ok;
}

/*
 * Hand the frame to CPU d->cpu, with what the parser found in front, for
 * the cpumap's program to rewrite and send it there.  Returns 1 when it
 * went, 0 when it stays here (no entry for that CPU in xr_cpus, or no
 * room for the metadata), as it came.
 */
static __always_inline int handoff(struct xdp_md *ctx, __u32 id,
				   const struct xdprelay_direct *d,
				   const struct xr_pkt *pkt)
{
	struct xdprelay_hmeta *m;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return 0;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data)
		goto stay;
	m->stream_id = id;
	m->l3_off = pkt->l3_off;
	m->ip_len = pkt->ip_hlen + pkt->ip_payload;
	m->family = pkt->key.ep.family;
	m->pad = 0;
	m->magic = XDPRELAY_HMETA_MAGIC;
	if (bpf_redirect_map(&xr_cpus, d->cpu, XDP_PASS) == XDP_REDIRECT)
		return 1;
stay:
	bpf_xdp_adjust_meta(ctx, sizeof(*m));
	return 0;
}

/*
 * The direct path: the frame is relayed as the entry @d says, here or,
 * with d->handoff, on another CPU (xdprelay_cpu in xdprelay_tc.bpf.c).
 * Returns the XDP action.
 */
static __always_inline int relay_direct(struct xdp_md *ctx, __u32 id,
					const struct xdprelay_direct *d,
					const struct xr_pkt *pkt, __u32 bytes)
{
	/*
	 * IPv6 makes the checksum mandatory (RFC 8200) and an update needs
	 * a valid one: the stack gets the datagram, and drops it.
	 */
	if (pkt->key.ep.family == XR_AF_INET6 && !pkt->udp_check) {
		account(id, XDPRELAY_MALFORMED, bytes);
		return XDP_PASS;
	}
	account(id, XDPRELAY_DIRECT, bytes);
	if (d->handoff && handoff(ctx, id, d, pkt)) {
		tx_count(id, XR_TX_HANDED, 0);
		return XDP_REDIRECT;
	}
	return direct_send(ctx, id, d, pkt->key.ep.family, pkt->l3_off,
			   pkt->ip_hlen + pkt->ip_payload);
}

SEC("xdp")
int xdprelay_rx(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 bytes = data_end - data;
	struct xdprelay_direct *d;
	struct xdprelay_stream *s;
	struct xdprelay_meta *meta;
	struct xr_pkt pkt = {};
	__u32 outcome, id, afxdp;
	int act;

	outcome = parse(data, data_end, &pkt);
	if (outcome != XR_CANDIDATE) {
		account(0, outcome, bytes);
		return XDP_PASS;
	}

	/* A stream of the frame's VLAN first, then one of any VLAN. */
	s = bpf_map_lookup_elem(&xr_streams, &pkt.key);
	if (!s && pkt.key.vlan) {
		pkt.key.vlan = 0;
		s = bpf_map_lookup_elem(&xr_streams, &pkt.key);
	}
	if (!s) {
		account(0, XDPRELAY_UNMATCHED, bytes);
		return XDP_PASS;
	}
	id = s->id;
	/* The table is written by user space: a bad id is no stream. */
	if (!id || id >= XDPRELAY_MAX_STREAMS) {
		account(0, XDPRELAY_UNMATCHED, bytes);
		return XDP_PASS;
	}

	if (pkt.udp_len < sizeof(struct udphdr) ||
	    pkt.udp_len > pkt.ip_payload) {
		account(id, XDPRELAY_MALFORMED, bytes);
		return XDP_PASS;
	}
	if (!src_allowed(s, &pkt)) {
		account(id, XDPRELAY_SRC_REFUSED, bytes);
		return XDP_PASS;
	}
	xdprelay_health(ctx, id,
			(s->flags & XDPRELAY_F_CHECK_MASK) >>
			XDPRELAY_F_CHECK_SHIFT,
			pkt.l3_off + pkt.ip_hlen + sizeof(struct udphdr),
			pkt.udp_len - sizeof(struct udphdr));
	if (!police(id, s)) {
		account(id, XDPRELAY_POLICED, bytes);
		return XDP_DROP;
	}
	if (s->flags & XDPRELAY_F_STACK) {
		account(id, XDPRELAY_SOCKET, bytes);
		return XDP_PASS;
	}

	afxdp = s->flags & XDPRELAY_F_AFXDP;
	d = NULL;
	if (!afxdp) {
		d = bpf_map_lookup_elem(&xr_direct, &id);
		if (d && !d->standby)
			return relay_direct(ctx, id, d, &pkt, bytes);
	}

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta))) {
		account(id, XDPRELAY_PASS_NO_META, bytes);
		return XDP_PASS;
	}
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > (void *)(long)ctx->data) {
		bpf_xdp_adjust_meta(ctx, sizeof(*meta));
		account(id, XDPRELAY_PASS_NO_META, bytes);
		return XDP_PASS;
	}
	meta->stream_id = id;
	meta->magic = XDPRELAY_META_MAGIC;

	act = bpf_redirect_map(&xr_xsks, ctx->rx_queue_index, XDP_PASS);
	if (act == XDP_REDIRECT) {
		account(id, XDPRELAY_REDIRECTED, bytes);
		return XDP_REDIRECT;
	}
	/*
	 * No socket on this queue: the kernel relays the stream while the
	 * relay is away, if it can, else the stack gets the frame as it
	 * came.
	 */
	bpf_xdp_adjust_meta(ctx, sizeof(*meta));
	if (afxdp)
		d = bpf_map_lookup_elem(&xr_direct, &id);
	if (d)
		return relay_direct(ctx, id, d, &pkt, bytes);
	account(id, XDPRELAY_PASS_NO_SOCKET, bytes);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
