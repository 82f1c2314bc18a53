// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the relay's header rewrite (user/rewrite.c): parsing,
 * Ethernet/VLAN handling, address, port and TTL rewrite, and incremental
 * IPv4 header and UDP checksums compared with a full recomputation done
 * here, independently of the code under test.
 *
 * XR_REWRITE_SEED=N replays the random test with another seed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rewrite.h"

/*
 * The harness's SIGALRM handler ignores its context argument, and TEST()
 * expands to a wrapper that ignores its variant argument.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#define BUF_LEN		2048
#define MIN_FRAME	60	/* Ethernet minimum without FCS */
#define RANDOM_ROUNDS	200000

struct tframe {
	uint8_t buf[BUF_LEN];
	uint32_t len;		/* frame length, link padding included */
	uint32_t l3;
	uint32_t l4;
	uint32_t payload;	/* UDP payload bytes */
	int family;
};

struct tspec {
	int family;
	int vlans;
	uint16_t tpid[XR_MAX_VLAN + 1];
	int opt_words;		/* IPv4 options */
	uint32_t payload;
	int udp_csum_zero;	/* send without UDP checksum */
	int pad_to;		/* link padding up to this length */
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: reproducible from the seed, good enough here. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 2685821657736338717ULL) >> 32;
}

static void rnd_bytes(uint8_t *p, size_t len)
{
	while (len--)
		*p++ = rnd();
}

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static uint16_t get16be(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* Reference checksum: big-endian words, straight from RFC 1071. */
static uint32_t ref_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16be(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static uint16_t ref_ip4_csum(const uint8_t *ip)
{
	uint8_t hdr[60];
	size_t hlen = (ip[0] & 0xf) * 4;

	memcpy(hdr, ip, hlen);
	hdr[10] = hdr[11] = 0;
	return ~ref_fold(ref_sum(0, hdr, hlen));
}

static uint16_t ref_udp_csum(int family, const uint8_t *ip,
			     const uint8_t *udp)
{
	uint16_t ulen = get16be(udp + 4);
	uint8_t hdr[8];
	uint32_t sum;
	uint16_t c;

	if (family == AF_INET)
		sum = ref_sum(0, ip + 12, 8);
	else
		sum = ref_sum(0, ip + 8, 32);
	sum += IPPROTO_UDP + ulen;
	memcpy(hdr, udp, 8);
	hdr[6] = hdr[7] = 0;
	sum = ref_sum(sum, hdr, 8);
	sum = ref_sum(sum, udp + 8, ulen - 8);
	c = ~ref_fold(sum);
	return c ? c : 0xffff;
}

static void build(struct tframe *f, const struct tspec *s)
{
	uint8_t *p = f->buf;
	uint32_t ulen = 8 + s->payload;
	uint8_t *ip, *udp;
	int i;

	memset(f, 0, sizeof(*f));
	f->family = s->family;
	rnd_bytes(p, 12);			/* MAC addresses */
	p += 12;
	for (i = 0; i < s->vlans; i++) {
		put16be(p, s->tpid[i] ? s->tpid[i] : 0x8100);
		put16be(p + 2, rnd() & 0xfff);
		p += 4;
	}
	put16be(p, s->family == AF_INET ? 0x0800 : 0x86dd);
	p += 2;
	ip = p;
	f->l3 = ip - f->buf;

	if (s->family == AF_INET) {
		uint32_t hlen = 20 + 4 * s->opt_words;

		ip[0] = 0x40 | hlen / 4;
		ip[1] = rnd();				/* TOS */
		put16be(ip + 2, hlen + ulen);
		put16be(ip + 4, rnd());			/* id */
		put16be(ip + 6, 0x4000);		/* DF */
		ip[8] = 1 + rnd() % 255;
		ip[9] = IPPROTO_UDP;
		rnd_bytes(ip + 12, 8);
		for (i = 0; i < s->opt_words * 4; i++)
			ip[20 + i] = 1;			/* NOP options */
		put16be(ip + 10, ref_ip4_csum(ip));
		udp = ip + hlen;
	} else {
		ip[0] = 0x60 | (rnd() & 0xf);
		rnd_bytes(ip + 1, 3);			/* class, flow label */
		put16be(ip + 4, ulen);
		ip[6] = IPPROTO_UDP;
		ip[7] = 1 + rnd() % 255;
		rnd_bytes(ip + 8, 32);
		udp = ip + 40;
	}
	f->l4 = udp - f->buf;
	put16be(udp, 1 + rnd() % 65535);
	put16be(udp + 2, 1 + rnd() % 65535);
	put16be(udp + 4, ulen);
	rnd_bytes(udp + 8, s->payload);
	f->payload = s->payload;
	if (!s->udp_csum_zero)
		put16be(udp + 6, ref_udp_csum(s->family, ip, udp));
	f->len = udp + ulen - f->buf;
	if (s->pad_to && f->len < (uint32_t)s->pad_to) {
		memset(f->buf + f->len, 0xee, s->pad_to - f->len);
		f->len = s->pad_to;
	}
}

static void random_tpl(struct xr_tpl *t, int family)
{
	memset(t, 0, sizeof(*t));
	rnd_bytes(t->eth_dst, 6);
	rnd_bytes(t->eth_src, 6);
	t->family = family;
	t->ttl = rnd();
	/* Zero now and then: the source port is the stream's port. */
	t->sport = rnd() % 8 ? rnd() : 0;
	t->dport = rnd();
	rnd_bytes(t->saddr, family == AF_INET ? 4 : 16);
	rnd_bytes(t->daddr, family == AF_INET ? 4 : 16);
}

/*
 * Rewrite @f for @t and check every byte of the result against what it
 * must be, checksums against a full recomputation.  Returns 0 when all
 * holds, so the random test can report the failing round.
 */
static int rewrite_and_check(struct __test_metadata *_metadata,
			     struct tframe *f, const struct xr_tpl *t,
			     int udp_csum_zero)
{
	struct tframe orig = *f;
	uint8_t *out, *ip, *udp;
	struct xr_pkt p;
	uint32_t start;
	uint32_t ip_len = f->l4 - f->l3 + 8 + f->payload;

	EXPECT_EQ(0, xr_parse(f->buf, f->len, &p)) return -1;
	EXPECT_EQ(f->family, p.family) return -1;
	EXPECT_EQ(f->l3, p.l3_off) return -1;
	EXPECT_EQ(f->l4, p.l4_off) return -1;
	EXPECT_EQ(ip_len, p.ip_len) return -1;

	start = xr_rewrite(f->buf, &p, t);
	EXPECT_EQ(f->l3 - 14, start) return -1;
	EXPECT_EQ(14 + ip_len, xr_out_len(&p)) return -1;
	out = f->buf + start;

	/* Ethernet: new addresses, no VLAN tag, the IP EtherType. */
	EXPECT_EQ(0, memcmp(out, t->eth_dst, 6)) return -1;
	EXPECT_EQ(0, memcmp(out + 6, t->eth_src, 6)) return -1;
	EXPECT_EQ(t->family == AF_INET ? 0x0800 : 0x86dd,
		  get16be(out + 12)) return -1;

	ip = out + 14;
	udp = f->buf + f->l4;
	if (t->family == AF_INET) {
		uint32_t hlen = (ip[0] & 0xf) * 4;

		EXPECT_EQ(0, memcmp(ip + 12, t->saddr, 4)) return -1;
		EXPECT_EQ(0, memcmp(ip + 16, t->daddr, 4)) return -1;
		EXPECT_EQ(t->ttl, ip[8]) return -1;
		/* Everything else in the header as it came. */
		EXPECT_EQ(0, memcmp(ip, orig.buf + orig.l3, 8)) return -1;
		EXPECT_EQ(ip[9], orig.buf[orig.l3 + 9]) return -1;
		EXPECT_EQ(0, memcmp(ip + 20, orig.buf + orig.l3 + 20,
				    hlen - 20)) return -1;
		EXPECT_EQ(ref_ip4_csum(ip), get16be(ip + 10)) return -1;
	} else {
		EXPECT_EQ(0, memcmp(ip + 8, t->saddr, 16)) return -1;
		EXPECT_EQ(0, memcmp(ip + 24, t->daddr, 16)) return -1;
		EXPECT_EQ(t->ttl, ip[7]) return -1;
		EXPECT_EQ(0, memcmp(ip, orig.buf + orig.l3, 7)) return -1;
	}
	EXPECT_EQ(t->sport ? ntohs(t->sport) :
		  get16be(orig.buf + orig.l4 + 2), get16be(udp)) return -1;
	EXPECT_EQ(ntohs(t->dport), get16be(udp + 2)) return -1;
	EXPECT_EQ(8 + f->payload, get16be(udp + 4)) return -1;
	if (udp_csum_zero && t->family == AF_INET) {
		EXPECT_EQ(0, get16be(udp + 6)) return -1;
	} else {
		EXPECT_EQ(ref_udp_csum(t->family, ip, udp),
			  get16be(udp + 6)) return -1;
	}
	EXPECT_EQ(0, memcmp(udp + 8, orig.buf + orig.l4 + 8,
			    f->payload)) return -1;

	/* Leave @f describing the frame as it now is, for another round. */
	memmove(f->buf, out, xr_out_len(&p));
	f->l3 -= start;
	f->l4 -= start;
	f->len = xr_out_len(&p);
	return 0;
}

FIXTURE(rewrite) {
	struct tframe f;
	struct xr_tpl t;
};

FIXTURE_VARIANT(rewrite) {
	int family;
	int vlans;
	uint16_t tpid0;
	uint16_t tpid1;
};

FIXTURE_VARIANT_ADD(rewrite, ipv4) { .family = AF_INET };
FIXTURE_VARIANT_ADD(rewrite, ipv4_vlan) { .family = AF_INET, .vlans = 1 };
FIXTURE_VARIANT_ADD(rewrite, ipv4_qinq) {
	.family = AF_INET, .vlans = 2, .tpid0 = 0x88a8, .tpid1 = 0x8100,
};
FIXTURE_VARIANT_ADD(rewrite, ipv6) { .family = AF_INET6 };
FIXTURE_VARIANT_ADD(rewrite, ipv6_vlan) { .family = AF_INET6, .vlans = 1 };
FIXTURE_VARIANT_ADD(rewrite, ipv6_qinq) {
	.family = AF_INET6, .vlans = 2, .tpid0 = 0x88a8, .tpid1 = 0x8100,
};

FIXTURE_SETUP(rewrite)
{
	rng_state = 0x5844523153454544ULL + variant->family * 7 +
		    variant->vlans;
	random_tpl(&self->t, variant->family);
}

FIXTURE_TEARDOWN(rewrite)
{
}

static struct tspec variant_spec(int family, int vlans, uint16_t tpid0,
				 uint16_t tpid1)
{
	struct tspec s = {
		.family = family, .vlans = vlans,
		.tpid = { tpid0, tpid1 }, .payload = 1316,
	};

	return s;
}

#define VARIANT_SPEC(v)	variant_spec((v)->family, (v)->vlans, (v)->tpid0, \
				     (v)->tpid1)

/* A 7 x 188 byte MPEG-TS payload, the relay's everyday frame. */
TEST_F(rewrite, ts_payload)
{
	struct tspec s = VARIANT_SPEC(variant);

	build(&self->f, &s);
	ASSERT_EQ(0, rewrite_and_check(_metadata, &self->f, &self->t, 0));
}

TEST_F(rewrite, odd_payloads)
{
	static const uint32_t lens[] = { 0, 1, 3, 17, 255, 1315, 1317, 1471 };
	struct tspec s = VARIANT_SPEC(variant);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		s.payload = lens[i];
		build(&self->f, &s);
		ASSERT_EQ(0, rewrite_and_check(_metadata, &self->f, &self->t,
					       0)) {
			TH_LOG("payload %u", lens[i]);
		}
	}
}

