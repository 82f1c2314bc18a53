// SPDX-License-Identifier: GPL-2.0
/*
 * The socket path of the relay (backend.h): `xdprelayctl run --backend
 * socket`, every stream; or beside the AF_XDP path, the streams added with
 * `--path socket`, whose packets the XDP program passes to the stack.
 *
 * The same pinned state as the AF_XDP relay (xr_info, xr_streams, xr_subs,
 * xr_tx, xr_counters), served by ordinary UDP sockets: one listen socket
 * per stream, bound to its listen endpoint on the ingress (multicast
 * groups joined there), and per stream one unconnected egress socket,
 * bound to the stream's source port on the egress.  One worker thread
 * (sock_path.c) relays what they receive.  The kernel chooses the source
 * address and resolves the next hop.
 *
 * A unicast listen port is the relay's alone: the socket shares it with
 * nobody (no SO_REUSEADDR, no SO_REUSEPORT), so no other socket, of any
 * user, can be bound to it to take the stream.  A multicast group is
 * shared as groups are: every socket on it gets its own copy, and none
 * can take the relay's away.
 *
 * The control plane (control.c) hands it the streams' records and
 * subscriber lists as they change; the stream table is shared with the
 * worker under one mutex, which the worker takes once per epoll wakeup,
 * never per packet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <linux/sock_diag.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdprelay_uapi.h"
#include "be_sock.h"
#include "state.h"
#include "tune.h"
#include "util.h"

#define SR_ARM_POLL_MS		2	/* while a stream goes live, */
#define SR_ARM_MS		1000	/* for at most this long */
#define SR_CHECK_MS		1000	/* is an XDP program counting? */
#define SR_RCVBUF		(4 << 20)

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL	49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND		78
#endif

/* ---- a stream's sockets ------------------------------------------- */

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) ? -errno : 0;
}

static int bind_dev(int fd, const char *dev)
{
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
			  strlen(dev) + 1) ? -errno : 0;
}

/*
 * A stream of one VLAN arrives through the VLAN's device on top of the
 * ingress (the stack takes the tag off there), one of any VLAN on the
 * ingress itself, untagged.
 */
static int open_listen(struct sr *r, const struct xdprelay_info *info,
		       const char **what)
{
	const struct xdprelay_endpoint *l = &info->listen;
	struct sockaddr_storage ss;
	socklen_t len = sr_sockaddr(l, &ss);
	char dev[IF_NAMESIZE];
	int fd, err, ifindex = r->rl->ingress_ifindex;

	snprintf(dev, sizeof(dev), "%s", r->rl->cfg->ingress);
	if (info->vlan) {
		*what = "finding its VLAN's device (create it: 'ip link add link INGRESS name INGRESS.ID type vlan id ID')";
		ifindex = xr_vlan_dev(r->rl->cfg->ingress, info->vlan, dev);
		if (ifindex < 0)
			return ifindex;
	}
	*what = "socket";
	fd = socket(l->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * Only a group's port is shared (see the top of this file): Linux
	 * checks no owner between sockets that both set SO_REUSEADDR, and
	 * the last one bound would take a unicast stream.
	 */
	if (xr_is_multicast(l))
		set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, SR_RCVBUF))
		set_int(fd, SOL_SOCKET, SO_RCVBUF, SR_RCVBUF);
	if (l->family == AF_INET) {
		set_int(fd, IPPROTO_IP, IP_FREEBIND, 1);
		set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
	} else {
		set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		set_int(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1);
		set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
	}
	*what = "SO_BINDTODEVICE";
	err = bind_dev(fd, dev);
	if (err)
		goto fail;
	*what = "bind";
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		err = -errno;
		if (err == -EADDRINUSE)
			*what = "bind (another socket holds the port: 'ss -uanp' names it)";
		goto fail;
	}
	if (xr_is_multicast(l)) {
		*what = "joining the group";
		err = xr_join_group(fd, ifindex, l->family, l->addr);
		if (err)
			goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

/* Egress: unconnected, bound to the source port when the stream has one. */
static int open_egress(struct sr *r, int family, uint16_t port,
		       const char **what)
{
	struct xdprelay_endpoint any = { .family = family, .port = port };
	struct sockaddr_storage ss;
	socklen_t len = sr_sockaddr(&any, &ss);
	int fd, err;

	*what = "egress socket";
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (family == AF_INET) {
		set_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0);
	} else {
		set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		set_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0);
	}
	/* It only sends: what reaches its port is not read. */
	set_int(fd, SOL_SOCKET, SO_RCVBUF, 0);
	*what = "egress SO_BINDTODEVICE";
	err = bind_dev(fd, r->rl->cfg->egress);
	if (err)
		goto fail;
	*what = "egress bind";
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		err = -errno;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return err;
}

