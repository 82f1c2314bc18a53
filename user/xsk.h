/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One relay worker's AF_XDP sockets: a UMEM, the socket on an ingress RX
 * queue and the socket on the egress interface that shares the UMEM, and
 * the worker's pool of free frames.
 *
 * Frame accounting: every frame of the UMEM is at every moment in exactly
 * one of these places, and the counters below follow it:
 *   free list      nfree          the worker's, ready for the fill ring
 *                                 or a fan-out copy
 *   in_fill        fill ring, the kernel's or driver's hands, RX ring
 *   in_tx          TX ring, in flight, completion ring
 *   in_egress      the egress socket's fill ring, or its driver's hands
 *                  (zero-copy only; they stay there)
 *   the worker's hands, only between a ring operation and the next, so
 *   nfree + in_fill + in_tx + in_egress == nframes whenever the worker is
 *   not inside a batch.
 * Nothing here is thread-safe: a worker owns its struct xr_xsk.
 */
#ifndef XR_XSK_H
#define XR_XSK_H

/* Frames handed to the fill ring at once, unless the kernel runs short. */
#define XR_REFILL_BATCH		64
/*
 * Frames the egress socket's fill ring gets in zero-copy mode, at most
 * (and no more than an eighth of the UMEM).  A zero-copy socket takes
 * over its queue's receive side: every frame that arrives there, ARP
 * and neighbour answers included, lands in a frame of the fill ring, and
 * the kernel passes it on by copying it into a socket buffer and
 * reusing the frame itself.  Without them the egress queue receives
 * nothing, and the relay never learns its next hops' addresses.
 */
#define XR_EGRESS_FILL		256
/*
 * Room the kernel leaves in front of XDP_PACKET_HEADROOM: the frame's
 * data then starts 8 bytes into a cache line, so that the program's
 * metadata and an Ethernet, IPv4 and UDP header share that one line,
 * the first the relay reads.
 */
#define XR_FRAME_HEADROOM	8

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xdp/xsk.h>

struct xr_xsk_cfg {
	const char *ingress;
	const char *egress;	/* == ingress: TX goes out on the RX socket */
	uint32_t queue;		/* RX queue on ingress, TX queue on egress */
	uint32_t nframes;
	uint32_t frame_size;	/* power of two */
	uint32_t ring_size;	/* every ring; power of two */
	bool zerocopy;		/* XDP_ZEROCOPY, else XDP_COPY */
	bool busy_poll;
	uint32_t busy_poll_budget;
};

struct xr_xsk {
	void *area;
	size_t area_len;
	uint32_t frame_size;
	uint32_t nframes;
	struct xsk_umem *umem;
	struct xsk_ring_prod fill;	/* of the ingress queue */
	struct xsk_ring_cons comp;	/* TX completions of the RX socket */

	struct xsk_socket *rx_xsk;
	struct xsk_ring_cons rx;
	int rx_fd;

	struct xsk_socket *tx_xsk;	/* NULL when egress is ingress */
	struct xsk_ring_prod tx;	/* on tx_xsk, else on rx_xsk */
	/* tx_xsk's context: filled once, in zero-copy mode only */
	struct xsk_ring_prod tx_fill;
	struct xsk_ring_cons tx_comp;	/* tx_xsk's completions */
	int tx_fd;

	bool zerocopy;		/* what the kernel reports after bind */
	const char *failed;	/* the step xr_xsk_open() failed at */

	/* Transmit kicks, and how many met back-pressure. */
	uint64_t kicks;
	uint64_t kick_backoff;

	uint64_t *free;		/* frame addresses, a stack */
	uint32_t nfree;
	/*
	 * Holders of a frame that several descriptors share (the worker,
	 * and each descriptor not completed yet); 0 for a frame with one
	 * owner.  It goes back to the free list when the last lets go.
	 */
	uint16_t *refs;
	uint32_t frame_shift;	/* log2(frame_size) */
	/* The kernel copies what it transmits, inside sendto(). */
	bool tx_copies;
	uint32_t in_fill;
	uint32_t in_tx;
	uint32_t in_egress;
};

