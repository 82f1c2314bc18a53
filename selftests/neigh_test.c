// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the relay's rtnetlink parsing (user/neigh.c): answers and
 * notifications as the kernel could send them, and as it must never be
 * trusted to.  Every message lies in a heap buffer of exactly its length,
 * and the test is built with AddressSanitizer: a field read past what was
 * received fails the test, whatever the read returns.
 *
 * Notifications are checked by what they mark: the entries wanted are
 * real (xr_neigh_want), the messages crafted here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "neigh.h"

/*
 * The harness's SIGALRM handler ignores its context argument, TEST()
 * expands to a wrapper that ignores its variant argument, and TEST_F()'s
 * setjmp makes gcc fear for a variable the harness sets before it.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#define EGRESS		7
#define MSG_MAX		512

/* A message under construction, copied out to a buffer of its size. */
struct msg {
	uint8_t buf[MSG_MAX];
	uint32_t len;
};

static void msg_init(struct msg *m, uint16_t type, const void *fixed,
		     size_t flen)
{
	struct nlmsghdr *h = (void *)m->buf;

	memset(m, 0, sizeof(*m));
	h->nlmsg_type = type;
	memcpy(NLMSG_DATA(h), fixed, flen);
	m->len = NLMSG_LENGTH(flen);
	h->nlmsg_len = m->len;
}

