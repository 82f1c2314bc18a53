// SPDX-License-Identifier: GPL-2.0
/*
 * The socket backend of `xdprelayctl run --backend socket`.
 *
 * The same pinned state as the AF_XDP relay (xr_info, xr_subs, xr_tx,
 * xr_counters), served by ordinary UDP sockets: one listen socket per
 * stream, bound to its listen endpoint on the ingress (multicast groups
 * joined there), and per stream one unconnected egress socket per family,
 * bound to the stream's source port when it has one.  One worker thread
 * waits on all listen sockets with epoll, reads batches with recvmmsg and
 * sends each batch to every subscriber with sendmmsg, as one UDP GSO send
 * per run of equal-sized datagrams where the kernel takes it.  The kernel
 * chooses the source address and resolves the next hop.
 *
 * The main thread ticks every SR_TICK_MS: signals, streams, subscribers
 * (published as applied once the worker sees them), received counters.
 * The stream table is shared under one mutex, which the worker takes once
 * per epoll wakeup, never per packet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <linux/if_link.h>
#include <linux/sock_diag.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdprelay.h"
#include "xdprelay_uapi.h"
#include "control.h"
#include "relay.h"
#include "report.h"
#include "state.h"
#include "tune.h"
#include "util.h"

#define SR_TICK_MS		100
#define SR_CHECK_MS		1000	/* is an XDP program counting? */
#define SR_BATCH		64	/* datagrams per recvmmsg/sendmmsg */
#define SR_DRAIN		16	/* batches per socket per wakeup */
#define SR_BUF_SIZE		65536
#define SR_GSO_BYTES		65000	/* payload per GSO send */
#define SR_GSO_SEGS		64
#define SR_RCVBUF		(4 << 20)
#define SR_SEEN_NONE		UINT32_MAX
#define ETH_HDR_LEN		14
#define UDP_HDR_LEN		8

#ifndef UDP_SEGMENT
#define UDP_SEGMENT		103
#endif
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL	49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND		78
#endif


struct sr_acc {
	uint64_t packets;
	uint64_t bytes;
	uint64_t tx_errors;
};

struct sr_stream {
	int fd;				/* listen socket, -1: none */
	int out_fd[2];			/* egress, IPv4 and IPv6 */
	struct xdprelay_info info;	/* what the sockets were opened for */
	bool warned;
	struct xdprelay_subs subs;	/* the worker's list */
	uint32_t subs_seen;
	uint64_t rx_packets;		/* since the last tick */
	uint64_t rx_bytes;
	uint32_t drops_seen;		/* of the listen socket */
};

struct sr {
	const struct relay_config *cfg;
	struct xr_state st;
	bool st_open;
	int ingress_ifindex;
	int egress_ifindex;
	int epfd;
	int sfd;		/* SIGINT, SIGTERM, SIGHUP */
	struct relay_reload reload;
	bool status_written;
	bool tune_warned;
	pthread_mutex_t lock;
	pthread_t thread;
	bool started;
	int stop;
	int ncpus;
	bool xdp_counts;	/* an xdprelay program counts what arrives */
	struct xr_reporter rep;	/* to xdprelay.ko */
	struct sr_stream s[XDPRELAY_MAX_STREAMS];

	/* The worker's. */
	bool gso;		/* until the kernel refuses UDP_SEGMENT */
	uint8_t *buf;
	struct mmsghdr rmsg[SR_BATCH];
	struct iovec riov[SR_BATCH];
	struct iovec siov[SR_BATCH];
	struct mmsghdr smsg[SR_BATCH];
	char sctl[SR_BATCH][CMSG_SPACE(sizeof(uint16_t))];
	struct sr_acc acc[XDPRELAY_MAX_STREAMS];
};

static const char *ep_str(const struct xdprelay_endpoint *ep, char *buf,
			  size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(ep->family, ep->addr, a, sizeof(a));
	snprintf(buf, len, ep->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 ntohs(ep->port));
	return buf;
}

