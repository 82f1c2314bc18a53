// SPDX-License-Identifier: GPL-2.0
/*
 * The relay behind `xdprelayctl run`.
 *
 * One worker thread per ingress RX queue, pinned to a CPU, owns an AF_XDP
 * socket on that queue and one on the egress interface sharing its UMEM:
 * a frame goes from RX to TX by its descriptor, its headers rewritten in
 * place for the last subscriber, copied into a free frame for the others.
 * Workers make no syscall, allocation or lock per packet: subscriber lists
 * come from the mmapped xr_subs through a per-stream cache, next hops from
 * the neighbour table that the main thread keeps, counters reach xr_tx once
 * per batch.
 *
 * The main thread ticks every XR_TICK_MS: signals, new subscribers and
 * their routes, stream settings, multicast groups, the module's transmit
 * counters; a change of a neighbour or a route that the kernel announces
 * wakes it at once.  At stop it takes the sockets out of xr_xsks first, lets the
 * workers drain, and checks that every frame came home.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "xdprelay.h"
#include "control.h"
#include "neigh.h"
#include "relay.h"
#include "report.h"
#include "rewrite.h"
#include "state.h"
#include "util.h"
#include "xsk.h"

#define XR_TICK_MS		100
#define XR_APPLY_POLL_MS	2	/* while subscribers wait to resolve */
#define XR_FULL_REFRESH_MS	1000	/* routes, streams, groups, module */
#define XR_EVENT_REFRESH_MS	20	/* at most, on neighbour events */
#define XR_STARTUP_RESOLVE_MS	500	/* first neighbour resolution */
#define XR_IDLE_POLL_MS		100
#define XR_TX_POLL_MS		1	/* while frames are on their way */
#define XR_TX_RETRIES		4	/* waits for room on a full TX ring */
#define XR_STOP_GRACE_MS	20	/* redirects already under way */
#define XR_STOP_DRAIN_MS	1000	/* completions still outstanding */
#define XR_XDP_HEADROOM		256	/* XDP_PACKET_HEADROOM */
#define XR_MAX_FRAME_SIZE	4096
#define XR_MAX_RING		8192
#define XR_SEEN_NONE		UINT32_MAX

/* A per-stream setting published by the main thread for the workers. */
#define XR_CTL_KNOWN		(1U << 16)

struct acc {
	uint64_t packets;
	uint64_t bytes;
	uint64_t copies;
	uint64_t tx_errors;
	uint64_t no_neigh;
};

struct out_desc {
	uint64_t addr;
	uint32_t len;
	uint32_t stream;
};

/*
 * Bytes of a frame that a rewrite changes: Ethernet, two VLAN tags, an
 * IPv4 header with options, UDP.
 */
#define XR_STASH_LEN	96
_Static_assert(XR_ETH_HLEN + XR_MAX_VLAN * XR_VLAN_HLEN + 60 + 8 <=
	       XR_STASH_LEN, "the stash holds every header xr_parse() takes");

/*
 * A frame relayed to several subscribers where the kernel copies what it
 * sends: rewritten for one subscriber per round, its headers restored in
 * between, so that no payload is copied.
 */
struct fan {
	uint64_t addr;
	const struct xr_tpl *tpl;	/* the stream cache's, cnt of them */
	struct xr_pkt p;
	uint32_t stream;
	uint16_t cnt;
	uint16_t hlen;
	uint8_t stash[XR_STASH_LEN];	/* the headers as received */
};

/* A worker's view of one stream: the resolved subscribers' headers. */
struct stream_cache {
	bool valid;
	uint32_t seq;		/* of the xr_subs entry copied */
	uint32_t ngen;		/* neighbour table generation */
	uint32_t cgen;		/* stream settings generation */
	uint8_t n[2];		/* resolved subscribers, IPv4 and IPv6 */
	uint8_t no_neigh[2];	/* unresolved ones */
	struct xr_tpl tpl[XDPRELAY_MAX_SUBS];	/* IPv4 first, then IPv6 */
	struct xdprelay_subs subs;
};

struct relay;

struct worker {
	struct relay *r;
	unsigned int queue;
	int cpu;
	pthread_t thread;
	bool started;
	bool registered;	/* in xr_xsks */
	struct xr_xsk x;
	int zc_err;		/* why zero-copy was not had, in auto mode */
	const char *zc_failed;

	uint32_t ngen, cgen;
	struct stream_cache *cache;	/* by stream id */
	struct acc *acc;		/* by stream id, this batch */
	uint8_t *dirty;
	uint16_t *dirty_ids;
	uint32_t ndirty;
	struct acc acc0;		/* no stream: bad metadata */
	struct out_desc *out;
	struct fan *fan;		/* this batch's, up to r->batch */
	uint32_t nfan;

	/*
	 * Busy polling: whether the kernel has a NAPI instance to poll for
	 * the ingress socket (SO_INCOMING_NAPI_ID, known once a frame came).
	 */
	bool napi_known;
	bool napi_polled;

	uint64_t rx_packets;
	uint64_t bad_meta;
	uint64_t malformed;
	int err;		/* what stopped the worker early */
	int done;
};

struct mcast_join {
	int fd;
	uint16_t family;
	uint16_t vlan;
	uint8_t group[16];
	bool warned;
};

struct relay {
	const struct relay_config *cfg;
	struct xr_state st;
	bool st_open;
	int ingress_ifindex;
	int egress_ifindex;
	uint8_t egress_mac[6];
	unsigned int nq;
	unsigned int batch;
	unsigned int frames;
	unsigned int frame_size;
	unsigned int ring_size;
	unsigned int reserve;	/* free frames kept back for copies */
	struct worker *w;
	struct xr_neigh *neigh;

	/* Shared with the workers. */
	uint32_t ctl[XDPRELAY_MAX_STREAMS];
	uint32_t cgen;
	int stop;
	struct relay_egress egress;

