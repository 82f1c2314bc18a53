// SPDX-License-Identifier: GPL-2.0
/*
 * The direct path, control-plane side (control.h): which streams the
 * kernel relays without the relay process, and the headers it puts on
 * their packets.
 *
 * A stream runs direct when the relay's program is on the ingress (the
 * AF_XDP backend), the operator did not ask for AF_XDP, and either
 *  - it has one subscriber and the egress takes XDP redirects (its
 *    xdp-features say ndo-xmit: on a veth, the peer has an XDP program or
 *    GRO on): the XDP program rewrites and redirects the frame; or
 *  - the TC program is on the ingress (the relay attaches it): the XDP
 *    program rewrites the frame for the first subscriber and the TC
 *    program sends a copy to each (xdprelay.h), one or several.
 * Its xr_direct entry carries the first subscriber's header and the
 * number of subscribers; a fan-out's set is in xr_fanout, under one of
 * two generations: a new set is written under the generation not in use,
 * then the head is switched to it, so that a packet meets one set whole.
 * A generation is reused, or purged, only XR_GEN_HOLD_MS after the head
 * left it, long after any packet that read the head before is gone.
 * The headers are built from the same templates as the AF_XDP path's
 * (tpl.c); a subscriber whose next hop is unresolved, or an egress that
 * is down, is written as such, and the programs count instead of
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
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include <bpf/bpf.h>

#include "control.h"
#include "neigh.h"
#include "tcprog.h"
#include "tpl.h"
#include "util.h"
#include "xdpfeat.h"

/*
 * How often the egress's xdp-features are read again, and the TC
 * program looked for.
 */
#define XR_DIRECT_PROBE_MS	1000
/* How long a fan-out generation rests after the head left it. */
#define XR_GEN_HOLD_MS		20
/* xr_fanout sets a stream can have, per generation. */
#define XR_FSETS	XR_DIV_ROUND_UP(XDPRELAY_MAX_SUBS, XDPRELAY_FSET_SUBS)
/* Frames an xr_cpus entry queues for its CPU. */
#define XR_CPU_QSIZE		2048

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

/* Whether the egress's driver is @name. */
static bool egress_driver_is(const struct relay *r, const char *name)
{
	struct ethtool_drvinfo drv = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&drv };

	return !xr_if_ioctl(r->cfg->egress, SIOCETHTOOL, &ifr) &&
	       !strcmp(drv.driver, name);
}

/*
 * virtio-net sends what is redirected to it on the stack's transmit
 * queues when it has none to spare for XDP, and drops every frame that
 * lands on a queue whose transmit side a zero-copy AF_XDP socket holds:
 * while the relay's egress sockets are zero-copy there, the XDP program
 * must not redirect to it.
 */
static bool egress_zc_virtio(struct relay *r)
{
	unsigned int q, nq = r->be->queues(r);

	for (q = 0; q < nq; q++)
		if (!strcmp(r->be->queue_mode(r, q), "zerocopy"))
			return egress_driver_is(r, "virtio_net");
	return false;
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
			 "%s takes no XDP redirects (no ndo-xmit): attach xdprelay_pass.bpf.o to it (on a veth, to its peer, or turn the peer's GRO on)",
			 eg);
	else if (egress_zc_virtio(r))
		snprintf(why, sizeof(why),
			 "%s (virtio_net) drops XDP redirects to queues the relay holds in zero-copy: run it with --mode copy to open them",
			 eg);
	if (d->known && d->ok == !why[0] && !strcmp(d->why, why))
		return;
	if (!why[0])
		pr_info("%s takes XDP redirects: the direct path is open",
			eg);
	else
		pr_info("no XDP redirects to the egress: %s", why);
	d->ok = !why[0];
	d->known = true;
	d->dirty = true;
	snprintf(d->why, sizeof(d->why), "%s", why);
}

/*
 * A veth hands the skbs of the kernel's fan-out to its peer through the
 * per-CPU backlog, unless the peer runs NAPI (GRO on, or an XDP program:
 * what makes it take redirects) and the skb may go to GRO, which on a
 * veth with TSO on only a local socket's may.  Through the backlog, the
 * packets of a stream leave in the order of the CPUs that the ingress's
 * NAPI ran on, which on a veth ingress follows the senders: say so.
 */
