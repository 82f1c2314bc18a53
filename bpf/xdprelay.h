/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and metadata shared by the XDP program and user space.  The maps are
 * pinned by name; iproute2 and xdprelayctl both pin them under
 * XDPRELAY_PIN_DIR.
 */
#ifndef _XDPRELAY_H
#define _XDPRELAY_H

#include <linux/types.h>
#include "../kmod/xdprelay_kfunc.h"

#define XDPRELAY_PIN_DIR	"/sys/fs/bpf/tc/globals"

/* Map names: at most 15 characters (BPF_OBJ_NAME_LEN). */
#define XDPRELAY_MAP_STREAMS	"xr_streams"
#define XDPRELAY_MAP_XSKS	"xr_xsks"
#define XDPRELAY_MAP_POLICERS	"xr_policers"
#define XDPRELAY_MAP_COUNTERS	"xr_counters"	/* maps variant only */
#define XDPRELAY_MAP_SUBS	"xr_subs"
#define XDPRELAY_MAP_INFO	"xr_info"
#define XDPRELAY_MAP_TX		"xr_tx"
#define XDPRELAY_MAP_DIRECT	"xr_direct"
#define XDPRELAY_MAP_DTX	"xr_dtx"
#define XDPRELAY_MAP_FANOUT	"xr_fanout"
#define XDPRELAY_MAP_CPUS	"xr_cpus"
#define XDPRELAY_MAP_SLOTS	"xr_slots"
#define XDPRELAY_MAP_SUBTX	"xr_subtx"
#define XDPRELAY_MAP_QUEUES	"xr_queues"
#define XDPRELAY_MAP_HEALTH	"xr_health"

#define XDPRELAY_MAX_QUEUES	64
#define XDPRELAY_MAX_SUBS	256
#define XDPRELAY_NAME_LEN	32	/* with the NUL */

/*
 * An address and UDP port: where a stream is received, and a subscriber.
 * Unused address bytes are zero.
 */
struct xdprelay_endpoint {
	__u16 family;		/* AF_INET or AF_INET6 */
	__be16 port;		/* UDP port */
	__u8 addr[16];		/* IPv4 in the first 4 bytes */
};

/*
 * The key of xr_streams: the destination a stream is received on, and the
 * VLAN it comes in on, or 0 for any VLAN (and untagged frames).  The
 * program looks a tagged frame up with its VLAN id first, then with 0.
 */
struct xdprelay_key {
	struct xdprelay_endpoint ep;
	__u16 vlan;		/* 1 .. 4094; 0: any */
	__u16 pad;		/* 0 */
};

#define XDPRELAY_VLAN_MAX	4094

#define XDPRELAY_F_SRC_FILTER	(1U << 0)
/* On the relay's socket path: the program passes it to the stack. */
#define XDPRELAY_F_STACK	(1U << 1)
/*
 * Put on AF_XDP by the operator: the kernel relays it only while no
 * socket takes it (an xr_direct entry that stands by), so the program
 * looks the entry up only then.
 */
#define XDPRELAY_F_AFXDP	(1U << 2)
/* What the program checks the stream as (enum xdprelay_check). */
#define XDPRELAY_F_CHECK_SHIFT	8
#define XDPRELAY_F_CHECK_MASK	(3U << XDPRELAY_F_CHECK_SHIFT)

/* Value of xr_streams. */
struct xdprelay_stream {
	__u32 id;		/* 1 .. XDPRELAY_MAX_STREAMS - 1 */
	__u32 flags;
	__u8 src_addr[16];	/* allowed source prefix, already masked */
	__u8 src_mask[16];
	__u64 rate_pps;		/* policer rate; 0: no policer */
	__u64 burst;		/* policer bucket depth in packets */
};

/*
 * Stream health.  The XDP program recognises what a stream carries from
 * its packets (enum xdprelay_kind) and checks it: MPEG-TS per ISO/IEC
 * 13818-1 and the first-priority checks of ETSI TR 101 290 (sync byte,
 * transport error indicator, continuity counter per PID), bare or in RTP;
 * RTP sequence, SSRC and interarrival jitter per RFC 3550.  What it
 * carries is an enum xdprelay_kind (xdprelay_kfunc.h).
 */
