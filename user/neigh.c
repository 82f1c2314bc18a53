// SPDX-License-Identifier: GPL-2.0
/*
 * Route and neighbour lookups over rtnetlink for the relay's subscribers.
 *
 * The table is open-addressed with a fixed number of slots, so that a
 * worker can probe it while the main thread writes: a slot is never freed,
 * only marked dead and reused, and each slot carries a sequence lock.
 *
 * A second rtnetlink socket listens to the kernel's neighbour and route
 * notifications, so that a next hop that changes is looked up again at
 * once rather than at the next periodic refresh.  A notification marks
 * only the entries it concerns: those whose next hop is the neighbour
 * that changed, or whose address lies in the prefix of the route that
 * changed.  Route churn elsewhere costs a parse per message, no lookup.
 *
 * Every message is read as untrusted: its length is checked against what
 * was received before any of its fields is, and lengths stay signed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "neigh.h"
#include "util.h"

/* Twice the most subscribers the maps can hold (1023 streams x 16). */
#define XR_NH_SLOTS		32768
#define XR_NL_BUF		8192
#define XR_NL_TIMEOUT_MS	1000
/* Messages read while waiting for one answer: stale ones are skipped. */
#define XR_NL_MAX_READS		16
#define XR_NSEC_PER_SEC		1000000000ULL
/* Resolution of a next hop is triggered at most this often. */
#define XR_USE_INTERVAL_NS	XR_NSEC_PER_SEC
/*
 * A next hop still resolving is looked up again at most this often: the
 * kernel's notification of its answer marks it at once anyway.
 */
#define XR_POLL_INTERVAL_NS	(100 * 1000 * 1000ULL)
/*
 * A next hop that was usable and whose neighbour entry is gone or being
 * resolved again (the kernel's garbage collector took a stale one, say)
 * keeps its MAC this long while the kernel resolves it, as the kernel's
 * own stale entries do: unless the kernel finds it failed first.
 */
#define XR_HOLD_NS		(3 * XR_NSEC_PER_SEC)
/* Notifications: socket buffer, and reads per call before it yields. */
#define XR_EV_RCVBUF		(1 << 20)
#define XR_EV_MAX_READS		64
/* nl_recv(): a message that did not come from the kernel. */
#define XR_NL_FOREIGN		(-2)
/* Retries of a reader that keeps meeting a writer: it gives up then. */
#define XR_SEQ_RETRIES		1000

/* States with a usable link-layer address (the kernel's NUD_VALID). */
#define XR_NUD_VALID	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | \
			 NUD_PROBE | NUD_STALE | NUD_DELAY)

enum { SLOT_EMPTY, SLOT_LIVE, SLOT_DEAD };

struct nh_slot {
	uint32_t seq;		/* odd while the main thread writes */
	uint8_t used;
	uint8_t family;
	uint8_t addr[16];
	struct xr_nh nh;
	/* The main thread's alone. */
	uint8_t wanted;
	uint8_t dirty;		/* a notification concerns it */
	uint8_t hop_family;	/* 0: no next hop known */
	uint8_t hop[16];	/* whose neighbour entry gives the MAC */
	uint64_t next_use_ns;
	uint64_t next_poll_ns;	/* while resolving, with no notification */
	uint64_t hold_until_ns;	/* holding the last MAC until; 0: not */
};

struct xr_neigh {
	int fd;
	int ev_fd;		/* notifications, -1: none */
	uint32_t nl_seq;
	int egress;
	uint32_t gen;
	struct nh_slot *slots;
	uint32_t *live;		/* indexes of the SLOT_LIVE slots */
	uint32_t nlive;
	uint8_t *buf;
};

struct nl_req {
	struct nlmsghdr h;
	union {
		struct rtmsg rt;
		struct ndmsg nd;
	};
	uint8_t attrs[64];
};

