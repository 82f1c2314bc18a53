// SPDX-License-Identifier: GPL-2.0
/*
 * The socket backend of `xdprelayctl run --backend socket`.
 *
 * The same pinned state as the AF_XDP relay (xr_info, xr_streams, xr_subs,
 * xr_tx, xr_counters), served by ordinary UDP sockets: one listen socket
 * per stream, bound to its listen endpoint on the ingress (multicast
 * groups joined there), and per stream one unconnected egress socket,
 * bound to the stream's source port on the egress.  One worker thread
 * waits on all listen sockets with epoll, reads batches with recvmmsg,
 * applies the stream's source filter and policer as the XDP program
 * does, and sends each batch to every subscriber with sendmmsg, as one
 * UDP GSO send per run of equal-sized datagrams where the kernel takes
 * it.  The kernel chooses the source address and resolves the next hop.
 *
 * A unicast listen port is the relay's alone: the socket shares it with
 * nobody (no SO_REUSEADDR, no SO_REUSEPORT), so no other socket, of any
 * user, can be bound to it to take the stream.  A multicast group is
 * shared as groups are: every socket on it gets its own copy, and none
 * can take the relay's away.
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
#include "neigh.h"
#include "relay.h"
#include "report.h"
#include "state.h"
#include "tune.h"
#include "util.h"

#define SR_TICK_MS		100
#define SR_ARM_POLL_MS		2	/* while a stream goes live, */
#define SR_ARM_MS		1000	/* for at most this long */
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
	uint64_t no_neigh;
};

struct sr_stream {
	int fd;				/* listen socket, -1: none */
	int out_fd;			/* egress: its own, or fd */
	struct xdprelay_info info;	/* what the sockets were opened for */
	struct xdprelay_stream val;	/* filter and policer; 0: not live */
	bool armed;			/* fd in the worker's epoll set */
	uint64_t opened_ms;		/* when fd was opened */
	bool warned;
	struct xdprelay_subs subs;	/* the worker's list, loops left out */
	uint32_t loops;			/* subscribers left out */
	uint32_t subs_seen;
	__u64 pol_credit;		/* the worker's policer */
	__u64 pol_last;
	struct xr_rx_count rx;		/* since the last tick */
	uint32_t drops_seen;		/* of the listen socket */
	uint32_t apply_seq;		/* to publish once resolved; 0: none */
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
	struct relay_egress egress;
	struct xr_neigh *neigh;	/* the subscribers' next hops */
	int apply_pending;
	struct xr_reporter rep;	/* to xdprelay.ko */
	struct sr_stream s[XDPRELAY_MAX_STREAMS];

	/* The worker's. */
	bool gso;		/* until the kernel refuses UDP_SEGMENT */
	uint8_t *buf;
	struct mmsghdr rmsg[SR_BATCH];
	struct sockaddr_storage rname[SR_BATCH];
	struct iovec riov[SR_BATCH];
	struct iovec siov[SR_BATCH];
	struct mmsghdr smsg[SR_BATCH];
	char sctl[SR_BATCH][CMSG_SPACE(sizeof(uint16_t))];
	struct sr_acc acc[XDPRELAY_MAX_STREAMS];
};

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
		if (a->no_neigh)
			__atomic_fetch_add(&tx[rows[i]].no_neigh,
					   a->no_neigh, __ATOMIC_RELAXED);
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* The clock of bpf_ktime_get_ns(), the XDP program's policer's. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * XDPRELAY_NSEC_PER_SEC + ts.tv_nsec;
}

/* The source filter of xr_streams, as the XDP program applies it. */
static bool src_allowed(const struct xdprelay_stream *v,
			const struct sockaddr_storage *from)
{
	const uint8_t *a;
	unsigned int i, len;

	if (from->ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)from)->sin_addr;
		len = 4;
	} else if (from->ss_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)from)->sin6_addr.s6_addr;
		len = 16;
	} else {
		return false;
	}
	for (i = 0; i < len; i++)
		if ((a[i] & v->src_mask[i]) != v->src_addr[i])
			return false;
	return true;
}

/*
 * One socket's waiting datagrams, through the stream's source filter and
 * policer, to every subscriber.  Under r->lock.  Where an xdprelay
 * program is attached it polices before the stack, and the relay does
 * not police twice; the source filter, which the program leaves to the
 * stack, is always the relay's.
 */
