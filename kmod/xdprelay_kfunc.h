/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between xdprelay.ko, the XDP program and the control plane:
 * counter layout and the kfuncs the XDP and TC programs count through.
 */
#ifndef _XDPRELAY_KFUNC_H
#define _XDPRELAY_KFUNC_H

/*
 * Stream ids run from 1 to XDPRELAY_MAX_STREAMS - 1.  Row 0 of every
 * counter table holds the global counters.
 */
#define XDPRELAY_MAX_STREAMS	1024

enum xdprelay_counter {
	/* Every packet the program sees, and its length from the MAC header. */
	XDPRELAY_RX_PACKETS,
	XDPRELAY_RX_BYTES,
	/* Outcomes: each packet counts exactly one of these. */
	XDPRELAY_REDIRECTED,		/* to an AF_XDP socket */
	XDPRELAY_PASS_NO_SOCKET,	/* no socket on the RX queue: XDP_PASS */
	XDPRELAY_PASS_NO_META,		/* driver has no metadata: XDP_PASS */
	XDPRELAY_POLICED,		/* over the stream's rate: XDP_DROP */
	XDPRELAY_SRC_REFUSED,		/* source not allowed: XDP_PASS */
	XDPRELAY_MALFORMED,		/* did not parse: XDP_PASS */
	XDPRELAY_FRAGMENTS,		/* IPv4/IPv6 fragment: XDP_PASS */
	XDPRELAY_UNMATCHED,		/* not a stream: XDP_PASS */
	XDPRELAY_DIRECT,		/* relayed by the program: XDP_REDIRECT */
	XDPRELAY_SOCKET,		/* to the relay's socket path: XDP_PASS */
	/* Reported by the relay; counted by the direct path itself. */
	XDPRELAY_TX_PACKETS,
	XDPRELAY_TX_BYTES,
	XDPRELAY_NR_COUNTERS,
};

#define XDPRELAY_FIRST_OUTCOME	XDPRELAY_REDIRECTED
#define XDPRELAY_LAST_OUTCOME	XDPRELAY_SOCKET

/*
 * Rows of per-subscriber counters, over all streams; row 0 is never given
 * to a subscriber.  The control plane gives each subscriber its row.
 */
#define XDPRELAY_SLOTS		8192

enum xdprelay_sub_counter {
	XDPRELAY_SUB_TX_PACKETS,
	XDPRELAY_SUB_TX_BYTES,
	XDPRELAY_SUB_TX_ERRORS,
	XDPRELAY_SUB_TX_NO_NEIGH,
	XDPRELAY_SUB_NR_COUNTERS,
};

/* What became of one packet for a subscriber (xdprelay_sub_count()). */
enum xdprelay_sub_event {
	XDPRELAY_SUB_SENT,	/* tx_packets, and tx_bytes by its length */
	XDPRELAY_SUB_ERROR,	/* tx_errors */
	XDPRELAY_SUB_NO_NEIGH,	/* tx_no_neigh */
};

/*
 * What a stream carries, as the XDP program recognised it, and what it
 * found wrong there (bpf/xdprelay_health.bpf.h): one row per stream id.
 */
enum xdprelay_kind {
	XDPRELAY_KIND_UNKNOWN,	/* nothing recognised yet */
	XDPRELAY_KIND_MPEGTS,	/* MPEG-TS, 188-byte packets, bare */
	XDPRELAY_KIND_RTP_TS,	/* MPEG-TS in RTP */
	XDPRELAY_KIND_RTP,	/* RTP of another payload */
	XDPRELAY_NR_KINDS,
};

/* RTP clock of the timestamps jitter is measured in (video, MP2T). */
#define XDPRELAY_RTP_HZ		90000

enum xdprelay_health_counter {
	XDPRELAY_H_TS_PACKETS,
	XDPRELAY_H_SYNC_ERRORS,
	XDPRELAY_H_TEI_PACKETS,
	XDPRELAY_H_CC_ERRORS,
	XDPRELAY_H_PIDS_UNCHECKED,
	XDPRELAY_H_RTP_PACKETS,
	XDPRELAY_H_RTP_LOST,
	XDPRELAY_H_RTP_REORDERED,
	XDPRELAY_H_RTP_DUPLICATES,
	XDPRELAY_H_SSRC_CHANGES,
	XDPRELAY_H_PAT_ERRORS,
	XDPRELAY_H_PMT_ERRORS,
	/*
	 * Not a count: RTP interarrival jitter, RFC 3550's J times 16 in
	 * XDPRELAY_RTP_HZ units, kept by adding its changes.
	 */
	XDPRELAY_H_RTP_JITTER,
	XDPRELAY_H_NR_COUNTERS,
};

/*
 * The kfuncs, for the BPF programs that call them and for the module that
 * defines them, so that the compiler checks each definition against the
 * declaration the programs use.
 */
#if defined(__bpf__) || defined(__KERNEL__)
#ifdef __bpf__
#define XDPRELAY_KSYM	__ksym
#else
#include <linux/types.h>
#define XDPRELAY_KSYM
#endif

/*
 * Count one packet of @bytes bytes with outcome @outcome against stream
 * @stream (0: not a stream) and the global row.  Returns 0, or -EINVAL
 * for a stream id or outcome out of range (nothing is counted then).
 */
int xdprelay_account(__u32 stream, __u32 outcome, __u32 bytes) XDPRELAY_KSYM;

/*
 * Count one packet of @bytes bytes that the direct path sent for stream
 * @stream, in its tx counters and the global row.  Returns 0, or -EINVAL
 * for a stream id out of range.
 */
int xdprelay_sent(__u32 stream, __u32 bytes) XDPRELAY_KSYM;

/*
 * Count one packet for the subscriber of row @row: @event says what
 * became of it, @bytes its length when sent.  Returns 0, or -EINVAL for a
 * row or event out of range (nothing is counted then).
 */
int xdprelay_sub_count(__u32 row, __u32 event, __u32 bytes) XDPRELAY_KSYM;

/*
 * Add @n, which may be negative (a late RTP packet takes a loss back), to
 * health counter @counter of stream @stream.  Returns 0, or -EINVAL for a
 * stream or counter out of range.
 */
int xdprelay_health_add(__u32 stream, __u32 counter, __s32 n) XDPRELAY_KSYM;

/*
 * Stream @stream carries @kind (enum xdprelay_kind).  Returns 0, or
 * -EINVAL for a stream or kind out of range.
 */
int xdprelay_health_kind(__u32 stream, __u32 kind) XDPRELAY_KSYM;
#endif

#endif /* _XDPRELAY_KFUNC_H */