static socklen_t ep_sockaddr(const struct xdprelay_endpoint *ep,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ep->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = ep->port;
		memcpy(&sin->sin_addr, ep->addr, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = ep->port;
	memcpy(&sin6->sin6_addr, ep->addr, 16);
	return sizeof(*sin6);
}

/* Ethernet, IP and UDP headers: the frame the AF_XDP relay counts. */
static unsigned int frame_hdr_len(int family)
{
	return ETH_HDR_LEN + (family == AF_INET ? 20 : 40) + UDP_HDR_LEN;
}

/* ---- data path ---------------------------------------------------- */

static void acc_flush(struct sr *r, uint32_t id)
{
	struct sr_acc *a = &r->acc[id];
	struct xdprelay_tx *tx = r->st.tx;
	uint32_t rows[2] = { id, 0 }, i;

	for (i = 0; i < 2; i++) {
		if (a->packets)
			__atomic_fetch_add(&tx[rows[i]].packets, a->packets,
					   __ATOMIC_RELAXED);
		if (a->bytes)
			__atomic_fetch_add(&tx[rows[i]].bytes, a->bytes,
					   __ATOMIC_RELAXED);
		if (a->tx_errors)
			__atomic_fetch_add(&tx[rows[i]].tx_errors,
					   a->tx_errors, __ATOMIC_RELAXED);
	}
	memset(a, 0, sizeof(*a));
}

/*
 * Build the messages for datagrams [first, n): one per datagram, or with
 * @seg one per run of up to SR_GSO_SEGS datagrams of @seg bytes.
 * Returns the number of messages.
 */
static unsigned int build_msgs(struct sr *r, struct sockaddr_storage *dst,
			       socklen_t dlen, unsigned int first,
			       unsigned int n, unsigned int seg,
			       unsigned int *segs)
{
	unsigned int i, m = 0, per = 1;

	if (seg) {
		per = SR_GSO_BYTES / seg;
		if (per > SR_GSO_SEGS)
			per = SR_GSO_SEGS;
	}
	for (i = first; i < n; i += per, m++) {
		struct msghdr *h = &r->smsg[m].msg_hdr;
		unsigned int cnt = n - i < per ? n - i : per;

		memset(h, 0, sizeof(*h));
		h->msg_name = dst;
		h->msg_namelen = dlen;
		h->msg_iov = &r->siov[i];
		h->msg_iovlen = cnt;
		segs[m] = cnt;
		if (seg && cnt > 1) {
			struct cmsghdr *c;

			h->msg_control = r->sctl[m];
			h->msg_controllen = sizeof(r->sctl[m]);
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			*(uint16_t *)CMSG_DATA(c) = seg;
		}
	}
	return m;
}

/* The batch of @n datagrams to one subscriber. */
static void send_sub(struct sr *r, int fd, const struct xdprelay_endpoint *ep,
		     unsigned int n, unsigned int seg, struct sr_acc *a)
{
	unsigned int segs[SR_BATCH], first = 0, m, done, i, k;
	unsigned int hdr = frame_hdr_len(ep->family);
	struct sockaddr_storage dst;
	socklen_t dlen = ep_sockaddr(ep, &dst);
	bool gso;
	int ret;

again:
	gso = r->gso && seg && n - first > 1;
	m = build_msgs(r, &dst, dlen, first, n, gso ? seg : 0, segs);
	done = 0;
	while (done < m) {
		ret = sendmmsg(fd, &r->smsg[done], m - done, 0);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0 && gso && (errno == EIO || errno == EINVAL) &&
		    r->smsg[done].msg_hdr.msg_controllen) {
			pr_debug("UDP GSO refused (%s): plain sendmmsg from now on",
				 strerror(errno));
			r->gso = false;
			for (i = 0; i < done; i++)
				first += segs[i];
			goto again;
		}
		if (ret < 0) {
			a->tx_errors += segs[done];
			done++;
			continue;
		}
		for (i = done; i < done + (unsigned int)ret; i++) {
			const struct msghdr *h = &r->smsg[i].msg_hdr;

			for (k = 0; k < h->msg_iovlen; k++)
				a->bytes += hdr + h->msg_iov[k].iov_len;
			a->packets += segs[i];
		}
		done += ret;
	}
}

