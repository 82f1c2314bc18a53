// SPDX-License-Identifier: GPL-2.0
/*
 * Counters: what the XDP program received, from the module's sysfs tree
 * when the kfunc object counts there, else from the per-CPU xr_counters
 * map; what the relay sent, from the mmapped xr_tx map, and what the
 * program sent of direct streams, from xr_dtx.  Per subscriber: what the
 * relay sent, from the mmapped xr_slots, and the kernel's paths, from
 * xr_subtx, at the row xr_subs names for it.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "runstatus.h"
#include "state.h"
#include "stats.h"
#include "watch.h"

const struct xr_opt xr_stats_opts[] = {
	XR_STR("NAME", struct xr_stats_cfg, name, "NAME",
	       "Show only the stream NAME", xr_check_name,
	       XR_OPT_POSITIONAL),
	XR_U32("watch", struct xr_stats_cfg, watch, "SEC", 1, 3600,
	       "Redraw every SEC seconds, 1 to 3600, with rates, until interrupted"),
	XR_U32("count", struct xr_stats_cfg, count, "N", 1, UINT32_MAX,
	       "With --watch: stop after N redraws (default: unlimited)"),
	XR_FLAG("subscribers", struct xr_stats_cfg, subscribers,
		"Also show a table of each stream's subscribers: what was sent to each, or could not be"),
	XR_FLAG("queues", struct xr_stats_cfg, queues,
		"Also show a table of the relay's AF_XDP receive queues: what each worker took and sent, and what the kernel dropped on the way in"),
	XR_FLAG("json", struct xr_stats_cfg, json, "Print JSON"),
	XR_FLAG("prometheus", struct xr_stats_cfg, prometheus,
		"Print the Prometheus text exposition format"),
	XR_OPT_END
};

/* What the XDP program counts, by the names of the module's files. */
static const struct rx_counter {
	const char *name;
	const char *hdr;
	enum xdprelay_counter idx;
	bool global_only;
	const char *help;
} rx_counters[] = {
	{ "rx_packets", "RX_PKTS", XDPRELAY_RX_PACKETS, false,
	  "Packets the XDP program saw, whatever their outcome" },
	{ "rx_bytes", "RX_BYTES", XDPRELAY_RX_BYTES, false,
	  "Bytes of the packets counted in rx_packets, from the MAC header" },
	{ "redirected", "REDIRECTED", XDPRELAY_REDIRECTED, false,
	  "Packets redirected to an AF_XDP socket of the relay" },
	{ "pass_no_socket", "NO_SOCKET", XDPRELAY_PASS_NO_SOCKET, false,
	  "Packets passed to the stack: no AF_XDP socket on the queue" },
	{ "pass_no_meta", "NO_META", XDPRELAY_PASS_NO_META, false,
	  "Packets passed to the stack: the driver has no XDP metadata" },
	{ "policed", "POLICED", XDPRELAY_POLICED, false,
	  "Packets dropped for exceeding the stream's rate" },
	{ "src_refused", "SRC_REFUSED", XDPRELAY_SRC_REFUSED, false,
	  "Packets not relayed: source outside the allowed prefix (the program passes them to the stack)" },
	{ "malformed", "MALFORMED", XDPRELAY_MALFORMED, false,
	  "Packets that did not parse, passed to the stack" },
	{ "fragments", "FRAGMENTS", XDPRELAY_FRAGMENTS, true,
	  "IP fragments, passed to the stack" },
	{ "unmatched", "UNMATCHED", XDPRELAY_UNMATCHED, true,
	  "Packets of no stream, passed to the stack" },
	{ "direct", "DIRECT", XDPRELAY_DIRECT, false,
	  "Packets the XDP program relayed itself (direct path)" },
	{ "socket", "SOCKET", XDPRELAY_SOCKET, false,
	  "Packets passed to the stack for the relay's UDP sockets (socket path)" },
};

/* What the relay counts in xr_tx. */
enum {
	TX_PACKETS, TX_BYTES, TX_COPIES, TX_ERRORS, TX_NO_NEIGH, RX_DROPPED,
	HANDOFF_DROPPED, TX_NR
};

static const struct tx_counter {
	const char *name;
	const char *hdr;
	const char *help;
} tx_counters[TX_NR] = {
	[TX_PACKETS] = { "tx_packets", "TX_PKTS",
			 "Packets the relay sent, one per subscriber" },
	[TX_BYTES] = { "tx_bytes", "TX_BYTES",
		       "Bytes of the packets counted in tx_packets" },
	[TX_COPIES] = { "tx_copies", "COPIES",
			"Payload copies the relay made for fan-out" },
	[TX_ERRORS] = { "tx_errors", "TX_ERRORS",
			"Frames the relay could not send: refused, or the egress down" },
	[TX_NO_NEIGH] = { "tx_no_neigh", "NO_NEIGH",
			  "Packets not sent: subscriber's neighbour unresolved" },
	[RX_DROPPED] = { "rx_dropped", "RX_DROP",
			 "Packets lost on the relay's receive path: a full socket buffer (socket backend), a full AF_XDP RX ring (total only)" },
	[HANDOFF_DROPPED] = { "handoff_dropped", "HANDOFF_DROP",
			      "Packets of the direct path handed to another CPU (run --direct-cpus) that did not arrive there: its queue was full (and, for a moment, those in flight)" },
};

/* What the XDP program found of a stream's health, in xr_health. */
enum {
	H_TS_PACKETS, H_SYNC_ERRORS, H_TEI_PACKETS, H_CC_ERRORS,
	H_PIDS_UNCHECKED, H_RTP_PACKETS, H_RTP_LOST, H_RTP_REORDERED,
	H_RTP_DUPLICATES, H_SSRC_CHANGES, H_PAT_ERRORS, H_PMT_ERRORS, H_NR
};