static void close_stream(struct sr *r, uint32_t id)
{
	struct sr_stream *s = &r->s[id];

	pthread_mutex_lock(&r->lock);
	if (s->out_fd >= 0 && s->out_fd != s->fd)
		close(s->out_fd);
	if (s->armed)
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, s->fd, NULL);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = s->out_fd = -1;
	s->armed = false;
	pthread_mutex_unlock(&r->lock);
}

/*
 * Relayed datagrams leave from the stream's source port, the listen port
 * by default, as the AF_XDP relay sends them.  Where the listen socket
 * holds that very port on the egress (a unicast stream relayed out of
 * its own interface), it sends them itself: nothing else may bind there.
 */
static int egress_fd(struct sr *r, int fd, const struct xdprelay_info *info,
		     const char **what)
{
	const struct xdprelay_endpoint *l = &info->listen;
	uint16_t port = info->src_port ? info->src_port : l->port;

	if (r->rl->egress_ifindex == r->rl->ingress_ifindex && port == l->port &&
	    !xr_is_multicast(l))
		return fd;
	return open_egress(r, l->family, port, what);
}

static void open_stream(struct sr *r, uint32_t id,
			const struct xdprelay_info *info)
{
	struct sr_stream *s = &r->s[id];
	const struct xdprelay_endpoint *l = &info->listen;
	char buf[XR_ENDPOINT_STRLEN];
	int fd, out, err, tid;
	const char *what;

	fd = open_listen(r, info, &what);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	out = egress_fd(r, fd, info, &what);
	if (out < 0) {
		err = out;
		close(fd);
		goto fail;
	}
	if (r->rl->st.module) {
		tid = xr_tune_register(fd);
		if (tid >= 0)
			pr_debug("stream %.*s: socket tuned as %s/sockets/%d",
				 XDPRELAY_NAME_LEN, info->name, XR_SYSFS_DIR,
				 tid);
		else if (tid != -ENOENT && !r->tune_warned) {
			pr_warn("cannot register the socket of stream %.*s with the module's tuner: %s",
				XDPRELAY_NAME_LEN, info->name,
				strerror(-tid));
			r->tune_warned = true;
		}
	}
	pthread_mutex_lock(&r->lock);
	s->fd = fd;
	s->out_fd = out;
	s->drops_seen = 0;
	s->opened_ms = relay_now_ms();
	pthread_mutex_unlock(&r->lock);
	pr_info("stream %.*s: listening on %s on %s%s%s", XDPRELAY_NAME_LEN,
		info->name, xr_endpoint_str(l, buf), r->rl->cfg->ingress,
		info->vlan ? ", its VLAN's device" : "",
		xr_is_multicast(l) ? " (group joined)" : "");
	s->warned = false;
	return;
fail:
	if (!s->warned)
		pr_warn("stream %.*s: %s for %s on %s failed: %s (retrying every %d ms)",
			XDPRELAY_NAME_LEN, info->name, what,
			xr_endpoint_str(l, buf), r->rl->cfg->ingress,
			strerror(-err), XR_TICK_MS);
	s->warned = true;
}

/*
 * The stream's filter and policer from xr_streams, while its endpoint
 * there names it; a new setting starts the policer with a full bucket.
 * The worker reads a stream's socket only while it is live, that is with
 * its settings known: until then what arrives waits in the socket.
 */
static void scan_settings(struct sr *r, uint32_t id)
{
	struct sr_stream *s = &r->s[id];
	struct epoll_event ev = {
		.events = EPOLLIN,
		.data.u64 = (uint64_t)(uint32_t)s->fd << 32 | id,
	};
	struct xdprelay_key key = xr_info_key(&s->info);
	struct xdprelay_stream val = {};
	bool live;
	int err;

	if (s->info.name[0] &&
	    (bpf_map_lookup_elem(r->rl->st.streams_fd, &key, &val) ||
	     val.id != id))
		memset(&val, 0, sizeof(val));
	live = val.id == id && s->fd >= 0;
	if (!memcmp(&val, &s->val, sizeof(val)) && live == s->armed)
		return;
	pthread_mutex_lock(&r->lock);
	if (memcmp(&val, &s->val, sizeof(val))) {
		s->val = val;
		s->pol_credit = s->pol_last = 0;
	}
	if (live != s->armed) {
		err = epoll_ctl(r->epfd, live ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
				s->fd, &ev);
		if (!err)
			s->armed = live;
		else if (!s->warned)
			pr_warn("stream %.*s: epoll: %s", XDPRELAY_NAME_LEN,
				s->info.name, strerror(errno));
		s->warned = err;
	}
	pthread_mutex_unlock(&r->lock);
}