/* One socket's waiting datagrams, to every subscriber.  Under r->lock. */
static void relay_stream(struct sr *r, uint32_t id)
{
	struct sr_stream *s = &r->s[id];
	int family = s->info.listen.family;
	unsigned int hdr = frame_hdr_len(family);
	unsigned int b, i, j, n, seg;
	int ret, out;

	out = s->out_fd[family == AF_INET6];
	for (b = 0; b < SR_DRAIN; b++) {
		ret = recvmmsg(s->fd, r->rmsg, SR_BATCH, MSG_DONTWAIT, NULL);
		if (ret <= 0)
			break;
		n = ret;
		seg = r->rmsg[0].msg_len;
		for (i = 0; i < n; i++) {
			r->siov[i].iov_base = r->riov[i].iov_base;
			r->siov[i].iov_len = r->rmsg[i].msg_len;
			if (r->rmsg[i].msg_len != seg)
				seg = 0;
			s->rx_packets++;
			s->rx_bytes += hdr + r->rmsg[i].msg_len;
		}
		for (j = 0; j < s->subs.nr && j < XDPRELAY_MAX_SUBS; j++) {
			const struct xdprelay_endpoint *ep = &s->subs.sub[j];

			/* The CLI refuses other families; skip them too. */
			if (ep->family != family || out < 0)
				continue;
			send_sub(r, out, ep, n, seg, &r->acc[id]);
		}
		acc_flush(r, id);
		if (n < SR_BATCH)
			break;
	}
}

static void *worker_main(void *arg)
{
	struct sr *r = arg;
	struct epoll_event ev[SR_BATCH];
	int n, i;

	/*
	 * The receive buffers, once: recvmmsg() sets only msg_len and
	 * msg_flags of headers without a name or control data.
	 */
	for (i = 0; i < SR_BATCH; i++) {
		r->riov[i].iov_base = r->buf + (size_t)i * SR_BUF_SIZE;
		r->riov[i].iov_len = SR_BUF_SIZE;
		memset(&r->rmsg[i].msg_hdr, 0, sizeof(r->rmsg[i].msg_hdr));
		r->rmsg[i].msg_hdr.msg_iov = &r->riov[i];
		r->rmsg[i].msg_hdr.msg_iovlen = 1;
	}

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		n = epoll_wait(r->epfd, ev, SR_BATCH, SR_TICK_MS);
		if (n <= 0)
			continue;
		pthread_mutex_lock(&r->lock);
		for (i = 0; i < n; i++) {
			uint32_t id = (uint32_t)ev[i].data.u64;
			int fd = (int)(ev[i].data.u64 >> 32);

			if (id < XDPRELAY_MAX_STREAMS && r->s[id].fd == fd)
				relay_stream(r, id);
		}
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

/* ---- control: streams, subscribers, counters ---------------------- */

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) ? -errno : 0;
}

static int bind_dev(int fd, const char *dev)
{
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
			  strlen(dev) + 1) ? -errno : 0;
}

static int join_group(struct sr *r, int fd, const struct xdprelay_endpoint *l)
{
	if (l->family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = r->ingress_ifindex };

		memcpy(&mr.imr_multiaddr, l->addr, 4);
		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				  sizeof(mr)) ? -errno : 0;
	}
	struct ipv6_mreq mr = { .ipv6mr_interface = r->ingress_ifindex };

	memcpy(&mr.ipv6mr_multiaddr, l->addr, 16);
	return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
			  sizeof(mr)) ? -errno : 0;
}