static const struct tx_counter health_counters[H_NR] = {
	[H_TS_PACKETS] = { "ts_packets", "TS",
			   "MPEG-TS packets checked" },
	[H_SYNC_ERRORS] = { "ts_sync_errors", "sync",
			    "MPEG-TS packets without their sync byte (TR 101 290 1.1)" },
	[H_TEI_PACKETS] = { "ts_tei_packets", "tei",
			    "MPEG-TS packets with the transport error indicator set (TR 101 290 2.1)" },
	[H_CC_ERRORS] = { "ts_cc_errors", "cc",
			  "MPEG-TS continuity counter errors (TR 101 290 1.4)" },
	[H_PIDS_UNCHECKED] = { "ts_pids_unchecked", "unchecked",
			       "MPEG-TS packets of PIDs beyond the 16 a stream's table holds: not checked" },
	[H_RTP_PACKETS] = { "rtp_packets", "RTP",
			    "RTP packets checked" },
	[H_RTP_LOST] = { "rtp_lost", "lost",
			 "RTP sequence numbers skipped, less those that came late" },
	[H_RTP_REORDERED] = { "rtp_reordered", "reordered",
			      "RTP packets that came after a later one" },
	[H_RTP_DUPLICATES] = { "rtp_duplicates", "dup",
			       "RTP packets that repeated the highest sequence number" },
	[H_SSRC_CHANGES] = { "rtp_ssrc_changes", "ssrc",
			     "Changes of the RTP source (SSRC)" },
	[H_PAT_ERRORS] = { "ts_pat_errors", "pat",
			   "MPEG-TS PATs that came more than 0.5 s after the one before (TR 101 290 1.3)" },
	[H_PMT_ERRORS] = { "ts_pmt_errors", "pmt",
			   "MPEG-TS PMTs that came more than 0.5 s after the one before (TR 101 290 1.5)" },
};

static const char *const kind_names[] = {
	[XDPRELAY_KIND_UNKNOWN] = "unknown",
	[XDPRELAY_KIND_MPEGTS] = "mpegts",
	[XDPRELAY_KIND_RTP_TS] = "rtp-mpegts",
	[XDPRELAY_KIND_RTP] = "rtp",
};

struct row {
	uint32_t id;		/* 0: the total */
	char name[XDPRELAY_NAME_LEN];
	char path[8];		/* the path it runs (runstatus.h) */
	uint64_t rx[XDPRELAY_NR_COUNTERS];
	uint64_t tx[TX_NR];
	/* Its health, where the program checks it (a stream's row). */
	bool has_health;
	const char *kind;
	uint64_t h[H_NR];
	double jitter_ms;	/* RFC 3550 interarrival jitter */
	double idle_s;		/* since its last packet; < 0: none yet */
	/* MPEG-TS: the PAT, or a PMT it names, overdue at the last packet. */
	bool pat_missing, pmt_missing;
	unsigned int nr_pmts;
	uint16_t pmt_pids[XDPRELAY_HEALTH_PMTS];
	bool silent;		/* idle for run --silence or longer */
	/* With --watch, from the second sample on. */
	bool has_rate;
	double rx_pps, rx_bps, tx_pps, tx_bps;
};

/* A subscriber of a stream: what every path sent to it. */
enum { SUB_PACKETS, SUB_BYTES, SUB_ERRORS, SUB_NO_NEIGH, SUB_NR };

static const struct tx_counter sub_counters[SUB_NR] = {
	[SUB_PACKETS] = { "tx_packets", "TX_PKTS",
			  "Packets sent to the subscriber, on every path" },
	[SUB_BYTES] = { "tx_bytes", "TX_BYTES",
			"Bytes of the packets counted in tx_packets" },
	[SUB_ERRORS] = { "tx_errors", "TX_ERRORS",
			 "Packets for the subscriber that could not be sent: refused, or the egress down" },
	[SUB_NO_NEIGH] = { "tx_no_neigh", "NO_NEIGH",
			   "Packets not sent to the subscriber: its neighbour unresolved" },
};

struct sub_row {
	uint32_t id;		/* the stream's */
	unsigned int row;	/* the stream's, in struct sample */
	struct xdprelay_endpoint ep;
	bool counted;		/* it has a row in xr_slots */
	uint64_t c[SUB_NR];
	bool has_rate;
	double tx_pps, tx_bps;
};

/*
 * A receive queue of the running relay's AF_XDP path: its row of
 * xr_queues, in the order of struct xdprelay_queue.
 */
enum {
	Q_RX_PACKETS, Q_RX_BYTES, Q_TX_PACKETS, Q_TX_BYTES, Q_COPIES,
	Q_XSK_DROPPED, Q_FILL_EMPTY, Q_TX_INVALID, Q_NR
};

_Static_assert(sizeof(struct xdprelay_queue) == Q_NR * sizeof(__u64),
	       "one column per field of xr_queues");

static const struct tx_counter queue_counters[Q_NR] = {
	[Q_RX_PACKETS] = { "rx_packets", "RX_PKTS",
			   "Packets the queue's worker took from its AF_XDP socket" },
	[Q_RX_BYTES] = { "rx_bytes", "RX_BYTES",
			 "Bytes of the packets counted in rx_packets" },
	[Q_TX_PACKETS] = { "tx_packets", "TX_PKTS",
			   "Packets the queue's worker sent, one per subscriber" },
	[Q_TX_BYTES] = { "tx_bytes", "TX_BYTES",
			 "Bytes of the packets counted in tx_packets" },
	[Q_COPIES] = { "tx_copies", "COPIES",
		       "Payload copies the queue's worker made for fan-out" },
	[Q_XSK_DROPPED] = { "xsk_dropped", "XSK_DROP",
			    "Packets the kernel dropped on the way into the queue's socket: its RX ring full, or no room" },
	[Q_FILL_EMPTY] = { "fill_empty", "FILL_EMPTY",
			   "Times the kernel found no free frame on the queue's fill ring" },
	[Q_TX_INVALID] = { "tx_invalid", "TX_INVALID",
			   "Descriptors the kernel refused on the queue's TX rings" },
};

struct queue_row {
	unsigned int queue;
	char mode[16];
	uint64_t c[Q_NR];
	bool has_rate;
	double rx_pps, tx_pps;
};

