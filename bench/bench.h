/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the bench's sender, its trafgen packets, the sink's XDP program and
 * sinkctl agree on: the payload of a bench datagram and the sink's maps.
 *
 * UDP payload of every bench datagram:
 *
 *	0	magic		BENCH_MAGIC, network order
 *	4	size		payload length in bytes, network order
 *	8	timestamp	CLOCK_MONOTONIC ns at send, host order; 0: none
 *	16...	pattern		byte i of the payload is bench_pattern(i)
 *
 * trafgen sends a timestamp of 0 (its packets are built once); tsgen writes
 * the time just before each send.
 *
 * An MPEG-TS bench datagram (scenario ts) has no such header, so that the
 * relay's health checks see MPEG-TS from its first byte.  Its payload is 1
 * to BENCH_TS_MAX TS packets of BENCH_TS_SIZE bytes; packet k starts at
 * byte 188k:
 *
 *	+0	sync		BENCH_TS_SYNC
 *	+1	PID		BENCH_TS_PID + k, 13 bits, no flags
 *	+3	0x10 | cc	BENCH_TS_PAYLOAD_ONLY (no adaptation field,
 *				not scrambled); cc steps by one a datagram
 *	+4...	pattern		byte i of the payload is bench_pattern(i)
 *
 * The sink tells the two formats apart by the first byte, the magic's
 * being 'X', and checks every byte but the continuity counters, which are
 * the relay's health checks' to judge.
 */
#ifndef BENCH_H
#define BENCH_H

#define BENCH_MAGIC		0x58524231	/* "XRB1" */
#define BENCH_HDR_LEN		16
#define BENCH_MIN_PAYLOAD	BENCH_HDR_LEN
#define BENCH_MAX_PAYLOAD	1472

#define BENCH_TS_SYNC		0x47
#define BENCH_TS_SIZE		188
#define BENCH_TS_HDR_LEN	4
#define BENCH_TS_PAYLOAD_ONLY	0x10	/* byte 3 less the counter */
#define BENCH_TS_MAX		7	/* 1316 bytes, as streams send them */
#define BENCH_TS_PID		0x100

/* A payload byte that no rewrite of headers can produce by accident. */
static inline unsigned char bench_pattern(unsigned int i)
{
	return (unsigned char)(i * 7 + 0x5a);
}

/*
 * The sink compares every BENCH_CHECK_EVERY-th packet of each CPU byte for
 * byte: cheap enough for full rate, and thousands of checks per second.
 */
#define BENCH_CHECK_EVERY	64

/* Counters of the sink, one per-CPU array slot each. */
enum bench_counter {
	BC_PACKETS,	/* UDP/IPv4 packets that reached the sink */
	BC_BYTES,	/* their frame bytes, Ethernet header on, no FCS */
	BC_BAD_MAGIC,	/* payload of neither format, or of a bad size */
	BC_CHECKED,	/* payloads compared byte for byte */
	BC_MISMATCH,	/* of those, payloads that differed */
	BC_STAMPED,	/* packets carrying a timestamp (latency samples) */
	BC_OTHER,	/* anything else: passed to the stack */
	BC_MAX,
};

/*
 * Latency histogram, log-linear: values below 2^BENCH_SUB_BITS ns have a
 * bucket each; above, each power of two is split into 2^BENCH_SUB_BITS
 * buckets, so a bucket is at most 1/32 (3%) of its value wide and its
 * middle within 1.6% of any value in it.  The last bucket holds
 * everything above 2^BENCH_MAX_LOG2 ns (about 17 s).
 */
#define BENCH_SUB_BITS		5
#define BENCH_SUB		(1 << BENCH_SUB_BITS)
#define BENCH_MAX_LOG2		34
#define BENCH_LAT_BUCKETS	(BENCH_SUB + \
				 (BENCH_MAX_LOG2 - BENCH_SUB_BITS + 1) * BENCH_SUB)

/* Lower bound of bucket b, in ns. */
static inline unsigned long long bench_bucket_lo(unsigned int b)
{
	unsigned int e;

	if (b < BENCH_SUB)
		return b;
	e = (b - BENCH_SUB) / BENCH_SUB + BENCH_SUB_BITS;
	return (1ULL << e) +
	       ((unsigned long long)((b - BENCH_SUB) % BENCH_SUB) <<
		(e - BENCH_SUB_BITS));
}

#endif /* BENCH_H */