static void check_veth_order(struct relay *r, char *note, size_t len)
{
	struct ethtool_value tso = { .cmd = ETHTOOL_GTSO };
	const char *eg = r->cfg->egress;
	struct ifreq ifr = {};

	note[0] = '\0';
	if (!egress_driver_is(r, "veth"))
		return;
	ifr.ifr_data = (void *)&tso;
	if (xr_if_ioctl(eg, SIOCETHTOOL, &ifr))
		tso.data = 1;
	if (r->direct.ok && !tso.data)
		return;
	snprintf(note, len,
		 "%s is a veth: its peer takes fanned-out packets through the per-CPU backlog, which can reorder them; %s",
		 eg, !r->direct.ok ?
		 "give the peer GRO or an XDP program, and turn TSO off on it" :
		 "turn TSO off on it ('ethtool -K DEV tso off')");
}

/*
 * Whether the fan-out TC program is on the ingress: put there when it is
 * not (at start, and when someone took it off).
 */
static void probe_tc(struct relay *r)
{
	struct relay_direct *d = &r->direct;
	const char *in = r->cfg->ingress;
	char why[XR_WHY_LEN] = "", name[BPF_OBJ_NAME_LEN];
	const char *step;
	uint32_t id = 0;
	int ret;

	ret = xr_tc_query(r->ingress_ifindex, &id);
	/* One left over from maps pinned before, which it still uses. */
	if (ret == 1 && !xr_prog_uses_map(id, r->st.fanout_fd, name,
					   sizeof(name))) {
		pr_info("the fan-out program on %s uses maps no longer pinned: replacing it",
			in);
		ret = 0;
	}
	if (ret == 0) {
		/* The counters where the XDP program keeps them. */
		ret = xr_tc_attach(r->ingress_ifindex,
				   xr_rx_in_map(&r->st) ? XR_TC_OBJ_MAPS :
							  XR_TC_OBJ,
				   xr_pin_dir(), &step);
		if (!ret)
			ret = xr_tc_query(r->ingress_ifindex, &id);
		if (ret < 0)
			snprintf(why, sizeof(why),
				 "no fan-out in the kernel: %s on %s failed: %s",
				 step, in, strerror(-ret));
		else if (ret == 0)
			snprintf(why, sizeof(why),
				 "no fan-out in the kernel: the TC program did not stay on %s",
				 in);
		else
			pr_info("fan-out program attached to %s (clsact ingress, prog id %u)",
				in, id);
	} else if (ret < 0) {
		snprintf(why, sizeof(why),
			 "no fan-out in the kernel: cannot query the TC filters of %s: %s",
			 in, strerror(-ret));
	}
	if (why[0] && (d->tc_ok || strcmp(d->tc_why, why)))
		pr_warn("%s", why);
	if (!why[0]) {
		char note[XR_WHY_LEN];

		check_veth_order(r, note, sizeof(note));
		if (note[0] && strcmp(note, d->tc_note))
			pr_warn("%s", note);
		if (strcmp(note, d->tc_note))
			d->changed = true;
		snprintf(d->tc_note, sizeof(d->tc_note), "%s", note);
	}
	if (d->tc_ok != !why[0] || d->tc_prog != id)
		d->dirty = true;
	d->tc_ok = !why[0];
	d->tc_prog = why[0] ? 0 : id;
	snprintf(d->tc_why, sizeof(d->tc_why), "%s", why);
}

/* Writes xr_cpus as d->want says. */
static int write_cpus(struct relay *r)
{
	const char *step;
	int ret;

	ret = xr_cpus_set(r->st.cpus_fd, r->direct.want, XR_CPU_QSIZE,
			  xr_rx_in_map(&r->st) ? XR_TC_OBJ_MAPS : XR_TC_OBJ,
			  xr_pin_dir(), &step);
	if (ret)
		pr_err("--direct-cpus: %s failed: %s", step, strerror(-ret));
	return ret;
}

/*
 * --direct-cpus: an xr_cpus entry for each CPU of the list, none for any
 * other.  Without an entry for its CPU, the XDP program relays a frame
 * itself, so an entry that an earlier relay left goes, along with the
 * heads that name it, which are written again.
 */
