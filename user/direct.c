// SPDX-License-Identifier: GPL-2.0
/*
 * The direct path, control-plane side (control.h): which streams the XDP
 * program relays itself, and the header it puts on their packets.
 *
 * A stream runs direct when the relay's program is on the ingress (the
 * AF_XDP backend), the egress takes XDP redirects (its xdp-features say
 * ndo-xmit: on a veth, the peer has an XDP program or GRO on), it has one
 * subscriber, and the operator did not ask for AF_XDP.  Its xr_direct
 * entry carries the subscriber's header, built from the same templates
 * as the AF_XDP path's (tpl.c); while the next hop is unresolved, or the
 * egress is down, the entry says so and the program counts instead of
 * sending.  Any other stream has no entry, and its packets go to the
 * AF_XDP sockets.
 *
 * The entries outlive the relay: a relay that stops or dies leaves the
 * direct streams flowing, and the next one takes the entries over as it
 * finds them, writing only what changed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "control.h"
#include "neigh.h"
#include "tpl.h"
#include "util.h"
#include "xdpfeat.h"

/* How often the egress's xdp-features are read again. */
#define XR_DIRECT_PROBE_MS	1000

const char *relay_runs_str(unsigned int runs)
{
	switch (runs) {
	case RELAY_RUNS_AFXDP:
		return "afxdp";
	case RELAY_RUNS_DIRECT:
		return "direct";
	case RELAY_RUNS_SOCKET:
		return "socket";
	default:
		return "none";
	}
}

/* Whether the egress takes redirects now; says so when that changes. */
static void probe_egress(struct relay *r)
{
	struct relay_direct *d = &r->direct;
	const char *eg = r->cfg->egress;
	char why[XR_WHY_LEN] = "";
	uint64_t feat = 0;
	int err;

	err = xr_xdp_features(r->egress_ifindex, &feat);
	if (err == -EOPNOTSUPP)
		snprintf(why, sizeof(why),
			 "this kernel cannot say whether %s takes XDP redirects (no netdev xdp-features, Linux 6.3 and later)",
			 eg);
	else if (err)
		snprintf(why, sizeof(why),
			 "cannot read the xdp-features of %s: %s", eg,
			 strerror(-err));
	else if (!(feat & XR_XDP_ACT_NDO_XMIT))
		snprintf(why, sizeof(why),
			 "%s does not take XDP redirects (no ndo-xmit in its xdp-features; on a veth, give the peer an XDP program or turn its GRO on)",
			 eg);
	if (d->known && d->ok == !why[0] && !strcmp(d->why, why))
		return;
	if (!why[0])
		pr_info("%s takes XDP redirects: the direct path is open",
			eg);
	else if (d->known || r->cfg->verbose)
		pr_info("no direct path: %s", why);
	d->ok = !why[0];
	d->known = true;
	d->dirty = true;
	snprintf(d->why, sizeof(d->why), "%s", why);
}

int relay_direct_setup(struct relay *r)
{
	struct relay_direct *d = &r->direct;
	__u32 id;

	d->s = calloc(XDPRELAY_MAX_STREAMS, sizeof(*d->s));
	if (!d->s)
		return -ENOMEM;
	d->dirty = true;
	/* Take over what a previous relay left. */
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct relay_direct_stream *ds = &d->s[id];

		if (!bpf_map_lookup_elem(r->st.direct_fd, &id, &ds->cur)) {
			ds->installed = true;
			xr_report_direct(&r->rep, id);
		}
	}
	if (!r->be->direct) {
		snprintf(d->why, sizeof(d->why),
			 "the relay runs the socket backend");
		d->known = true;
		return 0;
	}
	probe_egress(r);
	d->next_probe = relay_now_ms() + XR_DIRECT_PROBE_MS;
	return 0;
}

/* The path stream @id runs; why not direct, into @why. */
static unsigned int decide(struct relay *r, uint32_t id, char *why,
			   size_t len)
{
	const struct xdprelay_info *info = &r->info[id];
	const struct xdprelay_subs *subs = &r->subs[id];
	unsigned int other;

	why[0] = '\0';
	if (!info->name[0])
		return RELAY_RUNS_NONE;
	/* The backend's own path. */
	other = r->be->direct ? RELAY_RUNS_AFXDP : RELAY_RUNS_SOCKET;
	if (info->path == XDPRELAY_PATH_AFXDP) {
		if (other == RELAY_RUNS_AFXDP)
			snprintf(why, len, "path afxdp asked for");
		else
			snprintf(why, len, "%s", r->direct.why);
		return other;
	}
	if (!r->direct.ok) {
		snprintf(why, len, "%s", r->direct.why);
		return other;
	}
	if (subs->nr != 1) {
		snprintf(why, len,
			 "%u subscribers: the direct path carries one",
			 subs->nr);
		return other;
	}
	return RELAY_RUNS_DIRECT;
}

