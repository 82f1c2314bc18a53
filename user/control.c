// SPDX-License-Identifier: GPL-2.0
/*
 * The relay's control plane (control.h), shared by every data path: it
 * picks the path, owns the streams and subscribers as the pinned maps say
 * them, the subscribers' next hops, the multicast memberships, the reports
 * to xdprelay.ko and the status file, and runs the main loop.
 *
 * The main loop passes every XR_TICK_MS, sooner when the kernel announces
 * a neighbour or route change or a path asks for it: signals, SIGHUP
 * reloads, the egress's link, new subscriber lists (their next hops
 * wanted, the list published as applied once they resolved, which
 * xdprelayctl waits for before it makes a stream live), stream records,
 * and every second all of it again.  The paths hear of each change
 * through struct xr_backend (backend.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "control.h"
#include "neigh.h"
#include "util.h"

#define XR_APPLY_POLL_MS	2	/* while subscribers wait to resolve */
#define XR_FULL_REFRESH_MS	1000	/* routes, streams, groups, module */
#define XR_EVENT_REFRESH_MS	20	/* at most, on neighbour events */
#define XR_STARTUP_RESOLVE_MS	500	/* first neighbour resolution */
/*
 * The same with direct entries of an earlier relay to take over: the
 * kernel carries those streams meanwhile, and entries written before
 * their next hops are known would drop their packets as no_neigh.
 */
#define XR_TAKEOVER_RESOLVE_MS	5000
#define XR_APPLY_MAX_MS		1000	/* a list waits for its next hops */
#define XR_SEEN_NONE		UINT32_MAX

uint64_t relay_now_ms(void)
{
	return xr_now_ns() / 1000000;
}

