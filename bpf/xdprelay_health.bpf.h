/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stream health on the XDP fast path (struct xdprelay_health): what a
 * stream carries, recognised from its packets, and checked as it arrives,
 * whatever path relays it.  Every loop is bounded: at most
 * XDPRELAY_TS_PER_DGRAM MPEG-TS packets a datagram, four places in the
 * PID table for each.  The program built for xdprelay.ko also tells the
 * module what each datagram changed, for /sys/kernel/xdprelay/streams/
 * NAME/health/.
 */
#ifndef _XDPRELAY_HEALTH_BPF_H
#define _XDPRELAY_HEALTH_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPRELAY_MAX_STREAMS);
	__type(key, __u32);
	__type(value, struct xdprelay_health);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xr_health SEC(".maps");

#define XR_TS_SYNC		0x47
#define XR_TS_NULL_PID		0x1fff
#define XR_RTP_HLEN		12
#define XR_RTP_VERSION		0x80	/* version 2, in the first byte */
#define XR_RTP_PT_MP2T		33
#define XR_RTP_PT_DYN_FIRST	96
#define XR_RTP_MAX_DROPOUT	3000	/* RFC 3550 A.1 */
#define XR_RTP_MAX_MISORDER	100
#define XR_PID_WAYS		4
#define XR_PAT_PID		0
#define XR_TABLE_PAT		0x00
#define XR_TABLE_PMT		0x02
#define XR_PSI_HLEN		8	/* a section's header, to its data */
#define XR_PSI_CRC_LEN		4
/* An RTP header extension longer than this is not looked past. */
#define XR_RTP_MAX_EXT_WORDS	255

/* ns to XDPRELAY_RTP_HZ units: 90000 / 1e9 = 9 / 100000. */
static __always_inline __u64 rtp_units(__u64 ns)
{
	return ns / 100000 * 9 + ns % 100000 * 9 / 100000;
}

/*
 * The entry of @pid in the stream's table, taken if it is new (*@fresh
 * set), or NULL when its places are all held by other PIDs.
 */
static __always_inline struct xdprelay_pid *
pid_entry(struct xdprelay_health *h, __u32 pid, int *fresh)
{
	__u32 base = (pid * 0x9e37U >> 6) & (XDPRELAY_HEALTH_PIDS - 1);
	struct xdprelay_pid *e, *free = NULL;
	__u32 k;

	*fresh = 0;
	for (k = 0; k < XR_PID_WAYS; k++) {
		e = &h->pids[(base ^ k) & (XDPRELAY_HEALTH_PIDS - 1)];
		if (!(e->flags & XDPRELAY_PID_USED)) {
			if (!free)
				free = e;
			continue;
		}
		if (e->pid == pid)
			return e;
	}
	if (free) {
		free->pid = pid;
		free->flags = XDPRELAY_PID_USED;
		*fresh = 1;
	}
	return free;
}

/*
 * The start of the PSI section that TS packet @p begins (its
 * payload_unit_start_indicator set, adaptation_field_control @afc), past
 * the pointer_field, with its header in the packet; NULL if there is none.
 */
static __always_inline const __u8 *psi_section(const __u8 *p, __u32 afc,
					       const void *end)
{
	const __u8 *pend = p + XDPRELAY_TS_SIZE, *s;
	__u32 off = 4;

	if (!(afc & 1))
		return NULL;
	if (afc & 2)
		off += 1 + p[4];
	/*
	 * Each pointer is checked as it is used: kept opaque, the compiler
	 * cannot derive what it reads from another one.
	 */
	s = p + (off & 0xff);
	barrier_var(s);
	if ((void *)(s + 1) > end || s + 1 > pend)
		return NULL;
	s += 1 + s[0];
	barrier_var(s);
	if ((void *)(s + XR_PSI_HLEN) > end || s + XR_PSI_HLEN > pend)
		return NULL;
	return s;
}