/* A short datagram padded to the Ethernet minimum: padding is dropped. */
TEST_F(rewrite, link_padding)
{
	struct tspec s = VARIANT_SPEC(variant);

	s.payload = 2;
	s.pad_to = 128;
	build(&self->f, &s);
	ASSERT_LT(self->f.l4 + 8 + 2, self->f.len);
	ASSERT_EQ(0, rewrite_and_check(_metadata, &self->f, &self->t, 0));
}

/* The same frame rewritten twice: a copy for a second subscriber. */
TEST_F(rewrite, rewrite_twice)
{
	struct tspec s = VARIANT_SPEC(variant);
	struct xr_tpl t2;

	build(&self->f, &s);
	random_tpl(&t2, variant->family);
	ASSERT_EQ(0, rewrite_and_check(_metadata, &self->f, &self->t, 0));
	ASSERT_EQ(0, rewrite_and_check(_metadata, &self->f, &t2, 0));
}

TEST(ipv4_udp_csum_zero_stays_zero)
{
	struct tspec s = { .family = AF_INET, .payload = 1316,
			   .udp_csum_zero = 1 };
	struct tframe f;
	struct xr_tpl t;
	int i;

	rng_state = 1;
	for (i = 0; i < 1000; i++) {
		s.payload = rnd() % 1473;
		s.vlans = rnd() % 3;
		build(&f, &s);
		random_tpl(&t, AF_INET);
		ASSERT_EQ(0, rewrite_and_check(_metadata, &f, &t, 1));
	}
}