struct sample {
	struct row *rows;	/* streams by id, then the total */
	unsigned int nr;	/* rows including the total */
	struct sub_row *subs;	/* the streams' subscribers, in order */
	unsigned int nsubs;
	unsigned int subs_cap;
	struct queue_row queues[XDPRELAY_MAX_QUEUES];
	unsigned int nq;	/* the relay's AF_XDP queues */
	const char *no_queues;	/* why there are none, for the table */
	double t;		/* CLOCK_MONOTONIC, seconds */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int rx_from_map(struct xr_state *st, struct row *r)
{
	struct xdprelay_counters *vals;
	int ncpus, cpu, i, ret = 0;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0)
		return ncpus;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(st->counters_fd, &r->id, vals)) {
		ret = -errno;
		pr_err("cannot read row %u of %s: %s", r->id,
		       XDPRELAY_MAP_COUNTERS, strerror(-ret));
		goto out;
	}
	for (cpu = 0; cpu < ncpus; cpu++)
		for (i = 0; i < XDPRELAY_NR_COUNTERS; i++)
			r->rx[i] += vals[cpu].c[i];
out:
	free(vals);
	return ret;
}

static int rx_from_sysfs(struct row *r)
{
	char path[PATH_MAX];
	size_t i;
	int ret;

	for (i = 0; i < XR_ARRAY_SIZE(rx_counters); i++) {
		const struct rx_counter *c = &rx_counters[i];

		if (r->id && c->global_only)
			continue;
		if (r->id)
			snprintf(path, sizeof(path), "%s/streams/%s/%s",
				 XR_SYSFS_DIR, r->name, c->name);
		else
			snprintf(path, sizeof(path), "%s/stats/%s",
				 XR_SYSFS_DIR, c->name);
		ret = xr_read_u64(path, &r->rx[c->idx]);
		if (ret == -ENOENT && r->id) {
			pr_warn("stream '%s' is not registered with xdprelay.ko: its receive counters read 0 (remove and add it again to register it)",
				r->name);
			return 0;
		}
		if (ret) {
			pr_err("cannot read %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* What the relay sent (xr_tx), and the program of direct streams. */
static int tx_read(struct xr_state *st, struct row *r)
{
	const struct xdprelay_tx *t = &st->tx[r->id];
	struct xdprelay_dtx d;
	int ret;

	ret = xr_dtx_read(st, r->id, &d);
	if (ret) {
		pr_err("cannot read row %u of %s: %s", r->id,
		       XDPRELAY_MAP_DTX, strerror(-ret));
		return ret;
	}
	r->tx[TX_PACKETS] = __atomic_load_n(&t->packets, __ATOMIC_RELAXED) +
			    d.packets;
	r->tx[TX_BYTES] = __atomic_load_n(&t->bytes, __ATOMIC_RELAXED) +
			  d.bytes;
	r->tx[TX_COPIES] = __atomic_load_n(&t->copies, __ATOMIC_RELAXED);
	r->tx[TX_ERRORS] = __atomic_load_n(&t->tx_errors, __ATOMIC_RELAXED) +
			   d.tx_errors;
	r->tx[TX_NO_NEIGH] = __atomic_load_n(&t->no_neigh, __ATOMIC_RELAXED) +
			     d.no_neigh;
	r->tx[RX_DROPPED] = __atomic_load_n(&t->rx_dropped, __ATOMIC_RELAXED);
	r->tx[HANDOFF_DROPPED] = d.handed > d.arrived ?
				 d.handed - d.arrived : 0;
	return 0;
}

/* Stream @r's row of xr_health, where there is one. */
static int health_read(struct xr_state *st, struct row *r)
{
	struct xdprelay_health h;
	struct timespec ts;
	unsigned int k;
	uint64_t now;

	r->has_health = false;
	if (!r->id || st->health_fd < 0)
		return 0;
	if (bpf_map_lookup_elem(st->health_fd, &r->id, &h)) {
		pr_err("cannot read row %u of %s: %s", r->id,
		       XDPRELAY_MAP_HEALTH, strerror(errno));
		return -errno;
	}
	r->has_health = true;
	r->kind = h.kind < XR_ARRAY_SIZE(kind_names) ? kind_names[h.kind] :
		  "unknown";
	r->h[H_TS_PACKETS] = h.ts_packets;
	r->h[H_SYNC_ERRORS] = h.sync_errors;
	r->h[H_TEI_PACKETS] = h.tei_packets;
	r->h[H_CC_ERRORS] = h.cc_errors;
	r->h[H_PIDS_UNCHECKED] = h.pids_unchecked;
	r->h[H_RTP_PACKETS] = h.rtp_packets;
	r->h[H_RTP_LOST] = h.rtp_lost;
	r->h[H_RTP_REORDERED] = h.rtp_reordered;
	r->h[H_RTP_DUPLICATES] = h.rtp_duplicates;
	r->h[H_SSRC_CHANGES] = h.ssrc_changes;
	r->h[H_PAT_ERRORS] = h.pat_errors;
	r->h[H_PMT_ERRORS] = h.pmt_errors;
	xr_health_psi(&h, &r->pat_missing, &r->pmt_missing);
	r->nr_pmts = 0;
	for (k = 0; k < h.nr_pmts && k < XDPRELAY_HEALTH_PMTS; k++)
		if (h.pmt_pids[k] != XDPRELAY_PMT_NONE)
			r->pmt_pids[r->nr_pmts++] = h.pmt_pids[k];
	/* J is kept times 16, in units of the 90 kHz RTP clock. */
	r->jitter_ms = h.jitter / 16.0 * 1000 / XDPRELAY_RTP_HZ;
	/* The program's clock: CLOCK_MONOTONIC. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	r->idle_s = !h.last_ns ? -1 : now > h.last_ns ?
		    (now - h.last_ns) / 1e9 : 0;
	return 0;
}

static int row_read(struct xr_state *st, struct row *r)
{
	int ret;

	ret = health_read(st, r);
	if (ret)
		return ret;

	if (xr_rx_in_map(st))
		ret = rx_from_map(st, r);
	else
		ret = rx_from_sysfs(r);
	if (ret)
		return ret;
	return tx_read(st, r);
}

/* The subscribers of stream @id, appended to @s->subs. */
static int subs_take(struct xr_state *st, uint32_t id, struct sample *s)
{
	struct xdprelay_subtx c;
	struct xdprelay_subs e;
	uint32_t seen = 0, j;
	struct sub_row *sr;
	int tries, ret;

	/* A writer holds the entry only for a moment. */
	for (tries = 0; tries < 1000; tries++) {
		seen = __atomic_load_n(&st->subs[id].seq, __ATOMIC_ACQUIRE) + 2;
		if (xr_subs_read(&st->subs[id], &e, &seen))
			break;
		usleep(1000);
	}
	if (tries == 1000) {
		pr_err("the subscribers of stream %u are being written and do not settle: is a writer stuck?",
		       id);
		return -EAGAIN;
	}
	if (s->nsubs + e.nr > s->subs_cap) {
		unsigned int cap = s->subs_cap * 2 + e.nr + 64;

		sr = realloc(s->subs, cap * sizeof(*sr));
		if (!sr) {
			pr_err("out of memory");
			return -ENOMEM;
		}
		s->subs = sr;
		s->subs_cap = cap;
	}
	for (j = 0; j < e.nr; j++) {
		sr = &s->subs[s->nsubs++];
		memset(sr, 0, sizeof(*sr));
		sr->id = id;
		sr->row = s->nr - 1;
		sr->ep = e.sub[j];
		if (!e.slot[j] || e.slot[j] >= XDPRELAY_SLOTS)
			continue;
		ret = xr_sub_read(st, e.slot[j], &c);
		if (ret) {
			pr_err("cannot read row %u of %s: %s", e.slot[j],
			       XDPRELAY_MAP_SUBTX, strerror(-ret));
			return ret;
		}
		sr->counted = true;
		sr->c[SUB_PACKETS] = c.packets;
		sr->c[SUB_BYTES] = c.bytes;
		sr->c[SUB_ERRORS] = c.tx_errors;
		sr->c[SUB_NO_NEIGH] = c.no_neigh;
	}
	return 0;
}

/* The AF_XDP queues the running relay serves, from xr_queues. */
static void queues_take(const struct xr_state *st,
			const struct relay_status *rs, struct sample *s)
{
	struct queue_row *qr;
	const __u64 *v;
	unsigned int q, k;

	s->nq = 0;
	s->no_queues = NULL;
	if (!rs->running) {
		s->no_queues = "no relay running";
		return;
	}
	if (!st->queues) {
		s->no_queues = "the attached program predates them: attach it again";
		return;
	}
	for (q = 0; q < XDPRELAY_MAX_QUEUES; q++) {
		if (strcmp(rs->queue_mode[q], "copy") &&
		    strcmp(rs->queue_mode[q], "zerocopy"))
			continue;
		qr = &s->queues[s->nq++];
		memset(qr, 0, sizeof(*qr));
		qr->queue = q;
		snprintf(qr->mode, sizeof(qr->mode), "%s", rs->queue_mode[q]);
		v = (const __u64 *)&st->queues[q];
		for (k = 0; k < Q_NR; k++)
			qr->c[k] = __atomic_load_n(&v[k], __ATOMIC_RELAXED);
	}
	if (!s->nq)
		s->no_queues = "the relay runs no AF_XDP queue";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sample_take(struct xr_state *st, const char *only,
		       struct sample *s)
{
	struct xdprelay_info info;
	struct relay_status rs;
	const char *why;
	struct row *r;
	uint32_t id;
	int ret = 0;

	relay_status_read(&rs);
	s->nr = 0;
	s->nsubs = 0;
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		if (bpf_map_lookup_elem(st->info_fd, &id, &info)) {
			ret = -errno;
			pr_err("cannot read %s: %s", XDPRELAY_MAP_INFO,
			       strerror(-ret));
			break;
		}
		info.name[XDPRELAY_NAME_LEN - 1] = '\0';
		if (!xr_name_valid(info.name))
			continue;
		if (only && strcmp(only, info.name))
			continue;
		r = &s->rows[s->nr++];
		memset(r, 0, sizeof(*r));
		r->id = id;
		memcpy(r->name, info.name, sizeof(r->name));
		snprintf(r->path, sizeof(r->path), "%s",
			 stream_runs(&rs, st, id, &why));
		ret = row_read(st, r);
		r->silent = r->has_health && r->idle_s >=
			    (rs.running && rs.silence_s ? rs.silence_s :
			     XR_SILENCE_DEFAULT_S);
		if (!ret)
			ret = subs_take(st, id, s);
		if (ret)
			break;
	}
	queues_take(st, &rs, s);
	relay_status_free(&rs);
	if (ret)
		return ret;
	if (only && !s->nr) {
		pr_err("no stream named '%s' (see 'xdprelayctl stream list')",
		       only);
		return -ENOENT;
	}
	r = &s->rows[s->nr++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "total");
	ret = row_read(st, r);
	s->t = now();
	return ret;
}

/* Rates against the same stream (id and name) in the previous sample. */
static void sample_rates(struct sample *s, const struct sample *prev)
{
	double dt = s->t - prev->t;
	unsigned int i, j, k;

	if (dt <= 0)
		return;
	for (i = 0; i < s->nr; i++) {
		struct row *r = &s->rows[i];

		for (j = 0; j < prev->nr; j++) {
			const struct row *p = &prev->rows[j];

			if (p->id != r->id || strcmp(p->name, r->name))
				continue;
			r->has_rate = true;
			r->rx_pps = (r->rx[XDPRELAY_RX_PACKETS] -
				     p->rx[XDPRELAY_RX_PACKETS]) / dt;
			r->rx_bps = (r->rx[XDPRELAY_RX_BYTES] -
				     p->rx[XDPRELAY_RX_BYTES]) * 8 / dt;
			r->tx_pps = (r->tx[TX_PACKETS] -
				     p->tx[TX_PACKETS]) / dt;
			r->tx_bps = (r->tx[TX_BYTES] -
				     p->tx[TX_BYTES]) * 8 / dt;
			break;
		}
	}
	for (i = 0; i < s->nsubs; i++) {
		struct sub_row *r = &s->subs[i];

		if (!r->counted)
			continue;
		/* Mostly where it was in the last sample: look there first. */
		for (k = 0; k <= prev->nsubs; k++) {
			const struct sub_row *p;

			j = !k ? i : k - 1;
			if (j >= prev->nsubs)
				continue;
			p = &prev->subs[j];
			if (p->id != r->id || !p->counted ||
			    !xr_endpoint_eq(&p->ep, &r->ep))
				continue;
			r->has_rate = true;
			r->tx_pps = (r->c[SUB_PACKETS] -
				     p->c[SUB_PACKETS]) / dt;
			r->tx_bps = (r->c[SUB_BYTES] - p->c[SUB_BYTES]) * 8 /
				    dt;
			break;
		}
	}
	for (i = 0; i < s->nq; i++) {
		struct queue_row *r = &s->queues[i];

		for (j = 0; j < prev->nq; j++) {
			const struct queue_row *p = &prev->queues[j];

			if (p->queue != r->queue)
				continue;
			r->has_rate = true;
			r->rx_pps = (r->c[Q_RX_PACKETS] -
				     p->c[Q_RX_PACKETS]) / dt;
			r->tx_pps = (r->c[Q_TX_PACKETS] -
				     p->c[Q_TX_PACKETS]) / dt;
			break;
		}
	}
}

/* Plain table */

struct column {
	const char *hdr;
	bool left;
	bool rate;		/* shown with --watch only */
	/* Writes the cell of @r into @buf. */
	void (*cell)(const struct row *r, const struct column *c, char *buf,
		     size_t len);
	int idx;
};

static void cell_name(const struct row *r, const struct column *c,
		      char *buf, size_t len)
{
	(void)c;
	snprintf(buf, len, "%s", r->name);
}

static void cell_id(const struct row *r, const struct column *c, char *buf,
		    size_t len)
{
	(void)c;
	if (r->id)
		snprintf(buf, len, "%u", r->id);
	else
		snprintf(buf, len, "-");
}

static void cell_path(const struct row *r, const struct column *c,
		      char *buf, size_t len)
{
	(void)c;
	snprintf(buf, len, "%s", r->id ? r->path : "-");
}

/*
 * What the stream carries and what is wrong with it: "mpegts ok",
 * "rtp-mpegts 3 cc 1 lost", "-" where nothing is checked.
 */
static void cell_health(const struct row *r, const struct column *c,
			char *buf, size_t len)
{
	size_t n;
	int k;

	(void)c;
	if (!r->has_health || r->idle_s < 0) {
		snprintf(buf, len, "-");
		return;
	}
	if (!strcmp(r->kind, kind_names[XDPRELAY_KIND_UNKNOWN])) {
		snprintf(buf, len, r->silent ? "silent %.0f s" : "-",
			 r->idle_s);
		return;
	}
	n = snprintf(buf, len, "%s", r->kind);
	for (k = 0; k < H_NR && n < len; k++) {
		if (k == H_TS_PACKETS || k == H_RTP_PACKETS ||
		    k == H_PIDS_UNCHECKED || !r->h[k])
			continue;
		n += snprintf(buf + n, len - n, " %llu %s",
			      (unsigned long long)r->h[k],
			      health_counters[k].hdr);
	}
	if (n < len && r->pat_missing)
		n += snprintf(buf + n, len - n, " no PAT");
	else if (n < len && r->pmt_missing)
		n += snprintf(buf + n, len - n, " no PMT");
	if (n < len && r->silent)
		n += snprintf(buf + n, len - n, " silent %.0f s", r->idle_s);
	if (n < len && !strchr(buf, ' '))
		snprintf(buf + n, len - n, " ok");
}

static void cell_rx(const struct row *r, const struct column *c, char *buf,
		    size_t len)
{
	if (r->id && rx_counters[c->idx].global_only)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu", (unsigned long long)
			 r->rx[rx_counters[c->idx].idx]);
}

static void cell_tx(const struct row *r, const struct column *c, char *buf,
		    size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)r->tx[c->idx]);
}

static void cell_rate(const struct row *r, const struct column *c,
		      char *buf, size_t len)
{
	static const size_t off[] = {
		offsetof(struct row, rx_pps), offsetof(struct row, rx_bps),
		offsetof(struct row, tx_pps), offsetof(struct row, tx_bps),
	};
	double v = *(const double *)((const char *)r + off[c->idx]);

	if (!r->has_rate)
		snprintf(buf, len, "-");
	else if (c->idx & 1)	/* bits/s, shown in Mbit/s */
		snprintf(buf, len, "%.1f", v / 1e6);
	else
		snprintf(buf, len, "%.0f", v);
}

#define NR_COLUMNS	(4 + 4 + XR_ARRAY_SIZE(rx_counters) + TX_NR)
#define CELL_LEN	96

static unsigned int columns_build(struct column *cols)
{
	unsigned int n = 0;
	size_t i;

	cols[n++] = (struct column){ "STREAM", true, false, cell_name, 0 };
	cols[n++] = (struct column){ "ID", false, false, cell_id, 0 };
	cols[n++] = (struct column){ "RX_PPS", false, true, cell_rate, 0 };
	cols[n++] = (struct column){ "RX_MBIT/S", false, true, cell_rate, 1 };
	cols[n++] = (struct column){ "TX_PPS", false, true, cell_rate, 2 };
	cols[n++] = (struct column){ "TX_MBIT/S", false, true, cell_rate, 3 };
	for (i = 0; i < XR_ARRAY_SIZE(rx_counters); i++)
		cols[n++] = (struct column){ rx_counters[i].hdr, false, false,
					     cell_rx, i };
	for (i = 0; i < TX_NR; i++)
		cols[n++] = (struct column){ tx_counters[i].hdr, false, false,
					     cell_tx, i };
	cols[n++] = (struct column){ "PATH", true, false, cell_path, 0 };
	cols[n++] = (struct column){ "HEALTH", true, false, cell_health, 0 };
	return n;
}

static void print_table(const struct sample *s, bool rates)
{
	struct column cols[NR_COLUMNS];
	unsigned int nc, c, i;
	int width[NR_COLUMNS];
	char cell[CELL_LEN];

	nc = columns_build(cols);
	for (c = 0; c < nc; c++) {
		width[c] = strlen(cols[c].hdr);
		for (i = 0; i < s->nr; i++) {
			cols[c].cell(&s->rows[i], &cols[c], cell, sizeof(cell));
			if ((int)strlen(cell) > width[c])
				width[c] = strlen(cell);
		}
	}
	for (i = 0; i <= s->nr; i++) {
		for (c = 0; c < nc; c++) {
			const char *text = cols[c].hdr;

			if (cols[c].rate && !rates)
				continue;
			if (i) {
				cols[c].cell(&s->rows[i - 1], &cols[c], cell,
					     sizeof(cell));
				text = cell;
			}
			printf("%s%*s", c ? "  " : "",
			       cols[c].left ? -width[c] : width[c], text);
		}
		printf("\n");
	}
}

/* Per subscriber, under the streams' table. */
static void print_subs_table(const struct sample *s, bool rates)
{
	static const char *const hdr[] = {
		"STREAM", "SUBSCRIBER", "TX_PPS", "TX_MBIT/S", "TX_PKTS",
		"TX_BYTES", "TX_ERRORS", "NO_NEIGH",
	};
	enum { NC = XR_ARRAY_SIZE(hdr) };
	char cell[NC][XR_ENDPOINT_STRLEN];
	int width[NC];
	unsigned int i, c, pass;

	for (c = 0; c < NC; c++)
		width[c] = strlen(hdr[c]);
	printf("\n");
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i <= s->nsubs; i++) {
			const struct sub_row *r = i ? &s->subs[i - 1] : NULL;

			for (c = 0; c < NC; c++) {
				if (!r) {
					snprintf(cell[c], sizeof(cell[c]), "%s",
						 hdr[c]);
				} else if (c == 0) {
					snprintf(cell[c], sizeof(cell[c]), "%s",
						 s->rows[r->row].name);
				} else if (c == 1) {
					xr_endpoint_str(&r->ep, cell[c]);
				} else if (!r->counted ||
					   (c < 4 && !r->has_rate)) {
					snprintf(cell[c], sizeof(cell[c]), "-");
				} else if (c == 2) {
					snprintf(cell[c], sizeof(cell[c]),
						 "%.0f", r->tx_pps);
				} else if (c == 3) {
					snprintf(cell[c], sizeof(cell[c]),
						 "%.1f", r->tx_bps / 1e6);
				} else {
					snprintf(cell[c], sizeof(cell[c]),
						 "%llu", (unsigned long long)
						 r->c[c - 4]);
				}
				if (!pass) {
					if ((int)strlen(cell[c]) > width[c])
						width[c] = strlen(cell[c]);
					continue;
				}
				if (!rates && (c == 2 || c == 3))
					continue;
				printf("%s%*s", c ? "  " : "",
				       c < 2 ? -width[c] : width[c], cell[c]);
			}
			if (pass)
				printf("\n");
		}
	}
}

