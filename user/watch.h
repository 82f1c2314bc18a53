/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The streams' health, watched by the relay: once a second it reads each
 * stream's row of xr_health and says, once each, when a stream turns
 * unhealthy (an error counter rose), when it is healthy again, when it
 * falls silent and when its packets come back.
 */
#ifndef XR_WATCH_H
#define XR_WATCH_H

#include <stdbool.h>
#include <stdint.h>

/* The default of run --silence: seconds without a packet. */
#define XR_SILENCE_DEFAULT_S	5
/* No new error for this long: healthy again. */
#define XR_HEALTHY_AFTER_S	10

struct relay;
struct stream_watch;
struct xdprelay_health;

struct relay_watch {
	struct stream_watch *s;		/* by stream id */
	uint64_t next_ms;
	bool started;			/* the first look is behind it */
};

int relay_watch_init(struct relay_watch *w);
void relay_watch_free(struct relay_watch *w);
void relay_watch_tick(struct relay *r, uint64_t now_ms);

/*
 * Whether a stream's PAT (*@pat), or a PMT its last PAT named (*@pmt),
 * was overdue at its last packet: more than XDPRELAY_PSI_WINDOW_NS after
 * the one before, or after the wait for it began.
 */
void xr_health_psi(const struct xdprelay_health *h, bool *pat, bool *pmt);

#endif /* XR_WATCH_H */