static void relay_stream(struct sr *r, uint32_t id)
{
	struct sr_stream *s = &r->s[id];
	int family = s->info.listen.family;
	unsigned int hdr = frame_hdr_len(family);
	bool filter = s->val.flags & XDPRELAY_F_SRC_FILTER;
	bool police = s->val.rate_pps &&
		      !__atomic_load_n(&r->xdp_counts, __ATOMIC_RELAXED);
	uint64_t now = police ? now_ns() : 0;
	unsigned int b, i, j, n, m, seg, len, k;
	struct sr_acc *a = &r->acc[id];
	int ret;

	for (b = 0; b < SR_DRAIN; b++) {
		/* The kernel shortens each to the name it wrote last time. */
		for (i = 0; i < SR_BATCH; i++)
			r->rmsg[i].msg_hdr.msg_namelen = sizeof(r->rname[i]);
		ret = recvmmsg(s->fd, r->rmsg, SR_BATCH, MSG_DONTWAIT, NULL);
		if (ret <= 0)
			break;
		n = ret;
		seg = 0;
		for (i = 0, m = 0; i < n; i++) {
			len = r->rmsg[i].msg_len;
			k = XR_RX_TAKEN;
			if (filter && !src_allowed(&s->val, &r->rname[i]))
				k = XR_RX_SRC_REFUSED;
			else if (police &&
				 !xdprelay_police(&s->pol_credit, &s->pol_last,
						  now, s->val.rate_pps,
						  s->val.burst))
				k = XR_RX_POLICED;
			s->rx.packets[k]++;
			s->rx.bytes[k] += hdr + len;
			if (k != XR_RX_TAKEN)
				continue;
			r->siov[m].iov_base = r->riov[i].iov_base;
			r->siov[m].iov_len = len;
			if (!m)
				seg = len;
			else if (len != seg)
				seg = 0;
			m++;
		}
		for (j = 0; m && j < s->subs.nr && j < XDPRELAY_MAX_SUBS; j++) {
			const struct xdprelay_endpoint *ep = &s->subs.sub[j];

			/* The CLI refuses other families; skip them too. */
			if (ep->family != family || s->out_fd < 0)
				continue;
			/* The egress would drop them without a word. */
			if (!__atomic_load_n(&r->egress.up, __ATOMIC_RELAXED))
				a->tx_errors += m;
			else
				send_sub(r, s->out_fd, ep, m, seg, a);
		}
		a->no_neigh += (uint64_t)m * s->loops;
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
	 * The receive buffers, once: recvmmsg() sets only msg_len,
	 * msg_namelen and msg_flags of headers without control data.
	 */
	for (i = 0; i < SR_BATCH; i++) {
		r->riov[i].iov_base = r->buf + (size_t)i * SR_BUF_SIZE;
		r->riov[i].iov_len = SR_BUF_SIZE;
		memset(&r->rmsg[i].msg_hdr, 0, sizeof(r->rmsg[i].msg_hdr));
		r->rmsg[i].msg_hdr.msg_name = &r->rname[i];
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

static int join_group(int ifindex, int fd, const struct xdprelay_endpoint *l)
{
	if (l->family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = ifindex };

		memcpy(&mr.imr_multiaddr, l->addr, 4);
		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				  sizeof(mr)) ? -errno : 0;
	}
	struct ipv6_mreq mr = { .ipv6mr_interface = ifindex };

	memcpy(&mr.ipv6mr_multiaddr, l->addr, 16);
	return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
			  sizeof(mr)) ? -errno : 0;
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
	socklen_t len = ep_sockaddr(l, &ss);
	char dev[IF_NAMESIZE];
	int fd, err, ifindex = r->ingress_ifindex;

	snprintf(dev, sizeof(dev), "%s", r->cfg->ingress);
	if (info->vlan) {
		*what = "finding its VLAN's device (create it: 'ip link add link INGRESS name INGRESS.ID type vlan id ID')";
		ifindex = xr_vlan_dev(r->cfg->ingress, info->vlan, dev);
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
		err = join_group(ifindex, fd, l);
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

	if (r->egress_ifindex == r->ingress_ifindex && port == l->port &&
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
	pthread_mutex_lock(&r->lock);
	s->fd = fd;
	s->out_fd = out;
	s->drops_seen = 0;
	s->opened_ms = now_ns() / 1000000;
	pthread_mutex_unlock(&r->lock);
	pr_info("stream %.*s: listening on %s on %s%s%s", XDPRELAY_NAME_LEN,
		info->name, xr_endpoint_str(l, buf), r->cfg->ingress,
		info->vlan ? ", its VLAN's device" : "",
		xr_is_multicast(l) ? " (group joined)" : "");
	s->warned = false;
	return;
fail:
	if (!s->warned)
		pr_warn("stream %.*s: %s for %s on %s failed: %s (retrying every %d ms)",
			XDPRELAY_NAME_LEN, info->name, what,
			xr_endpoint_str(l, buf), r->cfg->ingress,
			strerror(-err), SR_TICK_MS);
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
	    (bpf_map_lookup_elem(r->st.streams_fd, &key, &val) ||
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
 * Sockets for every stream of xr_info, closed for those gone or changed.
 * Returns true when a listen endpoint came or went: the subscribers that
 * would loop must then be found again.
 */
static bool scan_info(struct sr *r)
{
	struct xdprelay_info info;
	bool moved = false;
	uint32_t id;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		struct sr_stream *s = &r->s[id];

		if (bpf_map_lookup_elem(r->st.info_fd, &id, &info) ||
		    info.vlan > XDPRELAY_VLAN_MAX)
			memset(&info, 0, sizeof(info));
		if (memcmp(&info.listen, &s->info.listen,
			   sizeof(info.listen)) ||
		    info.src_port != s->info.src_port ||
		    info.vlan != s->info.vlan ||
		    strncmp(info.name, s->info.name, XDPRELAY_NAME_LEN)) {
			if (s->fd >= 0)
				pr_debug("stream %u changed: sockets closed",
					 id);
			if (memcmp(&info.listen, &s->info.listen,
				   sizeof(info.listen)) ||
			    !info.name[0] != !s->info.name[0])
				moved = true;
			close_stream(r, id);
			s->info = info;
			s->warned = false;
		}
		if (s->info.name[0] && s->fd < 0 &&
		    (s->info.listen.family == AF_INET ||
		     s->info.listen.family == AF_INET6))
			open_stream(r, id, &s->info);
		scan_settings(r, id);
	}
	return moved;
}

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

/*
 * @in without the subscribers that are a stream's listen endpoint on this
 * host (the CLI refuses them; the pinned maps may still hold them): they
 * count as no_neigh, as the AF_XDP relay counts a local address.
 */
static uint32_t drop_loops(struct sr *r, uint32_t id,
			   const struct xdprelay_subs *in,
			   struct xdprelay_subs *out)
{
	char a[XR_ENDPOINT_STRLEN];
	uint32_t j, loops = 0;

	*out = *in;
	out->nr = 0;
	memset(out->sub, 0, sizeof(out->sub));
	for (j = 0; j < in->nr && j < XDPRELAY_MAX_SUBS; j++) {
		if (!is_listen_endpoint(r, &in->sub[j])) {
			out->sub[out->nr++] = in->sub[j];
			continue;
		}
		loops++;
		if (loops > r->s[id].loops)
			pr_warn("stream %.*s: subscriber %s is the listen endpoint of a stream here: not relayed, it would loop",
				XDPRELAY_NAME_LEN, r->s[id].info.name,
				xr_endpoint_str(&in->sub[j], a));
	}
	return loops;
}

/* New subscriber lists: to the worker, then applied to the control plane. */
static void scan_subs(struct sr *r)
{
	struct xdprelay_subs copy, kept;
	uint32_t id, seen, loops, j;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		const struct xdprelay_subs *e = &r->st.subs[id];
		struct sr_stream *s = &r->s[id];

		seen = s->subs_seen;
		if (__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE) == seen ||
		    !xr_subs_read(e, &copy, &seen))
			continue;
		loops = drop_loops(r, id, &copy, &kept);
		pthread_mutex_lock(&r->lock);
		s->subs = kept;
		s->loops = loops;
		pthread_mutex_unlock(&r->lock);
		s->subs_seen = seen;
		for (j = 0; j < kept.nr; j++)
			xr_neigh_want(r->neigh, kept.sub[j].family,
				      kept.sub[j].addr);
		if (!s->apply_seq)
			r->apply_pending++;
		s->apply_seq = seen;
	}
}

/*
 * A list is applied, for the control plane to make a stream live, once
 * the kernel knows its subscribers' next hops (or knows it cannot): a
 * datagram that waits for its neighbour to resolve can be overtaken by
 * the next one, sent as the answer comes.  With @force, whatever state
 * they are in.
 */
static void publish_applied(struct sr *r, bool force)
{
	struct xr_nh nh;
	uint32_t id, j;

	if (!r->apply_pending)
		return;
	if (xr_neigh_refresh(r->neigh, false, NULL, NULL) < 0)
		force = true;
	for (id = 1; id < XDPRELAY_MAX_STREAMS && r->apply_pending; id++) {
		struct sr_stream *s = &r->s[id];

		if (!s->apply_seq)
			continue;
		for (j = 0; !force && j < s->subs.nr; j++)
			if (!xr_neigh_lookup(r->neigh, s->subs.sub[j].family,
					     s->subs.sub[j].addr, &nh) ||
			    nh.state == XR_NH_NONE ||
			    nh.state == XR_NH_UNRESOLVED)
				break;
		if (!force && j < s->subs.nr)
			continue;
		__atomic_store_n(&r->st.subs[id].applied, s->apply_seq,
				 __ATOMIC_RELEASE);
		s->apply_seq = 0;
		r->apply_pending--;
	}
}

/* The next hops still wanted: those of the subscribers there are. */
static void want_all(struct sr *r)
{
	uint32_t id, j;

	xr_neigh_sweep_begin(r->neigh);
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++)
		for (j = 0; j < r->s[id].subs.nr; j++)
			xr_neigh_want(r->neigh, r->s[id].subs.sub[j].family,
				      r->s[id].subs.sub[j].addr);
	xr_neigh_sweep_end(r->neigh);
}