/* Per receive queue, under the streams' table. */
static void print_queues_table(const struct sample *s, bool rates)
{
	enum { FIXED = 4, NC = FIXED + Q_NR };
	const char *hdr[NC] = { "QUEUE", "MODE", "RX_PPS", "TX_PPS" };
	char cell[NC][24];
	int width[NC];
	unsigned int i, c, pass;

	printf("\n");
	if (!s->nq) {
		printf("no AF_XDP queues: %s\n", s->no_queues);
		return;
	}
	for (c = FIXED; c < NC; c++)
		hdr[c] = queue_counters[c - FIXED].hdr;
	for (c = 0; c < NC; c++)
		width[c] = strlen(hdr[c]);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i <= s->nq; i++) {
			const struct queue_row *r = i ? &s->queues[i - 1] :
						  NULL;

			for (c = 0; c < NC; c++) {
				if (!r)
					snprintf(cell[c], sizeof(cell[c]), "%s",
						 hdr[c]);
				else if (c == 0)
					snprintf(cell[c], sizeof(cell[c]), "%u",
						 r->queue);
				else if (c == 1)
					snprintf(cell[c], sizeof(cell[c]), "%s",
						 r->mode);
				else if (c < FIXED && !r->has_rate)
					snprintf(cell[c], sizeof(cell[c]), "-");
				else if (c < FIXED)
					snprintf(cell[c], sizeof(cell[c]),
						 "%.0f", c == 2 ? r->rx_pps :
						 r->tx_pps);
				else
					snprintf(cell[c], sizeof(cell[c]),
						 "%llu", (unsigned long long)
						 r->c[c - FIXED]);
				if (!pass) {
					if ((int)strlen(cell[c]) > width[c])
						width[c] = strlen(cell[c]);
					continue;
				}
				if (!rates && (c == 2 || c == 3))
					continue;
				printf("%s%*s", c ? "  " : "",
				       c < 2 ? -width[c] : width[c], cell[c]);
			}
			if (pass)
				printf("\n");
		}
	}
}