static void msg_attr(struct msg *m, uint16_t type, const void *data,
		     uint16_t dlen)
{
	struct nlmsghdr *h = (void *)m->buf;
	struct rtattr *a = (void *)(m->buf + NLMSG_ALIGN(m->len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(dlen);
	memcpy(RTA_DATA(a), data, dlen);
	m->len = NLMSG_ALIGN(m->len) + RTA_ALIGN(a->rta_len);
	h->nlmsg_len = m->len;
}

/*
 * The first @len bytes of @m in a buffer of exactly that size, its
 * nlmsg_len set to @nlmsg_len: what recv() would have handed over.
 */
static struct nlmsghdr *msg_out(const struct msg *m, uint32_t len,
				uint32_t nlmsg_len)
{
	uint8_t *p = malloc(len ? len : 1);
	struct nlmsghdr *h = (void *)p;

	memcpy(p, m->buf, len);
	if (len >= sizeof(*h))
		h->nlmsg_len = nlmsg_len;
	return h;
}

static void route_msg(struct msg *m, uint16_t type, int family,
		      uint8_t dst_len, const char *dst, uint32_t flags)
{
	struct rtmsg rtm = {
		.rtm_family = family,
		.rtm_dst_len = dst_len,
		.rtm_table = RT_TABLE_MAIN,
		.rtm_type = RTN_UNICAST,
		.rtm_flags = flags,
	};
	uint8_t a[16];

	msg_init(m, type, &rtm, sizeof(rtm));
	if (dst) {
		inet_pton(family, dst, a);
		msg_attr(m, RTA_DST, a, family == AF_INET ? 4 : 16);
	}
}

static void neigh_msg(struct msg *m, uint16_t type, int family, int ifindex,
		      const char *dst, const uint8_t *mac)
{
	struct ndmsg nd = {
		.ndm_family = family,
		.ndm_ifindex = ifindex,
		.ndm_state = NUD_REACHABLE,
	};
	uint8_t a[16];

	msg_init(m, type, &nd, sizeof(nd));
	inet_pton(family, dst, a);
	msg_attr(m, NDA_DST, a, family == AF_INET ? 4 : 16);
	if (mac)
		msg_attr(m, NDA_LLADDR, mac, 6);
}

TEST(route_answer_parsed)
{
	struct msg m;
	struct nlmsghdr *h;
	struct xr_route rt;
	uint32_t oif = 3;
	uint8_t gw[4], src[4];

	route_msg(&m, RTM_NEWROUTE, AF_INET, 32, "10.1.2.3", 0);
	msg_attr(&m, RTA_OIF, &oif, sizeof(oif));
	inet_pton(AF_INET, "10.1.2.1", gw);
	msg_attr(&m, RTA_GATEWAY, gw, 4);
	inet_pton(AF_INET, "10.1.2.9", src);
	msg_attr(&m, RTA_PREFSRC, src, 4);
	h = msg_out(&m, m.len, m.len);
	ASSERT_EQ(0, xr_nl_route_parse(h, AF_INET, &rt));
	EXPECT_EQ(RTN_UNICAST, rt.type);
	EXPECT_EQ(3, rt.oif);
	EXPECT_EQ(AF_INET, rt.gw_family);
	EXPECT_EQ(0, memcmp(rt.gw, gw, 4));
	EXPECT_TRUE(rt.has_src);
	EXPECT_EQ(0, memcmp(rt.src, src, 4));
	free(h);
}

/* A header alone: the route's fixed part was never received. */
TEST(route_answer_without_body)
{
	struct xr_route rt;
	struct msg m;
	struct nlmsghdr *h;

	route_msg(&m, RTM_NEWROUTE, AF_INET, 32, NULL, 0);
	h = msg_out(&m, NLMSG_HDRLEN, NLMSG_HDRLEN);
	EXPECT_EQ(-EPROTO, xr_nl_route_parse(h, AF_INET, &rt));
	free(h);
}

TEST(route_answer_of_other_family)
{
	struct xr_route rt;
	struct msg m;
	struct nlmsghdr *h;

	route_msg(&m, RTM_NEWROUTE, AF_INET6, 128, "fd00::1", 0);
	h = msg_out(&m, m.len, m.len);
	EXPECT_EQ(-EPROTO, xr_nl_route_parse(h, AF_INET, &rt));
	free(h);
}

/* An attribute that claims more than the message holds is not read. */
TEST(route_attr_past_the_end)
{
	struct xr_route rt;
	uint32_t oif = 3;
	struct msg m;
	struct nlmsghdr *h;
	struct rtattr *a;

	route_msg(&m, RTM_NEWROUTE, AF_INET, 32, NULL, 0);
	msg_attr(&m, RTA_OIF, &oif, sizeof(oif));
	a = (void *)(m.buf + NLMSG_LENGTH(sizeof(struct rtmsg)));
	a->rta_len = 200;
	h = msg_out(&m, m.len, m.len);
	ASSERT_EQ(0, xr_nl_route_parse(h, AF_INET, &rt));
	EXPECT_EQ(0, rt.oif);
	free(h);
}

/* nlmsg_len shorter than the attributes that follow: they are not read. */
TEST(route_nlmsg_len_cuts_attrs)
{
	struct xr_route rt;
	uint32_t oif = 3;
	struct msg m;
	struct nlmsghdr *h;
	uint32_t body = NLMSG_LENGTH(sizeof(struct rtmsg));

	route_msg(&m, RTM_NEWROUTE, AF_INET, 32, NULL, 0);
	msg_attr(&m, RTA_OIF, &oif, sizeof(oif));
	h = msg_out(&m, body, body);
	ASSERT_EQ(0, xr_nl_route_parse(h, AF_INET, &rt));
	EXPECT_EQ(0, rt.oif);
	free(h);
}

/* RTA_VIA too short to hold its own family field. */
TEST(route_via_truncated)
{
	struct xr_route rt;
	uint8_t one = AF_INET6;
	struct msg m;
	struct nlmsghdr *h;

	route_msg(&m, RTM_NEWROUTE, AF_INET, 32, NULL, 0);
	msg_attr(&m, RTA_VIA, &one, 1);
	h = msg_out(&m, m.len, m.len);
	ASSERT_EQ(0, xr_nl_route_parse(h, AF_INET, &rt));
	EXPECT_EQ(0, rt.gw_family);
	free(h);
}

TEST(route_via_ipv6_gateway)
{
	uint8_t via[2 + 16];
	struct xr_route rt;
	struct msg m;
	struct nlmsghdr *h;
	uint16_t fam = AF_INET6;

	memcpy(via, &fam, 2);
	inet_pton(AF_INET6, "fe80::1", via + 2);
	route_msg(&m, RTM_NEWROUTE, AF_INET, 32, NULL, 0);
	msg_attr(&m, RTA_VIA, via, sizeof(via));
	h = msg_out(&m, m.len, m.len);
	ASSERT_EQ(0, xr_nl_route_parse(h, AF_INET, &rt));
	EXPECT_EQ(AF_INET6, rt.gw_family);
	EXPECT_EQ(0, memcmp(rt.gw, via + 2, 16));
	free(h);
}

TEST(neigh_answer_parsed)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	uint8_t got[6] = {};
	uint16_t state = 0;
	bool has_mac;
	struct msg m;
	struct nlmsghdr *h;

	neigh_msg(&m, RTM_NEWNEIGH, AF_INET, EGRESS, "10.0.0.2", mac);
	h = msg_out(&m, m.len, m.len);
	ASSERT_EQ(0, xr_nl_neigh_parse(h, &state, got, &has_mac));
	EXPECT_EQ(NUD_REACHABLE, state);
	EXPECT_TRUE(has_mac);
	EXPECT_EQ(0, memcmp(mac, got, 6));
	free(h);
}

TEST(neigh_answer_without_body)
{
	uint8_t got[6];
	uint16_t state;
	bool has_mac = true;
	struct msg m;
	struct nlmsghdr *h;

	neigh_msg(&m, RTM_NEWNEIGH, AF_INET, EGRESS, "10.0.0.2", NULL);
	h = msg_out(&m, NLMSG_HDRLEN, NLMSG_HDRLEN);
	EXPECT_EQ(-EPROTO, xr_nl_neigh_parse(h, &state, got, &has_mac));
	EXPECT_FALSE(has_mac);
	free(h);
}

/* A MAC of another length (an InfiniBand address, say) is not one. */
TEST(neigh_answer_odd_lladdr)
{
	uint8_t lladdr[20] = { 1 }, got[6];
	uint16_t state;
	bool has_mac = true;
	struct msg m;
	struct nlmsghdr *h;

	neigh_msg(&m, RTM_NEWNEIGH, AF_INET, EGRESS, "10.0.0.2", NULL);
	msg_attr(&m, NDA_LLADDR, lladdr, sizeof(lladdr));
	h = msg_out(&m, m.len, m.len);
	ASSERT_EQ(0, xr_nl_neigh_parse(h, &state, got, &has_mac));
	EXPECT_FALSE(has_mac);
	free(h);
}

/* Notifications: what a route or neighbour change marks for refresh. */
FIXTURE(events)
{
	struct xr_neigh *n;
};

FIXTURE_SETUP(events)
{
	static const char *const v4[] = { "10.1.0.1", "10.1.0.2", "10.2.0.1" };
	uint8_t a[16];
	unsigned int i;

	self->n = xr_neigh_open(EGRESS);
	ASSERT_NE(NULL, self->n);
	for (i = 0; i < 3; i++) {
		inet_pton(AF_INET, v4[i], a);
		ASSERT_EQ(0, xr_neigh_want(self->n, AF_INET, a));
	}
	inet_pton(AF_INET6, "fd00::5", a);
	ASSERT_EQ(0, xr_neigh_want(self->n, AF_INET6, a));
}

FIXTURE_TEARDOWN(events)
{
	xr_neigh_close(self->n);
}

static int feed(struct xr_neigh *n, const struct msg *m, uint32_t len,
		uint32_t nlmsg_len)
{
	struct nlmsghdr *h = msg_out(m, len, nlmsg_len);
	int ret = xr_neigh_feed(n, h, len);

	free(h);
	return ret;
}

TEST_F(events, route_elsewhere_marks_nothing)
{
	struct msg m;

	route_msg(&m, RTM_NEWROUTE, AF_INET, 24, "198.18.7.0", 0);
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
	route_msg(&m, RTM_DELROUTE, AF_INET6, 64, "fd01::", 0);
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
}

TEST_F(events, route_marks_its_prefix)
{
	struct msg m;

	route_msg(&m, RTM_NEWROUTE, AF_INET, 16, "10.1.0.0", 0);
	EXPECT_EQ(2, feed(self->n, &m, m.len, m.len));
	/* Marked already: not counted twice. */
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
	route_msg(&m, RTM_DELROUTE, AF_INET, 32, "10.2.0.1", 0);
	EXPECT_EQ(1, feed(self->n, &m, m.len, m.len));
	/* Prefix lengths off the byte boundary. */
	route_msg(&m, RTM_NEWROUTE, AF_INET6, 15, "fd00::", 0);
	EXPECT_EQ(1, feed(self->n, &m, m.len, m.len));
}

TEST_F(events, default_route_marks_its_family)
{
	struct msg m;

	route_msg(&m, RTM_NEWROUTE, AF_INET, 0, NULL, 0);
	EXPECT_EQ(3, feed(self->n, &m, m.len, m.len));
}

TEST_F(events, bad_routes_mark_nothing)
{
	struct msg m;

	/* IPv6's cached clones. */
	route_msg(&m, RTM_NEWROUTE, AF_INET6, 128, "fd00::5", RTM_F_CLONED);
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
	/* A prefix longer than the address. */
	route_msg(&m, RTM_NEWROUTE, AF_INET, 33, "10.1.0.1", 0);
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
	/* A prefix length without the prefix. */
	route_msg(&m, RTM_NEWROUTE, AF_INET, 16, NULL, 0);
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
	/* The header and no route behind it. */
	route_msg(&m, RTM_NEWROUTE, AF_INET, 0, NULL, 0);
	EXPECT_EQ(0, feed(self->n, &m, NLMSG_HDRLEN, NLMSG_HDRLEN));
}

/*
 * A neighbour marks the entries whose next hop it is: none have one
 * before their first lookup, and neighbours of other links never count.
 */
TEST_F(events, neighbours)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	struct msg m;

	neigh_msg(&m, RTM_NEWNEIGH, AF_INET, EGRESS, "10.1.0.1", mac);
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
	neigh_msg(&m, RTM_NEWNEIGH, AF_INET, EGRESS + 1, "10.1.0.1", mac);
	EXPECT_EQ(0, feed(self->n, &m, m.len, m.len));
	neigh_msg(&m, RTM_DELNEIGH, AF_INET, EGRESS, "10.1.0.1", NULL);
	EXPECT_EQ(0, feed(self->n, &m, NLMSG_HDRLEN + 4, NLMSG_HDRLEN + 4));
}