static inline uint32_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool is_link_local6(int family, const uint8_t *addr)
{
	return family == AF_INET6 && addr[0] == 0xfe &&
	       (addr[1] & 0xc0) == 0x80;
}

/*
 * Neighbour and route notifications, non-blocking.  Without them (-1) the
 * periodic refresh still finds every change, later.
 */
static int events_open(void)
{
	static const int groups[] = {
		RTNLGRP_NEIGH, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, size = XR_EV_RCVBUF;
	unsigned int i;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto fail;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			       &groups[i], sizeof(groups[i])))
			goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int xr_neigh_event_fd(const struct xr_neigh *n)
{
	return n->ev_fd;
}

/*
 * Only the kernel speaks on these sockets; a message from anywhere else
 * (another process with CAP_NET_ADMIN) is not an answer.
 */
static ssize_t nl_recv(int fd, void *buf, size_t size)
{
	struct sockaddr_nl from;
	socklen_t flen = sizeof(from);
	ssize_t len;

	len = recvfrom(fd, buf, size, 0, (struct sockaddr *)&from, &flen);
	if (len >= 0 && (flen != sizeof(from) || from.nl_pid != 0)) {
		errno = EAGAIN;
		return XR_NL_FOREIGN;
	}
	return len;
}

/* The first @bits bits of @a and @b agree. */
static bool prefix_match(const uint8_t *a, const uint8_t *b,
			 unsigned int bits)
{
	unsigned int bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes))
		return false;
	return !rest || !((a[bytes] ^ b[bytes]) & (0xff << (8 - rest)));
}

static void mark(struct nh_slot *s, int *marked)
{
	if (!s->dirty) {
		s->dirty = 1;
		(*marked)++;
	}
}

/* A neighbour of the egress changed: the entries it is the next hop of. */
static void mark_hop(struct xr_neigh *n, int family, const uint8_t *addr,
		     int *marked)
{
	uint32_t i;

	for (i = 0; i < n->nlive; i++) {
		struct nh_slot *s = &n->slots[n->live[i]];

		if (s->hop_family == family &&
		    !memcmp(s->hop, addr, addr_len(family)))
			mark(s, marked);
	}
}

/* A route changed: the entries in its prefix, in whatever table. */
static void mark_prefix(struct xr_neigh *n, int family, const uint8_t *dst,
			unsigned int dst_len, int *marked)
{
	uint32_t i;

	for (i = 0; i < n->nlive; i++) {
		struct nh_slot *s = &n->slots[n->live[i]];

		if (s->family == family && prefix_match(s->addr, dst, dst_len))
			mark(s, marked);
	}
}

static void mark_all(struct xr_neigh *n, int *marked)
{
	uint32_t i;

	for (i = 0; i < n->nlive; i++)
		mark(&n->slots[n->live[i]], marked);
}

/* The attribute @type of a message whose fixed part is @hdrlen bytes. */
static const struct rtattr *nl_attr(const struct nlmsghdr *h, size_t hdrlen,
				    uint16_t type, uint32_t *plen)
{
	int alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(hdrlen);
	const struct rtattr *a;

	a = (const void *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(hdrlen));
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == type) {
			*plen = RTA_PAYLOAD(a);
			return a;
		}
	}
	return NULL;
}