	/* The main thread's. */
	struct xdprelay_subs *subs;
	uint32_t *subs_seen;
	uint32_t *apply_seq;	/* seq to publish as applied, 0: none */
	int apply_pending;
	struct mcast_join mc[XDPRELAY_MAX_STREAMS];
	struct xr_reporter rep;
	uint64_t xsk_drops;	/* the kernel's, as last added to xr_tx */
	int neigh_pending;
	int sfd;		/* SIGINT, SIGTERM, SIGHUP */
	struct relay_reload reload;
	bool status_written;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *addr_str(int family, const uint8_t *addr, char *buf,
			    size_t len)
{
	if (!inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- data path ---------------------------------------------------- */

static inline struct acc *acc_get(struct worker *w, uint32_t id)
{
	if (!w->dirty[id]) {
		w->dirty[id] = 1;
		w->dirty_ids[w->ndirty++] = id;
	}
	return &w->acc[id];
}

static void row_add(struct xdprelay_tx *row, const struct acc *a)
{
	if (a->packets)
		__atomic_fetch_add(&row->packets, a->packets,
				   __ATOMIC_RELAXED);
	if (a->bytes)
		__atomic_fetch_add(&row->bytes, a->bytes, __ATOMIC_RELAXED);
	if (a->copies)
		__atomic_fetch_add(&row->copies, a->copies, __ATOMIC_RELAXED);
	if (a->tx_errors)
		__atomic_fetch_add(&row->tx_errors, a->tx_errors,
				   __ATOMIC_RELAXED);
	if (a->no_neigh)
		__atomic_fetch_add(&row->no_neigh, a->no_neigh,
				   __ATOMIC_RELAXED);
}

/* Once per batch: the streams touched, and their sum into row 0. */
static void flush_counters(struct worker *w)
{
	struct xdprelay_tx *tx = w->r->st.tx;
	struct acc total = w->acc0;
	uint32_t i;

	for (i = 0; i < w->ndirty; i++) {
		uint32_t id = w->dirty_ids[i];
		struct acc *a = &w->acc[id];

		row_add(&tx[id], a);
		total.packets += a->packets;
		total.bytes += a->bytes;
		total.copies += a->copies;
		total.tx_errors += a->tx_errors;
		total.no_neigh += a->no_neigh;
		memset(a, 0, sizeof(*a));
		w->dirty[id] = 0;
	}
	w->ndirty = 0;
	row_add(&tx[0], &total);
	memset(&w->acc0, 0, sizeof(w->acc0));
}

/* Headers for every resolved subscriber of the cached list. */
static void build_tpls(struct worker *w, uint32_t id, struct stream_cache *sc)
{
	struct relay *r = w->r;
	uint32_t ctl = __atomic_load_n(&r->ctl[id], __ATOMIC_RELAXED);
	uint32_t nr = sc->subs.nr, j, fi, t = 0;
	static const int families[2] = { AF_INET, AF_INET6 };

	if (nr > XDPRELAY_MAX_SUBS)
		nr = XDPRELAY_MAX_SUBS;
	memset(sc->n, 0, sizeof(sc->n));
	memset(sc->no_neigh, 0, sizeof(sc->no_neigh));

	for (fi = 0; fi < 2; fi++) {
		for (j = 0; j < nr; j++) {
			const struct xdprelay_endpoint *ep = &sc->subs.sub[j];
			struct xr_tpl *tp = &sc->tpl[t];
			struct xr_nh nh;

			/* A frame of one family goes to subscribers of the
			 * same: the CLI refuses the others, skip them too.
			 */
			if (ep->family != families[fi])
				continue;
			if (!(ctl & XR_CTL_KNOWN) ||
			    !xr_neigh_lookup(r->neigh, ep->family, ep->addr,
					     &nh) || nh.state != XR_NH_OK) {
				sc->no_neigh[fi]++;
				continue;
			}
			memset(tp, 0, sizeof(*tp));
			memcpy(tp->eth_dst, nh.mac, 6);
			memcpy(tp->eth_src, r->egress_mac, 6);
			tp->family = ep->family;
			tp->ttl = XR_DEFAULT_TTL;
			tp->sport = ctl & 0xffff;
			tp->dport = ep->port;
			memcpy(tp->saddr, nh.src, 16);
			memcpy(tp->daddr, ep->addr, 16);
			sc->n[fi]++;
			t++;
		}
	}
}

static struct stream_cache *stream_get(struct worker *w, uint32_t id)
{
	const struct xdprelay_subs *e = &w->r->st.subs[id];
	struct stream_cache *sc = &w->cache[id];
	uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);

	if (sc->valid && sc->seq == seq && sc->ngen == w->ngen &&
	    sc->cgen == w->cgen)
		return sc;
	if (!sc->valid || sc->seq != seq) {
		/* Anything but the current seq: copy. */
		uint32_t seen = seq + 2;

		if (xr_subs_read(e, &sc->subs, &seen))
			sc->seq = seen;
		else if (!sc->valid)
			return sc;	/* a writer is busy: nobody yet */
		/* Else the old list until the writer is done. */
	}
	build_tpls(w, id, sc);
	sc->ngen = w->ngen;
	sc->cgen = w->cgen;
	sc->valid = true;
	return sc;
}

/*
 * One received frame, rewritten for its subscribers: where the kernel
 * copies what it sends, for the first of them now and the others in
 * fan_rounds(); else N-1 copies into free frames and the original,
 * rewritten last.  Appends to w->out; returns the new count.
 */
static uint32_t relay_frame(struct worker *w, uint64_t addr, uint32_t len,
			    uint32_t nout)
{
	struct xr_xsk *x = &w->x;
	uint64_t off = addr & (x->frame_size - 1);
	uint8_t *data = xsk_umem__get_data(x->area, addr);
	const struct xr_tpl *tpl;
	struct xdprelay_meta meta;
	struct stream_cache *sc;
	uint32_t k, cnt, fi, start, olen;
	struct xr_pkt p;
	struct acc *a;

	if (off < sizeof(meta) || off + len > x->frame_size)
		goto bad_meta;
	memcpy(&meta, data - sizeof(meta), sizeof(meta));
	if (meta.magic != XDPRELAY_META_MAGIC || !meta.stream_id ||
	    meta.stream_id >= XDPRELAY_MAX_STREAMS)
		goto bad_meta;
	/* So that the frame cannot pass for a marked one next time. */
	memset(data - sizeof(meta), 0, sizeof(meta));

	a = acc_get(w, meta.stream_id);
	if (xr_parse(data, len, &p)) {
		w->malformed++;
		a->tx_errors++;
		xr_frame_put(x, addr);
		return nout;
	}
	sc = stream_get(w, meta.stream_id);
	fi = p.family == AF_INET6;
	a->no_neigh += sc->no_neigh[fi];
	cnt = sc->n[fi];
	if (!cnt) {
		xr_frame_put(x, addr);
		return nout;
	}
	/* The egress would drop them without a word: count them here. */
	if (!__atomic_load_n(&w->r->egress.up, __ATOMIC_RELAXED)) {
		a->tx_errors += cnt;
		xr_frame_put(x, addr);
		return nout;
	}
	tpl = sc->tpl + (fi ? sc->n[0] : 0);
	olen = xr_out_len(&p);

	/* A batch has at most r->batch frames: w->fan has room. */
	if (cnt > 1 && x->tx_copies) {
		struct fan *fn = &w->fan[w->nfan++];

		fn->addr = addr;
		fn->tpl = tpl;
		fn->p = p;
		fn->stream = meta.stream_id;
		fn->cnt = cnt;
		fn->hlen = p.l4_off + 8;
		memcpy(fn->stash, data, fn->hlen);
		/* The worker's hold, then the first round's descriptor. */
		xr_frame_hold(x, addr);
		xr_frame_hold(x, addr);
		start = xr_rewrite(data, &p, &tpl[0]);
		w->out[nout++] = (struct out_desc){ addr + start, olen,
						    meta.stream_id };
		return nout;
	}

	for (k = 0; k + 1 < cnt; k++) {
		uint8_t *copy;
		uint64_t f;

		if (!xr_frame_get(x, &f)) {
			xr_xsk_reclaim(x);
			if (!xr_frame_get(x, &f)) {
				a->tx_errors += cnt - 1 - k;
				break;
			}
		}
		/* Same offset in the new frame: the same room in front. */
		f += off;
		copy = xsk_umem__get_data(x->area, f);
		memcpy(copy + p.l3_off, data + p.l3_off, p.ip_len);
		start = xr_rewrite(copy, &p, &tpl[k]);
		w->out[nout++] = (struct out_desc){ f + start, olen,
						    meta.stream_id };
		a->copies++;
	}
	start = xr_rewrite(data, &p, &tpl[cnt - 1]);
	w->out[nout++] = (struct out_desc){ addr + start, olen,
					    meta.stream_id };
	return nout;

bad_meta:
	w->bad_meta++;
	w->acc0.tx_errors++;
	xr_frame_put(x, addr);
	return nout;
}

/*
 * Put w->out on the TX ring.  When the ring is full, let the kernel drain
 * it a bounded number of times; what still does not fit goes back to the
 * free list as tx_errors.
 */
static void transmit(struct worker *w, uint32_t nout)
{
	struct xr_xsk *x = &w->x;
	uint32_t sent = 0, tries = 0, k, i, idx;
	int err;

	while (sent < nout) {
		k = xsk_prod_nb_free(&x->tx, nout - sent);
		if (k > nout - sent)
			k = nout - sent;
		if (k && xsk_ring_prod__reserve(&x->tx, k, &idx) == k) {
			for (i = 0; i < k; i++) {
				const struct out_desc *o = &w->out[sent + i];
				struct xdp_desc *d;
				struct acc *a;

				d = xsk_ring_prod__tx_desc(&x->tx, idx + i);
				d->addr = o->addr;
				d->len = o->len;
				d->options = 0;
				a = acc_get(w, o->stream);
				a->packets++;
				a->bytes += o->len;
			}
			xsk_ring_prod__submit(&x->tx, k);
			x->in_tx += k;
			sent += k;
			continue;
		}
		if (++tries > XR_TX_RETRIES)
			break;
		err = xr_xsk_kick_tx(x);
		if (err) {
			w->err = err;
			break;
		}
		xr_xsk_reclaim(x);
		if (!xsk_prod_nb_free(&x->tx, 1)) {
			struct pollfd pfd = { .fd = x->tx_fd, .events = POLLOUT };

			poll(&pfd, 1, XR_TX_POLL_MS);
		}
	}
	for (i = sent; i < nout; i++) {
		xr_frame_put(x, w->out[i].addr);
		acc_get(w, w->out[i].stream)->tx_errors++;
	}
	if (sent) {
		err = xr_xsk_kick_tx(x);
		if (err)
			w->err = err;
	}
}

/*
 * Until the kernel has taken every descriptor off the TX ring, which in
 * copy mode means it copied their frames.  False when it would not within
 * the bounded retries.
 */
static bool tx_drain(struct worker *w)
{
	struct xr_xsk *x = &w->x;
	struct pollfd pfd = { .fd = x->tx_fd, .events = POLLOUT };
	uint32_t tries;
	int err;

	for (tries = 0; xr_xsk_tx_queued(x); tries++) {
		if (tries > XR_TX_RETRIES)
			return false;
		err = xr_xsk_kick_tx(x);
		if (err) {
			w->err = err;
			return false;
		}
		xr_xsk_reclaim(x);
		if (xr_xsk_tx_queued(x))
			poll(&pfd, 1, XR_TX_POLL_MS);
	}
	return true;
}

/*
 * The batch's fan-out frames went out for their first subscriber with it;
 * the others follow a round each, each round once the kernel copied the
 * last.  What a ring that does not drain leaves unsent counts as
 * tx_errors.
 */
static void fan_rounds(struct worker *w)
{
	struct xr_xsk *x = &w->x;
	uint32_t i, k, nout, start, rounds = 0;

	for (i = 0; i < w->nfan; i++)
		if (w->fan[i].cnt > rounds)
			rounds = w->fan[i].cnt;
	for (k = 1; k < rounds; k++) {
		if (!tx_drain(w))
			break;
		nout = 0;
		for (i = 0; i < w->nfan; i++) {
			struct fan *fn = &w->fan[i];
			uint8_t *data;

			if (k >= fn->cnt)
				continue;
			data = xsk_umem__get_data(x->area, fn->addr);
			memcpy(data, fn->stash, fn->hlen);
			start = xr_rewrite(data, &fn->p, &fn->tpl[k]);
			xr_frame_hold(x, fn->addr);
			w->out[nout++] = (struct out_desc){
				fn->addr + start, xr_out_len(&fn->p),
				fn->stream };
		}
		transmit(w, nout);
	}
	for (i = 0; i < w->nfan; i++) {
		struct fan *fn = &w->fan[i];

		if (fn->cnt > k)
			acc_get(w, fn->stream)->tx_errors += fn->cnt - k;
		xr_frame_put(x, fn->addr);
	}
	w->nfan = 0;
}

static void relay_batch(struct worker *w, uint32_t idx, uint32_t n)
{
	struct xr_xsk *x = &w->x;
	uint32_t i, nout = 0;

	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx,
								  idx + i);

		nout = relay_frame(w, d->addr, d->len, nout);
	}
	xsk_ring_cons__release(&x->rx, n);
	w->rx_packets += n;
	transmit(w, nout);
	if (w->nfan)
		fan_rounds(w);
}