static int setup_cpus(struct relay *r)
{
	const char *list = r->cfg->direct_cpus;
	struct relay_direct *d = &r->direct;
	char buf[4096], err[256];
	unsigned int c;
	bool *online;
	int ret;

	if (r->st.cpus_fd < 0) {
		if (!list)
			return 0;
		pr_err("--direct-cpus: %s/%s is not pinned: the XDP program on %s is older than this xdprelayctl; attach this one's (xdprelayctl detach %s, then xdprelayctl attach %s)",
		       xr_pin_dir(), XDPRELAY_MAP_CPUS, r->cfg->ingress,
		       r->cfg->ingress, r->cfg->ingress);
		return -EPROTO;
	}
	d->want = calloc(XDPRELAY_MAX_CPUS, sizeof(*d->want));
	d->cpu = calloc(XDPRELAY_MAX_CPUS, sizeof(*d->cpu));
	online = calloc(XDPRELAY_MAX_CPUS, sizeof(*online));
	if (!d->want || !d->cpu || !online) {
		free(online);
		return -ENOMEM;
	}
	ret = 0;
	if (list) {
		ret = xr_parse_cpulist(list, d->want, XDPRELAY_MAX_CPUS, err,
				       sizeof(err));
		if (ret) {
			pr_err("--direct-cpus: %s", err);
			goto out;
		}
		ret = xr_read_file("/sys/devices/system/cpu/online", buf,
				   sizeof(buf));
		if (ret || xr_parse_cpulist(buf, online, XDPRELAY_MAX_CPUS,
					    err, sizeof(err))) {
			pr_err("--direct-cpus: cannot tell which CPUs are online from /sys/devices/system/cpu/online");
			ret = -EIO;
			goto out;
		}
		for (c = 0; c < XDPRELAY_MAX_CPUS; c++) {
			if (d->want[c] && !online[c]) {
				pr_err("--direct-cpus %s: CPU %u is not online (online: %s)",
				       list, c, buf);
				ret = -EINVAL;
				goto out;
			}
			if (d->want[c])
				d->cpu[d->ncpus++] = c;
		}
	}
	ret = write_cpus(r);
	if (ret)
		d->ncpus = 0;
	else if (list)
		pr_info("the direct path rewrites and sends on CPU %s: the receiving CPU hands each packet over through %s",
			list, XDPRELAY_MAP_CPUS);
out:
	free(online);
	return ret;
}

/*
 * xr_cpus as the relay wrote it: an entry, with a program and its queue,
 * for each CPU it hands packets to, and no other.  One that someone else
 * removed or changed is written again, or the streams would stay on the
 * receiving CPU while status said otherwise.
 */
static void verify_cpus(struct relay *r)
{
	const struct relay_direct *d = &r->direct;
	struct bpf_cpumap_val val;
	__u32 c;
	bool ok;

	if (!d->want)
		return;
	for (c = 0; c < XDPRELAY_MAX_CPUS; c++) {
		memset(&val, 0, sizeof(val));
		if (bpf_map_lookup_elem(r->st.cpus_fd, &c, &val))
			ok = !d->want[c];
		else
			ok = d->want[c] && val.bpf_prog.id &&
			     val.qsize == XR_CPU_QSIZE;
		if (!ok)
			break;
	}
	if (c == XDPRELAY_MAX_CPUS)
		return;
	pr_info("%s changed behind the relay (the entry of CPU %u): writing it again",
		XDPRELAY_MAP_CPUS, c);
	write_cpus(r);
}

/* Which CPU stream @id's packets are rewritten and sent on, if not here. */
static void place(const struct relay *r, uint32_t id,
		  struct xdprelay_direct *head)
{
	const struct relay_direct *d = &r->direct;

	if (!d->ncpus)
		return;
	head->handoff = 1;
	head->cpu = d->cpu[id % d->ncpus];
}

