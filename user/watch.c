// SPDX-License-Identifier: GPL-2.0
/*
 * The streams' health, watched by the relay (watch.h).  The XDP program
 * counts; this says when a count moves, in the relay's log, once per
 * change of state, never once per packet.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "control.h"
#include "util.h"
#include "watch.h"

#define WATCH_PERIOD_MS		1000

/* The error counters of struct xdprelay_health, by the name they go by. */
static const struct {
	size_t off;
	const char *name;
} errs[] = {
	{ offsetof(struct xdprelay_health, sync_errors), "sync" },
	{ offsetof(struct xdprelay_health, tei_packets), "tei" },
	{ offsetof(struct xdprelay_health, cc_errors), "cc" },
	{ offsetof(struct xdprelay_health, rtp_lost), "lost" },
	{ offsetof(struct xdprelay_health, rtp_reordered), "reordered" },
	{ offsetof(struct xdprelay_health, rtp_duplicates), "dup" },
	{ offsetof(struct xdprelay_health, ssrc_changes), "ssrc" },
	{ offsetof(struct xdprelay_health, pat_errors), "pat" },
	{ offsetof(struct xdprelay_health, pmt_errors), "pmt" },
};

#define NR_ERRS	XR_ARRAY_SIZE(errs)

struct stream_watch {
	char name[XDPRELAY_NAME_LEN];	/* whose state this is; "": none */
	uint64_t err[NR_ERRS];		/* as last read */
	uint64_t calm_since_ms;		/* the last rise */
	bool unhealthy;
	bool silent;
};

int relay_watch_init(struct relay_watch *w)
{
	w->s = calloc(XDPRELAY_MAX_STREAMS, sizeof(*w->s));
	w->next_ms = 0;
	w->started = false;
	return w->s ? 0 : -ENOMEM;
}

void relay_watch_free(struct relay_watch *w)
{
	free(w->s);
	w->s = NULL;
}

static uint64_t err_at(const struct xdprelay_health *h, unsigned int k)
{
	uint64_t v;

	memcpy(&v, (const char *)h + errs[k].off, sizeof(v));
	return v;
}

void xr_health_psi(const struct xdprelay_health *h, bool *pat, bool *pmt)
{
	unsigned int k, n = h->nr_pmts < XDPRELAY_HEALTH_PMTS ? h->nr_pmts :
			    XDPRELAY_HEALTH_PMTS;

	*pat = false;
	*pmt = false;
	if (!h->ts_packets || !h->last_ns)
		return;
	/* Rows are written on several CPUs: a clock may run a bit ahead. */
	*pat = (int64_t)(h->last_ns - h->pat_ns) >
	       (int64_t)XDPRELAY_PSI_WINDOW_NS;
	for (k = 0; k < n; k++)
		if (h->pmt_pids[k] != XDPRELAY_PMT_NONE &&
		    (int64_t)(h->last_ns - h->pmt_ns[k]) >
		    (int64_t)XDPRELAY_PSI_WINDOW_NS)
			*pmt = true;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void watch_one(struct relay *r, struct stream_watch *sw,
		      const struct xdprelay_health *h, uint64_t now_ms,
		      uint64_t now_ns)
{
	unsigned int silence_s = r->cfg->silence_s ? r->cfg->silence_s :
				 XR_SILENCE_DEFAULT_S;
	uint64_t silence_ns = silence_s * 1000000000ULL, idle;
	char what[256];
	size_t n = 0;
	unsigned int k;
	bool pat, pmt;

	for (k = 0; k < NR_ERRS; k++) {
		uint64_t v = err_at(h, k);

		if (v > sw->err[k] && n < sizeof(what))
			n += snprintf(what + n, sizeof(what) - n, "%s%llu %s",
				      n ? ", " : "",
				      (unsigned long long)(v - sw->err[k]),
				      errs[k].name);
		sw->err[k] = v;
	}
	/* A table that does not come is an error for as long as it lasts. */
	xr_health_psi(h, &pat, &pmt);
	if ((pat || pmt) && n < sizeof(what))
		n += snprintf(what + n, sizeof(what) - n, "%sno %s",
			      n ? ", " : "", pat ? "PAT" : "PMT");
	if (n) {
		if (!sw->unhealthy)
			pr_warn("stream '%s' is unhealthy: %s in the last second",
				sw->name, what);
		sw->unhealthy = true;
		sw->calm_since_ms = now_ms;
	} else if (sw->unhealthy &&
		   now_ms - sw->calm_since_ms >= XR_HEALTHY_AFTER_S * 1000) {
		pr_info("stream '%s' is healthy again: no error for %u s",
			sw->name, XR_HEALTHY_AFTER_S);
		sw->unhealthy = false;
	}

	/* Silence counts from a first packet on. */
	if (!h->last_ns)
		return;
	idle = now_ns > h->last_ns ? now_ns - h->last_ns : 0;
	if (!sw->silent && idle >= silence_ns) {
		pr_warn("stream '%s' is silent: no packet for %llu s",
			sw->name, (unsigned long long)(idle / 1000000000ULL));
		sw->silent = true;
	} else if (sw->silent && idle < silence_ns) {
		pr_info("stream '%s' has packets again", sw->name);
		sw->silent = false;
	}
}

void relay_watch_tick(struct relay *r, uint64_t now_ms)
{
	struct relay_watch *w = &r->watch;
	struct xdprelay_health h;
	uint64_t now_ns;
	unsigned int k;
	uint32_t id;

	if (!w->s || r->st.health_fd < 0 || now_ms < w->next_ms)
		return;
	w->next_ms = now_ms + WATCH_PERIOD_MS;
	now_ns = mono_ns();
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct stream_watch *sw = &w->s[id];
		const char *name = r->info[id].name;

		if (!name[0]) {
			sw->name[0] = '\0';
			continue;
		}
		if (bpf_map_lookup_elem(r->st.health_fd, &id, &h))
			continue;
		/*
		 * What a stream had when the relay started is history; one
		 * added since started from zero, which its errors rise from.
		 */
		if (strcmp(sw->name, name)) {
			memset(sw, 0, sizeof(*sw));
			snprintf(sw->name, sizeof(sw->name), "%s", name);
			for (k = 0; k < NR_ERRS && !w->started; k++)
				sw->err[k] = err_at(&h, k);
			if (!w->started)
				continue;
		}
		watch_one(r, sw, &h, now_ms, now_ns);
	}
	w->started = true;
}