/* Nothing received: push out what waits, then sleep a bounded time. */
static void idle(struct worker *w, bool stopping)
{
	struct xr_xsk *x = &w->x;
	struct pollfd pfd = { .fd = x->rx_fd, .events = POLLIN };
	int err;

	if (xr_xsk_tx_queued(x)) {
		err = xr_xsk_kick_tx(x);
		if (err)
			w->err = err;
	}
	if (w->r->cfg->busy_poll && !stopping) {
		/*
		 * Drives the device's NAPI from here (SO_BUSY_POLL) where the
		 * kernel has one for the socket; else (veth, generic XDP) the
		 * system call would only delay the next look at the ring.
		 */
		if (w->napi_polled)
			recvfrom(x->rx_fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		else
			xr_cpu_relax();
		return;
	}
	poll(&pfd, 1, x->in_tx || stopping ? XR_TX_POLL_MS : XR_IDLE_POLL_MS);
}

#ifndef SO_INCOMING_NAPI_ID
#define SO_INCOMING_NAPI_ID	56
#endif
static void napi_check(struct worker *w)
{
	unsigned int id = 0;
	socklen_t len = sizeof(id);

	w->napi_known = true;
	if (getsockopt(w->x.rx_fd, SOL_SOCKET, SO_INCOMING_NAPI_ID, &id,
		       &len))
		id = 0;
	/* The kernel reports 0 for an id that names no NAPI instance. */
	w->napi_polled = id != 0;
	if (w->r->cfg->busy_poll)
		pr_debug("queue %u: %s", w->queue, w->napi_polled ?
			 "busy polling the device's NAPI" :
			 "no NAPI to busy-poll: spinning on the RX ring");
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct relay *r = w->r;
	struct xr_xsk *x = &w->x;
	uint64_t stop_at = 0, now;
	uint32_t idx, n;

	for (;;) {
		if (!stop_at && __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			stop_at = now_ms();
		if (stop_at) {
			now = now_ms();
			if (now - stop_at >= XR_STOP_DRAIN_MS)
				break;
			if (now - stop_at >= XR_STOP_GRACE_MS && !x->in_tx &&
			    !xsk_cons_nb_avail(&x->rx, 1))
				break;
		}
		w->ngen = xr_neigh_gen(r->neigh);
		w->cgen = __atomic_load_n(&r->cgen, __ATOMIC_ACQUIRE);

		xr_xsk_reclaim(x);
		/* After stop nothing new arrives: leave the fill ring be. */
		if (!stop_at && xr_xsk_refill(x, r->reserve) &&
		    xsk_ring_prod__needs_wakeup(&x->fill))
			recvfrom(x->rx_fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);

		n = xsk_ring_cons__peek(&x->rx, r->batch, &idx);
		if (n && !w->napi_known)
			napi_check(w);
		if (n) {
			x->in_fill -= n;
			relay_batch(w, idx, n);
			flush_counters(w);
		} else {
			idle(w, stop_at);
		}
		if (w->err)
			break;
	}
	xr_xsk_reclaim(x);
	flush_counters(w);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ---- set-up ------------------------------------------------------- */

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

static int check_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return 0;	/* cannot tell: the calls will */
	if (has_cap(d, CAP_NET_ADMIN) && has_cap(d, CAP_NET_RAW) &&
	    (has_cap(d, CAP_BPF) || has_cap(d, CAP_SYS_ADMIN)))
		return 0;
	pr_err("run needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF (AF_XDP sockets, the pinned maps): run it as root, or grant them (systemd AmbientCapabilities=)");
	return -EPERM;
}

static int if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

/* Combined plus RX-only channels; 0 when the driver cannot say. */
static unsigned int rx_channels(const char *ifname, unsigned int *tx)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };

	*tx = 0;
	if (if_ioctl(ifname, SIOCETHTOOL, &ifr))
		return 0;
	*tx = ch.combined_count + ch.tx_count;
	return ch.combined_count + ch.rx_count;
}