/* What a previous relay left of stream @id's fan-out. */
static void take_over_fanout(struct relay *r)
{
	struct relay_direct *d = &r->direct;
	struct xdprelay_fkey key, next;
	struct relay_direct_stream *ds;
	struct xdprelay_fset set;
	void *prev = NULL;
	uint32_t i;

	while (!bpf_map_get_next_key(r->st.fanout_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (!next.id || next.id >= XDPRELAY_MAX_STREAMS ||
		    next.gen > 1 || next.chunk >= XR_FSETS)
			continue;
		ds = &d->s[next.id];
		if (ds->fan_n[next.gen] <= next.chunk)
			ds->fan_n[next.gen] = next.chunk + 1;
	}
	for (key.id = 1; key.id < XDPRELAY_MAX_STREAMS; key.id++) {
		ds = &d->s[key.id];
		if (!ds->installed || !ds->cur.tc || !ds->cur.nr ||
		    ds->cur.nr > XDPRELAY_MAX_SUBS)
			continue;
		ds->fan = calloc(ds->cur.nr, sizeof(*ds->fan));
		if (!ds->fan)
			continue;
		key.gen = ds->cur.gen;
		for (i = 0; i < ds->cur.nr; i++) {
			if (!(i % XDPRELAY_FSET_SUBS)) {
				key.chunk = i / XDPRELAY_FSET_SUBS;
				/* A hole: the set differs from any built. */
				if (bpf_map_lookup_elem(r->st.fanout_fd, &key,
							&set))
					memset(&set, 0xff, sizeof(set));
			}
			ds->fan[i] = set.sub[i % XDPRELAY_FSET_SUBS];
		}
	}
}

int relay_direct_setup(struct relay *r)
{
	struct relay_direct *d = &r->direct;
	__u32 id;

	uint64_t now = relay_now_ms();

	d->s = calloc(XDPRELAY_MAX_STREAMS, sizeof(*d->s));
	d->set = calloc(XDPRELAY_MAX_SUBS, sizeof(*d->set));
	d->tpls = malloc(sizeof(*d->tpls));
	if (!d->s || !d->set || !d->tpls)
		return -ENOMEM;
	d->dirty = true;
	/* Take over what a previous relay left. */
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct relay_direct_stream *ds = &d->s[id];

		/* It may have switched a generation just now. */
		ds->flipped = now;
		if (!bpf_map_lookup_elem(r->st.direct_fd, &id, &ds->cur)) {
			ds->installed = true;
			d->taken_over = true;
			xr_report_direct(&r->rep, id);
		}
	}
	take_over_fanout(r);
	if (!r->be->direct) {
		snprintf(d->why, sizeof(d->why),
			 "the relay runs the socket backend");
		snprintf(d->tc_why, sizeof(d->tc_why), "%s", d->why);
		d->known = true;
		return 0;
	}
	probe_egress(r);
	probe_tc(r);
	d->next_probe = relay_now_ms() + XR_DIRECT_PROBE_MS;
	return setup_cpus(r);
}

/* How the kernel can carry a stream, without the relay process. */
enum kernel_way {
	WAY_NONE,
	WAY_REDIRECT,		/* the XDP program, one subscriber */
	WAY_TC,			/* the XDP and TC programs, any number */
};

/* How the kernel can carry @nr subscribers; why not, into @why. */
static enum kernel_way kernel_way(const struct relay *r, uint32_t nr,
				  char *why, size_t len)
{
	const struct relay_direct *d = &r->direct;

	if (!r->be->direct) {
		snprintf(why, len, "%s", d->why);
		return WAY_NONE;
	}
	if (!nr) {
		snprintf(why, len, "no subscribers");
		return WAY_NONE;
	}
	if (nr == 1 && d->ok)
		return WAY_REDIRECT;
	if (d->tc_ok)
		return WAY_TC;
	snprintf(why, len, "%s", nr > 1 ? d->tc_why : d->why);
	return WAY_NONE;
}

/*
 * The path stream @id runs, and why not direct, into @why; into *@way,
 * how the kernel carries it, on the direct path or, with *@standby,
 * whenever no AF_XDP socket of the relay's takes it (the relay stopped
 * or died), or WAY_NONE.
 */
