// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_XDP path's hot loop: what each worker runs on its queue.
 *
 * A frame goes from RX to TX by its descriptor, its headers rewritten in
 * place for the last subscriber, copied into a free frame for the others
 * (or, where the kernel copies what it sends, rewritten for one
 * subscriber per round).  No syscall, allocation or lock per packet:
 * subscriber lists come from the mmapped xr_subs through a per-stream
 * cache of header templates (tpl.c), rebuilt when the list, the neighbour
 * table or the stream's settings move; counters reach xr_tx once per
 * batch.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "be_xsk.h"
#include "neigh.h"
#include "util.h"

static inline struct acc *acc_get(struct worker *w, uint32_t id)
{
	if (!w->dirty[id]) {
		w->dirty[id] = 1;
		w->dirty_ids[w->ndirty++] = id;
	}
	return &w->acc[id];
}

static inline struct xdprelay_subtx *sacc_get(struct worker *w,
					       uint16_t slot)
{
	if (!w->sdirty[slot]) {
		w->sdirty[slot] = 1;
		w->sdirty_ids[w->nsdirty++] = slot;
	}
	return &w->sacc[slot];
}

/* A tx error for each of the subscribers of templates @tpl[0 .. cnt-1]. */
static void subs_failed(struct worker *w, const struct xr_tpl *tpl,
			uint32_t cnt)
{
	uint32_t k;

	for (k = 0; k < cnt; k++)
		if (tpl[k].slot)
			sacc_get(w, tpl[k].slot)->tx_errors++;
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
	if (w->qrow && total.packets) {
		__atomic_fetch_add(&w->qrow->tx_packets, total.packets,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->qrow->tx_bytes, total.bytes,
				   __ATOMIC_RELAXED);
	}
	if (w->qrow && total.copies)
		__atomic_fetch_add(&w->qrow->copies, total.copies,
				   __ATOMIC_RELAXED);

	for (i = 0; i < w->nsdirty; i++) {
		uint16_t slot = w->sdirty_ids[i];

		xr_slot_add(&w->r->st, slot, &w->sacc[slot]);
		memset(&w->sacc[slot], 0, sizeof(w->sacc[slot]));
		w->sdirty[slot] = 0;
	}
	w->nsdirty = 0;
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
		else if (sc->ngen == w->ngen && sc->cgen == w->cgen)
			return sc;	/* the old list until it is done */
	}
	xr_tpl_build(w->r->neigh, w->r->egress_mac,
		     __atomic_load_n(&w->r->ctl[id], __ATOMIC_RELAXED),
		     &sc->subs, &sc->set);
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
	if (sc->set.no_neigh[fi]) {
		const uint16_t *nn = sc->set.no_neigh_slot +
				     (fi ? sc->set.no_neigh[0] : 0);

		a->no_neigh += sc->set.no_neigh[fi];
		for (k = 0; k < sc->set.no_neigh[fi]; k++)
			if (nn[k])
				sacc_get(w, nn[k])->no_neigh++;
	}
	cnt = sc->set.n[fi];
	if (!cnt) {
		xr_frame_put(x, addr);
		return nout;
	}
	tpl = sc->set.tpl + (fi ? sc->set.n[0] : 0);
	/* The egress would drop them without a word: count them here. */
	if (!__atomic_load_n(&w->r->egress.up, __ATOMIC_RELAXED)) {
		a->tx_errors += cnt;
		subs_failed(w, tpl, cnt);
		xr_frame_put(x, addr);
		return nout;
	}
	olen = xr_out_len(&p);

	/* A batch has at most xr->batch frames: w->fan has room. */
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
						    meta.stream_id,
						    tpl[0].slot };
		return nout;
	}

	for (k = 0; k + 1 < cnt; k++) {
		uint8_t *copy;
		uint64_t f;

		if (!xr_frame_get(x, &f)) {
			xr_xsk_reclaim(x);
			if (!xr_frame_get(x, &f)) {
				a->tx_errors += cnt - 1 - k;
				subs_failed(w, tpl + k, cnt - 1 - k);
				break;
			}
		}
		/* Same offset in the new frame: the same room in front. */
		f += off;
		copy = xsk_umem__get_data(x->area, f);
		memcpy(copy + p.l3_off, data + p.l3_off, p.ip_len);
		start = xr_rewrite(copy, &p, &tpl[k]);
		w->out[nout++] = (struct out_desc){ f + start, olen,
						    meta.stream_id,
						    tpl[k].slot };
		a->copies++;
	}
	start = xr_rewrite(data, &p, &tpl[cnt - 1]);
	w->out[nout++] = (struct out_desc){ addr + start, olen,
					    meta.stream_id,
					    tpl[cnt - 1].slot };
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
				if (o->slot) {
					struct xdprelay_subtx *sa;

					sa = sacc_get(w, o->slot);
					sa->packets++;
					sa->bytes += o->len;
				}
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
		if (w->out[i].slot)
			sacc_get(w, w->out[i].slot)->tx_errors++;
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
				fn->stream, fn->tpl[k].slot };
		}
		transmit(w, nout);
	}
	for (i = 0; i < w->nfan; i++) {
		struct fan *fn = &w->fan[i];

		if (fn->cnt > k) {
			acc_get(w, fn->stream)->tx_errors += fn->cnt - k;
			subs_failed(w, fn->tpl + k, fn->cnt - k);
		}
		xr_frame_put(x, fn->addr);
	}
	w->nfan = 0;
}

static void relay_batch(struct worker *w, uint32_t idx, uint32_t n)
{
	struct xr_xsk *x = &w->x;
	uint32_t i, nout = 0;
	uint64_t bytes = 0;

	for (i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx,
								  idx + i);

		bytes += d->len;
		nout = relay_frame(w, d->addr, d->len, nout);
	}
	xsk_ring_cons__release(&x->rx, n);
	w->rx_packets += n;
	if (w->qrow) {
		__atomic_fetch_add(&w->qrow->rx_packets, n, __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->qrow->rx_bytes, bytes,
				   __ATOMIC_RELAXED);
	}
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

void *xsk_worker_main(void *arg)
{
	struct worker *w = arg;
	struct xsk_relay *xr = w->xr;
	struct relay *r = w->r;
	struct xr_xsk *x = &w->x;
	uint64_t stop_at = 0, now;
	uint32_t idx, n;

	for (;;) {
		if (!stop_at && __atomic_load_n(&xr->stop, __ATOMIC_ACQUIRE))
			stop_at = relay_now_ms();
		if (stop_at) {
			now = relay_now_ms();
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
		if (!stop_at && xr_xsk_refill(x, xr->reserve) &&
		    xsk_ring_prod__needs_wakeup(&x->fill))
			recvfrom(x->rx_fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		/* Busy or not, the egress queue may run short. */
		xr_xsk_wake_egress(x);

		n = xsk_ring_cons__peek(&x->rx, xr->batch, &idx);
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