static int interface_index(const char *what, const char *ifname)
{
	int ifindex;

	if (!ifname || !*ifname) {
		pr_err("no %s interface given", what);
		return -EINVAL;
	}
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		pr_err("%s interface %s does not exist (%s): check the name with 'ip link'",
		       what, ifname, strerror(errno));
		return -ENODEV;
	}
	return ifindex;
}

/* The attached program must be the one whose xr_xsks is pinned. */
static int check_program(struct relay *r)
{
	const char *ifname = r->cfg->ingress;
	char why[512];
	bool skb;
	int err;

	err = relay_program_check(ifname, why, sizeof(why), &skb);
	if (err) {
		pr_err("%s: attach it with 'ip link set dev %s xdp obj xdprelay.bpf.o sec xdp' or 'xdprelayctl attach %s'",
		       why, ifname, ifname);
		return err;
	}
	if (skb)
		pr_info("%s: the XDP program runs in generic (skb) mode: AF_XDP copy mode only, at a lower rate",
			ifname);
	return 0;
}

/* Frame size, ring size, queues, egress MAC. */
static int check_interfaces(struct relay *r)
{
	const struct relay_config *cfg = r->cfg;
	unsigned int in_rx, in_tx, eg_rx, eg_tx, head, mtu;
	struct ifreq ifr = {};
	int err;

	err = if_ioctl(cfg->ingress, SIOCGIFMTU, &ifr);
	if (err) {
		pr_err("cannot read the MTU of %s: %s", cfg->ingress,
		       strerror(-err));
		return err;
	}
	mtu = ifr.ifr_mtu;
	/* The kernel's headroom, Ethernet and two VLAN tags. */
	head = XR_FRAME_HEADROOM + XR_XDP_HEADROOM + XR_ETH_HLEN +
	       XR_MAX_VLAN * XR_VLAN_HLEN;
	r->frame_size = mtu + head <= 2048 ? 2048 : XR_MAX_FRAME_SIZE;
	if (mtu + head > XR_MAX_FRAME_SIZE) {
		pr_err("the MTU of %s (%u) does not fit an AF_XDP frame: lower it to %u or less (ip link set dev %s mtu %u)",
		       cfg->ingress, mtu, XR_MAX_FRAME_SIZE - head,
		       cfg->ingress, XR_MAX_FRAME_SIZE - head);
		return -EMSGSIZE;
	}
	memset(&ifr, 0, sizeof(ifr));
	if (!if_ioctl(cfg->egress, SIOCGIFMTU, &ifr) &&
	    (unsigned int)ifr.ifr_mtu < mtu)
		pr_warn("the MTU of %s (%d) is below that of %s (%u): larger datagrams will not leave",
			cfg->egress, ifr.ifr_mtu, cfg->ingress, mtu);

	memset(&ifr, 0, sizeof(ifr));
	err = if_ioctl(cfg->egress, SIOCGIFHWADDR, &ifr);
	if (err) {
		pr_err("cannot read the MAC address of %s: %s", cfg->egress,
		       strerror(-err));
		return err;
	}
	memcpy(r->egress_mac, ifr.ifr_hwaddr.sa_data, 6);

	in_rx = rx_channels(cfg->ingress, &in_tx);
	if (!in_rx)
		in_rx = 1;
	if (cfg->queues > XDPRELAY_MAX_QUEUES) {
		pr_err("--queues %u: at most %u", cfg->queues,
		       XDPRELAY_MAX_QUEUES);
		return -ERANGE;
	}
	if (cfg->queues > in_rx) {
		pr_err("%s has %u RX queue(s), fewer than --queues %u: lower it, or raise the channels (ethtool -L %s combined %u)",
		       cfg->ingress, in_rx, cfg->queues, cfg->ingress,
		       cfg->queues);
		return -ERANGE;
	}
	r->nq = cfg->queues ? cfg->queues : in_rx;
	if (r->nq > XDPRELAY_MAX_QUEUES) {
		pr_warn("%s has %u RX queues; the relay serves the first %u",
			cfg->ingress, r->nq, XDPRELAY_MAX_QUEUES);
		r->nq = XDPRELAY_MAX_QUEUES;
	}
	if (r->nq < in_rx)
		pr_warn("queues %u-%u of %s get no socket: their streams' packets go to the kernel stack",
			r->nq, in_rx - 1, cfg->ingress);

	if (r->egress_ifindex != r->ingress_ifindex) {
		eg_rx = rx_channels(cfg->egress, &eg_tx);
		if (eg_rx && eg_tx && eg_tx < r->nq && eg_rx < r->nq) {
			pr_err("%s has %u TX queue(s), the relay needs one per ingress queue (%u): raise them (ethtool -L %s combined %u) or lower --queues",
			       cfg->egress, eg_tx, r->nq, cfg->egress, r->nq);
			return -ERANGE;
		}
	}
	return 0;
}