/*
 * A PAT section at @s, in the packet that ends at @pend: when it came,
 * and, from the first section of the current table, the PMTs of the
 * programs its first entries name, each in the place of its entry (the
 * NIT's, program 0, holds XDPRELAY_PMT_NONE).  A PMT named in the same
 * place as before keeps its last arrival; a new one is waited for from
 * now.  Nothing here keeps a value from one entry to the next but the
 * count, so the verifier's paths join at each.
 */
static __always_inline void pat_seen(struct xdprelay_health *h,
				     const __u8 *s, const __u8 *pend,
				     const void *end, __u64 now)
{
	__u32 len, n, i, pid;
	const __u8 *e;

	if (now - h->pat_ns > XDPRELAY_PSI_WINDOW_NS)
		h->pat_errors++;
	h->pat_ns = now;
	if (!(s[5] & 1) || s[6])
		return;
	len = (s[1] & 0xf) << 8 | s[2];
	if (len < XR_PSI_HLEN - 3 + XR_PSI_CRC_LEN)
		return;
	n = (len - (XR_PSI_HLEN - 3) - XR_PSI_CRC_LEN) / 4;
	for (i = 0; i < XDPRELAY_HEALTH_PMTS; i++) {
		e = s + XR_PSI_HLEN + i * 4;
		barrier_var(e);
		if (i >= n || (void *)(e + 4) > end || e + 4 > pend)
			break;
		pid = (e[2] & 0x1f) << 8 | e[3];
		if (!(e[0] | e[1]))
			pid = XDPRELAY_PMT_NONE;
		if (h->pmt_pids[i] != pid) {
			h->pmt_pids[i] = pid;
			h->pmt_ns[i] = now;
		}
	}
	h->nr_pmts = i;
}

/* A section of PID @pid starts at @s: a PMT the PAT named, or not. */
static __always_inline void pmt_seen(struct xdprelay_health *h, __u32 pid,
				     const __u8 *s, __u64 now)
{
	__u32 k;

	if (s[0] != XR_TABLE_PMT)
		return;
	for (k = 0; k < XDPRELAY_HEALTH_PMTS; k++) {
		if (k >= h->nr_pmts)
			break;
		if (h->pmt_pids[k] != pid)
			continue;
		if (now - h->pmt_ns[k] > XDPRELAY_PSI_WINDOW_NS)
			h->pmt_errors++;
		h->pmt_ns[k] = now;
		break;
	}
}

/* The wait for the PAT and the PMTs starts again at @now. */
static __always_inline void psi_restart(struct xdprelay_health *h,
					__u64 now)
{
	__u32 k;

	h->pat_ns = now;
	for (k = 0; k < XDPRELAY_HEALTH_PMTS; k++)
		h->pmt_ns[k] = now;
}

/*
 * The TS packet @off bytes into the frame of @ctx, which starts a section
 * (payload_unit_start_indicator set), for stream @id at @now: the PAT, a
 * PMT it named, or neither.  A function of its own, not inlined, which
 * the verifier checks once, apart from its callers: what it parses does
 * not multiply the paths of the loop over a datagram's packets.  A
 * datagram brings a section start once a frame of video at most.
 */
__noinline int xdprelay_psi(struct xdp_md *ctx, __u32 id, __u32 off,
			    __u64 now)
{
	void *end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xdprelay_health *h;
	const __u8 *p, *s;
	__u32 pid;

	h = bpf_map_lookup_elem(&xr_health, &id);
	if (!h)
		return 0;
	p = data + (off & 0x7ff);
	if ((void *)(p + XDPRELAY_TS_SIZE) > end)
		return 0;
	pid = (p[1] & 0x1f) << 8 | p[2];
	s = psi_section(p, p[3] >> 4 & 3, end);
	if (!s)
		return 0;
	if (pid != XR_PAT_PID)
		pmt_seen(h, pid, s, now);
	else if (s[0] == XR_TABLE_PAT)
		pat_seen(h, s, p + XDPRELAY_TS_SIZE, end, now);
	return 0;
}