static int open_listen(struct sr *r, const struct xdprelay_endpoint *l,
		       const char **what)
{
	struct sockaddr_storage ss;
	socklen_t len = ep_sockaddr(l, &ss);
	int fd, err;

	*what = "socket";
	fd = socket(l->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
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
	err = bind_dev(fd, r->cfg->ingress);
	if (err)
		goto fail;
	*what = "bind";
	if (bind(fd, (struct sockaddr *)&ss, len)) {
		err = -errno;
		goto fail;
	}
	if (xr_is_multicast(l)) {
		*what = "joining the group";
		err = join_group(r, fd, l);
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
	socklen_t len = ep_sockaddr(&any, &ss);
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
	err = bind_dev(fd, r->cfg->egress);
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
	int i;

	pthread_mutex_lock(&r->lock);
	if (s->fd >= 0) {
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
	}
	for (i = 0; i < 2; i++)
		if (s->out_fd[i] >= 0)
			close(s->out_fd[i]);
	s->fd = s->out_fd[0] = s->out_fd[1] = -1;
	pthread_mutex_unlock(&r->lock);
}

static void open_stream(struct sr *r, uint32_t id,
			const struct xdprelay_info *info)
{
	struct sr_stream *s = &r->s[id];
	const struct xdprelay_endpoint *l = &info->listen;
	struct epoll_event ev = { .events = EPOLLIN };
	char buf[INET6_ADDRSTRLEN + 8];
	int fd, out, err, tid;
	const char *what;

	fd = open_listen(r, l, &what);
	if (fd < 0) {
		err = fd;
		goto fail;
	}
	out = open_egress(r, l->family, info->src_port, &what);
	if (out < 0) {
		err = out;
		close(fd);
		goto fail;
	}
	if (r->st.module) {
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
	ev.data.u64 = (uint64_t)(uint32_t)fd << 32 | id;
	pthread_mutex_lock(&r->lock);
	s->fd = fd;
	s->drops_seen = 0;
	s->out_fd[l->family == AF_INET6] = out;
	err = epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
	pthread_mutex_unlock(&r->lock);
	if (err) {
		what = "epoll";
		close_stream(r, id);
		goto fail;
	}
	pr_info("stream %.*s: listening on %s on %s%s", XDPRELAY_NAME_LEN,
		info->name, ep_str(l, buf, sizeof(buf)), r->cfg->ingress,
		xr_is_multicast(l) ? " (group joined)" : "");
	s->warned = false;
	return;
fail:
	if (!s->warned)
		pr_warn("stream %.*s: %s for %s on %s failed: %s (retrying every %d ms)",
			XDPRELAY_NAME_LEN, info->name, what,
			ep_str(l, buf, sizeof(buf)), r->cfg->ingress,
			strerror(-err), SR_TICK_MS);
	s->warned = true;
}

/* Sockets for every stream of xr_info, closed for those gone or changed. */
static void scan_info(struct sr *r)
{
	struct xdprelay_info info;
	uint32_t id;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct sr_stream *s = &r->s[id];

		if (bpf_map_lookup_elem(r->st.info_fd, &id, &info))
			memset(&info, 0, sizeof(info));
		if (memcmp(&info.listen, &s->info.listen,
			   sizeof(info.listen)) ||
		    info.src_port != s->info.src_port ||
		    strncmp(info.name, s->info.name, XDPRELAY_NAME_LEN)) {
			if (s->fd >= 0)
				pr_debug("stream %u changed: sockets closed",
					 id);
			close_stream(r, id);
			s->info = info;
			s->warned = false;
		}
		if (s->info.name[0] && s->fd < 0 &&
		    (s->info.listen.family == AF_INET ||
		     s->info.listen.family == AF_INET6))
			open_stream(r, id, &s->info);
	}
}

/* New subscriber lists: to the worker, then applied to the control plane. */
static void scan_subs(struct sr *r)
{
	struct xdprelay_subs copy;
	uint32_t id, seen;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		const struct xdprelay_subs *e = &r->st.subs[id];
		struct sr_stream *s = &r->s[id];

		seen = s->subs_seen;
		if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) == seen ||
		    !xr_subs_read(e, &copy, &seen))
			continue;
		pthread_mutex_lock(&r->lock);
		s->subs = copy;
		pthread_mutex_unlock(&r->lock);
		s->subs_seen = seen;
		__atomic_store_n(&r->st.subs[id].applied, seen,
				 __ATOMIC_RELEASE);
	}
}