static int check_config(struct relay *r)
{
	const struct relay_config *cfg = r->cfg;
	unsigned int ring;

	r->frames = cfg->frames ? cfg->frames : RELAY_DEFAULT_FRAMES;
	r->batch = cfg->batch ? cfg->batch : RELAY_DEFAULT_BATCH;
	if (r->frames < RELAY_MIN_FRAMES || r->frames > RELAY_MAX_FRAMES) {
		pr_err("--frames %u: must be %u to %u", r->frames,
		       RELAY_MIN_FRAMES, RELAY_MAX_FRAMES);
		return -ERANGE;
	}
	if (r->batch > RELAY_MAX_BATCH) {
		pr_err("--batch %u: must be 1 to %u", r->batch,
		       RELAY_MAX_BATCH);
		return -ERANGE;
	}
	if ((unsigned int)cfg->mode > RELAY_MODE_COPY) {
		pr_err("unknown mode %d", cfg->mode);
		return -EINVAL;
	}
	/* Half the frames may wait on the fill ring, the rest travel. */
	for (ring = 1; ring * 2 <= r->frames / 2; ring *= 2)
		;
	r->ring_size = ring < XR_MAX_RING ? ring : XR_MAX_RING;
	/*
	 * The fill and RX rings could hold every frame between them, and
	 * a fan-out would find none to copy into: keep enough back for a
	 * batch to the most subscribers, a quarter of the frames at most.
	 */
	r->reserve = r->batch * (XDPRELAY_MAX_SUBS - 1);
	if (r->reserve > r->frames / 4)
		r->reserve = r->frames / 4;
	return 0;
}

static void explain_open_error(struct relay *r, struct worker *w, int err)
{
	const struct relay_config *cfg = r->cfg;
	const char *step = w->x.failed ? w->x.failed : "opening";
	const char *ifname = strstr(step, "egress") ? cfg->egress :
			     cfg->ingress;
	unsigned int q = w->queue;

	switch (-err) {
	case EBUSY:
		pr_err("queue %u of %s already has an AF_XDP socket (another 'xdprelayctl run', or another AF_XDP program): stop it, or serve other queues",
		       q, ifname);
		break;
	case EPERM:
	case EACCES:
		pr_err("queue %u: %s: %s: run as root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)",
		       q, step, strerror(-err));
		break;
	case ENOMEM:
	case ENOBUFS:
		pr_err("queue %u: %s: %s: %u frames of %u bytes are too many to lock; raise the limit (ulimit -l, LimitMEMLOCK=) or lower --frames",
		       q, step, strerror(-err), r->frames, r->frame_size);
		break;
	case EOPNOTSUPP:
		pr_err("queue %u: %s: %s does not support zero-copy AF_XDP: use --mode auto or --mode copy",
		       q, step, ifname);
		break;
	case EINVAL:
		pr_err("queue %u: %s on %s: %s: does %s have a queue %u? (ethtool -l %s)",
		       q, step, ifname, strerror(-err), ifname, q, ifname);
		break;
	default:
		pr_err("queue %u: %s on %s: %s", q, step, ifname,
		       strerror(-err));
	}
}

/* Zero-copy first in auto mode, copy when the drivers cannot. */
static int open_queue(struct relay *r, struct worker *w)
{
	const struct relay_config *cfg = r->cfg;
	struct xr_xsk_cfg c = {
		.ingress = cfg->ingress,
		.egress = r->egress_ifindex == r->ingress_ifindex ?
			  cfg->ingress : cfg->egress,
		.queue = w->queue,
		.nframes = r->frames,
		.frame_size = r->frame_size,
		.ring_size = r->ring_size,
		.busy_poll = cfg->busy_poll,
		.busy_poll_budget = r->batch,
	};
	int err;

	if (cfg->mode != RELAY_MODE_COPY) {
		c.zerocopy = true;
		err = xr_xsk_open(&w->x, &c);
		if (!err)
			return 0;
		if (cfg->mode == RELAY_MODE_ZEROCOPY) {
			explain_open_error(r, w, err);
			return err;
		}
		w->zc_err = err;
		w->zc_failed = w->x.failed;
	}
	c.zerocopy = false;
	err = xr_xsk_open(&w->x, &c);
	if (err)
		explain_open_error(r, w, err);
	return err;
}

static void log_queue_mode(struct relay *r, struct worker *w)
{
	const struct relay_config *cfg = r->cfg;

	if (w->x.zerocopy)
		pr_info("queue %u: zero-copy mode, CPU %d", w->queue, w->cpu);
	else if (cfg->mode == RELAY_MODE_COPY)
		pr_info("queue %u: copy mode (--mode copy), CPU %d", w->queue,
			w->cpu);
	else
		pr_info("queue %u: copy mode, CPU %d: zero-copy failed %s: %s",
			w->queue, w->cpu, w->zc_failed ? w->zc_failed : "",
			strerror(-w->zc_err));
}

static int alloc_worker(struct relay *r, struct worker *w, unsigned int q,
			const int *cpus, int ncpus)
{
	w->r = r;
	w->queue = q;
	w->cpu = cpus[q % ncpus];
	w->cache = calloc(XDPRELAY_MAX_STREAMS, sizeof(*w->cache));
	w->acc = calloc(XDPRELAY_MAX_STREAMS, sizeof(*w->acc));
	w->dirty = calloc(XDPRELAY_MAX_STREAMS, 1);
	w->dirty_ids = calloc(XDPRELAY_MAX_STREAMS, sizeof(*w->dirty_ids));
	w->out = calloc((size_t)r->batch * XDPRELAY_MAX_SUBS,
			sizeof(*w->out));
	w->fan = calloc(r->batch, sizeof(*w->fan));
	if (!w->cache || !w->acc || !w->dirty || !w->dirty_ids || !w->out ||
	    !w->fan)
		return -ENOMEM;
	return 0;
}

static void free_worker(struct worker *w)
{
	free(w->cache);
	free(w->acc);
	free(w->dirty);
	free(w->dirty_ids);
	free(w->out);
	free(w->fan);
}

static int start_worker(struct worker *w)
{
	char name[16];
	cpu_set_t set;
	int err;

	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err)
		return -err;
	w->started = true;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	err = pthread_setaffinity_np(w->thread, sizeof(set), &set);
	if (err)
		pr_warn("queue %u: cannot pin to CPU %d: %s", w->queue, w->cpu,
			strerror(err));
	snprintf(name, sizeof(name), "xdprelay-q%u", w->queue);
	pthread_setname_np(w->thread, name);
	return 0;
}

static int register_socket(struct relay *r, struct worker *w)
{
	uint32_t key = w->queue;
	int fd = w->x.rx_fd, err;

	err = bpf_map_update_elem(r->st.xsks_fd, &key, &fd, BPF_ANY);
	if (err) {
		pr_err("queue %u: cannot put the socket into %s: %s",
		       w->queue, XDPRELAY_MAP_XSKS, strerror(-err));
		return err;
	}
	w->registered = true;
	return 0;
}

static void unregister_socket(struct relay *r, struct worker *w)
{
	uint32_t key = w->queue;

	if (!w->registered)
		return;
	if (bpf_map_delete_elem(r->st.xsks_fd, &key))
		pr_warn("queue %u: cannot remove the socket from %s: %s",
			w->queue, XDPRELAY_MAP_XSKS, strerror(errno));
	w->registered = false;
}