/*
 * One MPEG-TS packet at @p, 188 bytes of it in the frame: its sync byte,
 * transport error indicator and continuity counter.  A packet with the
 * indicator set has a header that cannot be trusted, and the null PID
 * carries no continuity.  The counter advances with each packet that has
 * a payload and stays with one that has none; one repeat is allowed, and
 * a discontinuity indicator starts the count afresh.  The packet that
 * starts a section of the PAT or of a PMT it named says the table came.
 */
static __always_inline void ts_packet(struct xdp_md *ctx, __u32 id,
				      struct xdprelay_health *h,
				      const __u8 *p, __u32 off, __u64 now)
{
	struct xdprelay_pid *e;
	__u32 pid, afc, cc;
	int fresh;

	h->ts_packets++;
	if (p[0] != XR_TS_SYNC) {
		h->sync_errors++;
		return;
	}
	if (p[1] & 0x80) {
		h->tei_packets++;
		return;
	}
	pid = (p[1] & 0x1f) << 8 | p[2];
	afc = p[3] >> 4 & 3;
	cc = p[3] & 0xf;
	/* afc 0 is reserved: a decoder discards the packet. */
	if (pid == XR_TS_NULL_PID || !afc)
		return;
	if (p[1] & 0x40)
		xdprelay_psi(ctx, id, off, now);
	e = pid_entry(h, pid, &fresh);
	if (!e) {
		h->pids_unchecked++;
		return;
	}
	if (fresh || ((afc & 2) && p[4] && (p[5] & 0x80))) {
		e->cc = cc;
		e->flags &= ~XDPRELAY_PID_DUP;
		return;
	}
	if (!(afc & 1)) {
		if (cc != e->cc) {
			h->cc_errors++;
			e->cc = cc;
		}
		return;
	}
	if (cc == e->cc) {
		if (e->flags & XDPRELAY_PID_DUP)
			h->cc_errors++;
		e->flags |= XDPRELAY_PID_DUP;
		return;
	}
	if (cc != ((e->cc + 1) & 0xf))
		h->cc_errors++;
	e->cc = cc;
	e->flags &= ~XDPRELAY_PID_DUP;
}

/* The MPEG-TS packets from @ts, @off bytes into the frame, whole ones. */
static __always_inline void ts_packets(struct xdp_md *ctx, __u32 id,
				       struct xdprelay_health *h,
				       const __u8 *ts, __u32 off,
				       const void *end, __u64 now)
{
	const __u8 *p;
	__u32 i;

	for (i = 0; i < XDPRELAY_TS_PER_DGRAM; i++) {
		p = ts + i * XDPRELAY_TS_SIZE;
		if ((void *)(p + XDPRELAY_TS_SIZE) > end)
			break;
		ts_packet(ctx, id, h, p, off + i * XDPRELAY_TS_SIZE, now);
	}
}

/*
 * The RTP header at @p, in a datagram of @len bytes: its length, or 0
 * when it is not one of the version and payload types taken for a
 * stream (33, MP2T, or a dynamic one).
 */
static __always_inline __u32 rtp_hlen(const __u8 *p, const void *end,
				      __u32 len)
{
	__u32 hlen, pt, words;
	const __u8 *x;

	if ((void *)(p + XR_RTP_HLEN) > end || len < XR_RTP_HLEN)
		return 0;
	if ((p[0] & 0xc0) != XR_RTP_VERSION)
		return 0;
	pt = p[1] & 0x7f;
	if (pt != XR_RTP_PT_MP2T && pt < XR_RTP_PT_DYN_FIRST)
		return 0;
	hlen = XR_RTP_HLEN + (p[0] & 0xf) * 4;
	if (p[0] & 0x10) {
		x = p + (hlen & 0x7f);
		if ((void *)(x + 4) > end)
			return 0;
		words = x[2] << 8 | x[3];
		if (words > XR_RTP_MAX_EXT_WORDS)
			return 0;
		hlen += 4 + words * 4;
	}
	return hlen <= len ? hlen : 0;
}

/*
 * One RTP packet: sequence (RFC 3550 A.1: a step up to MAX_DROPOUT skips
 * that many less one, a step back within MAX_MISORDER is a late packet,
 * anything else a restart), SSRC, and the interarrival jitter (A.8),
 * taken on packets in order.
 */
