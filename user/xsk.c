// SPDX-License-Identifier: GPL-2.0
/*
 * UMEM, AF_XDP sockets and frame pool of one relay worker.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_xdp.h>

#include "xsk.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL	69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET	70
#endif

/* Microseconds the kernel busy-polls the device per syscall. */
#define XR_BUSY_POLL_USEC	20

/* Frames the kernel transmits per sendto() in copy mode (TX_BATCH_SIZE). */
#define XR_COPY_TX_PER_KICK	32

static int set_busy_poll(int fd, uint32_t budget)
{
	int one = 1, usec = XR_BUSY_POLL_USEC, b = budget;

	if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one,
		       sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usec, sizeof(usec)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &b, sizeof(b)))
		return -errno;
	return 0;
}

/*
 * libxdp maps the UMEM's fill and completion rings when the UMEM is
 * created and unmaps them only when a socket using them is deleted: after
 * a failed first bind nobody would, and the mapping would keep the UMEM
 * registered.
 */
static void umem_rings_unmap(struct xr_xsk *x)
{
	struct xdp_mmap_offsets off;
	socklen_t len = sizeof(off);

	if (getsockopt(xsk_umem__fd(x->umem), SOL_XDP, XDP_MMAP_OFFSETS,
		       &off, &len))
		return;
	if (x->fill.ring)
		munmap((char *)x->fill.ring - off.fr.desc,
		       off.fr.desc + x->fill.size * sizeof(uint64_t));
	if (x->comp.ring)
		munmap((char *)x->comp.ring - off.cr.desc,
		       off.cr.desc + x->comp.size * sizeof(uint64_t));
}

static bool bound_zerocopy(int fd)
{
	struct xdp_options opts = {};
	socklen_t len = sizeof(opts);

	if (getsockopt(fd, SOL_XDP, XDP_OPTIONS, &opts, &len))
		return false;
	return opts.flags & XDP_OPTIONS_ZEROCOPY;
}

void xr_xsk_wake_egress(struct xr_xsk *x)
{
	struct pollfd pfd = { .fd = x->tx_fd, .events = POLLIN };

	/*
	 * A socket without an RX ring refuses recvfrom() (ENOBUFS); poll()
	 * still has the driver look at the fill ring.
	 */
	if (x->in_egress && xsk_ring_prod__needs_wakeup(&x->tx_fill))
		poll(&pfd, 1, 0);
}

/*
 * In zero-copy mode the egress queue receives into frames of its socket's
 * fill ring (see XR_EGRESS_FILL).  They stay with the kernel until the
 * socket closes.
 */
static int egress_fill(struct xr_xsk *x)
{
	uint32_t n = XR_EGRESS_FILL, i, idx;

	if (n > x->nframes / 8)
		n = x->nframes / 8;
	if (n > x->tx_fill.size)
		n = x->tx_fill.size;
	if (xsk_ring_prod__reserve(&x->tx_fill, n, &idx) != n)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->tx_fill, idx + i) =
			x->free[--x->nfree];
	xsk_ring_prod__submit(&x->tx_fill, n);
	x->in_egress = n;
	/* The driver found the ring empty at bind time. */
	xr_xsk_wake_egress(x);
	return 0;
}