static int neigh_event(struct xr_neigh *n, const struct nlmsghdr *h)
{
	uint8_t dst[16] = {};
	const struct rtattr *a;
	int marked = 0;
	uint32_t plen;

	switch (h->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH: {
		const struct ndmsg *nd = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
			return 0;
		/* A neighbour of another interface concerns no one. */
		if (nd->ndm_ifindex != n->egress ||
		    (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6))
			return 0;
		a = nl_attr(h, sizeof(*nd), NDA_DST, &plen);
		if (!a || plen != addr_len(nd->ndm_family))
			return 0;
		mark_hop(n, nd->ndm_family, RTA_DATA(a), &marked);
		return marked;
	}
	case RTM_NEWROUTE:
	case RTM_DELROUTE: {
		const struct rtmsg *rtm = NLMSG_DATA(h);

		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)))
			return 0;
		/* IPv6's cached clones are no route of anyone's making. */
		if (rtm->rtm_flags & RTM_F_CLONED)
			return 0;
		if ((rtm->rtm_family != AF_INET &&
		     rtm->rtm_family != AF_INET6) ||
		    rtm->rtm_dst_len > addr_len(rtm->rtm_family) * 8)
			return 0;
		a = nl_attr(h, sizeof(*rtm), RTA_DST, &plen);
		if (a && plen == addr_len(rtm->rtm_family))
			memcpy(dst, RTA_DATA(a), plen);
		else if (a || rtm->rtm_dst_len)
			return 0;
		mark_prefix(n, rtm->rtm_family, dst, rtm->rtm_dst_len,
			    &marked);
		return marked;
	}
	default:
		return 0;
	}
}

int xr_neigh_feed(struct xr_neigh *n, const void *buf, ssize_t len)
{
	const struct nlmsghdr *h = buf;
	int marked = 0;

	/* len stays signed: NLMSG_NEXT may take it below zero. */
	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
		marked += neigh_event(n, h);
	return marked;
}

int xr_neigh_events(struct xr_neigh *n)
{
	int marked = 0, i;
	ssize_t len;

	if (n->ev_fd < 0)
		return 0;
	for (i = 0; i < XR_EV_MAX_READS; i++) {
		len = nl_recv(n->ev_fd, n->buf, XR_NL_BUF);
		if (len == XR_NL_FOREIGN)
			continue;
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			/* Notifications were lost: anything may have changed. */
			if (errno != ENOBUFS)
				break;
			mark_all(n, &marked);
			continue;
		}
		marked += xr_neigh_feed(n, n->buf, len);
	}
	return marked;
}

