// SPDX-License-Identifier: GPL-2.0
/*
 * The bench's packet sink: attached to the sink's interface (and, for the
 * ceiling, to the relay's ingress), it counts every UDP/IPv4 packet and its
 * bytes per CPU and drops it, compares every BENCH_CHECK_EVERY-th payload
 * byte for byte with the bench pattern (either format of bench.h), and
 * files the one-way latency of timestamped packets into a log-linear
 * histogram.  XDP runs before anything else on the receive path, so the
 * count is exact and costs the sender's CPU tens of nanoseconds per
 * packet, the same for every relay.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench.h"

/* iproute2 pins maps with this pinning under /sys/fs/bpf/tc/globals. */
#define PIN_BY_NAME	1

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BC_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, PIN_BY_NAME);
} xb_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BENCH_LAT_BUCKETS);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, PIN_BY_NAME);
} xb_latency SEC(".maps");

static __always_inline void count(__u32 key, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&xb_counters, &key);

	if (v)
		*v += n;
}

static __always_inline __u32 ilog2(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

static __always_inline __u32 lat_bucket(__u64 ns)
{
	__u32 e;

	if (ns < BENCH_SUB)
		return ns;
	e = ilog2(ns);
	if (e > BENCH_MAX_LOG2)
		return BENCH_LAT_BUCKETS - 1;
	return BENCH_SUB + (e - BENCH_SUB_BITS) * BENCH_SUB +
	       ((ns >> (e - BENCH_SUB_BITS)) & (BENCH_SUB - 1));
}

static __always_inline void file_latency(__u64 sent)
{
	__u64 now = bpf_ktime_get_ns(), *v;
	__u32 b;

	/* A stamp from the future is a corrupt one: count it as such. */
	if (sent > now) {
		count(BC_BAD_MAGIC, 1);
		return;
	}
	b = lat_bucket(now - sent);
	v = bpf_map_lookup_elem(&xb_latency, &b);
	if (v)
		*v += 1;
	count(BC_STAMPED, 1);
}

/* Byte for byte against the pattern; true when the payload is intact. */
static __always_inline int payload_intact(const __u8 *p, const void *end,
					  __u32 size)
{
	__u32 i;

	for (i = BENCH_HDR_LEN; i < BENCH_MAX_PAYLOAD; i++) {
		if (i >= size)
			break;
		if ((const void *)(p + i + 1) > end)
			return 0;
		if (p[i] != bench_pattern(i))
			return 0;
	}
	return 1;
}

/*
 * An MPEG-TS bench datagram of @size bytes, byte for byte: each packet's
 * header but its continuity counter, which steps and is the relay's to
 * check, and the pattern after it.  True when it is intact.  A header
 * trafgen got wrong shows here: one without a payload, say, is one the
 * relay's continuity check would pass over.
 */
static __always_inline int ts_intact(const __u8 *p, const void *end,
				     __u32 size)
{
	const __u8 *ts;
	__u32 k, i, pid;

	for (k = 0; k < BENCH_TS_MAX; k++) {
		if (k * BENCH_TS_SIZE >= size)
			break;
		ts = p + k * BENCH_TS_SIZE;
		if ((const void *)(ts + BENCH_TS_SIZE) > end)
			return 0;
		/*
		 * The reads below must go through the pointer just checked,
		 * not one the compiler derives again from the frame's start,
		 * which the verifier knows no bounds of.
		 */
		barrier_var(ts);
		pid = BENCH_TS_PID + k;
		if (ts[0] != BENCH_TS_SYNC || ts[1] != pid >> 8 ||
		    ts[2] != (pid & 0xff) ||
		    (ts[3] & 0xf0) != BENCH_TS_PAYLOAD_ONLY)
			return 0;
		for (i = BENCH_TS_HDR_LEN; i < BENCH_TS_SIZE; i++)
			if (ts[i] != bench_pattern(k * BENCH_TS_SIZE + i))
				return 0;
	}
	return 1;
}

/*
 * Whether to compare this packet byte for byte: a CPU's first, then every
 * BENCH_CHECK_EVERY-th.  Counted as checked if so.
 */
static __always_inline int take_check(void)
{
	__u32 kpkts = BC_PACKETS, kchecked = BC_CHECKED;
	__u64 *npkts, *nchecked;

	npkts = bpf_map_lookup_elem(&xb_counters, &kpkts);
	nchecked = bpf_map_lookup_elem(&xb_counters, &kchecked);
	if (!npkts || !nchecked || (*npkts - 1) % BENCH_CHECK_EVERY)
		return 0;
	*nchecked += 1;
	return 1;
}

SEC("xdp")
int xb_sink(struct xdp_md *ctx)
{
	const void *data = (void *)(long)ctx->data;
	const void *end = (void *)(long)ctx->data_end;
	const struct ethhdr *eth = data;
	const struct iphdr *ip;
	const struct udphdr *udp;
	const __u8 *pl;
	__u64 stamp;
	__u32 size;

	if ((const void *)(eth + 1) > end ||
	    eth->h_proto != bpf_htons(ETH_P_IP))
		goto other;
	ip = (const void *)(eth + 1);
	if ((const void *)(ip + 1) > end || ip->ihl < 5 ||
	    ip->protocol != IPPROTO_UDP)
		goto other;
	udp = (const void *)ip + ip->ihl * 4;
	if ((const void *)(udp + 1) > end)
		goto other;

	count(BC_PACKETS, 1);
	count(BC_BYTES, end - data);

	pl = (const void *)(udp + 1);
	if ((const void *)(pl + 1) <= end && pl[0] == BENCH_TS_SYNC) {
		/* A UDP length below its header's wraps: too big. */
		size = bpf_ntohs(udp->len) - sizeof(*udp);
		if (!size || size % BENCH_TS_SIZE ||
		    size > BENCH_TS_MAX * BENCH_TS_SIZE) {
			count(BC_BAD_MAGIC, 1);
			return XDP_DROP;
		}
		if (take_check() && !ts_intact(pl, end, size))
			count(BC_MISMATCH, 1);
		return XDP_DROP;
	}
	if ((const void *)(pl + BENCH_HDR_LEN) > end ||
	    *(const __u32 *)pl != bpf_htonl(BENCH_MAGIC)) {
		count(BC_BAD_MAGIC, 1);
		return XDP_DROP;
	}
	size = bpf_ntohl(*(const __u32 *)(pl + 4));
	if (size < BENCH_MIN_PAYLOAD || size > BENCH_MAX_PAYLOAD ||
	    bpf_ntohs(udp->len) != size + sizeof(*udp)) {
		count(BC_BAD_MAGIC, 1);
		return XDP_DROP;
	}

	stamp = *(const __u64 *)(pl + 8);
	if (stamp)
		file_latency(stamp);

	if (take_check() && !payload_intact(pl, end, size))
		count(BC_MISMATCH, 1);
	return XDP_DROP;

other:
	count(BC_OTHER, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