static void rescan_all(struct sr *r)
{
	uint32_t id;

	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		r->s[id].subs_seen = SR_SEEN_NONE;
	scan_info(r);
	scan_subs(r);
}

/*
 * What arrived, where no xdprelay program counted it, to where stats reads
 * the receive counters: into xr_counters when the pinned state is the maps
 * variant's, in CPU 0's slot, read, added to and written back from here,
 * since no program writes it; else to xdprelay.ko when it is loaded.  What
 * cannot be counted now is kept for the next tick.
 */
static void count_rx(struct sr *r)
{
	static uint64_t pk[XDPRELAY_MAX_STREAMS], by[XDPRELAY_MAX_STREAMS];
	struct xdprelay_counters *vals;
	uint32_t id;

	pk[0] = by[0] = 0;
	pthread_mutex_lock(&r->lock);
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		pk[id] += r->s[id].rx_packets;
		by[id] += r->s[id].rx_bytes;
		r->s[id].rx_packets = r->s[id].rx_bytes = 0;
		pk[0] += pk[id];
		by[0] += by[id];
	}
	pthread_mutex_unlock(&r->lock);
	if (r->xdp_counts || !pk[0] ||
	    (!xr_rx_in_map(&r->st) && r->rep.fd < 0) ||
	    (xr_rx_in_map(&r->st) && r->ncpus <= 0)) {
		memset(pk, 0, sizeof(pk));
		memset(by, 0, sizeof(by));
		return;
	}
	if (!xr_rx_in_map(&r->st)) {
		xr_report_rx(&r->rep, pk, by);
		return;
	}
	vals = calloc(r->ncpus, sizeof(*vals));
	if (!vals)
		return;
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++) {
		if (!pk[id])
			continue;
		if (bpf_map_lookup_elem(r->st.counters_fd, &id, vals))
			continue;
		vals[0].c[XDPRELAY_RX_PACKETS] += pk[id];
		vals[0].c[XDPRELAY_RX_BYTES] += by[id];
		if (bpf_map_update_elem(r->st.counters_fd, &id, vals, 0))
			continue;
		pk[id] = by[id] = 0;
	}
	free(vals);
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
		__atomic_fetch_add(&r->st.tx[id].rx_dropped, d,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->st.tx[0].rx_dropped, d,
				   __ATOMIC_RELAXED);
	}
}

static void check_xdp(struct sr *r)
{
	char why[256];
	bool counts = !relay_program_check(r->cfg->ingress, why,
					   sizeof(why), NULL);

	if (counts != r->xdp_counts || !r->started)
		pr_debug("%s: %s", r->cfg->ingress, counts ?
			 "xdprelay's program counts what arrives" :
			 "no xdprelay program: the relay counts what arrives");
	r->xdp_counts = counts;
}

/* ---- status file and signals -------------------------------------- */

/* One worker, one mode. */
static const char *socket_mode(void *arg __attribute__((unused)),
			       unsigned int q __attribute__((unused)))
{
	return "socket";
}

static void write_status(struct sr *r)
{
	if (!relay_status_write(r->cfg->ingress, r->cfg->egress, 1,
				socket_mode, NULL, false))
		r->status_written = true;
}

/* Returns true to stop. */
static bool handle_signals(struct sr *r)
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

