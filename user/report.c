// SPDX-License-Identifier: GPL-2.0
/*
 * Counts reported to xdprelay.ko: one ioctl per report interval carries
 * the deltas of every stream that changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "xdprelay_uapi.h"
#include "report.h"
#include "util.h"

int xr_reporter_init(struct xr_reporter *rp, struct xr_state *st)
{
	memset(rp, 0, sizeof(*rp));
	rp->fd = -1;
	rp->st = st;
	rp->seen = calloc(XDPRELAY_MAX_STREAMS, sizeof(*rp->seen));
	rp->direct = calloc(XDPRELAY_MAX_STREAMS, sizeof(*rp->direct));
	rp->subs = calloc(XDPRELAY_SLOTS, sizeof(*rp->subs));
	return rp->seen && rp->direct && rp->subs ? 0 : -ENOMEM;
}

void xr_reporter_fini(struct xr_reporter *rp)
{
	if (rp->fd >= 0)
		close(rp->fd);
	rp->fd = -1;
	free(rp->seen);
	free(rp->direct);
	free(rp->subs);
	rp->seen = NULL;
	rp->direct = NULL;
	rp->subs = NULL;
}

/* Row @slot of xr_slots as it is now. */
static void sub_now(struct xr_reporter *rp, uint32_t slot,
		    struct xr_report_sub *n)
{
	const struct xdprelay_slot *row = &rp->st->slots[slot];

	n->gen = __atomic_load_n(&row->gen, __ATOMIC_ACQUIRE);
	n->c[0] = __atomic_load_n(&row->packets, __ATOMIC_RELAXED);
	n->c[1] = __atomic_load_n(&row->bytes, __ATOMIC_RELAXED);
	n->c[2] = __atomic_load_n(&row->tx_errors, __ATOMIC_RELAXED);
	n->c[3] = __atomic_load_n(&row->no_neigh, __ATOMIC_RELAXED);
}

/* What stream @id has sent: the relay's row, and the program's. */
static void sent(struct xr_reporter *rp, uint32_t id,
		 struct xr_report_seen *n)
{
	const struct xdprelay_tx *tx = &rp->st->tx[id];
	struct xdprelay_dtx d;

	n->packets = __atomic_load_n(&tx->packets, __ATOMIC_RELAXED);
	n->bytes = __atomic_load_n(&tx->bytes, __ATOMIC_RELAXED);
	/* The kfunc object counts what it sends in the module itself. */
	if (rp->direct[id] && xr_rx_in_map(rp->st) &&
	    !xr_dtx_read(rp->st, id, &d)) {
		n->packets += d.packets;
		n->bytes += d.bytes;
	}
}

void xr_report_direct(struct xr_reporter *rp, uint32_t id)
{
	struct xdprelay_dtx d;

	if (rp->direct[id])
		return;
	rp->direct[id] = true;
	/* From now on: what the program sent before is not news. */
	if (rp->fd >= 0 && xr_rx_in_map(rp->st) &&
	    !xr_dtx_read(rp->st, id, &d)) {
		rp->seen[id].packets += d.packets;
		rp->seen[id].bytes += d.bytes;
	}
}

bool xr_reporter_open(struct xr_reporter *rp)
{
	uint32_t id;

	if (rp->fd >= 0)
		return true;
	rp->fd = open(XDPRELAY_DEVICE, O_RDWR | O_CLOEXEC);
	if (rp->fd < 0)
		return false;
	pr_debug("reporting counters to %s", XDPRELAY_DEVICE);
	/* Baseline: the module hears only what is sent from now on. */
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		sent(rp, id, &rp->seen[id]);
	for (id = 1; id < XDPRELAY_SLOTS; id++)
		sub_now(rp, id, &rp->subs[id]);
	return true;
}

static int report_add(int fd, unsigned long cmd, const void *rep,
		      uint32_t nr)
{
	struct xdprelay_report_batch b = {
		.nr = nr,
		.reports = (uint64_t)(unsigned long)rep,
	};

	return ioctl(fd, cmd, &b) ? -errno : 0;
}

/*
 * The batch of @nr reports of @size bytes, or with one the module refuses
 * spoiling it each report on its own (each starts with the stream or row
 * it is for).  A device that takes no reports is closed.
 */
static int report_send(struct xr_reporter *rp, unsigned long cmd,
		       const char *what, const void *rep, size_t size,
		       uint32_t nr)
{
	const char *one;
	uint32_t i, key;
	int err;

	err = report_add(rp->fd, cmd, rep, nr);
	if (err == -EINVAL && nr > 1) {
		for (i = 0; i < nr; i++) {
			one = (const char *)rep + i * size;
			if (!report_add(rp->fd, cmd, one, 1))
				continue;
			memcpy(&key, one, sizeof(key));
			pr_debug("%s refused the %s counts of %u",
				 XDPRELAY_DEVICE, what, key);
		}
		err = 0;
	}
	if (err == -ENOTTY || err == -EBADF) {
		if (!rp->warned)
			pr_warn("%s does not take %s reports (%s): load a matching xdprelay.ko",
				XDPRELAY_DEVICE, what, strerror(-err));
		rp->warned = true;
		close(rp->fd);
		rp->fd = -1;
		return err;
	}
	if (err && err != -EINVAL) {
		if (!rp->warned)
			pr_warn("%s report to %s failed: %s", what,
				XDPRELAY_DEVICE, strerror(-err));
		rp->warned = true;
		return err;
	}
	return 0;
}