/* JSON */

static void json_subs(const struct sample *s, const struct row *r)
{
	char ep[XR_ENDPOINT_STRLEN];
	unsigned int i, k;

	jw_key("subscribers");
	jw_arr_open();
	for (i = 0; i < s->nsubs; i++) {
		const struct sub_row *sr = &s->subs[i];

		if (&s->rows[sr->row] != r)
			continue;
		jw_obj_open();
		jw_kv_str("subscriber", xr_endpoint_str(&sr->ep, ep));
		jw_kv_bool("counted", sr->counted);
		if (sr->counted)
			for (k = 0; k < SUB_NR; k++)
				jw_kv_u64(sub_counters[k].name, sr->c[k]);
		if (sr->has_rate) {
			jw_key("rates");
			jw_obj_open();
			jw_key("tx_pps");
			jw_double(sr->tx_pps);
			jw_key("tx_bps");
			jw_double(sr->tx_bps);
			jw_obj_close();
		}
		jw_obj_close();
	}
	jw_arr_close();
}

static void json_health(const struct row *r)
{
	unsigned int k;

	jw_key("health");
	jw_obj_open();
	jw_kv_str("kind", r->kind);
	for (k = 0; k < H_NR; k++)
		jw_kv_u64(health_counters[k].name, r->h[k]);
	jw_key("jitter_ms");
	jw_double(r->jitter_ms);
	jw_key("idle_s");
	if (r->idle_s < 0)
		jw_null();
	else
		jw_double(r->idle_s);
	jw_kv_bool("silent", r->silent);
	jw_kv_bool("pat_missing", r->pat_missing);
	jw_kv_bool("pmt_missing", r->pmt_missing);
	jw_key("pmt_pids");
	jw_arr_open();
	for (k = 0; k < r->nr_pmts; k++)
		jw_u64(r->pmt_pids[k]);
	jw_arr_close();
	jw_obj_close();
}