static const char *addr_str(int family, const uint8_t *addr, char *buf,
			    size_t len)
{
	if (!inet_ntop(family, addr, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* ---- multicast memberships ---------------------------------------- */

static void group_leave(struct relay_group *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

static int group_join(struct relay_group *g, int ifindex, int family,
		      const uint8_t *group, uint16_t vlan)
{
	int fd, err;

	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = xr_join_group(fd, ifindex, family, group);
	if (err) {
		close(fd);
		return err;
	}
	g->fd = fd;
	g->family = family;
	g->vlan = vlan;
	memcpy(g->group, group, 16);
	return 0;
}

/*
 * Hold a membership of the group a stream listens on, on the ingress (on
 * its VLAN's device, for a stream of one VLAN), so that switches and the
 * NIC's filter let the stream in: for the paths that have no socket of
 * their own there.
 */
static void group_update(struct relay *r, uint32_t id,
			 const struct xdprelay_info *info)
{
	const struct xdprelay_endpoint *l = &info->listen;
	struct relay_group *g = &r->groups[id];
	bool want = r->be->joins_groups && info->name[0] &&
		    xr_addr_is_multicast(l->family, l->addr);
	char buf[INET6_ADDRSTRLEN], dev[IF_NAMESIZE];
	int err, ifindex = r->ingress_ifindex;

	if (g->fd >= 0 && (!want || g->family != l->family ||
			   g->vlan != info->vlan ||
			   memcmp(g->group, l->addr, 16))) {
		pr_debug("left %s on %s", addr_str(g->family, g->group, buf,
						   sizeof(buf)),
			 r->cfg->ingress);
		group_leave(g);
		g->warned = false;
	}
	if (!want || g->fd >= 0)
		return;
	snprintf(dev, sizeof(dev), "%s", r->cfg->ingress);
	addr_str(l->family, l->addr, buf, sizeof(buf));
	if (info->vlan) {
		ifindex = xr_vlan_dev(r->cfg->ingress, info->vlan, dev);
		if (ifindex < 0) {
			if (!g->warned)
				pr_warn("stream %.*s: no device for VLAN %u on %s to join %s on: create it ('ip link add link %s name %s.%u type vlan id %u')",
					XDPRELAY_NAME_LEN, info->name,
					info->vlan, r->cfg->ingress, buf,
					r->cfg->ingress, r->cfg->ingress,
					info->vlan, info->vlan);
			g->warned = true;
			return;
		}
	}
	err = group_join(g, ifindex, l->family, l->addr, info->vlan);
	if (!err) {
		pr_info("joined %s on %s for stream %.*s", buf, dev,
			XDPRELAY_NAME_LEN, info->name);
	} else if (!g->warned) {
		pr_warn("cannot join %s on %s for stream %.*s: %s", buf, dev,
			XDPRELAY_NAME_LEN, info->name, strerror(-err));
		g->warned = true;
	}
}

/* Memberships that failed (a VLAN device not there yet): again. */
static void groups_retry(struct relay *r)
{
	uint32_t id;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++)
		if (r->groups[id].fd < 0 && r->info[id].name[0])
			group_update(r, id, &r->info[id]);
}

/* ---- streams ------------------------------------------------------ */

static void ctl_update(struct relay *r, uint32_t id,
		       const struct xdprelay_info *info)
{
	uint32_t ctl = info->name[0] ? XR_CTL_KNOWN | info->src_port : 0;

	if (__atomic_load_n(&r->ctl[id], __ATOMIC_RELAXED) == ctl)
		return;
	__atomic_store_n(&r->ctl[id], ctl, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->cgen, 1, __ATOMIC_RELEASE);
}

/*
 * A stream's record as just read: what the workers need of it, its group,
 * and the path, when it changed.  A record read back from the map is
 * checked before anyone trusts it.
 */
static void info_update(struct relay *r, uint32_t id,
			struct xdprelay_info *info)
{
	info->name[XDPRELAY_NAME_LEN - 1] = '\0';
	if (info->vlan > XDPRELAY_VLAN_MAX ||
	    (info->name[0] && info->listen.family != AF_INET &&
	     info->listen.family != AF_INET6))
		memset(info, 0, sizeof(*info));
	if (!memcmp(info, &r->info[id], sizeof(*info)))
		return;
	r->info[id] = *info;
	r->direct.dirty = true;
	ctl_update(r, id, info);
	group_update(r, id, info);
	r->be->stream_changed(r, id, info);
	if (r->beside)
		r->beside->stream_changed(r, id, info);
}

static void read_info(struct relay *r, uint32_t id)
{
	struct xdprelay_info info;

	if (bpf_map_lookup_elem(r->st.info_fd, &id, &info))
		memset(&info, 0, sizeof(info));
	info_update(r, id, &info);
}

/* Every stream's record, in one syscall where the kernel has it. */
static void scan_info(struct relay *r)
{
	static struct xdprelay_info infos[XDPRELAY_MAX_STREAMS];
	static uint32_t keys[XDPRELAY_MAX_STREAMS];
	uint32_t count = XDPRELAY_MAX_STREAMS, out, id;
	int err;

	err = bpf_map_lookup_batch(r->st.info_fd, NULL, &out, keys, infos,
				   &count, NULL);
	if ((err && err != -ENOENT) || count != XDPRELAY_MAX_STREAMS) {
		for (id = 1; id < XDPRELAY_MAX_STREAMS; id++)
			read_info(r, id);
		return;
	}
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++)
		info_update(r, id, &infos[id]);
}

/* ---- subscribers and their next hops ------------------------------ */

/* Subscriber lists that changed since the last pass. */
static int scan_subs(struct relay *r)
{
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
		r->direct.dirty = true;
		if (!r->apply_seq[id])
			r->apply_pending++;
		r->apply_seq[id] = r->subs_seen[id];
		r->apply_by[id] = relay_now_ms() + XR_APPLY_MAX_MS;
		/*
		 * The stream is new, or its settings may be: read them
		 * before the workers meet its subscribers.
		 */
		read_info(r, id);
		for (j = 0; j < s->nr; j++) {
			err = xr_neigh_want(r->neigh, s->sub[j].family,
					    s->sub[j].addr);
			if (err == -ENOSPC)
				pr_warn("too many subscriber addresses: stream %u's are not relayed",
					id);
		}
		r->be->subs_changed(r, id, s);
		if (r->beside)
			r->beside->subs_changed(r, id, s);
	}
	return changed;
}

/*
 * Tell the control plane which subscriber lists have their next hops
 * resolved (or found unreachable for good): it waits for that before it
 * makes a stream live.  A list whose next hops are still resolving after
 * XR_APPLY_MAX_MS (the control plane's own patience) is published as it
 * stands, and so is every list with @force.
 */
static void publish_applied(struct relay *r, bool force)
{
	const struct xdprelay_subs *s;
	uint64_t now = relay_now_ms();
	struct xr_nh nh;
	uint32_t id, j;

	for (id = 1; id < XDPRELAY_MAX_STREAMS && r->apply_pending; id++) {
		if (!r->apply_seq[id])
			continue;
		s = &r->subs[id];
		for (j = 0; !force && now < r->apply_by[id] && j < s->nr; j++) {
			if (!xr_neigh_lookup(r->neigh, s->sub[j].family,
					     s->sub[j].addr, &nh) ||
			    nh.state == XR_NH_NONE ||
			    nh.state == XR_NH_UNRESOLVED)
				break;
		}
		if (!force && now < r->apply_by[id] && j < s->nr)
			continue;
		__atomic_store_n(&r->st.subs[id].applied, r->apply_seq[id],
				 __ATOMIC_RELEASE);
		r->apply_seq[id] = 0;
		r->apply_pending--;
	}
}

/* The next hops still wanted: those of the subscribers there are. */
static void want_all(struct relay *r)
{
	uint32_t id, j;

	xr_neigh_sweep_begin(r->neigh);
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		const struct xdprelay_subs *s = &r->subs[id];

		for (j = 0; j < s->nr; j++)
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

/* ---- run ---------------------------------------------------------- */

/* Returns true to stop. */
static bool handle_signals(struct relay *r)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(r->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			relay_reload_request(&r->reload);
		} else {
			pr_info("%s: stopping", strsignal(si.ssi_signo));
			stop = true;
		}
	}
	return stop;
}