static __always_inline void rtp_packet(struct xdprelay_health *h,
				       const __u8 *p, __u64 now_ns)
{
	__u32 ts, ssrc, arrival;
	__u16 seq, delta;
	__s32 d;

	seq = p[2] << 8 | p[3];
	ts = (__u32)p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7];
	ssrc = (__u32)p[8] << 24 | p[9] << 16 | p[10] << 8 | p[11];
	arrival = rtp_units(now_ns);
	h->rtp_packets++;

	if (!(h->rtp_flags & XDPRELAY_RTP_SEEN) || ssrc != h->ssrc) {
		if (h->rtp_flags & XDPRELAY_RTP_SEEN)
			h->ssrc_changes++;
		h->rtp_flags |= XDPRELAY_RTP_SEEN;
		h->ssrc = ssrc;
		goto take;
	}
	delta = seq - h->seq;
	if (!delta) {
		h->rtp_duplicates++;
		return;
	}
	if (delta < XR_RTP_MAX_DROPOUT) {
		h->rtp_lost += delta - 1;
		d = (__s32)((arrival - (__u32)h->arrival) - (ts - h->rtp_ts));
		if (d < 0)
			d = -d;
		h->jitter += d - ((h->jitter + 8) >> 4);
		goto take;
	}
	if (delta > 0xffff - XR_RTP_MAX_MISORDER) {
		h->rtp_reordered++;
		if (h->rtp_lost)
			h->rtp_lost--;
		return;
	}
take:
	h->seq = seq;
	h->rtp_ts = ts;
	h->arrival = arrival;
}

/*
 * What a datagram's payload at @p (@len bytes) is, for a stream that has
 * not shown yet what it carries.
 */
static __always_inline __u32 kind_of(const __u8 *p, const void *end,
				     __u32 len)
{
	__u32 hlen = rtp_hlen(p, end, len);
	const __u8 *ts;

	if (hlen) {
		ts = p + (hlen & 0x7ff);
		if ((void *)(ts + 1) <= end && ts[0] == XR_TS_SYNC &&
		    (len - hlen) % XDPRELAY_TS_SIZE == 0 && len > hlen)
			return XDPRELAY_KIND_RTP_TS;
		return XDPRELAY_KIND_RTP;
	}
	if ((void *)(p + 1) <= end && p[0] == XR_TS_SYNC && len &&
	    len % XDPRELAY_TS_SIZE == 0)
		return XDPRELAY_KIND_MPEGTS;
	return XDPRELAY_KIND_UNKNOWN;
}

/*
 * What a stream the operator says is @check carries, from a datagram:
 * the kind it is checked as from then on.
 */
static __always_inline __u32 kind_taken(__u32 check, const __u8 *p,
					const void *end, __u32 len)
{
	__u32 kind;

	if (check == XDPRELAY_CHECK_MPEGTS)
		return XDPRELAY_KIND_MPEGTS;
	kind = kind_of(p, end, len);
	if (check == XDPRELAY_CHECK_RTP && kind == XDPRELAY_KIND_MPEGTS)
		return XDPRELAY_KIND_UNKNOWN;
	return kind;
}

#ifdef XDPRELAY_KFUNC
/*
 * The counters of struct xdprelay_health in the order of enum
 * xdprelay_health_counter, for the module: what one datagram changed
 * goes there through xdprelay_health_add().
 */
struct xr_health_counts {
	__u64 c[XDPRELAY_H_NR_COUNTERS];
};