static void json_row(const struct sample *s, const struct row *r)
{
	size_t i;

	jw_obj_open();
	if (r->id) {
		jw_kv_str("name", r->name);
		jw_kv_u64("id", r->id);
		jw_kv_str("path", r->path);
	}
	for (i = 0; i < XR_ARRAY_SIZE(rx_counters); i++)
		if (!r->id || !rx_counters[i].global_only)
			jw_kv_u64(rx_counters[i].name,
				  r->rx[rx_counters[i].idx]);
	for (i = 0; i < TX_NR; i++)
		jw_kv_u64(tx_counters[i].name, r->tx[i]);
	if (r->has_rate) {
		jw_key("rates");
		jw_obj_open();
		jw_key("rx_pps");
		jw_double(r->rx_pps);
		jw_key("rx_bps");
		jw_double(r->rx_bps);
		jw_key("tx_pps");
		jw_double(r->tx_pps);
		jw_key("tx_bps");
		jw_double(r->tx_bps);
		jw_obj_close();
	}
	if (r->has_health)
		json_health(r);
	if (r->id)
		json_subs(s, r);
	jw_obj_close();
}

static void json_queues(const struct sample *s)
{
	unsigned int i, k;

	jw_key("queues");
	jw_arr_open();
	for (i = 0; i < s->nq; i++) {
		const struct queue_row *r = &s->queues[i];

		jw_obj_open();
		jw_kv_u64("queue", r->queue);
		jw_kv_str("mode", r->mode);
		for (k = 0; k < Q_NR; k++)
			jw_kv_u64(queue_counters[k].name, r->c[k]);
		if (r->has_rate) {
			jw_key("rates");
			jw_obj_open();
			jw_key("rx_pps");
			jw_double(r->rx_pps);
			jw_key("tx_pps");
			jw_double(r->tx_pps);
			jw_obj_close();
		}
		jw_obj_close();
	}
	jw_arr_close();
}