/*
 * Streams whose socket opened less than SR_ARM_MS ago and that are not
 * live yet: their settings looked up again.  Returns true while there are
 * any, for the main loop to look again soon.
 */
static bool arm_pending(struct sr *r, uint64_t now)
{
	bool pending = false;
	uint32_t id;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct sr_stream *s = &r->s[id];

		if (s->fd < 0 || s->armed || now - s->opened_ms >= SR_ARM_MS)
			continue;
		scan_settings(r, id);
		pending |= !s->armed;
	}
	return pending;
}

/*
 * What arrived, where no xdprelay program counted it, to where stats reads
 * the receive counters: into xr_counters when the pinned state is the maps
 * variant's, in CPU 0's slot, read, added to and written back from here,
 * since no program writes it; else to xdprelay.ko when it is loaded.
 * Each datagram counts in rx_packets and rx_bytes, and the ones the
 * relay's filter or policer refused in their outcome too, as the program
 * counts them.  What cannot be counted now is kept for the next tick.
 */
static void count_rx(struct sr *r)
{
	static struct xr_rx_count c[XDPRELAY_MAX_STREAMS];
	struct xdprelay_counters *v = &r->vals[0];
	uint32_t id, k;
	bool any = false;

	memset(&c[0], 0, sizeof(c[0]));
	pthread_mutex_lock(&r->lock);
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		for (k = 0; k < XR_RX_KINDS; k++) {
			c[id].packets[k] += r->s[id].rx.packets[k];
			c[id].bytes[k] += r->s[id].rx.bytes[k];
			c[0].packets[k] += c[id].packets[k];
			c[0].bytes[k] += c[id].bytes[k];
			any |= c[id].packets[k] != 0;
		}
		memset(&r->s[id].rx, 0, sizeof(r->s[id].rx));
	}
	pthread_mutex_unlock(&r->lock);
	if (__atomic_load_n(&r->xdp_counts, __ATOMIC_RELAXED) || !any ||
	    (!xr_rx_in_map(&r->rl->st) && r->rl->rep.fd < 0)) {
		memset(c, 0, sizeof(c));
		return;
	}
	if (!xr_rx_in_map(&r->rl->st)) {
		xr_report_rx(&r->rl->rep, c);
		return;
	}
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++) {
		if (!c[id].packets[XR_RX_TAKEN] &&
		    !c[id].packets[XR_RX_POLICED] &&
		    !c[id].packets[XR_RX_SRC_REFUSED])
			continue;
		if (bpf_map_lookup_elem(r->rl->st.counters_fd, &id, r->vals))
			continue;
		for (k = 0; k < XR_RX_KINDS; k++) {
			v->c[XDPRELAY_RX_PACKETS] += c[id].packets[k];
			v->c[XDPRELAY_RX_BYTES] += c[id].bytes[k];
			if (xr_rx_outcome[k])
				v->c[xr_rx_outcome[k]] += c[id].packets[k];
		}
		if (bpf_map_update_elem(r->rl->st.counters_fd, &id, r->vals,
					0))
			continue;
		memset(&c[id], 0, sizeof(c[id]));
	}
}

/*
 * Datagrams the kernel dropped at the listen sockets, their buffers full:
 * into xr_tx's rx_dropped.  Only this thread opens and closes them.
 */
static void count_drops(struct sr *r)
{
	uint32_t mem[SK_MEMINFO_VARS], id, d;
	socklen_t len;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct sr_stream *s = &r->s[id];

		len = sizeof(mem);
		if (s->fd < 0 ||
		    getsockopt(s->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) ||
		    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
			continue;
		d = mem[SK_MEMINFO_DROPS] - s->drops_seen;
		if (!d)
			continue;
		s->drops_seen = mem[SK_MEMINFO_DROPS];
		__atomic_fetch_add(&r->rl->st.tx[id].rx_dropped, d,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->rl->st.tx[0].rx_dropped, d,
				   __ATOMIC_RELAXED);
	}
}

/*
 * Whether xdprelay's program counts (and polices) what arrives.  Beside
 * AF_XDP it does: the relay started only with it there.
 */
