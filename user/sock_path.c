// SPDX-License-Identifier: GPL-2.0
/*
 * The socket path's worker: it waits on every live stream's listen socket
 * with epoll, reads batches with recvmmsg, applies the stream's source
 * filter and policer as the XDP program does, and sends each batch to
 * every subscriber with sendmmsg, as one UDP GSO send per run of
 * equal-sized datagrams where the kernel takes it.  It takes the stream
 * table's mutex once per epoll wakeup, never per packet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "be_sock.h"
#include "util.h"

socklen_t sr_sockaddr(const struct xdprelay_endpoint *ep,
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

static void acc_flush(struct sr *r, uint32_t id)
{
	struct sr_acc *a = &r->acc[id];
	struct xdprelay_tx *tx = r->rl->st.tx;
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

/* What subscriber @slot was sent, into its row and its stream's @a. */
static void sub_flush(struct sr *r, uint16_t slot, const struct sr_acc *sa,
		      struct sr_acc *a)
{
	struct xdprelay_subtx d = {
		.packets = sa->packets,
		.bytes = sa->bytes,
		.tx_errors = sa->tx_errors,
		.no_neigh = sa->no_neigh,
	};

	a->packets += sa->packets;
	a->bytes += sa->bytes;
	a->tx_errors += sa->tx_errors;
	a->no_neigh += sa->no_neigh;
	xr_slot_add(&r->rl->st, slot, &d);
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
	socklen_t dlen = sr_sockaddr(ep, &dst);
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
	const struct sr_list *l = &r->lists[id];
	int family = s->info.listen.family;
	unsigned int hdr = frame_hdr_len(family);
	bool filter = s->val.flags & XDPRELAY_F_SRC_FILTER;
	bool police = s->val.rate_pps &&
		      !__atomic_load_n(&r->xdp_counts, __ATOMIC_RELAXED);
	uint64_t now = police ? xr_now_ns() : 0;
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
		for (j = 0; m && j < l->subs.nr && j < XDPRELAY_MAX_SUBS; j++) {
			const struct xdprelay_endpoint *ep = &l->subs.sub[j];
			struct sr_acc sa = {};

			/* The CLI refuses other families; skip them too. */
			if (ep->family != family || s->out_fd < 0)
				continue;
			/* The egress would drop them without a word. */
			if (!__atomic_load_n(&r->rl->egress.up, __ATOMIC_RELAXED))
				sa.tx_errors = m;
			else
				send_sub(r, s->out_fd, ep, m, seg, &sa);
			sub_flush(r, l->subs.slot[j], &sa, a);
		}
		for (j = 0; m && j < s->loops; j++) {
			struct sr_acc sa = { .no_neigh = m };

			sub_flush(r, l->loop_slot[j], &sa, a);
		}
		acc_flush(r, id);
		if (n < SR_BATCH)
			break;
	}
}

void *sock_worker_main(void *arg)
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
		n = epoll_wait(r->epfd, ev, SR_BATCH, XR_TICK_MS);
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