static void print_json(const struct sample *s)
{
	unsigned int i;

	jw_obj_open();
	jw_key("streams");
	jw_arr_open();
	for (i = 0; i + 1 < s->nr; i++)
		json_row(s, &s->rows[i]);
	jw_arr_close();
	jw_key("total");
	json_row(s, &s->rows[s->nr - 1]);
	json_queues(s);
	jw_obj_close();
}

/* Prometheus text format: streams labelled, the total unlabelled. */

static void prom_header(const char *metric, const char *help)
{
	printf("# HELP %s %s.\n", metric, help);
	printf("# TYPE %s counter\n", metric);
}

/* One counter: a family labelled by stream, and the global one. */
static void prom_family(const struct sample *s, const char *name,
			const char *help, bool global_only, int rx_idx,
			int tx_idx)
{
	const struct row *r;
	char metric[64];
	unsigned int i;

	if (!global_only) {
		snprintf(metric, sizeof(metric), "xdprelay_stream_%s_total",
			 name);
		prom_header(metric, help);
		for (i = 0; i + 1 < s->nr; i++) {
			r = &s->rows[i];
			printf("%s{stream=\"%s\"} %llu\n", metric, r->name,
			       (unsigned long long)(rx_idx >= 0 ?
			       r->rx[rx_idx] : r->tx[tx_idx]));
		}
	}
	r = &s->rows[s->nr - 1];
	snprintf(metric, sizeof(metric), "xdprelay_%s_total", name);
	prom_header(metric, help);
	printf("%s %llu\n", metric, (unsigned long long)(rx_idx >= 0 ?
	       r->rx[rx_idx] : r->tx[tx_idx]));
}

/* A subscriber's counter, labelled by stream and subscriber. */
static void prom_subs(const struct sample *s, unsigned int k)
{
	char metric[64], ep[XR_ENDPOINT_STRLEN];
	unsigned int i;

	snprintf(metric, sizeof(metric), "xdprelay_subscriber_%s_total",
		 sub_counters[k].name);
	prom_header(metric, sub_counters[k].help);
	for (i = 0; i < s->nsubs; i++) {
		const struct sub_row *sr = &s->subs[i];

		if (!sr->counted)
			continue;
		printf("%s{stream=\"%s\",subscriber=\"%s\"} %llu\n", metric,
		       s->rows[sr->row].name, xr_endpoint_str(&sr->ep, ep),
		       (unsigned long long)sr->c[k]);
	}
}

/* A receive queue's counter, labelled by queue and mode. */
static void prom_queues(const struct sample *s, unsigned int k)
{
	char metric[64];
	unsigned int i;

	snprintf(metric, sizeof(metric), "xdprelay_queue_%s_total",
		 queue_counters[k].name);
	prom_header(metric, queue_counters[k].help);
	for (i = 0; i < s->nq; i++)
		printf("%s{queue=\"%u\",mode=\"%s\"} %llu\n", metric,
		       s->queues[i].queue, s->queues[i].mode,
		       (unsigned long long)s->queues[i].c[k]);
}