/* ---- run ---------------------------------------------------------- */

static int setup(struct sr *r)
{
	const struct relay_config *cfg = r->cfg;
	int err;

	r->ingress_ifindex = if_nametoindex(cfg->ingress);
	if (!r->ingress_ifindex) {
		pr_err("ingress %s: no such interface: check 'ip link'",
		       cfg->ingress);
		return -ENODEV;
	}
	r->egress_ifindex = if_nametoindex(cfg->egress);
	if (!r->egress_ifindex) {
		pr_err("egress %s: no such interface: check 'ip link'",
		       cfg->egress);
		return -ENODEV;
	}
	err = relay_status_check_owner();
	if (err)
		return err;
	err = xr_state_open(&r->st);
	if (err)
		return err;
	r->st_open = true;
	r->ncpus = libbpf_num_possible_cpus();
	r->buf = malloc((size_t)SR_BATCH * SR_BUF_SIZE);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!r->buf || r->epfd < 0) {
		pr_err("out of memory, or no epoll: %s", strerror(errno));
		return -ENOMEM;
	}
	if (xr_reporter_init(&r->rep, r->st.tx)) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	if (r->st.module && !xr_reporter_open(&r->rep))
		pr_warn("cannot open %s: %s: the module hears nothing of what this relay receives and sends",
			XDPRELAY_DEVICE, strerror(errno));
	else if (!r->st.module && r->st.counters_fd < 0)
		pr_info("no xr_counters map and no xdprelay.ko: received packets are not counted");
	check_xdp(r);
	rescan_all(r);

	err = pthread_create(&r->thread, NULL, worker_main, r);
	if (err) {
		pr_err("cannot start the worker thread: %s", strerror(err));
		return -err;
	}
	r->started = true;
	write_status(r);
	pr_info("relaying from %s to %s with UDP sockets (socket backend)",
		cfg->ingress, cfg->egress);
	return 0;
}

static void main_loop(struct sr *r)
{
	struct pollfd pfd = { .fd = r->sfd, .events = POLLIN };
	unsigned int ticks = 0;

	for (;;) {
		poll(&pfd, 1, SR_TICK_MS);
		if (handle_signals(r))
			break;
		if (relay_reload_poll(&r->reload))
			rescan_all(r);
		scan_info(r);
		scan_subs(r);
		if (++ticks % (SR_CHECK_MS / SR_TICK_MS) == 0) {
			check_xdp(r);
			if (r->st.module)
				xr_reporter_open(&r->rep);
		}
		count_rx(r);
		count_drops(r);
		xr_report_tx(&r->rep);
	}
}

static void teardown(struct sr *r)
{
	uint32_t id;

	relay_reload_stop(&r->reload);
	if (r->started) {
		__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
		pthread_join(r->thread, NULL);
		count_rx(r);
		count_drops(r);
		xr_report_tx(&r->rep);
	}
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		close_stream(r, id);
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->status_written)
		unlink(xr_status_file());
	xr_reporter_fini(&r->rep);
	if (r->st_open)
		xr_state_close(&r->st);
	free(r->buf);
}

int sock_relay_run(const struct relay_config *cfg, int sfd)
{
	struct sr *r;
	uint32_t id;
	int err;

	r = calloc(1, sizeof(*r));
	if (!r) {
		pr_err("out of memory");
		return -ENOMEM;
	}
	r->cfg = cfg;
	r->sfd = sfd;
	r->reload.cfg = cfg;
	r->epfd = -1;
	r->rep.fd = -1;
	r->gso = true;
	pthread_mutex_init(&r->lock, NULL);
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		r->s[id].fd = r->s[id].out_fd[0] = r->s[id].out_fd[1] = -1;

	err = setup(r);
	if (!err)
		main_loop(r);
	teardown(r);
	pthread_mutex_destroy(&r->lock);
	free(r);
	return err;
}