struct xr_neigh *xr_neigh_open(int egress_ifindex)
{
	struct timeval tv = {
		.tv_sec = XR_NL_TIMEOUT_MS / 1000,
		.tv_usec = XR_NL_TIMEOUT_MS % 1000 * 1000,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct xr_neigh *n;
	int err;

	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->egress = egress_ifindex;
	n->slots = calloc(XR_NH_SLOTS, sizeof(*n->slots));
	n->live = calloc(XR_NH_SLOTS, sizeof(*n->live));
	n->buf = malloc(XR_NL_BUF);
	if (!n->slots || !n->live || !n->buf) {
		err = ENOMEM;
		goto err_free;
	}
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (n->fd < 0) {
		err = errno;
		goto err_free;
	}
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(n->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		close(n->fd);
		goto err_free;
	}
	n->ev_fd = events_open();
	return n;

err_free:
	free(n->buf);
	free(n->live);
	free(n->slots);
	free(n);
	errno = err;
	return NULL;
}

void xr_neigh_close(struct xr_neigh *n)
{
	if (!n)
		return;
	close(n->fd);
	if (n->ev_fd >= 0)
		close(n->ev_fd);
	free(n->buf);
	free(n->live);
	free(n->slots);
	free(n);
}

uint32_t xr_neigh_gen(const struct xr_neigh *n)
{
	return __atomic_load_n(&n->gen, __ATOMIC_ACQUIRE);
}

static uint32_t hash(int family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ family, i;

	for (i = 0; i < addr_len(family); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static void slot_write_begin(struct nh_slot *s)
{
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void slot_write_end(struct nh_slot *s)
{
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

/* A consistent copy of a slot's shared part, or false after retries. */
static bool slot_read(const struct nh_slot *s, struct nh_slot *out)
{
	uint32_t seq, i;

	for (i = 0; i < XR_SEQ_RETRIES; i++) {
		seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (seq & 1)
			continue;
		out->used = s->used;
		out->family = s->family;
		memcpy(out->addr, s->addr, sizeof(out->addr));
		out->nh = s->nh;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq)
			return true;
	}
	return false;
}

bool xr_neigh_lookup(const struct xr_neigh *n, int family,
		     const uint8_t *addr, struct xr_nh *out)
{
	uint32_t h = hash(family, addr), i, len = addr_len(family);
	struct nh_slot s;

	for (i = 0; i < XR_NH_SLOTS; i++) {
		if (!slot_read(&n->slots[(h + i) % XR_NH_SLOTS], &s))
			return false;
		if (s.used == SLOT_EMPTY)
			return false;
		if (s.used == SLOT_LIVE && s.family == family &&
		    !memcmp(s.addr, addr, len)) {
			*out = s.nh;
			return true;
		}
	}
	return false;
}

int xr_neigh_want(struct xr_neigh *n, int family, const uint8_t *addr)
{
	uint32_t h = hash(family, addr), i, len = addr_len(family);
	struct nh_slot *s, *dead = NULL;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	for (i = 0; i < XR_NH_SLOTS; i++) {
		s = &n->slots[(h + i) % XR_NH_SLOTS];
		if (s->used == SLOT_EMPTY)
			break;
		if (s->used == SLOT_DEAD) {
			if (!dead)
				dead = s;
			continue;
		}
		if (s->family == family && !memcmp(s->addr, addr, len)) {
			s->wanted = 1;
			return 0;
		}
	}
	if (dead)
		s = dead;
	else if (i == XR_NH_SLOTS)
		return -ENOSPC;

	slot_write_begin(s);
	s->family = family;
	memset(s->addr, 0, sizeof(s->addr));
	memcpy(s->addr, addr, len);
	memset(&s->nh, 0, sizeof(s->nh));
	s->used = SLOT_LIVE;
	slot_write_end(s);
	s->wanted = 1;
	s->dirty = 0;
	s->hop_family = 0;
	s->next_use_ns = 0;
	s->next_poll_ns = 0;
	n->live[n->nlive++] = s - n->slots;
	return 0;
}

void xr_neigh_sweep_begin(struct xr_neigh *n)
{
	uint32_t i;

	for (i = 0; i < n->nlive; i++)
		n->slots[n->live[i]].wanted = 0;
}

void xr_neigh_sweep_end(struct xr_neigh *n)
{
	bool changed = false;
	uint32_t i = 0;

	while (i < n->nlive) {
		struct nh_slot *s = &n->slots[n->live[i]];

		if (s->wanted) {
			i++;
			continue;
		}
		slot_write_begin(s);
		s->used = SLOT_DEAD;
		slot_write_end(s);
		/* The last live slot takes its place in the list. */
		n->live[i] = n->live[--n->nlive];
		changed = true;
	}
	if (changed)
		__atomic_fetch_add(&n->gen, 1, __ATOMIC_RELEASE);
}

static void nl_put_attr(struct nl_req *r, uint16_t type, const void *data,
			uint16_t len)
{
	struct rtattr *rta = (void *)((char *)r + NLMSG_ALIGN(r->h.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->h.nlmsg_len = NLMSG_ALIGN(r->h.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/*
 * Send @r and wait for its answer: a message of type @type (returned in
 * *out, valid until the next request) or an error/ack.  Returns 0 or
 * -errno; -ETIMEDOUT when the kernel stays silent.
 */
static int nl_talk(struct xr_neigh *n, struct nl_req *r, uint16_t type,
		   const struct nlmsghdr **out)
{
	uint32_t seq = ++n->nl_seq, reads;
	const struct nlmsghdr *h;
	ssize_t len;

	r->h.nlmsg_seq = seq;
	if (send(n->fd, r, r->h.nlmsg_len, 0) < 0)
		return -errno;

	for (reads = 0; reads < XR_NL_MAX_READS; reads++) {
		len = nl_recv(n->fd, n->buf, XR_NL_BUF);
		if (len == XR_NL_FOREIGN)
			continue;
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		/* len stays signed: NLMSG_NEXT may take it below zero. */
		for (h = (const void *)n->buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
					return -EPROTO;
				return e->error > 0 ? -EPROTO : e->error;
			}
			if (h->nlmsg_type == type && out) {
				*out = h;
				return 0;
			}
		}
	}
	return -ETIMEDOUT;
}

int xr_nl_route_parse(const struct nlmsghdr *h, int family,
		      struct xr_route *rt)
{
	const struct rtmsg *rtm = NLMSG_DATA(h);
	const struct rtattr *a;
	int alen;

	memset(rt, 0, sizeof(*rt));
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*rtm)) ||
	    rtm->rtm_family != family)
		return -EPROTO;
	rt->type = rtm->rtm_type;
	alen = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*rtm));
	for (a = RTM_RTA(rtm); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		uint32_t plen = RTA_PAYLOAD(a);

		switch (a->rta_type) {
		case RTA_OIF:
			if (plen >= sizeof(uint32_t))
				memcpy(&rt->oif, RTA_DATA(a), sizeof(uint32_t));
			break;
		case RTA_GATEWAY:
			if (plen == addr_len(family)) {
				rt->gw_family = family;
				memcpy(rt->gw, RTA_DATA(a), plen);
			}
			break;
		case RTA_VIA: {
			/* An IPv4 route through an IPv6 next hop (RFC 5549). */
			const struct rtvia *v = RTA_DATA(a);
			int vf;

			if (plen < sizeof(*v))
				break;
			vf = v->rtvia_family;
			if ((vf == AF_INET || vf == AF_INET6) &&
			    plen >= sizeof(*v) + addr_len(vf)) {
				rt->gw_family = vf;
				memcpy(rt->gw, v->rtvia_addr, addr_len(vf));
			}
			break;
		}
		case RTA_PREFSRC:
			if (plen == addr_len(family)) {
				rt->has_src = true;
				memcpy(rt->src, RTA_DATA(a), plen);
			}
			break;
		}
	}
	return 0;
}

int xr_nl_neigh_parse(const struct nlmsghdr *h, uint16_t *state,
		      uint8_t *mac, bool *has_mac)
{
	const struct ndmsg *nd = NLMSG_DATA(h);
	const struct rtattr *a;
	uint32_t plen;

	*has_mac = false;
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*nd)))
		return -EPROTO;
	*state = nd->ndm_state;
	a = nl_attr(h, sizeof(*nd), NDA_LLADDR, &plen);
	if (a && plen == 6) {
		memcpy(mac, RTA_DATA(a), 6);
		*has_mac = true;
	}
	return 0;
}