static unsigned int decide(struct relay *r, uint32_t id, char *why,
			   size_t len, enum kernel_way *way, bool *standby)
{
	const struct xdprelay_info *info = &r->info[id];
	uint32_t nr = r->subs[id].nr;
	unsigned int other;
	char no[XR_WHY_LEN];

	why[0] = '\0';
	*way = WAY_NONE;
	*standby = false;
	if (!info->name[0])
		return RELAY_RUNS_NONE;
	/* UDP sockets, beside AF_XDP or instead of it. */
	if (info->path == XDPRELAY_PATH_SOCKET) {
		snprintf(why, len, "path socket asked for");
		return RELAY_RUNS_SOCKET;
	}
	/* The backend's own path. */
	other = r->be->direct ? RELAY_RUNS_AFXDP : RELAY_RUNS_SOCKET;
	*way = kernel_way(r, nr, no, sizeof(no));
	if (info->path == XDPRELAY_PATH_AFXDP) {
		*standby = *way != WAY_NONE;
		if (other == RELAY_RUNS_AFXDP)
			snprintf(why, len, "path afxdp asked for");
		else
			snprintf(why, len, "%s", r->direct.why);
		if (*standby)
			snprintf(why + strlen(why), len - strlen(why),
				 "; the kernel carries it while no relay does");
		return other;
	}
	if (*way == WAY_NONE) {
		snprintf(why, len, "%s", no);
		return other;
	}
	/*
	 * One subscriber behind an egress that takes no redirects: the TC
	 * program sends it, for half the CPU per packet of AF_XDP in copy
	 * mode and a fifth of its latency (docs/fanout.md).
	 */
	if (*way == WAY_TC && nr == 1) {
		snprintf(why, len,
			 "one subscriber through the TC program, since %s takes no XDP redirects",
			 r->cfg->egress);
	} else if (*way == WAY_TC) {
		snprintf(why, len,
			 "fan-out to %u subscribers in the kernel (TC)", nr);
	}
	return RELAY_RUNS_DIRECT;
}

/*
 * An entry for template @t, or for a subscriber not relayed to, whose
 * counters are in row @slot.
 */
static void entry(const struct relay *r, const struct xdprelay_info *info,
		  const struct xr_tpl *t, uint16_t slot,
		  struct xdprelay_direct *e)
{
	memset(e, 0, sizeof(*e));
	e->ifindex = r->egress_ifindex;
	e->family = info->listen.family;
	e->slot = slot;
	if (!t) {
		e->state = XDPRELAY_DIRECT_NO_NEIGH;
		return;
	}
	if (!r->egress.up) {
		e->state = XDPRELAY_DIRECT_DOWN;
		return;
	}
	e->state = XDPRELAY_DIRECT_SEND;
	e->ttl = t->ttl;
	memcpy(e->eth_dst, t->eth_dst, sizeof(e->eth_dst));
	memcpy(e->eth_src, t->eth_src, sizeof(e->eth_src));
	e->sport = t->sport ? t->sport : info->listen.port;
	e->dport = t->dport;
	memcpy(e->saddr, t->saddr, sizeof(e->saddr));
	memcpy(e->daddr, t->daddr, sizeof(e->daddr));
}

/*
 * The entries stream @id needs now, into d->set: those whose next hop
 * is resolved first, then the others.  Returns how many.
 */
static unsigned int build(struct relay *r, uint32_t id)
{
	const struct xdprelay_info *info = &r->info[id];
	uint32_t ctl = __atomic_load_n(&r->ctl[id], __ATOMIC_RELAXED);
	int fi = info->listen.family == AF_INET6;
	struct xdprelay_direct *set = r->direct.set;
	struct xr_tpl_set *tpls = r->direct.tpls;
	const struct xr_tpl *t;
	const uint16_t *nn;
	unsigned int i, n = 0;

	xr_tpl_build(r->neigh, r->egress_mac, ctl, &r->subs[id], tpls);
	t = &tpls->tpl[fi ? tpls->n[0] : 0];
	nn = &tpls->no_neigh_slot[fi ? tpls->no_neigh[0] : 0];
	for (i = 0; i < tpls->n[fi] && n < XDPRELAY_MAX_SUBS; i++)
		entry(r, info, &t[i], t[i].slot, &set[n++]);
	for (i = 0; i < tpls->no_neigh[fi] && n < XDPRELAY_MAX_SUBS; i++)
		entry(r, info, NULL, nn[i], &set[n++]);
	/* Not even one: the head still says why. */
	if (!n)
		entry(r, info, NULL, 0, &set[n++]);
	return n;
}

static int write_head(struct relay *r, uint32_t id,
		      const struct xdprelay_direct *e)
{
	struct relay_direct_stream *ds = &r->direct.s[id];

	if (bpf_map_update_elem(r->st.direct_fd, &id, e, BPF_ANY)) {
		pr_warn("stream %u: cannot write %s: %s", id,
			XDPRELAY_MAP_DIRECT, strerror(errno));
		return -errno;
	}
	if (ds->installed && ds->cur.tc && (!e->tc || e->gen != ds->cur.gen))
		ds->flipped = relay_now_ms();
	ds->cur = *e;
	ds->installed = true;
	xr_report_direct(&r->rep, id);
	return 0;
}