/* What the operator says a stream carries (stream add --kind). */
enum xdprelay_check {
	XDPRELAY_CHECK_AUTO,	/* recognise it from its first packets */
	XDPRELAY_CHECK_MPEGTS,	/* bare MPEG-TS */
	XDPRELAY_CHECK_RTP,	/* RTP, with MPEG-TS in it or not */
	XDPRELAY_CHECK_RAW,	/* check nothing */
};

/* The PIDs a stream's continuity counters are kept for. */
#define XDPRELAY_HEALTH_PIDS	16
#define XDPRELAY_TS_SIZE	188
#define XDPRELAY_TS_PER_DGRAM	7	/* 1316 bytes: what fits a 1500 MTU */

/*
 * Program specific information: the PAT, and the PMT of each program it
 * names, are to recur within this (TR 101 290 1.3 and 1.5).  The PMTs
 * named by the first XDPRELAY_HEALTH_PMTS entries of a PAT are watched;
 * an entry of the NIT (program 0) holds XDPRELAY_PMT_NONE, no PID.
 */
#define XDPRELAY_PSI_WINDOW_NS	500000000ULL
#define XDPRELAY_HEALTH_PMTS	4
#define XDPRELAY_PMT_NONE	0xffff

#define XDPRELAY_PID_USED	0x01
#define XDPRELAY_PID_DUP	0x02	/* the last packet repeated the one before */

struct xdprelay_pid {
	__u16 pid;
	__u8 cc;		/* the last continuity counter */
	__u8 flags;		/* XDPRELAY_PID_* */
};

#define XDPRELAY_RTP_SEEN	0x01

/*
 * Value of xr_health, an array indexed by stream id: the program's state
 * and counters for the stream, zeroed by the writers of xr_info when a
 * stream is added.  One CPU writes a row at a time as long as the
 * stream's packets arrive on one receive queue, which a NIC's flow hash
 * gives a stream from one source.
 */
struct xdprelay_health {
	__u32 kind;		/* enum xdprelay_kind */
	__u32 ssrc;		/* RTP: the source's SSRC */
	__u16 seq;		/* RTP: the highest sequence number seen */
	__u16 rtp_flags;	/* XDPRELAY_RTP_* */
	__u32 rtp_ts;		/* RTP: the timestamp of the last packet */
	__u64 arrival;		/* its arrival, in XDPRELAY_RTP_HZ units */
	__u64 last_ns;		/* its last packet: CLOCK_MONOTONIC, coarse */
	__u64 jitter;		/* RFC 3550's J, times 16, in RTP units */
	/*
	 * MPEG-TS: the last PAT, or when the wait for one began (the
	 * stream's first packet, or its first after a pause longer than
	 * XDPRELAY_PSI_WINDOW_NS); coarse CLOCK_MONOTONIC, as last_ns.
	 */
	__u64 pat_ns;
	/* The PMTs the last PAT named, by entry: PIDs, each one's last. */
	__u64 pmt_ns[XDPRELAY_HEALTH_PMTS];
	__u16 pmt_pids[XDPRELAY_HEALTH_PMTS];
	__u32 nr_pmts;
	__u32 pad;
	struct xdprelay_pid pids[XDPRELAY_HEALTH_PIDS];
	/* Counters. */
	__u64 ts_packets;	/* MPEG-TS packets checked */
	__u64 sync_errors;	/* no sync byte (0x47) where one belongs */
	__u64 tei_packets;	/* transport_error_indicator set */
	__u64 cc_errors;	/* continuity counter errors */
	__u64 pids_unchecked;	/* packets of PIDs beyond the table */
	__u64 rtp_packets;
	__u64 rtp_lost;		/* sequence numbers skipped, less late ones */
	__u64 rtp_reordered;	/* arrived after a later one */
	__u64 rtp_duplicates;	/* the highest sequence number again */
	__u64 ssrc_changes;
	__u64 pat_errors;	/* a PAT later than XDPRELAY_PSI_WINDOW_NS */
	__u64 pmt_errors;	/* a PMT as late */
};

/* Value of xr_policers, indexed by stream id; owned by the program. */
struct xdprelay_policer {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 credit;		/* see xdprelay_police() */
	__u64 last_ns;
};

#define XDPRELAY_NSEC_PER_SEC	1000000000ULL
/* The policer's limits: what the CLI takes; larger values are clamped. */
#define XDPRELAY_MAX_RATE	XDPRELAY_NSEC_PER_SEC
#define XDPRELAY_MAX_BURST	(1ULL << 32)