/* ---- status file ---------------------------------------------- */

static const char *queue_mode(void *arg, unsigned int q)
{
	const struct relay *r = arg;

	return r->w[q].x.zerocopy ? "zerocopy" : "copy";
}

static void write_status(struct relay *r)
{
	if (!relay_status_write(r->cfg->ingress, r->cfg->egress, r->nq,
				queue_mode, r, r->cfg->busy_poll))
		r->status_written = true;
}

/* ---- control: streams, subscribers, groups, counters -------------- */

static void mcast_leave(struct mcast_join *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static int mcast_join(struct mcast_join *m, int ifindex, int family,
		      const uint8_t *group, uint16_t vlan)
{
	int fd, err;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = ifindex };

		memcpy(&mr.imr_multiaddr, group, 4);
		err = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				 sizeof(mr));
	} else {
		struct ipv6_mreq mr = { .ipv6mr_interface = ifindex };

		memcpy(&mr.ipv6mr_multiaddr, group, 16);
		err = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
				 sizeof(mr));
	}
	if (err) {
		err = -errno;
		close(fd);
		return err;
	}
	m->fd = fd;
	m->family = family;
	m->vlan = vlan;
	memcpy(m->group, group, 16);
	return 0;
}

/*
 * Hold a membership of the group a stream listens on, on the ingress (on
 * its VLAN's device, for a stream of one VLAN), so that switches and the
 * NIC's filter let the stream in.
 */
static void mcast_update(struct relay *r, uint32_t id,
			 const struct xdprelay_info *info)
{
	const struct xdprelay_endpoint *l = &info->listen;
	struct mcast_join *m = &r->mc[id];
	bool want = info->name[0] && xr_addr_is_multicast(l->family, l->addr);
	char buf[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	int err, ifindex = r->ingress_ifindex;

	if (m->fd >= 0 && (!want || m->family != l->family ||
			   m->vlan != info->vlan ||
			   memcmp(m->group, l->addr, 16))) {
		pr_debug("left %s on %s", addr_str(m->family, m->group, buf,
						   sizeof(buf)),
			 r->cfg->ingress);
		mcast_leave(m);
		m->warned = false;
	}
	if (!want || m->fd >= 0)
		return;
	snprintf(dev, sizeof(dev), "%s", r->cfg->ingress);
	if (info->vlan) {
		ifindex = xr_vlan_dev(r->cfg->ingress, info->vlan, dev);
		if (ifindex < 0) {
			if (!m->warned)
				pr_warn("stream %.*s: no device for VLAN %u on %s to join %s on: create it ('ip link add link %s name %s.%u type vlan id %u')",
					XDPRELAY_NAME_LEN, info->name,
					info->vlan, r->cfg->ingress,
					addr_str(l->family, l->addr, buf,
						 sizeof(buf)),
					r->cfg->ingress, r->cfg->ingress,
					info->vlan, info->vlan);
			m->warned = true;
			return;
		}
	}
	err = mcast_join(m, ifindex, l->family, l->addr, info->vlan);
	addr_str(l->family, l->addr, buf, sizeof(buf));
	if (!err) {
		pr_info("joined %s on %s for stream %.*s", buf, dev,
			XDPRELAY_NAME_LEN, info->name);
	} else if (!m->warned) {
		pr_warn("cannot join %s on %s for stream %.*s: %s", buf, dev,
			XDPRELAY_NAME_LEN, info->name, strerror(-err));
		m->warned = true;
	}
}

/* A stream's settings as the workers need them. */
static bool ctl_update(struct relay *r, uint32_t id,
		       const struct xdprelay_info *info)
{
	uint32_t ctl = info->name[0] ? XR_CTL_KNOWN | info->src_port : 0;

	if (__atomic_load_n(&r->ctl[id], __ATOMIC_RELAXED) == ctl)
		return false;
	__atomic_store_n(&r->ctl[id], ctl, __ATOMIC_RELAXED);
	return true;
}

static void ctl_publish(struct relay *r)
{
	__atomic_fetch_add(&r->cgen, 1, __ATOMIC_RELEASE);
}

static int read_info(struct relay *r, uint32_t id, struct xdprelay_info *info)
{
	if (bpf_map_lookup_elem(r->st.info_fd, &id, info)) {
		memset(info, 0, sizeof(*info));
		return -errno;
	}
	return 0;
}

/* Every stream's xr_info entry: settings and multicast groups. */
static void scan_info(struct relay *r)
{
	static struct xdprelay_info infos[XDPRELAY_MAX_STREAMS];
	static uint32_t keys[XDPRELAY_MAX_STREAMS];
	uint32_t count = XDPRELAY_MAX_STREAMS, out, id;
	bool changed = false;
	int err;

	/* One syscall for the table; element by element where it fails. */
	err = bpf_map_lookup_batch(r->st.info_fd, NULL, &out, keys, infos,
				   &count, NULL);
	if ((err && err != -ENOENT) || count != XDPRELAY_MAX_STREAMS) {
		for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
			read_info(r, id, &infos[id]);
	}
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		changed |= ctl_update(r, id, &infos[id]);
		mcast_update(r, id, &infos[id]);
	}
	if (changed)
		ctl_publish(r);
}

/* Subscriber lists that changed since the last tick. */
static int scan_subs(struct relay *r)
{
	struct xdprelay_info info;
	int changed = 0, err;
	uint32_t id, j, seq;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		const struct xdprelay_subs *e = &r->st.subs[id];
		struct xdprelay_subs *s = &r->subs[id];

		seq = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if (seq == r->subs_seen[id] ||
		    !xr_subs_read(e, s, &r->subs_seen[id]))
			continue;
		changed++;
		if (!r->apply_seq[id])
			r->apply_pending++;
		r->apply_seq[id] = r->subs_seen[id];
		/* The stream is new, or its settings may be: read them
		 * before the workers meet its subscribers.
		 */
		read_info(r, id, &info);
		if (ctl_update(r, id, &info))
			ctl_publish(r);
		mcast_update(r, id, &info);
		for (j = 0; j < s->nr && j < XDPRELAY_MAX_SUBS; j++) {
			err = xr_neigh_want(r->neigh, s->sub[j].family,
					    s->sub[j].addr);
			if (err == -ENOSPC)
				pr_warn("too many subscriber addresses: stream %u's are not relayed",
					id);
		}
	}
	return changed;
}

/*
 * Tell the control plane which subscriber lists have their next hops
 * resolved (or found unreachable for good): it waits for that before it
 * makes a stream live.  With @force, publish whatever state there is.
 */
static void publish_applied(struct relay *r, bool force)
{
	const struct xdprelay_subs *s;
	struct xr_nh nh;
	uint32_t id, j;

	for (id = 1; id < XDPRELAY_MAX_STREAMS && r->apply_pending; id++) {
		if (!r->apply_seq[id])
			continue;
		s = &r->subs[id];
		for (j = 0; !force && j < s->nr && j < XDPRELAY_MAX_SUBS; j++) {
			if (!xr_neigh_lookup(r->neigh, s->sub[j].family,
					     s->sub[j].addr, &nh) ||
			    nh.state == XR_NH_NONE ||
			    nh.state == XR_NH_UNRESOLVED)
				break;
		}
		if (!force && j < s->nr && j < XDPRELAY_MAX_SUBS)
			continue;
		__atomic_store_n(&r->st.subs[id].applied, r->apply_seq[id],
				 __ATOMIC_RELEASE);
		r->apply_seq[id] = 0;
		r->apply_pending--;
	}
}