/*
 * Create the UMEM and both sockets, bound with XDP_USE_NEED_WAKEUP, and
 * put every frame on the free list.  The sockets load no XDP program.
 * Returns 0 or -errno with x->failed naming the step.
 */
int xr_xsk_open(struct xr_xsk *x, const struct xr_xsk_cfg *cfg);
void xr_xsk_close(struct xr_xsk *x);

/*
 * Free list to fill ring, as much as fits but @keep frames, which stay for
 * fan-out copies.  Returns the frames moved.
 */
uint32_t xr_xsk_refill(struct xr_xsk *x, uint32_t keep);

/*
 * Have the driver of the egress queue take frames from its fill ring, when
 * it ran short and asks for it (zero-copy).
 */
void xr_xsk_wake_egress(struct xr_xsk *x);

/* Completion rings to free list.  Returns the frames that came back. */
uint32_t xr_xsk_reclaim(struct xr_xsk *x);

/*
 * Have the kernel transmit what is on the TX ring when it asks for it
 * (needs_wakeup).  Back-pressure (EAGAIN, ENOBUFS, EBUSY, ENETDOWN) is not
 * an error: it returns 0 and the descriptors wait on the ring.  Returns
 * -errno for anything else (ENXIO: the interface went away).
 */
int xr_xsk_kick_tx(struct xr_xsk *x);

/* Descriptors on the TX ring that the kernel has not taken yet. */
static inline uint32_t xr_xsk_tx_queued(const struct xr_xsk *x)
{
	return *x->tx.producer -
	       __atomic_load_n(x->tx.consumer, __ATOMIC_ACQUIRE);
}

static inline uint64_t xr_frame_base(const struct xr_xsk *x, uint64_t addr)
{
	return addr & ~(uint64_t)(x->frame_size - 1);
}

static inline bool xr_frame_get(struct xr_xsk *x, uint64_t *addr)
{
	if (!x->nfree)
		return false;
	*addr = x->free[--x->nfree];
	return true;
}

/* Any address inside a frame lets go of the frame. */
static inline void xr_frame_put(struct xr_xsk *x, uint64_t addr)
{
	uint64_t base = xr_frame_base(x, addr);
	uint16_t *r = &x->refs[base >> x->frame_shift];

	if (*r && --*r)
		return;
	x->free[x->nfree++] = base;
}

/* One more holder of the frame at @addr (see refs). */
static inline void xr_frame_hold(struct xr_xsk *x, uint64_t addr)
{
	x->refs[addr >> x->frame_shift]++;
}

/*
 * What the kernel dropped or refused on the ingress socket (XDP_STATISTICS):
 * frames lost because the RX ring was full, or the fill ring empty, and
 * descriptors it found invalid on the TX ring.  Returns 0 or -errno.
 */
int xr_xsk_stats(const struct xr_xsk *x, uint64_t *rx_dropped,
		 uint64_t *rx_ring_full, uint64_t *fill_empty,
		 uint64_t *tx_invalid);

/* Where every frame is, checked frame by frame. */
struct xr_xsk_audit {
	uint32_t nframes;
	uint32_t free;		/* on the free list */
	uint32_t fill_ring;	/* still on the fill ring */
	uint32_t egress_fill;	/* still on the egress socket's fill ring */
	uint32_t rx_ring;	/* received, not yet consumed */
	uint32_t tx_ring;	/* not yet taken by the kernel */
	/*
	 * Taken from a fill ring, held by the kernel or the driver, the
	 * egress socket's frames included.
	 */
	uint32_t kernel_rx;
	uint32_t in_flight;	/* taken from the TX ring, not completed */
	uint32_t seen;		/* distinct frames found on list and rings */
	uint32_t duplicate;	/* found twice: a bookkeeping bug */
	uint32_t invalid;	/* address outside the UMEM */
};

/*
 * Walk the free list and every ring.  Returns true when each frame is in
 * exactly one place: what is not seen is what the kernel holds.
 */
bool xr_xsk_audit(const struct xr_xsk *x, struct xr_xsk_audit *a);

/* A spinning loop's hint to the CPU. */
static inline void xr_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif /* XR_XSK_H */