/* Sets @from .. fan_n[@gen] of generation @gen leave xr_fanout. */
static void trim(struct relay *r, uint32_t id, unsigned int gen,
		 unsigned int from)
{
	struct relay_direct_stream *ds = &r->direct.s[id];
	struct xdprelay_fkey key = { .id = id, .gen = gen };
	unsigned int c;

	for (c = from; c < ds->fan_n[gen]; c++) {
		key.chunk = c;
		if (bpf_map_delete_elem(r->st.fanout_fd, &key) &&
		    errno != ENOENT) {
			pr_warn("stream %u: cannot remove subscribers %u and up from %s: %s",
				id, c * XDPRELAY_FSET_SUBS,
				XDPRELAY_MAP_FANOUT, strerror(errno));
			return;
		}
	}
	if (ds->fan_n[gen] > from)
		ds->fan_n[gen] = from;
}

/*
 * The set of @n in d->set for a fan-out: into the generation not in use,
 * then the head switched to it.  Returns 0, -EAGAIN while that
 * generation rests, or -errno.
 */
static int install_fanout(struct relay *r, uint32_t id, unsigned int n,
			  bool standby, uint64_t now)
{
	struct relay_direct_stream *ds = &r->direct.s[id];
	struct xdprelay_direct *set = r->direct.set, head, *fan;
	unsigned int c, k, gen, sets = XR_DIV_ROUND_UP(n, XDPRELAY_FSET_SUBS);
	struct xdprelay_fkey key = { .id = id };
	struct xdprelay_direct where = {};
	struct xdprelay_fset fs;

	place(r, id, &where);
	if (ds->installed && ds->cur.tc && ds->cur.nr == n && ds->fan &&
	    ds->cur.standby == standby && ds->cur.handoff == where.handoff &&
	    ds->cur.cpu == where.cpu &&
	    !memcmp(ds->fan, set, n * sizeof(*set)))
		return 0;
	gen = ds->installed && ds->cur.tc ? !ds->cur.gen : 0;
	if (now < ds->flipped + XR_GEN_HOLD_MS)
		return -EAGAIN;
	fan = malloc(n * sizeof(*fan));
	if (!fan)
		return -ENOMEM;
	key.gen = gen;
	for (c = 0; c < sets; c++) {
		k = n - c * XDPRELAY_FSET_SUBS;
		if (k > XDPRELAY_FSET_SUBS)
			k = XDPRELAY_FSET_SUBS;
		memset(&fs, 0, sizeof(fs));
		memcpy(fs.sub, &set[c * XDPRELAY_FSET_SUBS],
		       k * sizeof(*set));
		key.chunk = c;
		if (bpf_map_update_elem(r->st.fanout_fd, &key, &fs,
					BPF_ANY)) {
			int err = -errno;

			pr_warn("stream %u: cannot write subscribers %u and up to %s: %s",
				id, c * XDPRELAY_FSET_SUBS,
				XDPRELAY_MAP_FANOUT, strerror(-err));
			if (ds->fan_n[gen] < c)
				ds->fan_n[gen] = c;
			free(fan);
			return err;
		}
	}
	if (ds->fan_n[gen] < sets)
		ds->fan_n[gen] = sets;
	trim(r, id, gen, sets);

	head = set[0];
	head.nr = n;
	head.gen = gen;
	head.tc = 1;
	head.standby = standby;
	place(r, id, &head);
	if (write_head(r, id, &head)) {
		free(fan);
		return -EIO;
	}
	memcpy(fan, set, n * sizeof(*set));
	free(ds->fan);
	ds->fan = fan;
	return 0;
}

/* A 1:1 stream's entry: the head alone, redirected by the XDP program. */
static int install_one(struct relay *r, uint32_t id, bool standby)
{
	struct relay_direct_stream *ds = &r->direct.s[id];
	struct xdprelay_direct head = r->direct.set[0];

	head.nr = 1;
	head.standby = standby;
	place(r, id, &head);
	if (ds->installed && !memcmp(&ds->cur, &head, sizeof(head)))
		return 0;
	return write_head(r, id, &head);
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
	if (ds->cur.tc)
		ds->flipped = relay_now_ms();
	ds->installed = false;
}