static int route_get(struct xr_neigh *n, int family, const uint8_t *addr,
		     struct xr_route *rt)
{
	struct nl_req r = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
		.h.nlmsg_type = RTM_GETROUTE,
		.h.nlmsg_flags = NLM_F_REQUEST,
		.rt.rtm_family = family,
		.rt.rtm_dst_len = addr_len(family) * 8,
	};
	const struct nlmsghdr *h;
	uint32_t oif;
	int err;

	nl_put_attr(&r, RTA_DST, addr, addr_len(family));
	/* Groups and link-local addresses mean nothing without a link. */
	if (xr_addr_is_multicast(family, addr) ||
	    is_link_local6(family, addr)) {
		oif = n->egress;
		nl_put_attr(&r, RTA_OIF, &oif, sizeof(oif));
	}
	err = nl_talk(n, &r, RTM_NEWROUTE, &h);
	if (err)
		return err;
	return xr_nl_route_parse(h, family, rt);
}

/* The neighbour's NUD state and MAC; -ENOENT when there is no entry. */
static int neigh_get(struct xr_neigh *n, int family, const uint8_t *addr,
		     uint16_t *state, uint8_t *mac, bool *has_mac)
{
	struct nl_req r = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
		.h.nlmsg_type = RTM_GETNEIGH,
		.h.nlmsg_flags = NLM_F_REQUEST,
		.nd.ndm_family = family,
		.nd.ndm_ifindex = n->egress,
	};
	const struct nlmsghdr *h;
	int err;

	nl_put_attr(&r, NDA_DST, addr, addr_len(family));
	err = nl_talk(n, &r, RTM_NEWNEIGH, &h);
	if (err)
		return err;
	return xr_nl_neigh_parse(h, state, mac, has_mac);
}