/*
 * The policer, a token bucket in exact integers, shared by the XDP program
 * (under the entry's spin lock) and the socket backend: a packet costs
 * 1e9 units of credit, and every nanosecond adds @rate units, up to
 * @burst packets' worth.  No division rounds the rate, so a stream is
 * held to @rate packets per second whatever the rate.  The bounds keep
 * every product below 2^63: burst * 1e9 < 2^62, and a refill is added
 * only while it is less than the room left.  A rate beyond
 * XDPRELAY_MAX_RATE (never written by xdprelayctl) is held to that.
 * Returns 1 when the packet is within the rate, 0 when it is over.
 */
static __always_inline int
xdprelay_police(__u64 *credit, __u64 *last_ns, __u64 now, __u64 rate,
		__u64 burst)
{
	__u64 depth, room, c;

	if (!rate)
		return 1;
	if (rate > XDPRELAY_MAX_RATE)
		rate = XDPRELAY_MAX_RATE;
	/* A bucket that cannot hold one packet would drop every packet. */
	if (!burst)
		burst = 1;
	if (burst > XDPRELAY_MAX_BURST)
		burst = XDPRELAY_MAX_BURST;
	depth = burst * XDPRELAY_NSEC_PER_SEC;

	c = *credit;
	if (c > depth)
		c = depth;
	/* Another CPU may have stamped a later time already. */
	if (now > *last_ns) {
		room = depth - c;
		if (now - *last_ns > room / rate)
			c = depth;
		else
			c += (now - *last_ns) * rate;
		*last_ns = now;
	}
	if (c < XDPRELAY_NSEC_PER_SEC) {
		*credit = c;
		return 0;
	}
	*credit = c - XDPRELAY_NSEC_PER_SEC;
	return 1;
}

/*
 * Value of xr_subs, an mmapable array indexed by stream id: where the relay
 * sends the stream.  xdprelayctl writes it while the relay reads it in
 * place, without a syscall: seq is odd while an entry is being written
 * (a sequence lock), and the relay re-reads an entry only when seq moved.
 * The relay sets applied to the seq whose subscribers it has resolved
 * next hops for: xdprelayctl waits for it before it makes a stream live,
 * so that no packet is lost to a neighbour not yet resolved.
 * Each subscriber has its counters in row @slot of xr_slots and
 * xr_subtx, given by the writer, which keeps a subscriber's row for as
 * long as it stays in the list; 0: none was free, not counted apart.
 */
struct xdprelay_subs {
	__u32 seq;
	__u32 nr;
	__u32 applied;
	__u32 pad;		/* mmapped elements are 8-byte aligned */
	struct xdprelay_endpoint sub[XDPRELAY_MAX_SUBS];
	__u16 slot[XDPRELAY_MAX_SUBS];
};

/*
 * Value of xr_slots, an mmapable array of XDPRELAY_SLOTS rows
 * (xdprelay_kfunc.h) of per-subscriber counters over all streams: whose
 * counters a row holds, and what the relay's AF_XDP and socket paths
 * sent to that subscriber (added once per batch with atomic adds).  The
 * kernel's paths count in xr_subtx, per CPU, at the same row; a reader
 * adds the two.  Written by the writers of xr_subs, under their lock: a
 * row is zeroed, in both maps, before it is given to a subscriber.  Row 0
 * is never given out: its @stream holds where the writers look for a free
 * row next, so that a row freed a moment ago is the last one taken again.
 */
struct xdprelay_slot {
	__u32 stream;		/* 0: free */
	__u32 gen;		/* bumped each time the row is given out */
	struct xdprelay_endpoint ep;
	__u32 pad2;
	__u64 packets;
	__u64 bytes;
	__u64 tx_errors;
	__u64 no_neigh;
};

/* Value of xr_subtx, a per-CPU array of XDPRELAY_SLOTS rows. */
struct xdprelay_subtx {
	__u64 packets;
	__u64 bytes;
	__u64 tx_errors;
	__u64 no_neigh;
};

/*
 * The path a stream takes: auto, the fastest that works for it; or the
 * one the operator insists on, where it works (the relay says why not).
 */
enum xdprelay_path {
	XDPRELAY_PATH_AUTO,
	XDPRELAY_PATH_AFXDP,
	XDPRELAY_PATH_DIRECT,
	XDPRELAY_PATH_SOCKET,	/* the relay's UDP sockets, through the stack */
};