/*
 * What the relay sent to each subscriber since the last report: a row
 * given out again since (another gen) starts from zero, as the module's
 * does when the subscriber is registered.
 */
static void report_subs(struct xr_reporter *rp)
{
	static struct xdprelay_sub_report rep[XDPRELAY_REPORT_BATCH_MAX];
	static struct xr_report_sub now[XDPRELAY_REPORT_BATCH_MAX];
	uint32_t slot, nr = 0, i, k;
	bool more = true;

	for (slot = 1; more; ) {
		for (nr = 0; slot < XDPRELAY_SLOTS &&
		     nr < XDPRELAY_REPORT_BATCH_MAX; slot++) {
			struct xr_report_sub *last = &rp->subs[slot];
			struct xr_report_sub *n = &now[nr];
			uint64_t d[4];

			if (!rp->st->slots[slot].stream)
				continue;
			sub_now(rp, slot, n);
			if (n->gen != last->gen)
				memset(last->c, 0, sizeof(last->c));
			for (k = 0; k < 4; k++)
				d[k] = n->c[k] >= last->c[k] ?
				       n->c[k] - last->c[k] : n->c[k];
			if (!d[0] && !d[1] && !d[2] && !d[3]) {
				last->gen = n->gen;
				continue;
			}
			rep[nr++] = (struct xdprelay_sub_report){
				.row = slot, .packets = d[0], .bytes = d[1],
				.tx_errors = d[2], .no_neigh = d[3],
			};
		}
		more = slot < XDPRELAY_SLOTS;
		/* On failure the deltas stay: the next call reports them. */
		if (nr && report_send(rp, XDPRELAY_IOC_SUB_TX_ADD,
				      "subscriber", rep, sizeof(rep[0]), nr))
			return;
		for (i = 0; i < nr; i++)
			rp->subs[rep[i].row] = now[i];
	}
}

void xr_report_tx(struct xr_reporter *rp)
{
	static struct xdprelay_report rep[XDPRELAY_MAX_STREAMS];
	static struct xr_report_seen now[XDPRELAY_MAX_STREAMS];
	uint32_t id, nr = 0, i;

	if (rp->fd < 0)
		return;
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct xr_report_seen *last = &rp->seen[id];
		struct xr_report_seen *n = &now[id];

		sent(rp, id, n);
		if (n->packets == last->packets && n->bytes == last->bytes)
			continue;
		/* A row that went back was reset for a new stream. */
		rep[nr++] = (struct xdprelay_report){
			.stream = id,
			.packets = n->packets >= last->packets ?
				   n->packets - last->packets : n->packets,
			.bytes = n->bytes >= last->bytes ?
				 n->bytes - last->bytes : n->bytes,
		};
	}
	/* On failure the deltas stay: the next call reports them. */
	if (nr && !report_send(rp, XDPRELAY_IOC_TX_ADD, "transmit", rep,
			       sizeof(rep[0]), nr))
		for (i = 0; i < nr; i++)
			rp->seen[rep[i].stream] = now[rep[i].stream];
	if (rp->fd >= 0 && !xr_rx_in_map(rp->st))
		report_subs(rp);
}

const uint32_t xr_rx_outcome[XR_RX_KINDS] = {
	[XR_RX_TAKEN] = 0,
	[XR_RX_POLICED] = XDPRELAY_POLICED,
	[XR_RX_SRC_REFUSED] = XDPRELAY_SRC_REFUSED,
};

int xr_report_rx(struct xr_reporter *rp, struct xr_rx_count *c)
{
	static struct xdprelay_report rep[XR_RX_KINDS * XDPRELAY_MAX_STREAMS];
	static uint8_t kind[XR_RX_KINDS * XDPRELAY_MAX_STREAMS];
	uint32_t id, nr = 0, i, k, n;
	int err;

	if (rp->fd < 0)
		return -EBADF;
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		for (k = 0; k < XR_RX_KINDS; k++) {
			if (!c[id].packets[k] && !c[id].bytes[k])
				continue;
			kind[nr] = k;
			rep[nr++] = (struct xdprelay_report){
				.stream = id,
				.outcome = xr_rx_outcome[k],
				.packets = c[id].packets[k],
				.bytes = c[id].bytes[k],
			};
		}
	}
	/* A batch at a time; what a failed one leaves is sent next time. */
	for (i = 0; i < nr; i += n) {
		n = nr - i < XDPRELAY_REPORT_BATCH_MAX ?
		    nr - i : XDPRELAY_REPORT_BATCH_MAX;
		err = report_send(rp, XDPRELAY_IOC_RX_ADD, "receive",
				  &rep[i], sizeof(rep[0]), n);
		if (err)
			return err;
		for (k = i; k < i + n; k++) {
			c[rep[k].stream].packets[kind[k]] = 0;
			c[rep[k].stream].bytes[kind[k]] = 0;
		}
	}
	return 0;
}