/*
 * What the kernel does when a packet waits for a neighbour: create the
 * entry if needed and start (or, for a stale one, confirm) resolution.
 * NTF_USE is `ip neigh replace ... use`; never sent for a permanent or
 * NOARP entry, which it would demote.
 */
static int neigh_use(struct xr_neigh *n, int family, const uint8_t *addr)
{
	struct nl_req r = {
		.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ndmsg)),
		.h.nlmsg_type = RTM_NEWNEIGH,
		.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK,
		.nd.ndm_family = family,
		.nd.ndm_ifindex = n->egress,
		.nd.ndm_flags = NTF_USE,
	};

	nl_put_attr(&r, NDA_DST, addr, addr_len(family));
	return nl_talk(n, &r, NLMSG_ERROR, NULL);
}

static void multicast_mac(int family, const uint8_t *addr, uint8_t *mac)
{
	if (family == AF_INET) {
		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = addr[1] & 0x7f;
		mac[4] = addr[2];
		mac[5] = addr[3];
	} else {
		mac[0] = 0x33;
		mac[1] = 0x33;
		memcpy(mac + 2, addr + 12, 4);
	}
}

/*
 * The next hop of @s was usable, through the same neighbour, and its
 * entry is missing or incomplete now: *@nh keeps the last MAC for at
 * most XR_HOLD_NS while the kernel resolves it again.  False when it
 * was not usable, the kernel found it @failed, or the time is up.
 */
static bool hold(struct nh_slot *s, struct xr_nh *nh, uint64_t now,
		 bool same_hop, bool failed)
{
	if (failed || !same_hop || s->nh.state != XR_NH_OK ||
	    s->nh.oif != nh->oif ||
	    memcmp(s->nh.src, nh->src, sizeof(nh->src))) {
		s->hold_until_ns = 0;
		return false;
	}
	/* The kernel is asked to resolve it at once. */
	if (!s->hold_until_ns) {
		s->hold_until_ns = now + XR_HOLD_NS;
		s->next_use_ns = 0;
	}
	if (now >= s->hold_until_ns)
		return false;
	memcpy(nh->mac, s->nh.mac, sizeof(nh->mac));
	nh->state = XR_NH_OK;
	return true;
}

/*
 * Look one subscriber up, and remember whose neighbour entry its frames
 * depend on.  Returns -errno only when rtnetlink fails.
 */
static int resolve(struct xr_neigh *n, struct nh_slot *s, uint64_t now,
		   struct xr_nh *nh)
{
	const uint8_t *hop;
	struct xr_route rt;
	int hop_family, old_family = s->hop_family, err;
	uint8_t old_hop[sizeof(s->hop)];
	bool has_mac, same_hop;
	uint16_t state;

	memset(nh, 0, sizeof(*nh));
	memcpy(old_hop, s->hop, sizeof(old_hop));
	s->hop_family = 0;
	err = route_get(n, s->family, s->addr, &rt);
	if (err == -ETIMEDOUT || err == -ENOBUFS || err == -EPROTO)
		return err;
	if (err || (rt.type != RTN_UNICAST && rt.type != RTN_MULTICAST &&
		    rt.type != RTN_LOCAL)) {
		nh->state = XR_NH_NO_ROUTE;
		return 0;
	}
	nh->oif = rt.oif;
	if (rt.type == RTN_LOCAL || rt.oif != n->egress) {
		nh->state = XR_NH_OTHER_DEV;
		return 0;
	}
	if (!rt.has_src) {
		/* No address on the egress to send from. */
		nh->state = XR_NH_NO_ROUTE;
		return 0;
	}
	memcpy(nh->src, rt.src, addr_len(s->family));