/*
 * Value of xr_info, an array indexed by stream id: the control plane's
 * record of the stream, so that every xdprelayctl and a restarted relay
 * find it.  An empty name marks a free id.
 */
struct xdprelay_info {
	char name[XDPRELAY_NAME_LEN];
	struct xdprelay_endpoint listen;
	__be16 src_port;	/* source port of relayed packets; 0: listen */
	__u8 src_prefixlen;	/* of xr_streams' src filter, for display */
	__u8 path;		/* enum xdprelay_path: the operator's choice */
	__u16 vlan;		/* of its xr_streams key; 0: any */
	__u8 kind;		/* enum xdprelay_check: the operator's choice */
	__u8 pad2;
};

/*
 * Value of xr_tx, an mmapable array indexed by stream id: what the relay
 * sent, added once per batch with atomic adds.  Row 0 is the total.
 */
struct xdprelay_tx {
	__u64 packets;
	__u64 bytes;
	__u64 copies;		/* payload copies made for fan-out */
	__u64 tx_errors;	/* frames that could not be sent */
	__u64 no_neigh;		/* subscriber's neighbour not resolved */
	__u64 rx_dropped;	/* lost on the relay's receive path */
	__u64 pad[2];
};

/*
 * Value of xr_queues, an mmapable array indexed by the ingress's receive
 * queue: what the relay's worker of that queue took and sent, and what
 * the kernel counted on its AF_XDP sockets.  The worker adds its own once
 * per batch; the relay copies the kernel's figures (XDP_STATISTICS) there
 * every 100 ms and at stop.  A relay zeroes every row when it starts.
 */
struct xdprelay_queue {
	__u64 rx_packets;	/* taken from the queue's socket */
	__u64 rx_bytes;
	__u64 tx_packets;	/* sent by the queue's worker */
	__u64 tx_bytes;
	__u64 copies;		/* payload copies made for fan-out */
	__u64 xsk_dropped;	/* kernel: RX ring full, or dropped */
	__u64 fill_empty;	/* kernel: no frame on the fill ring */
	__u64 tx_invalid;	/* kernel: descriptors it refused */
};

/*
 * Value of xr_direct, a hash keyed by stream id: a stream on the direct
 * path, which the kernel relays without the relay process.  The relay
 * writes a ready header for the stream's first subscriber: the program
 * strips any VLAN tags, puts these addresses, ports and TTL (hop limit)
 * in and updates the IPv4 header checksum and the UDP checksum
 * incrementally.  With one subscriber and @tc clear, it redirects the
 * frame to @ifindex.  With @tc set (several subscribers, or one behind an
 * egress that takes no XDP redirects), it hands the frame to the
 * stack with a struct xdprelay_fmeta in front, and the TC program
 * (xdprelay_tc.bpf.c) on the same ingress sends a copy to each of the
 * @nr subscribers of generation @gen in xr_fanout.  With @handoff set,
 * the XDP program only matches the frame on the receiving CPU and hands
 * it, with a struct xdprelay_hmeta in front, to CPU @cpu through the
 * cpumap xr_cpus, whose program (xdprelay_cpu) does the rest there,
 * from the entry as it is then.  Whatever sends to a subscriber counts
 * it in the stream's xr_dtx row and in the subscriber's xr_subtx row,
 * @slot (of xr_subs).  With @standby set,
 * the stream goes to the relay's AF_XDP socket as any other, and the
 * entry is used only while the queue has none: the relay process
 * stopped or died, and the kernel carries the stream until it is back.
 *
 * An entry is replaced whole, never written in place, so the programs
 * see the old header or the new one; a new set of subscribers is written
 * under the other generation before the head names it.  The relay keeps
 * the entries current (next hops, egress link); they outlive the relay
 * process, and so does the stream.
 */
enum xdprelay_direct_state {
	XDPRELAY_DIRECT_SEND,		/* rewrite and redirect */
	XDPRELAY_DIRECT_NO_NEIGH,	/* next hop unresolved: count, drop */
	XDPRELAY_DIRECT_DOWN,		/* egress down: tx_errors, drop */
};