static __always_inline void health_take(const struct xdprelay_health *h,
					struct xr_health_counts *v)
{
	v->c[XDPRELAY_H_TS_PACKETS] = h->ts_packets;
	v->c[XDPRELAY_H_SYNC_ERRORS] = h->sync_errors;
	v->c[XDPRELAY_H_TEI_PACKETS] = h->tei_packets;
	v->c[XDPRELAY_H_CC_ERRORS] = h->cc_errors;
	v->c[XDPRELAY_H_PIDS_UNCHECKED] = h->pids_unchecked;
	v->c[XDPRELAY_H_RTP_PACKETS] = h->rtp_packets;
	v->c[XDPRELAY_H_RTP_LOST] = h->rtp_lost;
	v->c[XDPRELAY_H_RTP_REORDERED] = h->rtp_reordered;
	v->c[XDPRELAY_H_RTP_DUPLICATES] = h->rtp_duplicates;
	v->c[XDPRELAY_H_SSRC_CHANGES] = h->ssrc_changes;
	v->c[XDPRELAY_H_PAT_ERRORS] = h->pat_errors;
	v->c[XDPRELAY_H_PMT_ERRORS] = h->pmt_errors;
	v->c[XDPRELAY_H_RTP_JITTER] = h->jitter;
}

/* What changed since @before, to the module: a call per counter moved. */
static __always_inline void health_report(__u32 id, __u32 kind_before,
					  const struct xdprelay_health *h,
					  const struct xr_health_counts *before)
{
	struct xr_health_counts now;
	__u32 k;

	if (h->kind != kind_before)
		xdprelay_health_kind(id, h->kind);
	health_take(h, &now);
	for (k = 0; k < XDPRELAY_H_NR_COUNTERS; k++)
		if (now.c[k] != before->c[k])
			xdprelay_health_add(id, k,
					    (__s32)(now.c[k] - before->c[k]));
}
#endif

/*
 * The health of stream @id, to be checked as @check (enum
 * xdprelay_check), from its datagram whose UDP payload starts @off bytes
 * into the frame and is @len bytes long.  A function the verifier checks
 * once, as xdprelay_psi(), not once for each path of the program that
 * comes to it.
 */
__noinline int xdprelay_health(struct xdp_md *ctx, __u32 id, __u32 check,
			       __u32 off, __u32 len)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct xdprelay_health *h;
#ifdef XDPRELAY_KFUNC
	struct xr_health_counts before;
	__u32 kind_before;
#endif
	const __u8 *p;
	__u64 now, idle;
	__u32 hlen;

	h = bpf_map_lookup_elem(&xr_health, &id);
	if (!h)
		return 0;
	/* The tick's clock is enough to tell silence and PSI, and costs less. */
	now = bpf_ktime_get_coarse_ns();
	idle = now - h->last_ns;
	h->last_ns = now;
	if (check == XDPRELAY_CHECK_RAW)
		return 0;
#ifdef XDPRELAY_KFUNC
	kind_before = h->kind;
	health_take(h, &before);
#endif
	p = data + (off & 0xff);
	len &= 0xffff;
	/* A stream recognised now waits for its tables from now. */
	if (h->kind == XDPRELAY_KIND_UNKNOWN) {
		h->kind = kind_taken(check, p, data_end, len);
		if (h->kind != XDPRELAY_KIND_UNKNOWN)
			idle = ~0ULL;
	}
	/* A stream that paused waits for its tables afresh. */
	if (idle > XDPRELAY_PSI_WINDOW_NS)
		psi_restart(h, now);

	switch (h->kind) {
	case XDPRELAY_KIND_MPEGTS:
		ts_packets(ctx, id, h, p, off & 0xff, data_end, now);
		break;
	case XDPRELAY_KIND_RTP_TS:
	case XDPRELAY_KIND_RTP:
		hlen = rtp_hlen(p, data_end, len);
		if (!hlen || (void *)(p + XR_RTP_HLEN) > data_end)
			break;
		rtp_packet(h, p, bpf_ktime_get_ns());
		if (h->kind == XDPRELAY_KIND_RTP_TS)
			ts_packets(ctx, id, h, p + (hlen & 0x7ff),
				   (off & 0xff) + (hlen & 0x7ff), data_end, now);
		break;
	}
#ifdef XDPRELAY_KFUNC
	health_report(id, kind_before, h, &before);
#endif
	return 0;
}

#endif /* _XDPRELAY_HEALTH_BPF_H */