static void want_all(struct relay *r)
{
	uint32_t id, j;

	xr_neigh_sweep_begin(r->neigh);
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		const struct xdprelay_subs *s = &r->subs[id];

		for (j = 0; j < s->nr && j < XDPRELAY_MAX_SUBS; j++)
			xr_neigh_want(r->neigh, s->sub[j].family,
				      s->sub[j].addr);
	}
	xr_neigh_sweep_end(r->neigh);
}

static void neigh_changed(void *arg, int family, const uint8_t *addr,
			  const struct xr_nh *old, const struct xr_nh *now)
{
	struct relay *r = arg;
	char buf[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";

	addr_str(family, addr, buf, sizeof(buf));
	switch (now->state) {
	case XR_NH_OK:
		if (old->state == XR_NH_NONE)
			pr_debug("subscriber %s: next hop resolved", buf);
		else
			pr_info("subscriber %s: next hop resolved, relaying",
				buf);
		break;
	case XR_NH_UNRESOLVED:
		pr_debug("subscriber %s: resolving its next hop on %s", buf,
			 r->cfg->egress);
		break;
	case XR_NH_OTHER_DEV:
		if_indextoname(now->oif, ifname);
		pr_warn("subscriber %s: the route to it leaves through %s, not the egress %s: not relayed (fix the route, or run with --egress %s)",
			buf, ifname, r->cfg->egress, ifname);
		break;
	case XR_NH_NO_ROUTE:
		pr_warn("subscriber %s: no route to it through %s, or no address on %s to send from: not relayed",
			buf, r->cfg->egress, r->cfg->egress);
		break;
	}
}

static void refresh_neigh(struct relay *r, bool all)
{
	int ret = xr_neigh_refresh(r->neigh, all, neigh_changed, r);

	if (ret < 0) {
		pr_warn("route and neighbour lookup failed: %s",
			strerror(-ret));
		return;
	}
	r->neigh_pending = ret;
}

/* ---- run ---------------------------------------------------------- */

static void rescan_all(struct relay *r)
{
	uint32_t id;

	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		r->subs_seen[id] = XR_SEEN_NONE;
	scan_info(r);
	scan_subs(r);
	want_all(r);
	refresh_neigh(r, true);
}

static void stop_workers(struct relay *r)
{
	unsigned int q;

	/* No new frame may be steered to a socket about to go. */
	for (q = 0; q < r->nq; q++)
		unregister_socket(r, &r->w[q]);
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	for (q = 0; q < r->nq; q++) {
		if (r->w[q].started)
			pthread_join(r->w[q].thread, NULL);
		r->w[q].started = false;
	}
}

/* The kernel's own drops are the operator's first clue to overload. */
static void log_kernel_drops(struct worker *w)
{
	uint64_t dropped, ring_full, fill_empty, tx_invalid;

	if (xr_xsk_stats(&w->x, &dropped, &ring_full, &fill_empty,
			 &tx_invalid))
		return;
	if (ring_full)
		pr_info("queue %u: %lu frames dropped by the kernel on a full RX ring: the relay could not keep up",
			w->queue, (unsigned long)ring_full);
	if (dropped)
		pr_info("queue %u: %lu frames dropped by the kernel: no free frame, or no room in one",
			w->queue, (unsigned long)dropped);
	if (tx_invalid)
		pr_info("queue %u: %lu TX descriptors refused by the kernel",
			w->queue, (unsigned long)tx_invalid);
	pr_debug("queue %u: fill ring empty %lu times", w->queue,
		 (unsigned long)fill_empty);
}

/* After the workers: were all frames home? */
static int check_frames(struct relay *r)
{
	uint64_t total = 0, home = 0, kernel = 0, flight = 0;
	struct xr_xsk_audit a;
	unsigned int q;
	int ret = 0;

	for (q = 0; q < r->nq; q++) {
		struct worker *w = &r->w[q];
		bool ok;

		if (!w->x.umem)
			continue;
		xr_xsk_reclaim(&w->x);
		ok = xr_xsk_audit(&w->x, &a);
		total += a.nframes;
		kernel += a.kernel_rx;
		flight += a.in_flight;
		if (ok && !a.in_flight)
			home += a.seen + a.kernel_rx;
		else
			home += a.seen;
		pr_debug("queue %u: %lu received, %lu TX kicks (%lu met back-pressure); frames: %u free, %u on the fill ring, %u on the RX ring, %u on the TX ring, %u with the kernel, %u in flight",
			 q, (unsigned long)w->rx_packets,
			 (unsigned long)w->x.kicks,
			 (unsigned long)w->x.kick_backoff, a.free, a.fill_ring,
			 a.rx_ring, a.tx_ring, a.kernel_rx, a.in_flight);
		log_kernel_drops(w);
		if (w->bad_meta || w->malformed)
			pr_info("queue %u: %lu frames without xdprelay metadata, %lu malformed: recycled",
				q, (unsigned long)w->bad_meta,
				(unsigned long)w->malformed);
		if (!ok) {
			pr_err("queue %u: frame accounting is off: %u duplicate, %u invalid, %u seen + %u with the kernel + %u in flight of %u",
			       q, a.duplicate, a.invalid, a.seen, a.kernel_rx,
			       a.in_flight, a.nframes);
			ret = -EIO;
		} else if (a.in_flight) {
			ret = -EIO;
		}
	}
	if (!ret) {
		pr_info("frames: %lu of %lu accounted for%s",
			(unsigned long)home, (unsigned long)total,
			kernel ? " (some with the driver until the sockets close)" : "");
		return 0;
	}
	pr_err("frames: %lu of %lu accounted for, %lu still in flight on TX after %u ms",
	       (unsigned long)home, (unsigned long)total, (unsigned long)flight,
	       XR_STOP_DRAIN_MS);
	return ret;
}

/* Returns 1 to stop. */
static int handle_signals(struct relay *r)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(r->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			relay_reload_request(&r->reload);
		} else {
			pr_info("%s: stopping", strsignal(si.ssi_signo));
			stop = 1;
		}
	}
	return stop;
}