struct xdprelay_direct {
	__u32 ifindex;		/* the egress */
	__u8 state;		/* enum xdprelay_direct_state */
	__u8 ttl;		/* IPv4 TTL or IPv6 hop limit */
	__u16 family;		/* AF_INET or AF_INET6, the stream's */
	__u8 eth_dst[6];	/* the next hop's MAC */
	__u8 eth_src[6];	/* the egress's MAC */
	__be16 sport;
	__be16 dport;
	__u8 saddr[16];		/* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	/* xr_direct only; 0 in xr_fanout. */
	__u16 nr;		/* subscribers, 1 .. XDPRELAY_MAX_SUBS */
	__u8 gen;		/* of the xr_fanout entries, 0 or 1 */
	__u8 tc;		/* the TC program sends: fan-out */
	__u8 standby;		/* only while no AF_XDP socket takes it */
	__u8 handoff;		/* rewritten and sent on CPU @cpu */
	__u16 cpu;		/* key of xr_cpus */
	__u16 slot;		/* the subscriber's row in xr_subtx; 0: none */
	__u16 pad[3];
};

/*
 * Key of xr_fanout, a hash of struct xdprelay_fset: the subscribers of
 * stream @id in generation @gen, XDPRELAY_FSET_SUBS to a set, set @chunk
 * holding subscribers @chunk * XDPRELAY_FSET_SUBS and up (0 .. nr - 1;
 * 0 repeats the head).  A set per lookup, not a subscriber, spares a
 * fan-out all but one hash lookup in XDPRELAY_FSET_SUBS copies.
 */
struct xdprelay_fkey {
	__u32 id;
	__u16 gen;
	__u16 chunk;
};

#define XDPRELAY_FSET_SUBS	16

/* Value of xr_fanout; past the stream's last subscriber, zeros. */
struct xdprelay_fset {
	struct xdprelay_direct sub[XDPRELAY_FSET_SUBS];
};

/* Room for this many subscribers over all fan-out streams, in sets. */
#define XDPRELAY_FANOUT_SUBS	65536
#define XDPRELAY_FANOUT_ENTRIES	(XDPRELAY_FANOUT_SUBS / XDPRELAY_FSET_SUBS)

/*
 * XDP metadata in front of a fan-out frame, for the TC program: the
 * stream and the generation and number of subscribers the XDP program
 * read, so that both work from one snapshot of the set.
 */
#define XDPRELAY_FMETA_MAGIC	0x58444631	/* "XDF1" */

struct xdprelay_fmeta {
	__u32 stream_id;
	__u16 gen;
	__u16 nr;
	__u32 magic;
};

/*
 * XDP metadata in front of a frame handed to another CPU (xr_cpus): what
 * the XDP program parsed, so that the cpumap program parses nothing
 * again.
 */
#define XDPRELAY_HMETA_MAGIC	0x58444831	/* "XDH1" */

struct xdprelay_hmeta {
	__u32 stream_id;
	__u16 l3_off;		/* IP header, from the frame's start */
	__u16 ip_len;		/* IP header and payload */
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 pad;
	__u32 magic;
};

/*
 * CPUs the direct path can hand frames to: keys of xr_cpus, the CPU
 * numbers.  The kernel refuses a cpumap larger than its NR_CPUS: 256 is
 * within every distribution's (8192 in Debian's, Fedora's, Ubuntu's).
 */
#define XDPRELAY_MAX_CPUS	256

/*
 * Value of xr_dtx, a per-CPU array indexed by stream id (row 0: the
 * total): what the program sent, or could not send, of direct streams.
 * Per CPU, so that no packet pays for an atomic on a line that other
 * CPUs write; readers add it to the stream's xr_tx row.
 */
struct xdprelay_dtx {
	__u64 packets;
	__u64 bytes;
	__u64 tx_errors;
	__u64 no_neigh;
	/*
	 * Frames handed to another CPU (xr_cpus), and those that arrived
	 * there: the difference is what the cpumap's queue had no room
	 * for, and the few in flight.
	 */
	__u64 handed;
	__u64 arrived;
};

/* Value of xr_counters (per-CPU array indexed by stream id). */
struct xdprelay_counters {
	__u64 c[XDPRELAY_NR_COUNTERS];
};

/*
 * XDP metadata in front of every redirected frame.  The magic tells user
 * space that the metadata was written by this program.
 */
#define XDPRELAY_META_MAGIC	0x58445231	/* "XDR1" */

struct xdprelay_meta {
	__u32 stream_id;
	__u32 magic;
};

#endif /* _XDPRELAY_H */