/*
 * A buffer whose last message claims more bytes than arrived: the walk
 * stops there.  The length left after the first message is below a
 * header, and below zero once aligned: kept signed, it ends the walk.
 */
TEST_F(events, walk_stops_at_a_short_message)
{
	struct msg m, two;
	struct nlmsghdr *h;
	uint32_t first;

	route_msg(&m, RTM_NEWROUTE, AF_INET, 16, "10.1.0.0", 0);
	first = m.len;
	memcpy(&two, &m, sizeof(m));
	route_msg(&m, RTM_NEWROUTE, AF_INET, 32, "10.2.0.1", 0);
	memcpy(two.buf + first, m.buf, m.len);
	/* The first claims three bytes more than there are. */
	h = msg_out(&two, first, first + 3);
	EXPECT_EQ(0, xr_neigh_feed(self->n, h, first));
	free(h);
	/*
	 * An odd length, whose alignment takes the walk past the end: what
	 * is left must not wrap around to a huge unsigned length.
	 */
	h = msg_out(&two, first + 2, first + 1);
	EXPECT_EQ(2, xr_neigh_feed(self->n, h, first + 2));
	free(h);
	/* All of the first, a few bytes of the second. */
	h = msg_out(&two, first + 6, first);
	EXPECT_EQ(0, xr_neigh_feed(self->n, h, first + 6));
	free(h);
}

TEST_HARNESS_MAIN