static void rescan_subs(struct sr *r)
{
	uint32_t id;

	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++)
		r->s[id].subs_seen = SR_SEEN_NONE;
	scan_subs(r);
}

static void rescan_all(struct sr *r)
{
	scan_info(r);
	rescan_subs(r);
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
	struct xdprelay_counters *vals;
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
	    (!xr_rx_in_map(&r->st) && r->rep.fd < 0) ||
	    (xr_rx_in_map(&r->st) && r->ncpus <= 0)) {
		memset(c, 0, sizeof(c));
		return;
	}
	if (!xr_rx_in_map(&r->st)) {
		xr_report_rx(&r->rep, c);
		return;
	}
	vals = calloc(r->ncpus, sizeof(*vals));
	if (!vals)
		return;
	for (id = 0; id < XDPRELAY_MAX_STREAMS; id++) {
		struct xdprelay_counters *v = &vals[0];

		if (!c[id].packets[XR_RX_TAKEN] &&
		    !c[id].packets[XR_RX_POLICED] &&
		    !c[id].packets[XR_RX_SRC_REFUSED])
			continue;
		if (bpf_map_lookup_elem(r->st.counters_fd, &id, vals))
			continue;
		for (k = 0; k < XR_RX_KINDS; k++) {
			v->c[XDPRELAY_RX_PACKETS] += c[id].packets[k];
			v->c[XDPRELAY_RX_BYTES] += c[id].bytes[k];
			if (xr_rx_outcome[k])
				v->c[xr_rx_outcome[k]] += c[id].packets[k];
		}
		if (bpf_map_update_elem(r->st.counters_fd, &id, vals, 0))
			continue;
		memset(&c[id], 0, sizeof(c[id]));
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
	__atomic_store_n(&r->xdp_counts, counts, __ATOMIC_RELAXED);
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
	r->neigh = xr_neigh_open(r->egress_ifindex);
	if (!r->neigh) {
		pr_err("no rtnetlink socket: %s", strerror(errno));
		return -errno;
	}
	check_xdp(r);
	rescan_all(r);
	publish_applied(r, false);
	relay_egress_check(&r->egress, cfg->egress);

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
	uint64_t next_tick = 0, next_check = 0, now;
	bool pending = false;

	for (;;) {
		/*
		 * A stream on its way to live, or a control plane waiting
		 * for next hops: look again soon.
		 */
		poll(&pfd, 1, pending || r->apply_pending ? SR_ARM_POLL_MS :
							     SR_TICK_MS);
		if (handle_signals(r))
			break;
		if (relay_reload_poll(&r->reload))
			rescan_all(r);
		relay_egress_check(&r->egress, r->cfg->egress);
		now = now_ns() / 1000000;
		if (now < next_tick) {
			pending = arm_pending(r, now);
			publish_applied(r, false);
			continue;
		}
		next_tick = now + SR_TICK_MS;
		if (scan_info(r))
			rescan_subs(r);
		else
			scan_subs(r);
		pending = arm_pending(r, now);
		publish_applied(r, false);
		if (now >= next_check) {
			/* Give up waiting on next hops that do not answer. */
			next_check = now + SR_CHECK_MS;
			want_all(r);
			publish_applied(r, true);
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
	xr_neigh_close(r->neigh);
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
		r->s[id].fd = r->s[id].out_fd = -1;

	err = setup(r);
	if (!err)
		main_loop(r);
	teardown(r);
	pthread_mutex_destroy(&r->lock);
	free(r);
	return err;
}