static int main_loop(struct relay *r)
{
	uint64_t next_full = relay_now_ms() + XR_FULL_REFRESH_MS, now;
	uint64_t next_event = 0, next_info = 0, next_status = 0;
	struct pollfd pfd[2] = {
		{ .fd = r->sfd, .events = POLLIN },
		/* poll() passes over a descriptor of -1. */
		{ .fd = xr_neigh_event_fd(r->neigh), .events = POLLIN },
	};
	int err = 0, wait = XR_TICK_MS, subs;
	bool event = false;

	for (;;) {
		/* A control plane waits while next hops resolve: look often. */
		if (r->apply_pending || event)
			wait = XR_APPLY_POLL_MS;
		poll(pfd, 2, wait);
		if (handle_signals(r))
			break;
		err = r->be->check(r);
		if (!err && r->beside)
			err = r->beside->check(r);
		if (err)
			break;
		if (relay_reload_poll(&r->reload))
			rescan_all(r);
		if ((pfd[1].revents & POLLIN) && xr_neigh_events(r->neigh) > 0)
			event = true;
		now = relay_now_ms();
		/* A new list brings its stream's record: the others each tick. */
		if (now >= next_info) {
			next_info = now + XR_TICK_MS;
			relay_egress_check(&r->egress, r->cfg->egress);
			scan_info(r);
			relay_watch_tick(r, now);
		}
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
		relay_direct_sync(r, now);
		/* A status that cannot be written is tried again later. */
		if (r->direct.changed && now >= next_status) {
			if (!relay_status_write(r)) {
				r->direct.changed = false;
				r->status_written = true;
			} else {
				next_status = now + XR_FULL_REFRESH_MS;
			}
		}
		if (now >= next_full) {
			next_full = now + XR_FULL_REFRESH_MS;
			want_all(r);
			refresh_neigh(r, true);
			publish_applied(r, false);
			groups_retry(r);
			xr_reporter_open(&r->rep);
		}
		wait = r->be->tick(r, now);
		if (r->beside) {
			int w = r->beside->tick(r, now);

			if (w < wait)
				wait = w;
		}
		xr_report_tx(&r->rep);
	}
	return err;
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

static int egress_mac(struct relay *r)
{
	struct ifreq ifr = {};
	int err;

	err = xr_if_ioctl(r->cfg->egress, SIOCGIFHWADDR, &ifr);
	if (err) {
		pr_err("cannot read the MAC address of %s: %s",
		       r->cfg->egress, strerror(-err));
		return err;
	}
	memcpy(r->egress_mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int setup(struct relay *r)
{
	const struct relay_config *cfg = r->cfg;
	uint64_t deadline;
	uint32_t id;
	int err;

	r->ingress_ifindex = interface_index("ingress", cfg->ingress);
	if (r->ingress_ifindex < 0)
		return r->ingress_ifindex;
	r->egress_ifindex = interface_index("egress", cfg->egress);
	if (r->egress_ifindex < 0)
		return r->egress_ifindex;
	err = relay_status_check_owner();
	if (err)
		return err;
	err = egress_mac(r);
	if (err)
		return err;
	err = xr_state_open(&r->st);
	if (err)
		return err;
	r->st_open = true;

	r->neigh = xr_neigh_open(r->egress_ifindex);
	r->info = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->info));
	r->subs = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->subs));
	r->subs_seen = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->subs_seen));
	r->apply_seq = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->apply_seq));
	r->apply_by = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->apply_by));
	r->groups = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->groups));
	if (!r->neigh || !r->info || !r->subs || !r->subs_seen ||
	    !r->apply_seq || !r->apply_by || !r->groups ||
	    relay_watch_init(&r->watch) ||
	    xr_reporter_init(&r->rep, &r->st)) {
		pr_err("out of memory, or no rtnetlink socket: %s",
		       strerror(errno));
		return -ENOMEM;
	}
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		r->groups[id].fd = -1;

	err = r->be->setup(r);
	if (!err && r->beside)
		err = r->beside->setup(r);
	if (err)
		return err;
	err = relay_direct_setup(r);
	if (err)
		return err;

	/*
	 * Subscribers' next hops before the first packet, where quick; a
	 * SIGTERM meanwhile cuts it short, and stops the relay once up.
	 */
	rescan_all(r);
	deadline = relay_now_ms() + (r->direct.taken_over ?
				     XR_TAKEOVER_RESOLVE_MS :
				     XR_STARTUP_RESOLVE_MS);
	while (r->neigh_pending && relay_now_ms() < deadline &&
	       !relay_stop_pending()) {
		usleep(XR_TICK_MS * 1000 / 4);
		refresh_neigh(r, false);
	}
	publish_applied(r, true);
	relay_egress_check(&r->egress, cfg->egress);
	relay_direct_sync(r, relay_now_ms());

	err = r->be->start(r);
	if (!err && r->beside)
		err = r->beside->start(r);
	if (err)
		return err;
	xr_reporter_open(&r->rep);
	if (!relay_status_write(r)) {
		r->status_written = true;
		r->direct.changed = false;
	}
	return 0;
}