static int check_workers(struct relay *r)
{
	unsigned int q;

	for (q = 0; q < r->nq; q++) {
		struct worker *w = &r->w[q];

		if (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			continue;
		if (w->err == -ENXIO || w->err == -ENODEV)
			pr_err("queue %u: the socket lost its interface (%s): was %s or %s removed?",
			       q, strerror(-w->err), r->cfg->ingress,
			       r->cfg->egress);
		else
			pr_err("queue %u: transmit failed: %s", q,
			       strerror(-w->err));
		return -EIO;
	}
	return 0;
}

/*
 * What the kernel dropped on its way into the sockets (full RX ring, no
 * free frame), into xr_tx's total rx_dropped: a queue's drops have no
 * stream.
 */
static void count_xsk_drops(struct relay *r)
{
	uint64_t dropped, full, fill, inval, sum = 0;
	unsigned int q;

	for (q = 0; q < r->nq; q++)
		if (!xr_xsk_stats(&r->w[q].x, &dropped, &full, &fill, &inval))
			sum += dropped + full;
	if (sum <= r->xsk_drops)
		return;
	__atomic_fetch_add(&r->st.tx[0].rx_dropped, sum - r->xsk_drops,
			   __ATOMIC_RELAXED);
	r->xsk_drops = sum;
}

static int main_loop(struct relay *r)
{
	uint64_t next_full = now_ms() + XR_FULL_REFRESH_MS, now;
	uint64_t next_event = 0;
	struct pollfd pfd[2] = {
		{ .fd = r->sfd, .events = POLLIN },
		/* poll() passes over a descriptor of -1. */
		{ .fd = xr_neigh_event_fd(r->neigh), .events = POLLIN },
	};
	bool event = false, subs;
	int err = 0;

	for (;;) {
		/* A control plane waits while next hops resolve: look often. */
		poll(pfd, 2, r->apply_pending || event ? XR_APPLY_POLL_MS :
							 XR_TICK_MS);
		if (handle_signals(r))
			break;
		err = check_workers(r);
		if (err)
			break;
		if (relay_reload_poll(&r->reload))
			rescan_all(r);
		relay_egress_check(&r->egress, r->cfg->egress);
		if ((pfd[1].revents & POLLIN) && xr_neigh_events(r->neigh) > 0)
			event = true;
		now = now_ms();
		subs = scan_subs(r);
		/*
		 * A neighbour or route of some subscribers changed: theirs
		 * again, at a bounded rate.
		 */
		if (event && now >= next_event) {
			next_event = now + XR_EVENT_REFRESH_MS;
			event = false;
			refresh_neigh(r, false);
		} else if (subs || r->neigh_pending) {
			refresh_neigh(r, false);
		}
		publish_applied(r, false);
		if (now >= next_full) {
			next_full = now + XR_FULL_REFRESH_MS;
			scan_info(r);
			want_all(r);
			refresh_neigh(r, true);
			publish_applied(r, true);
			xr_reporter_open(&r->rep);
		}
		count_xsk_drops(r);
		xr_report_tx(&r->rep);
	}
	return err;
}

static int usable_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int i, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (i = 0; i < CPU_SETSIZE && n < max; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return n;
}

static int setup(struct relay *r)
{
	const struct relay_config *cfg = r->cfg;
	uint64_t deadline;
	int cpus[CPU_SETSIZE], ncpus, err;
	unsigned int q;

	err = check_config(r);
	if (err)
		return err;
	err = check_caps();
	if (err)
		return err;
	r->ingress_ifindex = interface_index("ingress", cfg->ingress);
	if (r->ingress_ifindex < 0)
		return r->ingress_ifindex;
	r->egress_ifindex = interface_index("egress", cfg->egress);
	if (r->egress_ifindex < 0)
		return r->egress_ifindex;
	err = relay_status_check_owner();
	if (err)
		return err;

	err = xr_state_open(&r->st);
	if (err)
		return err;
	r->st_open = true;
	err = check_program(r);
	if (err)
		return err;
	err = check_interfaces(r);
	if (err)
		return err;

	r->neigh = xr_neigh_open(r->egress_ifindex);
	r->subs = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->subs));
	r->subs_seen = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->subs_seen));
	r->apply_seq = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->apply_seq));
	r->w = calloc(r->nq, sizeof(*r->w));
	if (!r->neigh || !r->subs || !r->subs_seen || !r->apply_seq ||
	    xr_reporter_init(&r->rep, r->st.tx) || !r->w) {
		pr_err("out of memory, or no rtnetlink socket: %s",
		       strerror(errno));
		return -ENOMEM;
	}

	/*
	 * Subscribers' next hops before the first frame, where quick; a
	 * SIGTERM meanwhile cuts it short, and stops the relay once up.
	 */
	rescan_all(r);
	deadline = now_ms() + XR_STARTUP_RESOLVE_MS;
	while (r->neigh_pending && now_ms() < deadline &&
	       !relay_stop_pending()) {
		usleep(XR_TICK_MS * 1000 / 4);
		refresh_neigh(r, false);
	}
	publish_applied(r, true);

	ncpus = usable_cpus(cpus, CPU_SETSIZE);
	if (!ncpus) {
		cpus[0] = 0;
		ncpus = 1;
	}
	for (q = 0; q < r->nq; q++) {
		struct worker *w = &r->w[q];

		w->x.rx_fd = w->x.tx_fd = -1;
		err = alloc_worker(r, w, q, cpus, ncpus);
		if (err) {
			pr_err("queue %u: out of memory", q);
			return err;
		}
		err = open_queue(r, w);
		if (err)
			return err;
		xr_xsk_refill(&w->x, r->reserve);
		log_queue_mode(r, w);
	}
	relay_egress_check(&r->egress, cfg->egress);
	for (q = 0; q < r->nq; q++) {
		err = start_worker(&r->w[q]);
		if (err) {
			pr_err("queue %u: cannot start a thread: %s", q,
			       strerror(-err));
			return err;
		}
	}
	for (q = 0; q < r->nq; q++) {
		err = register_socket(r, &r->w[q]);
		if (err)
			return err;
	}

	xr_reporter_open(&r->rep);
	write_status(r);
	pr_info("relaying from %s to %s on %u queue(s)%s", cfg->ingress,
		cfg->egress, r->nq, cfg->busy_poll ? ", busy polling" : "");
	return 0;
}

static void teardown(struct relay *r)
{
	unsigned int q;
	uint32_t id;

	if (r->w) {
		for (q = 0; q < r->nq; q++) {
			xr_xsk_close(&r->w[q].x);
			free_worker(&r->w[q]);
		}
	}
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		mcast_leave(&r->mc[id]);
	relay_reload_stop(&r->reload);
	xr_reporter_fini(&r->rep);
	if (r->status_written)
		unlink(xr_status_file());
	xr_neigh_close(r->neigh);
	if (r->st_open)
		xr_state_close(&r->st);
	free(r->w);
	free(r->subs);
	free(r->subs_seen);
	free(r->apply_seq);
}

int xsk_relay_run(const struct relay_config *cfg, int sfd)
{
	struct relay *r;
	uint32_t id;
	int err;

	r = calloc(1, sizeof(*r));
	if (!r) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	r->cfg = cfg;
	r->rep.fd = -1;
	r->sfd = sfd;
	r->reload.cfg = cfg;
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		r->mc[id].fd = -1;

	err = setup(r);
	if (!err) {
		err = main_loop(r);
		relay_reload_stop(&r->reload);
		stop_workers(r);
		count_xsk_drops(r);
		xr_report_tx(&r->rep);
		if (check_frames(r))
			err = err ? err : -EIO;
	} else if (r->w) {
		stop_workers(r);
	}
	teardown(r);
	free(r);
	return err;
}