	if (xr_addr_is_multicast(s->family, s->addr)) {
		multicast_mac(s->family, s->addr, nh->mac);
		nh->state = XR_NH_OK;
		return 0;
	}

	hop_family = rt.gw_family ? rt.gw_family : s->family;
	hop = rt.gw_family ? rt.gw : s->addr;
	same_hop = old_family == hop_family &&
		   !memcmp(old_hop, hop, addr_len(hop_family));
	s->hop_family = hop_family;
	memset(s->hop, 0, sizeof(s->hop));
	memcpy(s->hop, hop, addr_len(hop_family));
	err = neigh_get(n, hop_family, hop, &state, nh->mac, &has_mac);
	if (err == -ETIMEDOUT || err == -EPROTO)
		return err;
	if (!err && (state & XR_NUD_VALID) && has_mac) {
		s->hold_until_ns = 0;
		nh->state = XR_NH_OK;
		if (!(state & NUD_STALE))
			return 0;
	} else if (hold(s, nh, now, same_hop, !err && (state & NUD_FAILED))) {
		/* Resolving it again, as below. */
	} else {
		memset(nh->mac, 0, sizeof(nh->mac));
		nh->state = XR_NH_UNRESOLVED;
		/* The kernel is already on it, or the entry is static. */
		if (!err && (state & (NUD_INCOMPLETE | NUD_PERMANENT |
				      NUD_NOARP)))
			return 0;
	}
	/*
	 * Missing, failed or stale: as if a packet waited for it.  At most
	 * once a second, but at once for a next hop that was usable until
	 * now (a neighbour the kernel just deleted or found changed).
	 */
	if (now >= s->next_use_ns ||
	    (s->nh.state == XR_NH_OK && nh->state != XR_NH_OK)) {
		s->next_use_ns = now + XR_USE_INTERVAL_NS;
		neigh_use(n, hop_family, hop);
	}
	return 0;
}

/* Not looked up yet, or waiting for its neighbour to resolve. */
static bool resolving(const struct xr_nh *nh)
{
	return nh->state == XR_NH_NONE || nh->state == XR_NH_UNRESOLVED;
}

int xr_neigh_refresh(struct xr_neigh *n, bool all, xr_neigh_cb cb,
		     void *arg)
{
	uint64_t now = xr_now_ns();
	bool changed = false;
	int pending = 0, err = 0;
	uint32_t i;

	for (i = 0; i < n->nlive; i++) {
		struct nh_slot *s = &n->slots[n->live[i]];
		struct xr_nh nh, old;

		/* A held next hop is looked at as one resolving. */
		if (!all && !s->dirty &&
		    ((!resolving(&s->nh) && !s->hold_until_ns) ||
		     now < s->next_poll_ns)) {
			pending += resolving(&s->nh);
			continue;
		}
		err = resolve(n, s, now, &nh);
		if (err)
			break;
		s->dirty = 0;
		s->next_poll_ns = now + XR_POLL_INTERVAL_NS;
		if (resolving(&nh))
			pending++;
		if (!memcmp(&nh, &s->nh, sizeof(nh)))
			continue;
		old = s->nh;
		slot_write_begin(s);
		s->nh = nh;
		slot_write_end(s);
		changed = true;
		if (cb && old.state != nh.state)
			cb(arg, s->family, s->addr, &old, &nh);
	}
	if (changed)
		__atomic_fetch_add(&n->gen, 1, __ATOMIC_RELEASE);
	return err ? err : pending;
}