int xr_xsk_open(struct xr_xsk *x, const struct xr_xsk_cfg *cfg)
{
	struct xsk_umem_config ucfg = {
		.fill_size = cfg->ring_size,
		.comp_size = cfg->ring_size,
		.frame_size = cfg->frame_size,
		.frame_headroom = XR_FRAME_HEADROOM,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = cfg->ring_size,
		.tx_size = cfg->ring_size,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP |
			      (cfg->zerocopy ? XDP_ZEROCOPY : XDP_COPY),
	};
	bool shared = strcmp(cfg->ingress, cfg->egress) != 0;
	const char *failed;
	uint32_t i;
	int err;

	memset(x, 0, sizeof(*x));
	x->rx_fd = x->tx_fd = -1;
	x->frame_size = cfg->frame_size;
	x->nframes = cfg->nframes;
	x->area_len = (size_t)cfg->nframes * cfg->frame_size;

	x->failed = "allocating the frame list";
	x->free = calloc(cfg->nframes, sizeof(*x->free));
	x->refs = calloc(cfg->nframes, sizeof(*x->refs));
	if (!x->free || !x->refs) {
		free(x->free);
		free(x->refs);
		return -ENOMEM;
	}
	x->frame_shift = __builtin_ctz(cfg->frame_size);

	x->failed = "allocating the UMEM";
	x->area = mmap(NULL, x->area_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (x->area == MAP_FAILED) {
		err = -errno;
		x->area = NULL;
		goto err_free;
	}

	x->failed = "registering the UMEM";
	err = xsk_umem__create(&x->umem, x->area, x->area_len, &x->fill,
			       &x->comp, &ucfg);
	if (err) {
		x->umem = NULL;
		goto err_area;
	}

	x->failed = "binding the ingress socket";
	err = xsk_socket__create(&x->rx_xsk, cfg->ingress, cfg->queue,
				 x->umem, &x->rx, shared ? NULL : &x->tx,
				 &scfg);
	if (err) {
		x->rx_xsk = NULL;
		umem_rings_unmap(x);
		goto err_umem;
	}
	x->rx_fd = xsk_socket__fd(x->rx_xsk);
	x->tx_fd = x->rx_fd;

	if (shared) {
		/*
		 * A socket sharing the UMEM binds with XDP_SHARED_UMEM alone
		 * and inherits copy or zero-copy mode from the first one.
		 */
		x->failed = "binding the egress socket";
		err = xsk_socket__create_shared(&x->tx_xsk, cfg->egress,
						cfg->queue, x->umem, NULL,
						&x->tx, &x->tx_fill,
						&x->tx_comp, &scfg);
		if (err) {
			x->tx_xsk = NULL;
			goto err_rx;
		}
		x->tx_fd = xsk_socket__fd(x->tx_xsk);
	}

	if (cfg->busy_poll) {
		x->failed = "setting the busy-poll socket options";
		err = set_busy_poll(x->rx_fd, cfg->busy_poll_budget);
		if (!err && shared)
			err = set_busy_poll(x->tx_fd, cfg->busy_poll_budget);
		if (err)
			goto err_tx;
	}

	x->zerocopy = bound_zerocopy(x->rx_fd);
	x->tx_copies = !bound_zerocopy(x->tx_fd);
	for (i = 0; i < x->nframes; i++)
		x->free[i] = (uint64_t)i * x->frame_size;
	x->nfree = x->nframes;
	if (shared && !x->tx_copies) {
		x->failed = "filling the egress socket's fill ring";
		err = egress_fill(x);
		if (err)
			goto err_tx;
	}
	x->failed = NULL;
	return 0;

err_tx:
	xsk_socket__delete(x->tx_xsk);
err_rx:
	xsk_socket__delete(x->rx_xsk);
err_umem:
	xsk_umem__delete(x->umem);
err_area:
	munmap(x->area, x->area_len);
err_free:
	free(x->free);
	free(x->refs);
	failed = x->failed;
	memset(x, 0, sizeof(*x));
	x->rx_fd = x->tx_fd = -1;
	x->failed = failed;
	return err;
}

void xr_xsk_close(struct xr_xsk *x)
{
	if (x->tx_xsk)
		xsk_socket__delete(x->tx_xsk);
	if (x->rx_xsk)
		xsk_socket__delete(x->rx_xsk);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area)
		munmap(x->area, x->area_len);
	free(x->free);
	free(x->refs);
	memset(x, 0, sizeof(*x));
	x->rx_fd = x->tx_fd = -1;
}

uint32_t xr_xsk_refill(struct xr_xsk *x, uint32_t keep)
{
	uint32_t n, i, idx, avail;

	if (x->nfree <= keep)
		return 0;
	avail = x->nfree - keep;
	/*
	 * Each refill the kernel sees costs it and us a cache line moving
	 * between CPUs: hand frames over in batches while it holds enough.
	 */
	if (avail < XR_REFILL_BATCH && x->in_fill >= XR_REFILL_BATCH)
		return 0;
	n = xsk_prod_nb_free(&x->fill, avail);
	if (n > avail)
		n = avail;
	if (!n || xsk_ring_prod__reserve(&x->fill, n, &idx) != n)
		return 0;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&x->fill, idx + i) =
			x->free[--x->nfree];
	xsk_ring_prod__submit(&x->fill, n);
	x->in_fill += n;
	return n;
}

static uint32_t reclaim_ring(struct xr_xsk *x, struct xsk_ring_cons *comp)
{
	uint32_t n, i, idx;

	n = xsk_ring_cons__peek(comp, x->in_tx, &idx);
	for (i = 0; i < n; i++)
		xr_frame_put(x, *xsk_ring_cons__comp_addr(comp, idx + i));
	if (n) {
		xsk_ring_cons__release(comp, n);
		x->in_tx -= n;
	}
	return n;
}

uint32_t xr_xsk_reclaim(struct xr_xsk *x)
{
	uint32_t n = 0;

	if (x->in_tx)
		n = reclaim_ring(x, &x->comp);
	if (x->tx_xsk && x->in_tx)
		n += reclaim_ring(x, &x->tx_comp);
	return n;
}