/* IPv6 forbids a zero UDP checksum: the relay computes the real one. */
TEST(ipv6_udp_csum_zero_gets_computed)
{
	struct tspec s = { .family = AF_INET6, .payload = 101,
			   .udp_csum_zero = 1 };
	struct tframe f;
	struct xr_tpl t;

	rng_state = 2;
	build(&f, &s);
	random_tpl(&t, AF_INET6);
	ASSERT_EQ(0, rewrite_and_check(_metadata, &f, &t, 1));
	ASSERT_NE(0, get16be(f.buf + f.l4 + 6));
}

/*
 * The header fields that matter for checksum corner cases are random:
 * addresses, ports, TTL, IPv4 options, payload length and content.  Every
 * result must equal the full recomputation bit for bit.
 */
TEST(random_packets_match_full_recompute)
{
	const char *env = getenv("XR_REWRITE_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x58445231;
	struct tframe f;
	struct xr_tpl t;
	int i;

	rng_state = seed ? seed : 1;
	for (i = 0; i < RANDOM_ROUNDS; i++) {
		struct tspec s = {
			.family = rnd() & 1 ? AF_INET6 : AF_INET,
			.vlans = rnd() % 3,
			.payload = rnd() % 1473,
		};

		s.tpid[0] = rnd() & 1 ? 0x88a8 : 0x8100;
		if (s.family == AF_INET)
			s.opt_words = rnd() % 11;
		if (rnd() % 8 == 0)
			s.pad_to = MIN_FRAME + rnd() % 64;
		build(&f, &s);
		random_tpl(&t, s.family);
		ASSERT_EQ(0, rewrite_and_check(_metadata, &f, &t, 0)) {
			TH_LOG("seed %#llx round %d", (unsigned long long)seed,
			       i);
		}
	}
}

/* Checksums of 0xffff and 0 on input are the extremes of the sum. */
TEST(udp_csum_extremes)
{
	struct tspec s = { .family = AF_INET, .payload = 64 };
	struct tframe f;
	struct xr_tpl t;
	int found = 0, i;

	rng_state = 3;
	/* Search frames whose checksum is 0xffff (a sum of zero). */
	for (i = 0; i < 2000000 && found < 20; i++) {
		s.family = i & 1 ? AF_INET6 : AF_INET;
		s.payload = 8 + rnd() % 32;
		build(&f, &s);
		if (get16be(f.buf + f.l4 + 6) != 0xffff)
			continue;
		found++;
		random_tpl(&t, s.family);
		ASSERT_EQ(0, rewrite_and_check(_metadata, &f, &t, 0));
	}
	ASSERT_GT(found, 0);
}

static int parse_buf(const uint8_t *buf, uint32_t len)
{
	struct xr_pkt p;

	return xr_parse(buf, len, &p);
}

TEST(parse_rejects)
{
	struct tspec s4 = { .family = AF_INET, .payload = 100 };
	struct tspec s6 = { .family = AF_INET6, .payload = 100 };
	struct tframe f;
	uint32_t l;

	rng_state = 4;

	/* Every truncation of a good frame. */
	build(&f, &s4);
	ASSERT_EQ(0, parse_buf(f.buf, f.len));
	for (l = 0; l < f.len; l++)
		ASSERT_EQ(-EINVAL, parse_buf(f.buf, l)) TH_LOG("len %u", l);
	build(&f, &s6);
	ASSERT_EQ(0, parse_buf(f.buf, f.len));
	for (l = 0; l < f.len; l++)
		ASSERT_EQ(-EINVAL, parse_buf(f.buf, l)) TH_LOG("len %u", l);

	/* Third VLAN tag. */
	s4.vlans = 3;
	build(&f, &s4);
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	s4.vlans = 0;

	/* IPv4: fragments, not UDP, short header, UDP length too long. */
	build(&f, &s4);
	put16be(f.buf + f.l3 + 6, 0x2000);
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	put16be(f.buf + f.l3 + 6, 0x0001);
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	build(&f, &s4);
	f.buf[f.l3 + 9] = IPPROTO_TCP;
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	build(&f, &s4);
	f.buf[f.l3] = 0x44;
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	build(&f, &s4);
	put16be(f.buf + f.l4 + 4, 8 + 101);
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	build(&f, &s4);
	put16be(f.buf + f.l4 + 4, 7);
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	build(&f, &s4);
	f.buf[f.l3] = 0x55;			/* version 5 */
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));

	/* IPv6: an extension header, payload length beyond the frame. */
	build(&f, &s6);
	f.buf[f.l3 + 6] = 0;			/* hop-by-hop */
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
	build(&f, &s6);
	put16be(f.buf + f.l3 + 4, 8 + 101);
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));

	/* Not IP at all. */
	build(&f, &s4);
	put16be(f.buf + 12, 0x0806);
	ASSERT_EQ(-EINVAL, parse_buf(f.buf, f.len));
}

TEST_HARNESS_MAIN