static void check_xdp(struct sr *r)
{
	char why[256];
	bool counts = r->rl->be != &xr_backend_sock ||
		      !relay_program_check(r->rl->cfg->ingress, why,
					   sizeof(why), NULL);

	if (counts != r->xdp_counts || !r->started)
		pr_debug("%s: %s", r->rl->cfg->ingress, counts ?
			 "xdprelay's program counts what arrives" :
			 "no xdprelay program: the relay counts what arrives");
	__atomic_store_n(&r->xdp_counts, counts, __ATOMIC_RELAXED);
}

static struct sr *sr_of(const struct relay *rl)
{
	return rl->sock;
}

/*
 * Beside the AF_XDP path, the socket path carries only the streams that
 * ask for it; on its own, every stream.
 */
static bool sock_takes(const struct sr *r, const struct xdprelay_info *info)
{
	return info->name[0] && (r->rl->be == &xr_backend_sock ||
				 info->path == XDPRELAY_PATH_SOCKET);
}

/* ---- subscribers that would loop ---------------------------------- */

/* A stream's listen endpoint: sending there would come back forever. */
static bool is_listen_endpoint(const struct sr *r,
			       const struct xdprelay_endpoint *ep)
{
	uint32_t id;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++)
		if (r->s[id].info.name[0] &&
		    xr_endpoint_eq(&r->s[id].info.listen, ep))
			return true;
	return false;
}

static bool sends_to(const struct xdprelay_subs *subs,
		     const struct xdprelay_endpoint *ep)
{
	uint32_t j;

	for (j = 0; j < subs->nr && j < XDPRELAY_MAX_SUBS; j++)
		if (xr_endpoint_eq(&subs->sub[j], ep))
			return true;
	return false;
}

/*
 * The worker's list of stream @id: @in without the subscribers that are
 * a stream's listen endpoint on this host (the CLI refuses them; the
 * pinned maps may still hold them), which count as no_neigh, as the
 * AF_XDP path counts a local address.
 */
static void set_subs(struct sr *r, uint32_t id, const struct xdprelay_subs *in)
{
	struct sr_stream *s = &r->s[id];
	struct sr_list *l = &r->lists[id];
	char a[XR_ENDPOINT_STRLEN];
	struct xdprelay_subs kept;
	uint32_t j, loops = 0;

	/* Taken later, it reads the list then. */
	if (!sock_takes(r, &s->info))
		return;
	kept = *in;
	kept.nr = 0;
	memset(kept.sub, 0, sizeof(kept.sub));
	memset(kept.slot, 0, sizeof(kept.slot));
	pthread_mutex_lock(&r->lock);
	for (j = 0; j < in->nr && j < XDPRELAY_MAX_SUBS; j++) {
		if (!is_listen_endpoint(r, &in->sub[j])) {
			kept.slot[kept.nr] = in->slot[j];
			kept.sub[kept.nr++] = in->sub[j];
			continue;
		}
		l->loop_slot[loops++] = in->slot[j];
		if (loops > s->loops)
			pr_warn("stream %.*s: subscriber %s is the listen endpoint of a stream here: not relayed, it would loop",
				XDPRELAY_NAME_LEN, s->info.name,
				xr_endpoint_str(&in->sub[j], a));
	}
	l->subs = kept;
	s->loops = loops;
	pthread_mutex_unlock(&r->lock);
}

/* ---- the path's operations ----------------------------------------- */

static int sock_setup(struct relay *rl)
{
	struct sr *r;
	uint32_t id;

	r = calloc(1, sizeof(*r));
	if (!r) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	rl->sock = r;
	r->rl = rl;
	r->epfd = -1;
	r->gso = true;
	pthread_mutex_init(&r->lock, NULL);
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		r->s[id].fd = r->s[id].out_fd = -1;
	r->vals = calloc(rl->st.ncpus, sizeof(*r->vals));
	r->lists = calloc(XDPRELAY_MAX_STREAMS, sizeof(*r->lists));
	r->buf = malloc((size_t)SR_BATCH * SR_BUF_SIZE);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!r->vals || !r->lists || !r->buf || r->epfd < 0) {
		pr_err("out of memory, or no epoll: %s", strerror(errno));
		return -ENOMEM;
	}
	if (rl->be == &xr_backend_sock && !rl->st.module &&
	    rl->st.counters_fd < 0)
		pr_info("no xr_counters map and no xdprelay.ko: received packets are not counted");
	check_xdp(r);
	return 0;
}

