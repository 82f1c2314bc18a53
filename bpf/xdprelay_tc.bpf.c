// SPDX-License-Identifier: GPL-2.0
/*
 * The programs the relay loads itself, beside xdprelay's XDP program: the
 * fan-out TC program and the cpumap's program.
 *
 * xdprelay_fanout is attached to clsact ingress of the interface that
 * carries xdprelay's XDP program.
 *
 * The XDP program hands a fan-out stream's frame to the stack rewritten
 * for the stream's first subscriber, with a struct xdprelay_fmeta in
 * front.  Here, before the stack looks at it, the frame is sent once to
 * each subscriber of that generation in xr_fanout, as a clone, the
 * headers rewritten in between (a clone's data is shared until then, so
 * each rewrite makes the headers private first); then the frame is
 * consumed.  A clone is transmitted at once, so that what the egress
 * refuses (a veth whose peer's ring is full, a device that is down) is
 * known here and counted: what is sent, or cannot be, is counted in
 * xr_dtx, exactly, and in the subscriber's row of xr_subtx.  Every other
 * packet goes on untouched.
 *
 * xdprelay_cpu runs on the CPUs of the cpumap xr_cpus, each in the
 * kernel thread of its entry, on the frames that the XDP program handed
 * there with a struct xdprelay_hmeta in front: it does what the XDP
 * program would have done on the receiving CPU (direct_send()), from the
 * stream's entry as it is now.  A fan-out frame goes on to the stack from
 * here, and the TC program sends its copies on this CPU too.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "xdprelay.h"
#include "xdprelay_direct.bpf.h"

struct fan {
	struct __sk_buff *skb;
	__u32 id;
	__u32 gen;
	__u32 nr;
};

/*
 * Headers for subscriber @e, from whatever subscriber's the frame has.
 * Returns 0, or -1 when the frame cannot be made to carry them.
 */
static __always_inline int retarget(struct __sk_buff *skb,
				    const struct xdprelay_direct *e)
{
	void *data, *data_end;
	struct ethhdr *eth;
	__u32 l4 = 0;
	int err;

	/* A clone shares the data: make the headers this skb's own. */
	if (bpf_skb_pull_data(skb, 0))
		return -1;
	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	if (e->family == XR_AF_INET)
		err = rewrite_ipv4(data, data_end, e, &l4);
	else
		err = rewrite_ipv6(data, data_end, e, &l4);
	if (err)
		return -1;
	__builtin_memcpy(eth->h_dest, e->eth_dst, ETH_ALEN);
	__builtin_memcpy(eth->h_source, e->eth_src, ETH_ALEN);
	/*
	 * A sum over the whole packet (CHECKSUM_COMPLETE) follows the UDP
	 * header; the IP header's sum does not change.  Any other kind of
	 * skb refuses, and needs nothing.
	 */
	l4 = (l4 & 0xffff) + (l4 >> 16);
	bpf_csum_update(skb, l4);
	return 0;
}

/* Subscriber @i, whose entry is @e: one copy sent, or counted as not. */
static __always_inline void send_one(struct fan *f, __u32 i,
				     const struct xdprelay_direct *e)
{
	__u32 len;

	if (e->state == XDPRELAY_DIRECT_NO_NEIGH) {
		sub_count(f->id, e, XR_TX_NO_NEIGH, 0);
		return;
	}
	if (e->state != XDPRELAY_DIRECT_SEND) {
		sub_count(f->id, e, XR_TX_ERRORS, 0);
		return;
	}
	/* Subscriber 0's header is the one the XDP program wrote. */
	if (i && retarget(f->skb, e)) {
		sub_count(f->id, e, XR_TX_ERRORS, 0);
		return;
	}
	len = f->skb->len;
	if (bpf_clone_redirect(f->skb, e->ifindex, 0))
		sub_count(f->id, e, XR_TX_ERRORS, 0);
	else
		sub_count(f->id, e, XR_TX_SENT, len);
}

/* The subscribers of set @c: one lookup, then a copy to each. */
static long send_set(__u64 c, void *arg)
{
	struct xdprelay_fkey key;
	struct xdprelay_fset *set;
	struct fan *f = arg;
	__u32 i, j;

	key.id = f->id;
	key.gen = f->gen;
	key.chunk = c;
	set = bpf_map_lookup_elem(&xr_fanout, &key);
	for (j = 0; j < XDPRELAY_FSET_SUBS; j++) {
		i = c * XDPRELAY_FSET_SUBS + j;
		if (i >= f->nr)
			return 1;
		/* Not in the map: it is being replaced, against the rules. */
		if (!set)
			tx_count(f->id, XR_TX_ERRORS, 0);
		else
			send_one(f, i, &set->sub[j]);
	}
	return 0;
}

SEC("tc")
int xdprelay_fanout(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	struct xdprelay_fmeta *m = (void *)(long)skb->data_meta;
	struct fan f = { .skb = skb };

	if ((void *)(m + 1) > data || m->magic != XDPRELAY_FMETA_MAGIC)
		return TC_ACT_OK;
	f.id = m->stream_id;
	f.gen = m->gen;
	f.nr = m->nr;
	if (!f.id || f.id >= XDPRELAY_MAX_STREAMS)
		return TC_ACT_STOLEN;
	if (f.nr > XDPRELAY_MAX_SUBS)
		f.nr = XDPRELAY_MAX_SUBS;

	bpf_loop((f.nr + XDPRELAY_FSET_SUBS - 1) / XDPRELAY_FSET_SUBS,
		 send_set, &f, 0);
	/* Every copy has gone, or been counted: this one is done with. */
	return TC_ACT_STOLEN;
}

SEC("xdp/cpumap")
int xdprelay_cpu(struct xdp_md *ctx)
{
	struct xdprelay_hmeta *m = (void *)(long)ctx->data_meta;
	struct xdprelay_direct *d;
	__u32 id, family, l3_off, ip_len;

	if ((void *)(m + 1) > (void *)(long)ctx->data ||
	    m->magic != XDPRELAY_HMETA_MAGIC)
		return XDP_PASS;
	id = m->stream_id;
	family = m->family;
	l3_off = m->l3_off;
	ip_len = m->ip_len;
	if (!id || id >= XDPRELAY_MAX_STREAMS)
		return XDP_DROP;
	tx_count(id, XR_TX_ARRIVED, 0);
	if (bpf_xdp_adjust_meta(ctx, sizeof(*m))) {
		tx_count(id, XR_TX_ERRORS, 0);
		return XDP_DROP;
	}
	d = bpf_map_lookup_elem(&xr_direct, &id);
	if (!d) {
		/* Counted as direct on the receiving CPU, and gone since. */
		tx_count(id, XR_TX_ERRORS, 0);
		return XDP_DROP;
	}
	return direct_send(ctx, id, d, family, l3_off, ip_len);
}

char _license[] SEC("license") = "GPL";