/* Generations no head names, once they have rested. */
static void purge(struct relay *r, uint32_t id, uint64_t now)
{
	struct relay_direct_stream *ds = &r->direct.s[id];
	unsigned int gen;

	if (now < ds->flipped + XR_GEN_HOLD_MS)
		return;
	for (gen = 0; gen < 2; gen++)
		if (!ds->installed || !ds->cur.tc || gen != ds->cur.gen)
			trim(r, id, gen, 0);
	if (!ds->installed || !ds->cur.tc) {
		free(ds->fan);
		ds->fan = NULL;
	}
}

/*
 * Stream @id's entries for @way, for the direct path or on @standby: 0,
 * or -errno with why into @why.
 */
static int install(struct relay *r, uint32_t id, enum kernel_way way,
		   bool standby, uint64_t now, char *why, size_t len)
{
	unsigned int n = build(r, id);
	int err;

	if (way == WAY_REDIRECT)
		err = install_one(r, id, standby);
	else
		err = install_fanout(r, id, n, standby, now);
	if (err == -EAGAIN) {
		/* The set changes again in a moment. */
		r->direct.dirty = true;
		return 0;
	}
	if (err == -E2BIG || err == -ENOSPC)
		snprintf(why, len,
			 "%s is full (%u sets of %u subscribers over all fan-out streams)",
			 XDPRELAY_MAP_FANOUT, XDPRELAY_FANOUT_ENTRIES,
			 XDPRELAY_FSET_SUBS);
	else if (err)
		snprintf(why, len, "cannot write its entries: %s",
			 strerror(-err));
	return err;
}

/*
 * The pinned heads are the truth, not what this relay wrote last: one
 * that another writer changed or removed (a stream deleted and added
 * again between two looks) is written again, with its whole set.
 */
static void verify(struct relay *r)
{
	struct relay_direct *d = &r->direct;
	struct xdprelay_direct e;
	uint32_t id;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct relay_direct_stream *ds = &d->s[id];

		if (!ds->installed)
			continue;
		if (bpf_map_lookup_elem(r->st.direct_fd, &id, &e)) {
			ds->installed = false;
		} else if (!memcmp(&e, &ds->cur, sizeof(e))) {
			continue;
		} else {
			/* A new set goes under the generation it does not name. */
			ds->cur = e;
		}
		pr_debug("stream %u: its %s entry changed behind the relay: writing it again",
			 id, XDPRELAY_MAP_DIRECT);
		free(ds->fan);
		ds->fan = NULL;
	}
}

void relay_direct_sync(struct relay *r, uint64_t now_ms)
{
	struct relay_direct *d = &r->direct;
	char why[XR_WHY_LEN];
	enum kernel_way way;
	unsigned int runs;
	bool standby;
	uint32_t id;

	if (!d->s)
		return;
	/*
	 * Once a second, everything again: a map write that failed too,
	 * and an entry that someone else changed or removed.
	 */
	if (now_ms >= d->next_probe) {
		d->next_probe = now_ms + XR_DIRECT_PROBE_MS;
		d->dirty = true;
		if (r->be->direct) {
			probe_egress(r);
			probe_tc(r);
		}
		verify(r);
		verify_cpus(r);
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

		runs = decide(r, id, why, sizeof(why), &way, &standby);
		if (runs == RELAY_RUNS_DIRECT &&
		    install(r, id, way, false, now_ms, why, sizeof(why)))
			runs = r->be->direct ? RELAY_RUNS_AFXDP :
					       RELAY_RUNS_SOCKET;
		/* Without a stand-by, the stream stops with the relay. */
		if (standby && install(r, id, way, true, now_ms, why,
				       sizeof(why)))
			standby = false;
		if (runs != RELAY_RUNS_DIRECT && !standby)
			uninstall(r, id);
		else if (runs == RELAY_RUNS_DIRECT && d->ncpus)
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 "%srewritten and sent on CPU %u",
				 why[0] ? "; " : "", d->cpu[id % d->ncpus]);
		if (ds->fan_n[0] || ds->fan_n[1])
			purge(r, id, now_ms);
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
	uint32_t id;

	if (r->direct.s)
		for (id = 1; id < XDPRELAY_MAX_STREAMS; id++)
			free(r->direct.s[id].fan);
	free(r->direct.s);
	free(r->direct.cpu);
	r->direct.cpu = NULL;
	free(r->direct.want);
	r->direct.want = NULL;
	free(r->direct.set);
	free(r->direct.tpls);
	r->direct.tpls = NULL;
	r->direct.s = NULL;
	r->direct.set = NULL;
}