int xr_xsk_kick_tx(struct xr_xsk *x)
{
	uint32_t i, kicks;

	if (!xsk_ring_prod__needs_wakeup(&x->tx))
		return 0;
	/*
	 * Zero-copy only wakes the driver.  Copy mode transmits inside
	 * sendto(), at most XR_COPY_TX_PER_KICK frames per call, and says
	 * EAGAIN when it stopped at that limit: call again while the ring
	 * still holds descriptors, a bounded number of times.
	 */
	kicks = x->zerocopy ? 1 :
		xr_xsk_tx_queued(x) / XR_COPY_TX_PER_KICK + 1;
	for (i = 0; i < kicks; i++) {
		x->kicks++;
		if (sendto(x->tx_fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
			return 0;
		switch (errno) {
		case EAGAIN:
			if (!xr_xsk_tx_queued(x))
				return 0;
			continue;
		case ENOBUFS:
		case EBUSY:
		case ENETDOWN:
			x->kick_backoff++;
			return 0;
		default:
			return -errno;
		}
	}
	return 0;
}

int xr_xsk_stats(const struct xr_xsk *x, uint64_t *rx_dropped,
		 uint64_t *rx_ring_full, uint64_t *fill_empty,
		 uint64_t *tx_invalid)
{
	struct xdp_statistics st = {};
	socklen_t len = sizeof(st);

	if (getsockopt(x->rx_fd, SOL_XDP, XDP_STATISTICS, &st, &len))
		return -errno;
	*rx_dropped = st.rx_dropped;
	*rx_ring_full = st.rx_ring_full;
	*fill_empty = st.rx_fill_ring_empty_descs;
	*tx_invalid = st.tx_invalid_descs;
	if (x->tx_xsk) {
		len = sizeof(st);
		if (!getsockopt(x->tx_fd, SOL_XDP, XDP_STATISTICS, &st, &len))
			*tx_invalid += st.tx_invalid_descs;
	}
	return 0;
}

static void mark(uint8_t *seen, const struct xr_xsk *x, uint64_t addr,
		 struct xr_xsk_audit *a)
{
	uint64_t f = addr / x->frame_size;

	if (f >= x->nframes) {
		a->invalid++;
		return;
	}
	if (seen[f / 8] & (1U << (f % 8))) {
		a->duplicate++;
		return;
	}
	seen[f / 8] |= 1U << (f % 8);
	a->seen++;
}

/* The frames on a fill ring that the kernel has not taken; returns them. */
static uint32_t mark_fill(uint8_t *seen, const struct xr_xsk *x,
			  const struct xsk_ring_prod *fill,
			  struct xr_xsk_audit *a)
{
	uint32_t cons = __atomic_load_n(fill->consumer, __ATOMIC_ACQUIRE);
	uint32_t prod = *fill->producer, i;

	for (i = cons; i != prod; i++)
		mark(seen, x, ((const uint64_t *)fill->ring)[i & fill->mask],
		     a);
	return prod - cons;
}

bool xr_xsk_audit(const struct xr_xsk *x, struct xr_xsk_audit *a)
{
	const struct xsk_ring_prod *tx = &x->tx;
	uint32_t i, cons, prod;
	uint8_t *seen;

	memset(a, 0, sizeof(*a));
	a->nframes = x->nframes;
	seen = calloc(x->nframes / 8 + 1, 1);
	if (!seen)
		return false;

	for (i = 0; i < x->nfree; i++)
		mark(seen, x, x->free[i], a);
	a->free = x->nfree;

	a->fill_ring = mark_fill(seen, x, &x->fill, a);
	if (x->in_egress)
		a->egress_fill = mark_fill(seen, x, &x->tx_fill, a);

	cons = x->rx.cached_cons;
	prod = __atomic_load_n(x->rx.producer, __ATOMIC_ACQUIRE);
	for (i = cons; i != prod; i++)
		mark(seen, x, xsk_ring_cons__rx_desc(&x->rx, i)->addr, a);
	a->rx_ring = prod - cons;

	cons = __atomic_load_n(tx->consumer, __ATOMIC_ACQUIRE);
	prod = *tx->producer;
	for (i = cons; i != prod; i++)
		mark(seen, x, ((const struct xdp_desc *)tx->ring)
					[i & tx->mask].addr, a);
	a->tx_ring = prod - cons;

	free(seen);
	a->kernel_rx = x->in_fill - a->fill_ring - a->rx_ring +
		       x->in_egress - a->egress_fill;
	a->in_flight = x->in_tx - a->tx_ring;
	return !a->duplicate && !a->invalid &&
	       a->seen + a->kernel_rx + a->in_flight == a->nframes &&
	       x->nfree + x->in_fill + x->in_tx + x->in_egress == x->nframes;
}