/* The entry stream @id needs now on the direct path. */
static void entry(struct relay *r, uint32_t id, struct xdprelay_direct *e)
{
	const struct xdprelay_info *info = &r->info[id];
	uint32_t ctl = __atomic_load_n(&r->ctl[id], __ATOMIC_RELAXED);
	int fi = info->listen.family == AF_INET6;
	struct xr_tpl_set set;
	const struct xr_tpl *t;

	memset(e, 0, sizeof(*e));
	e->ifindex = r->egress_ifindex;
	e->family = info->listen.family;
	xr_tpl_build(r->neigh, r->egress_mac, ctl, &r->subs[id], &set);
	if (!set.n[fi]) {
		e->state = XDPRELAY_DIRECT_NO_NEIGH;
		return;
	}
	if (!r->egress.up) {
		e->state = XDPRELAY_DIRECT_DOWN;
		return;
	}
	t = &set.tpl[fi ? set.n[0] : 0];
	e->state = XDPRELAY_DIRECT_SEND;
	e->ttl = t->ttl;
	memcpy(e->eth_dst, t->eth_dst, sizeof(e->eth_dst));
	memcpy(e->eth_src, t->eth_src, sizeof(e->eth_src));
	e->sport = t->sport ? t->sport : info->listen.port;
	e->dport = t->dport;
	memcpy(e->saddr, t->saddr, sizeof(e->saddr));
	memcpy(e->daddr, t->daddr, sizeof(e->daddr));
}

static void install(struct relay *r, uint32_t id,
		    const struct xdprelay_direct *e)
{
	struct relay_direct_stream *ds = &r->direct.s[id];

	if (ds->installed && !memcmp(&ds->cur, e, sizeof(*e)))
		return;
	if (bpf_map_update_elem(r->st.direct_fd, &id, e, BPF_ANY)) {
		pr_warn("stream %u: cannot write %s: %s", id,
			XDPRELAY_MAP_DIRECT, strerror(errno));
		return;
	}
	ds->cur = *e;
	ds->installed = true;
	xr_report_direct(&r->rep, id);
}

static void uninstall(struct relay *r, uint32_t id)
{
	struct relay_direct_stream *ds = &r->direct.s[id];

	if (!ds->installed)
		return;
	if (bpf_map_delete_elem(r->st.direct_fd, &id) && errno != ENOENT) {
		pr_warn("stream %u: cannot remove it from %s: %s", id,
			XDPRELAY_MAP_DIRECT, strerror(errno));
		return;
	}
	ds->installed = false;
}

void relay_direct_sync(struct relay *r, uint64_t now_ms)
{
	struct relay_direct *d = &r->direct;
	struct xdprelay_direct e;
	char why[XR_WHY_LEN];
	unsigned int runs;
	uint32_t id;

	if (!d->s)
		return;
	/* Once a second, everything again: a map write that failed too. */
	if (now_ms >= d->next_probe) {
		d->next_probe = now_ms + XR_DIRECT_PROBE_MS;
		d->dirty = true;
		if (r->be->direct)
			probe_egress(r);
	}
	/* The entries depend on nothing else. */
	if (!d->dirty && d->ngen == xr_neigh_gen(r->neigh) &&
	    d->up == r->egress.up)
		return;
	d->dirty = false;
	d->ngen = xr_neigh_gen(r->neigh);
	d->up = r->egress.up;
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct relay_direct_stream *ds = &d->s[id];

		runs = decide(r, id, why, sizeof(why));
		if (runs == RELAY_RUNS_DIRECT) {
			entry(r, id, &e);
			install(r, id, &e);
		} else {
			uninstall(r, id);
		}
		if (runs == ds->runs && !strcmp(why, ds->why))
			continue;
		if (runs != RELAY_RUNS_NONE && runs != ds->runs) {
			if (why[0])
				pr_info("stream '%s': %s path: %s",
					r->info[id].name, relay_runs_str(runs),
					why);
			else
				pr_info("stream '%s': %s path",
					r->info[id].name,
					relay_runs_str(runs));
		}
		if (runs == RELAY_RUNS_AFXDP &&
		    r->info[id].path == XDPRELAY_PATH_DIRECT &&
		    ds->runs != RELAY_RUNS_AFXDP)
			pr_warn("stream '%s' asks for the direct path, which it cannot take: %s",
				r->info[id].name, why);
		ds->runs = runs;
		snprintf(ds->why, sizeof(ds->why), "%s", why);
		d->changed = true;
	}
}

void relay_direct_fini(struct relay *r)
{
	free(r->direct.s);
	r->direct.s = NULL;
}