static void teardown(struct relay *r)
{
	uint32_t id;

	for (id = 0; r->groups && id < XDPRELAY_MAX_STREAMS; id++)
		group_leave(&r->groups[id]);
	xr_reporter_fini(&r->rep);
	if (r->status_written)
		unlink(xr_status_file());
	relay_direct_fini(r);
	xr_neigh_close(r->neigh);
	if (r->st_open)
		xr_state_close(&r->st);
	relay_watch_free(&r->watch);
	free(r->info);
	free(r->subs);
	free(r->subs_seen);
	free(r->apply_seq);
	free(r->apply_by);
	free(r->groups);
}

static int run(const struct relay_config *cfg,
	       const struct xr_backend *be, int sfd)
{
	struct relay *r;
	int err, ret;

	r = calloc(1, sizeof(*r));
	if (!r) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	r->cfg = cfg;
	r->be = be;
	/* Streams that ask for UDP sockets get them beside AF_XDP. */
	if (be != &xr_backend_sock)
		r->beside = &xr_backend_sock;
	r->rep.fd = -1;
	r->sfd = sfd;
	r->reload.cfg = cfg;

	err = setup(r);
	if (!err)
		err = main_loop(r);
	relay_reload_stop(&r->reload);
	be->stop(r);
	if (r->beside)
		r->beside->stop(r);
	xr_report_tx(&r->rep);
	ret = be->teardown(r);
	if (r->beside)
		ret = r->beside->teardown(r) ?: ret;
	teardown(r);
	free(r);
	return err ? err : ret;
}

int relay_run(const struct relay_config *cfg)
{
	const struct xr_backend *be = &xr_backend_xsk;
	char why[256];
	sigset_t oldmask;
	int sfd, err;

	err = relay_signals_block(&sfd, &oldmask);
	if (err)
		return err;
	xr_log_relay();
	/* Where the status file goes, and the writers' lock: safe, or stop. */
	err = xr_run_dir_make();
	if (err)
		goto out;

	if (cfg->backend == RELAY_BACKEND_SOCKET) {
		be = &xr_backend_sock;
	} else if (cfg->backend == RELAY_BACKEND_AUTO &&
		   relay_program_check(cfg->ingress, why, sizeof(why), NULL)) {
		pr_info("using the socket backend (UDP sockets, not AF_XDP): %s; '--backend xdp' insists on AF_XDP",
			why);
		be = &xr_backend_sock;
	}
	err = run(cfg, be, sfd);
out:
	relay_signals_unblock(sfd, &oldmask);
	return err;
}