static int sock_start(struct relay *rl)
{
	struct sr *r = sr_of(rl);
	int err;

	err = pthread_create(&r->thread, NULL, sock_worker_main, r);
	if (err) {
		pr_err("cannot start the worker thread: %s", strerror(err));
		return -err;
	}
	r->started = true;
	if (rl->be == &xr_backend_sock)
		pr_info("relaying from %s to %s with UDP sockets (socket backend)",
			r->rl->cfg->ingress, r->rl->cfg->egress);
	else
		pr_debug("streams on the socket path: UDP sockets from %s to %s",
			 r->rl->cfg->ingress, r->rl->cfg->egress);
	return 0;
}

/*
 * Sockets for the stream, closed when it is gone or changed.  A listen
 * endpoint that came or went changes which subscribers would loop.
 */
static void sock_stream_changed(struct relay *rl, uint32_t id,
				const struct xdprelay_info *info)
{
	struct sr *r = sr_of(rl);
	struct sr_stream *s = &r->s[id];
	struct xdprelay_endpoint was = s->info.listen;
	bool moved;
	uint32_t i;

	moved = memcmp(&info->listen, &was, sizeof(was)) ||
		!info->name[0] != !s->info.name[0];
	if (moved || info->src_port != s->info.src_port ||
	    info->vlan != s->info.vlan || !sock_takes(r, info) ||
	    strncmp(info->name, s->info.name, XDPRELAY_NAME_LEN)) {
		if (s->fd >= 0)
			pr_debug("stream %u changed: sockets closed", id);
		close_stream(r, id);
		s->warned = false;
	}
	s->info = *info;
	if (sock_takes(r, &s->info) && s->fd < 0) {
		open_stream(r, id, &s->info);
		set_subs(r, id, &rl->subs[id]);
	}
	scan_settings(r, id);
	/* Only the streams that send to the endpoint that came or went. */
	for (i = 1; moved && i < XDPRELAY_MAX_STREAMS; i++)
		if (sends_to(&rl->subs[i], &was) ||
		    sends_to(&rl->subs[i], &info->listen))
			set_subs(r, i, &rl->subs[i]);
}

static void sock_subs_changed(struct relay *rl, uint32_t id,
			      const struct xdprelay_subs *subs)
{
	set_subs(sr_of(rl), id, subs);
}

/*
 * Sockets that could not be opened, tried again; settings (xr_streams
 * changes alone, a new rate say) read again; streams on their way to live
 * looked at often; what was received, counted.
 */
static int sock_tick(struct relay *rl, uint64_t now_ms)
{
	struct sr *r = sr_of(rl);
	bool pending;
	uint32_t id;

	/* Between ticks, only the streams going live. */
	pending = arm_pending(r, now_ms);
	if (now_ms < r->next_tick)
		return pending ? SR_ARM_POLL_MS : (int)(r->next_tick - now_ms);
	r->next_tick = now_ms + XR_TICK_MS;
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct sr_stream *s = &r->s[id];

		if (!sock_takes(r, &s->info))
			continue;
		if (s->fd < 0)
			open_stream(r, id, &s->info);
		scan_settings(r, id);
	}
	if (now_ms >= r->next_check) {
		r->next_check = now_ms + SR_CHECK_MS;
		check_xdp(r);
	}
	count_rx(r);
	count_drops(r);
	return pending ? SR_ARM_POLL_MS : XR_TICK_MS;
}

static int sock_check(struct relay *rl)
{
	(void)rl;
	return 0;
}

static unsigned int sock_queues(const struct relay *rl)
{
	(void)rl;
	return 1;
}

/* One worker, one mode. */
static const char *sock_queue_mode(const struct relay *rl, unsigned int q)
{
	(void)rl;
	(void)q;
	return "socket";
}

static void sock_stop(struct relay *rl)
{
	struct sr *r = sr_of(rl);

	if (!r || !r->started)
		return;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	pthread_join(r->thread, NULL);
	r->started = false;
	count_rx(r);
	count_drops(r);
}

static int sock_teardown(struct relay *rl)
{
	struct sr *r = sr_of(rl);
	uint32_t id;

	if (!r)
		return 0;
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		close_stream(r, id);
	if (r->epfd >= 0)
		close(r->epfd);
	pthread_mutex_destroy(&r->lock);
	free(r->buf);
	free(r->vals);
	free(r->lists);
	free(r);
	rl->sock = NULL;
	return 0;
}

const struct xr_backend xr_backend_sock = {
	.name = "socket",
	.joins_groups = false,
	.direct = false,
	.setup = sock_setup,
	.start = sock_start,
	.stream_changed = sock_stream_changed,
	.subs_changed = sock_subs_changed,
	.tick = sock_tick,
	.check = sock_check,
	.queues = sock_queues,
	.queue_mode = sock_queue_mode,
	.stop = sock_stop,
	.teardown = sock_teardown,
};