/* The streams' health: counters, and jitter as a gauge. */
static void print_prom_health(const struct sample *s)
{
	const char *jitter = "xdprelay_stream_jitter_seconds";
	char metric[64];
	unsigned int i, k;

	for (k = 0; k < H_NR; k++) {
		snprintf(metric, sizeof(metric), "xdprelay_stream_%s_total",
			 health_counters[k].name);
		prom_header(metric, health_counters[k].help);
		for (i = 0; i + 1 < s->nr; i++)
			if (s->rows[i].has_health)
				printf("%s{stream=\"%s\",kind=\"%s\"} %llu\n",
				       metric, s->rows[i].name,
				       s->rows[i].kind,
				       (unsigned long long)s->rows[i].h[k]);
	}
	printf("# HELP xdprelay_stream_silent 1 while the stream has had no packet for run --silence seconds.\n");
	printf("# TYPE xdprelay_stream_silent gauge\n");
	for (i = 0; i + 1 < s->nr; i++)
		if (s->rows[i].has_health)
			printf("xdprelay_stream_silent{stream=\"%s\"} %d\n",
			       s->rows[i].name, s->rows[i].silent);
	printf("# HELP xdprelay_stream_psi_missing 1 while the stream's PAT, or a PMT it names, is more than 0.5 s overdue.\n");
	printf("# TYPE xdprelay_stream_psi_missing gauge\n");
	for (i = 0; i + 1 < s->nr; i++)
		if (s->rows[i].has_health && s->rows[i].h[H_TS_PACKETS]) {
			printf("xdprelay_stream_psi_missing{stream=\"%s\",table=\"pat\"} %d\n",
			       s->rows[i].name, s->rows[i].pat_missing);
			printf("xdprelay_stream_psi_missing{stream=\"%s\",table=\"pmt\"} %d\n",
			       s->rows[i].name, s->rows[i].pmt_missing);
		}
	printf("# HELP %s RTP interarrival jitter (RFC 3550), 90 kHz clock.\n",
	       jitter);
	printf("# TYPE %s gauge\n", jitter);
	for (i = 0; i + 1 < s->nr; i++)
		if (s->rows[i].has_health && s->rows[i].h[H_RTP_PACKETS])
			printf("%s{stream=\"%s\"} %.6f\n", jitter,
			       s->rows[i].name, s->rows[i].jitter_ms / 1000);
}

static void print_prometheus(const struct sample *s)
{
	const char *metric = "xdprelay_stream_path";
	unsigned int j;
	size_t i;

	printf("# HELP %s The path a stream runs: direct, afxdp, socket or none.\n",
	       metric);
	printf("# TYPE %s gauge\n", metric);
	for (j = 0; j + 1 < s->nr; j++)
		printf("%s{stream=\"%s\",path=\"%s\"} 1\n", metric,
		       s->rows[j].name, s->rows[j].path);

	for (i = 0; i < XR_ARRAY_SIZE(rx_counters); i++)
		prom_family(s, rx_counters[i].name, rx_counters[i].help,
			    rx_counters[i].global_only, rx_counters[i].idx,
			    -1);
	for (i = 0; i < TX_NR; i++)
		prom_family(s, tx_counters[i].name, tx_counters[i].help,
			    false, -1, i);
	for (i = 0; i < SUB_NR; i++)
		prom_subs(s, i);
	for (i = 0; i < Q_NR; i++)
		prom_queues(s, i);
	print_prom_health(s);
}

static void sample_print(const struct xr_stats_cfg *cfg,
			 const struct sample *s, bool clear)
{
	if (cfg->json) {
		print_json(s);
	} else if (cfg->prometheus) {
		print_prometheus(s);
	} else {
		if (clear)
			printf("\033[H\033[2J");
		if (cfg->watch)
			printf("every %u s; Ctrl-C stops\n", cfg->watch);
		print_table(s, cfg->watch);
		if (cfg->subscribers)
			print_subs_table(s, cfg->watch);
		if (cfg->queues)
			print_queues_table(s, cfg->watch);
	}
	fflush(stdout);
}

/* Sleeps @sec seconds, or less when a signal asks to stop. */
static void watch_sleep(uint32_t sec)
{
	struct timespec ts = { .tv_sec = sec };

	while (!stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int xr_stats_cmd(void *arg)
{
	struct xr_stats_cfg *cfg = arg;
	struct sample cur = {}, prev = {}, tmp;
	struct sigaction sa = { .sa_handler = on_signal };
	struct xr_state st;
	bool clear;
	uint32_t n;
	int ret;

	if (cfg->json && cfg->prometheus) {
		pr_err("--json and --prometheus exclude each other: choose one");
		return -XR_EUSAGE;
	}
	if (cfg->count && !cfg->watch) {
		pr_err("--count needs --watch SEC");
		return -XR_EUSAGE;
	}

	ret = xr_state_open(&st);
	if (ret)
		return ret;
	if (st.counters_fd < 0 && !st.module) {
		pr_err("no receive counters: the program attached counts through xdprelay.ko (no %s pinned in %s), which is not loaded; load it with 'insmod kmod/xdprelay.ko', or attach bpf/xdprelay_maps.bpf.o instead",
		       XDPRELAY_MAP_COUNTERS, xr_pin_dir());
		ret = -ENOENT;
		goto out;
	}

	cur.rows = calloc(XDPRELAY_MAX_STREAMS, sizeof(struct row));
	prev.rows = calloc(XDPRELAY_MAX_STREAMS, sizeof(struct row));
	if (!cur.rows || !prev.rows) {
		ret = -ENOMEM;
		pr_err("out of memory");
		goto out;
	}

	/* No SA_RESTART: the signal ends the sleep at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clear = cfg->watch && isatty(STDOUT_FILENO) && !cfg->json &&
		!cfg->prometheus;

	for (n = 0; !stop; n++) {
		ret = sample_take(&st, cfg->name, &cur);
		if (ret)
			break;
		if (n)
			sample_rates(&cur, &prev);
		if (n && !clear && !cfg->json)
			printf("\n");
		sample_print(cfg, &cur, clear);
		if (!cfg->watch || (cfg->count && n + 1 >= cfg->count))
			break;
		watch_sleep(cfg->watch);
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
out:
	free(cur.rows);
	free(prev.rows);
	free(cur.subs);
	free(prev.subs);
	xr_state_close(&st);
	return ret;
}
