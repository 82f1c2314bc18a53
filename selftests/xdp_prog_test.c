// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP steering program on crafted frames, through BPF_PROG_TEST_RUN.
 *
 * Each test runs in a fresh network namespace with its own copy of the
 * object (XDPRELAY_BPF_OBJ, default bpf/xdprelay_maps.bpf.o), pinning
 * disabled so nothing lands on bpffs.  For every frame it asserts the
 * verdict, the frame and metadata the program leaves behind, and the exact
 * counter deltas on the global row and on every stream row.
 *
 * An AF_XDP socket on lo queue 0 stands in for the relay: test runs happen
 * on lo's queue 0, so a redirect to xr_xsks[0] succeeds.  Without
 * BPF_F_TEST_XDP_LIVE_FRAMES the kernel only reports the verdict; the
 * live_redirect test lets the kernel carry a frame into the socket.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "xdprelay.h"

/*
 * The harness's SIGALRM handler ignores its context argument, and TEST()
 * expands to a wrapper that ignores its variant argument.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#define DEFAULT_OBJ	"bpf/xdprelay_maps.bpf.o"
#define FRAME_MAX	2048
#define META_LEN	((__u32)sizeof(struct xdprelay_meta))
/* Counter rows compared after every frame: global row and test streams. */
#define NR_ROWS		16

#define ID_V4		1
#define ID_V6		2
#define ID_MCAST	3
#define ID_FILTER4	4
#define ID_FILTER6	5
#define ID_POLICED	6
#define ID_FILTER_HOST	7
#define ID_VLAN100	8
#define ID_VLAN200	9
#define ID_VLAN_ANY	10
#define ID_ONLY100	11
#define ID_SOCKET	12
#define ID_AFXDP	13

#define NUM_FRAMES	64
#define XSK_FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE

/* What a frame looks like; zero fields take the defaults of build(). */
struct spec {
	int family;		/* AF_INET (default) or AF_INET6 */
	int vlans;		/* tags in front of the IP header */
	__u16 tpid[3];		/* default ETH_P_8021Q */
	__u16 tci[3];		/* default: VLAN 100 + i, priority 0 */
	int opt_words;		/* IPv4 options, 32-bit words */
	const char *saddr;
	const char *daddr;
	__u16 dport;
	int payload;		/* UDP payload bytes, default 64 */
	int ip6_frag;		/* IPv6 fragment header before UDP */
	__u16 frag_off;		/* IPv4 frag_off or IPv6 fragment field */
};

struct frame {
	__u8 buf[FRAME_MAX];
	__u32 len;
	__u32 l3;		/* offset of the IP header */
	__u32 l4;		/* offset of the UDP header */
};

struct run_out {
	__u8 buf[FRAME_MAX + 64];
	__u32 size;		/* bytes from data_meta to the end */
	__u32 meta_len;
	__u32 retval;
};

static void put16(__u8 *p, __u16 v)
{
	v = htons(v);
	memcpy(p, &v, sizeof(v));
}

static void put_addr(struct __test_metadata *_metadata, int family,
		     const char *str, void *dst)
{
	ASSERT_EQ(1, inet_pton(family, str, dst)) {
		TH_LOG("bad address %s", str);
	}
}

/* Ethernet, VLAN tags, IPv4 or IPv6, UDP, payload. */
static void build(struct __test_metadata *_metadata, struct frame *f,
		  const struct spec *s)
{
	int family = s->family ? s->family : AF_INET;
	int payload = s->payload ? s->payload : 64;
	__u16 dport = s->dport ? s->dport : 5000;
	const char *saddr = s->saddr, *daddr = s->daddr;
	struct ethhdr *eth = (struct ethhdr *)f->buf;
	struct udphdr *udp;
	__u8 *pos;
	int i;

	memset(f, 0, sizeof(*f));
	memset(eth->h_dest, 0x02, ETH_ALEN);
	memset(eth->h_source, 0x04, ETH_ALEN);
	pos = (__u8 *)&eth->h_proto;
	for (i = 0; i < s->vlans; i++) {
		put16(pos, s->tpid[i] ? s->tpid[i] : ETH_P_8021Q);
		put16(pos + 2, s->tci[i] ? s->tci[i] : 100 + i);
		pos += 4;
	}

	if (family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)(pos + 2);
		int hlen = sizeof(*iph) + 4 * s->opt_words;

		put16(pos, ETH_P_IP);
		f->l3 = (__u8 *)iph - f->buf;
		f->l4 = f->l3 + hlen;
		iph->version = 4;
		iph->ihl = hlen / 4;
		iph->tot_len = htons(hlen + sizeof(*udp) + payload);
		iph->id = htons(0x1234);
		iph->frag_off = htons(s->frag_off);
		iph->ttl = 64;
		iph->protocol = IPPROTO_UDP;
		put_addr(_metadata, AF_INET, saddr ? saddr : "10.0.0.1",
			 &iph->saddr);
		put_addr(_metadata, AF_INET, daddr ? daddr : "10.0.0.2",
			 &iph->daddr);
		/* Options: NOPs. */
		memset(iph + 1, 1, 4 * s->opt_words);
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)(pos + 2);
		int ext = s->ip6_frag ? 8 : 0;

		put16(pos, ETH_P_IPV6);
		f->l3 = (__u8 *)ip6h - f->buf;
		f->l4 = f->l3 + sizeof(*ip6h) + ext;
		ip6h->version = 6;
		ip6h->payload_len = htons(ext + sizeof(*udp) + payload);
		ip6h->nexthdr = s->ip6_frag ? IPPROTO_FRAGMENT : IPPROTO_UDP;
		ip6h->hop_limit = 64;
		put_addr(_metadata, AF_INET6, saddr ? saddr : "fd00::1",
			 &ip6h->saddr);
		put_addr(_metadata, AF_INET6, daddr ? daddr : "fd00::2",
			 &ip6h->daddr);
		if (ext) {
			__u8 *fh = (__u8 *)(ip6h + 1);

			fh[0] = IPPROTO_UDP;
			put16(fh + 2, s->frag_off);
			put16(fh + 4, 0xabcd);	/* identification */
		}
	}

	udp = (struct udphdr *)(f->buf + f->l4);
	udp->source = htons(4000);
	udp->dest = htons(dport);
	udp->len = htons(sizeof(*udp) + payload);
	for (i = 0; i < payload; i++)
		f->buf[f->l4 + sizeof(*udp) + i] = i;
	f->len = f->l4 + sizeof(*udp) + payload;
}

static struct iphdr *ip4(struct frame *f)
{
	return (struct iphdr *)(f->buf + f->l3);
}

static struct ipv6hdr *ip6(struct frame *f)
{
	return (struct ipv6hdr *)(f->buf + f->l3);
}

static struct udphdr *udph(struct frame *f)
{
	return (struct udphdr *)(f->buf + f->l4);
}

static int print_fn(enum libbpf_print_level level, const char *fmt,
		    va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	fprintf(stderr, "# ");
	return vfprintf(stderr, fmt, ap);
}

static int xdp_print_fn(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBXDP_DEBUG)
		return 0;
	fprintf(stderr, "# ");
	return vfprintf(stderr, fmt, ap);
}

FIXTURE(xdp) {
	struct bpf_object *obj;
	int prog_fd;
	int streams_fd;
	int xsks_fd;
	int policers_fd;
	int counters_fd;	/* -1 for the kfunc variant */
	int direct_fd;
	int dtx_fd;
	int subtx_fd;
	int ncpus;
	struct xdprelay_counters *percpu;
	__u64 before[NR_ROWS][XDPRELAY_NR_COUNTERS];
	/* The AF_XDP socket, when a test adds one. */
	void *umem_area;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
};

static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	return map ? bpf_map__fd(map) : -1;
}

struct stream_spec {
	const char *daddr;
	__u16 dport;
	__u16 vlan;
	__u32 id;
	const char *src;	/* allowed source prefix, or NULL */
	int src_len;
	__u64 rate_pps;
	__u64 burst;
	bool stack;		/* on the relay's socket path */
	bool afxdp;		/* put on AF_XDP by the operator */
};

static void add_stream(struct __test_metadata *_metadata,
		       FIXTURE_DATA(xdp) *self, const struct stream_spec *ss)
{
	struct xdprelay_key key = {};
	struct xdprelay_stream val = {};
	int family, i;

	family = strchr(ss->daddr, ':') ? AF_INET6 : AF_INET;
	key.ep.family = family;
	key.ep.port = htons(ss->dport);
	key.vlan = ss->vlan;
	put_addr(_metadata, family, ss->daddr, key.ep.addr);

	val.id = ss->id;
	val.rate_pps = ss->rate_pps;
	val.burst = ss->burst;
	if (ss->stack)
		val.flags |= XDPRELAY_F_STACK;
	if (ss->afxdp)
		val.flags |= XDPRELAY_F_AFXDP;
	if (ss->src) {
		val.flags |= XDPRELAY_F_SRC_FILTER;
		put_addr(_metadata, family, ss->src, val.src_addr);
		for (i = 0; i < ss->src_len; i++)
			val.src_mask[i / 8] |= 0x80 >> (i % 8);
		for (i = 0; i < 16; i++)
			val.src_addr[i] &= val.src_mask[i];
	}
	ASSERT_EQ(0, bpf_map_update_elem(self->streams_fd, &key, &val, 0));
}

static void read_row(struct __test_metadata *_metadata,
		     FIXTURE_DATA(xdp) *self, __u32 row,
		     __u64 sum[XDPRELAY_NR_COUNTERS])
{
	int cpu, c;

	memset(sum, 0, sizeof(__u64) * XDPRELAY_NR_COUNTERS);
	ASSERT_EQ(0, bpf_map_lookup_elem(self->counters_fd, &row,
					 self->percpu));
	for (cpu = 0; cpu < self->ncpus; cpu++)
		for (c = 0; c < XDPRELAY_NR_COUNTERS; c++)
			sum[c] += self->percpu[cpu].c[c];
}

static void snapshot(struct __test_metadata *_metadata,
		     FIXTURE_DATA(xdp) *self)
{
	__u32 row;

	if (self->counters_fd < 0)
		return;
	for (row = 0; row < NR_ROWS; row++)
		read_row(_metadata, self, row, self->before[row]);
}

/*
 * Since the last snapshot exactly one packet of @bytes bytes was counted,
 * with @outcome, on row 0 and on row @stream (0: on no stream row).
 */
static void check_counts(struct __test_metadata *_metadata,
			 FIXTURE_DATA(xdp) *self, int line, __u32 bytes,
			 int outcome, __u32 stream)
{
	__u64 now[XDPRELAY_NR_COUNTERS], want;
	__u32 row;
	int c;

	if (self->counters_fd < 0)
		return;
	for (row = 0; row < NR_ROWS; row++) {
		int counted = row == 0 || (stream && row == stream);

		read_row(_metadata, self, row, now);
		for (c = 0; c < XDPRELAY_NR_COUNTERS; c++) {
			want = 0;
			if (counted && (c == XDPRELAY_RX_PACKETS ||
					c == outcome))
				want = 1;
			if (counted && c == XDPRELAY_RX_BYTES)
				want = bytes;
			EXPECT_EQ(want, now[c] - self->before[row][c]) {
				TH_LOG("line %d: row %u counter %d", line,
				       row, c);
			}
		}
	}
}

/*
 * One test run of @len bytes.  The kernel wants at least an Ethernet
 * header in data_in; a shorter frame is given as a linear part of @len
 * bytes (ctx data_end) followed by padding in a fragment, so the program
 * sees data_end - data == len.
 */
static int run_frame(FIXTURE_DATA(xdp) *self, const __u8 *frame, __u32 len,
		     __u32 *size_in, struct run_out *out)
{
	struct xdp_md ctx_in = { .data_end = len }, ctx_out = {};
	__u8 in[FRAME_MAX] = {};
	int err;

	*size_in = len < ETH_HLEN ? ETH_HLEN : len;
	memcpy(in, frame, len);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = *size_in,
		.data_out = out->buf,
		.data_size_out = sizeof(out->buf),
		.ctx_in = &ctx_in,
		.ctx_size_in = sizeof(ctx_in),
		.ctx_out = &ctx_out,
		.ctx_size_out = sizeof(ctx_out),
		.repeat = 1,
	);

	memset(out, 0, sizeof(*out));
	err = bpf_prog_test_run_opts(self->prog_fd, &opts);
	if (err)
		return -errno;
	out->size = opts.data_size_out;
	out->retval = opts.retval;
	out->meta_len = ctx_out.data;
	return 0;
}

/*
 * Run the first @len bytes of @f and check the verdict @act, the frame
 * and metadata left behind, and the counters (@outcome on row 0 and on
 * row @stream).
 */
static void __expect(struct __test_metadata *_metadata,
		     FIXTURE_DATA(xdp) *self, int line, const struct frame *f,
		     __u32 len, __u32 act, int outcome, __u32 stream)
{
	struct xdprelay_meta meta;
	struct run_out out;
	__u32 size_in;

	snapshot(_metadata, self);
	ASSERT_EQ(0, run_frame(self, f->buf, len, &size_in, &out)) {
		TH_LOG("line %d: test run of %u bytes failed", line, len);
	}
	ASSERT_EQ(act, out.retval) {
		TH_LOG("line %d: verdict for %u bytes", line, len);
	}
	if (act == XDP_REDIRECT) {
		ASSERT_EQ(META_LEN, out.meta_len) {
			TH_LOG("line %d: metadata", line);
		}
		ASSERT_EQ(size_in + META_LEN, out.size);
		memcpy(&meta, out.buf, sizeof(meta));
		EXPECT_EQ(stream, meta.stream_id);
		EXPECT_EQ((__u32)XDPRELAY_META_MAGIC, meta.magic) {
			TH_LOG("line %d: metadata", line);
		}
	} else {
		/* The stack gets the frame exactly as it came. */
		ASSERT_EQ(0U, out.meta_len) {
			TH_LOG("line %d: metadata left in front", line);
		}
		ASSERT_EQ(size_in, out.size);
	}
	EXPECT_EQ(0, memcmp(out.buf + out.meta_len, f->buf, len)) {
		TH_LOG("line %d: frame of %u bytes modified", line, len);
	}
	check_counts(_metadata, self, line, len, outcome, stream);
}

#define expect(f, len, act, outcome, stream) \
	__expect(_metadata, self, __LINE__, f, len, act, outcome, stream)

/* A matched frame of stream @id, with or without a socket on queue 0. */
#define expect_matched(f, id) do { \
	if (self->xsk) \
		expect(f, (f)->len, XDP_REDIRECT, XDPRELAY_REDIRECTED, id); \
	else \
		expect(f, (f)->len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, id); \
} while (0)

static void add_xsk(struct __test_metadata *_metadata,
		    FIXTURE_DATA(xdp) *self)
{
	struct xsk_socket_config cfg = {
		.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	__u64 size = (__u64)NUM_FRAMES * XSK_FRAME_SIZE;
	__u32 key = 0, idx, i;
	int fd;

	self->umem_area = mmap(NULL, size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->umem_area);
	ASSERT_EQ(0, xsk_umem__create(&self->umem, self->umem_area, size,
				      &self->fill, &self->comp, NULL));
	ASSERT_EQ(0, xsk_socket__create(&self->xsk, "lo", 0, self->umem,
					&self->rx, &self->tx, &cfg)) {
		TH_LOG("AF_XDP socket on lo queue 0 (copy mode)");
	}
	/* Half the frames to the fill ring, for the live test. */
	ASSERT_EQ((__u32)NUM_FRAMES / 2,
		  xsk_ring_prod__reserve(&self->fill, NUM_FRAMES / 2, &idx));
	for (i = 0; i < NUM_FRAMES / 2; i++)
		*xsk_ring_prod__fill_addr(&self->fill, idx + i) =
			(__u64)i * XSK_FRAME_SIZE;
	xsk_ring_prod__submit(&self->fill, NUM_FRAMES / 2);

	fd = xsk_socket__fd(self->xsk);
	ASSERT_EQ(0, bpf_map_update_elem(self->xsks_fd, &key, &fd, 0));
}

FIXTURE_SETUP(xdp)
{
	const char *path = getenv("XDPRELAY_BPF_OBJ");
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	if (geteuid())
		SKIP(return, "needs root");
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1)
		SKIP(return, "kernel without BPF or XDP");
	self->counters_fd = -1;
	self->prog_fd = -1;

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, lo_up());

	if (!path)
		path = DEFAULT_OBJ;
	self->obj = bpf_object__open_file(path, NULL);
	ASSERT_NE(NULL, self->obj) {
		TH_LOG("open %s: %s", path, strerror(errno));
	}
	/* Private maps: never touch what ip(8) pinned on this host. */
	bpf_object__for_each_map(map, self->obj)
		ASSERT_EQ(0, bpf_map__set_pin_path(map, NULL));
	err = bpf_object__load(self->obj);
	ASSERT_EQ(0, err) {
		TH_LOG("load %s: %s", path, strerror(-err));
	}
	prog = bpf_object__find_program_by_name(self->obj, "xdprelay_rx");
	ASSERT_NE(NULL, prog);
	self->prog_fd = bpf_program__fd(prog);

	self->streams_fd = map_fd(self->obj, XDPRELAY_MAP_STREAMS);
	self->xsks_fd = map_fd(self->obj, XDPRELAY_MAP_XSKS);
	self->policers_fd = map_fd(self->obj, XDPRELAY_MAP_POLICERS);
	self->counters_fd = map_fd(self->obj, XDPRELAY_MAP_COUNTERS);
	ASSERT_LE(0, self->streams_fd);
	ASSERT_LE(0, self->xsks_fd);
	ASSERT_LE(0, self->policers_fd);
	self->direct_fd = map_fd(self->obj, XDPRELAY_MAP_DIRECT);
	self->dtx_fd = map_fd(self->obj, XDPRELAY_MAP_DTX);
	self->subtx_fd = map_fd(self->obj, XDPRELAY_MAP_SUBTX);
	ASSERT_LE(0, self->subtx_fd);
	ASSERT_LE(0, self->direct_fd);
	ASSERT_LE(0, self->dtx_fd);
	if (self->counters_fd < 0)
		TH_LOG("no %s: kfunc variant, counters not checked here",
		       XDPRELAY_MAP_COUNTERS);

	self->ncpus = libbpf_num_possible_cpus();
	ASSERT_LT(0, self->ncpus);
	self->percpu = calloc(self->ncpus, sizeof(*self->percpu));
	ASSERT_NE(NULL, self->percpu);

	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.2", .dport = 5000, .id = ID_V4 });
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "fd00::2", .dport = 5000, .id = ID_V6 });
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "239.1.1.1", .dport = 5000, .id = ID_MCAST });
}

FIXTURE_TEARDOWN(xdp)
{
	if (self->xsk)
		xsk_socket__delete(self->xsk);
	if (self->umem)
		xsk_umem__delete(self->umem);
	if (self->umem_area)
		munmap(self->umem_area,
		       (size_t)NUM_FRAMES * XSK_FRAME_SIZE);
	free(self->percpu);
	bpf_object__close(self->obj);
}

TEST_F(xdp, matched_ipv4_no_socket)
{
	struct frame f;

	build(_metadata, &f, &(struct spec){ 0 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V4);
}

TEST_F(xdp, matched_ipv4)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ 0 });
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_V4);
	/* Link padding after the datagram does not matter. */
	build(_metadata, &f, &(struct spec){ .payload = 2 });
	f.len = 60;
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_V4);
}

TEST_F(xdp, matched_ipv6)
{
	struct frame f;

	build(_metadata, &f, &(struct spec){ .family = AF_INET6 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V6);
	add_xsk(_metadata, self);
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_V6);
}

TEST_F(xdp, vlan_single)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ .vlans = 1 });
	expect_matched(&f, ID_V4);
	build(_metadata, &f, &(struct spec){ .vlans = 1,
					     .family = AF_INET6 });
	expect_matched(&f, ID_V6);
}

TEST_F(xdp, vlan_double)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ .vlans = 2,
		.tpid = { ETH_P_8021AD, ETH_P_8021Q } });
	expect_matched(&f, ID_V4);
	build(_metadata, &f, &(struct spec){ .vlans = 2,
		.tpid = { ETH_P_8021AD, ETH_P_8021Q }, .family = AF_INET6 });
	expect_matched(&f, ID_V6);
	/* Old-style QinQ: 802.1Q twice. */
	build(_metadata, &f, &(struct spec){ .vlans = 2 });
	expect_matched(&f, ID_V4);
}

TEST_F(xdp, vlan_triple_unmatched)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ .vlans = 3,
		.tpid = { ETH_P_8021AD, ETH_P_8021Q, ETH_P_8021Q } });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

/*
 * Streams on one endpoint in VLAN 100, in VLAN 200 and in any VLAN: the
 * innermost tag's VLAN id chooses, its priority bits do not, and a frame
 * of another VLAN, an untagged one or one tagged with VLAN 0 (priority
 * only) goes to the stream of any VLAN.
 */
TEST_F(xdp, vlan_streams)
{
	struct frame f;

	add_xsk(_metadata, self);
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.7", .dport = 5000, .vlan = 100,
		.id = ID_VLAN100 });
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.7", .dport = 5000, .vlan = 200,
		.id = ID_VLAN200 });
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.7", .dport = 5000, .id = ID_VLAN_ANY });

	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.7" });
	expect_matched(&f, ID_VLAN_ANY);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.7",
		.vlans = 1, .tci = { 100 } });
	expect_matched(&f, ID_VLAN100);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.7",
		.vlans = 1, .tci = { 200 } });
	expect_matched(&f, ID_VLAN200);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.7",
		.vlans = 1, .tci = { 300 } });
	expect_matched(&f, ID_VLAN_ANY);
	/* Priority 5, drop eligible, VLAN 100. */
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.7",
		.vlans = 1, .tci = { 5 << 13 | 1 << 12 | 100 } });
	expect_matched(&f, ID_VLAN100);
	/* Priority-tagged only. */
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.7",
		.vlans = 1, .tci = { 3 << 13 } });
	expect_matched(&f, ID_VLAN_ANY);
	/* QinQ: the inner tag is the stream's VLAN. */
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.7",
		.vlans = 2, .tpid = { ETH_P_8021AD, ETH_P_8021Q },
		.tci = { 100, 200 } });
	expect_matched(&f, ID_VLAN200);
}

/* A stream of one VLAN only: the others, and untagged frames, are not it. */
TEST_F(xdp, vlan_only)
{
	struct frame f;

	add_xsk(_metadata, self);
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.8", .dport = 5000, .vlan = 100,
		.id = ID_ONLY100 });
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.8",
		.vlans = 1, .tci = { 100 } });
	expect_matched(&f, ID_ONLY100);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.8" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.8",
		.vlans = 1, .tci = { 101 } });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.8",
		.vlans = 2, .tci = { 100, 101 } });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

TEST_F(xdp, multicast)
{
	struct frame f;

	build(_metadata, &f, &(struct spec){ .daddr = "239.1.1.1" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_MCAST);
	add_xsk(_metadata, self);
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_MCAST);
	/* Another group on the same port is not a stream. */
	build(_metadata, &f, &(struct spec){ .daddr = "239.1.1.2" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

TEST_F(xdp, unmatched)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ .dport = 5001 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.9" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .dport = 5001 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	/* The IPv4 stream's address as an IPv4-mapped IPv6 address. */
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .daddr = "::ffff:10.0.0.2" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	/* TCP to a stream's address and port. */
	build(_metadata, &f, &(struct spec){ 0 });
	ip4(&f)->protocol = IPPROTO_TCP;
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

TEST_F(xdp, ipv6_extension_header_unmatched)
{
	struct frame f;
	__u8 *hbh;

	add_xsk(_metadata, self);
	/* Hop-by-hop header with a PadN option in front of the UDP one. */
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .ip6_frag = 1 });
	ip6(&f)->nexthdr = 0;
	hbh = f.buf + f.l3 + sizeof(struct ipv6hdr);
	memcpy(hbh, (__u8 []){ IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0 }, 8);
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

TEST_F(xdp, non_ip_unmatched)
{
	struct frame f;

	add_xsk(_metadata, self);
	/* An ARP request for 10.0.0.2. */
	memset(&f, 0, sizeof(f));
	memset(f.buf, 0xff, ETH_ALEN);
	memset(f.buf + ETH_ALEN, 0x04, ETH_ALEN);
	put16(f.buf + 12, ETH_P_ARP);
	memcpy(f.buf + ETH_HLEN, (__u8 []){ 0, 1, 8, 0, 6, 4, 0, 1,
		4, 4, 4, 4, 4, 4, 10, 0, 0, 1,
		0, 0, 0, 0, 0, 0, 10, 0, 0, 2 }, 28);
	f.len = ETH_HLEN + 28;
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	/* ARP behind a VLAN tag. */
	memmove(f.buf + 16, f.buf + 12, f.len - 12);
	put16(f.buf + 12, ETH_P_8021Q);
	put16(f.buf + 14, 100);
	f.len += 4;
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

TEST_F(xdp, source_filter)
{
	struct frame f;

	add_xsk(_metadata, self);
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.3", .dport = 6000, .id = ID_FILTER4,
		.src = "192.168.1.0", .src_len = 24 });
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "fd00::3", .dport = 6000, .id = ID_FILTER6,
		.src = "fd00:1::", .src_len = 48 });
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "fd00::7", .dport = 6000, .id = ID_FILTER_HOST,
		.src = "fd00:1::7", .src_len = 128 });

	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.3",
		.dport = 6000, .saddr = "192.168.2.1" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_SRC_REFUSED, ID_FILTER4);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.3",
		.dport = 6000, .saddr = "192.168.1.77" });
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_FILTER4);

	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
		.daddr = "fd00::3", .dport = 6000, .saddr = "fd00:2::1" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_SRC_REFUSED, ID_FILTER6);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
		.daddr = "fd00::3", .dport = 6000, .saddr = "fd00:1:1::1" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_SRC_REFUSED, ID_FILTER6);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
		.daddr = "fd00::3", .dport = 6000, .saddr = "fd00:1:0:5::9" });
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_FILTER6);

	/* One allowed host: the last address word decides. */
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
		.daddr = "fd00::7", .dport = 6000, .saddr = "fd00:1::8" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_SRC_REFUSED, ID_FILTER_HOST);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
		.daddr = "fd00::7", .dport = 6000, .saddr = "fd00:1::7" });
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_FILTER_HOST);

	/* Streams without a filter take any source. */
	build(_metadata, &f, &(struct spec){ .saddr = "192.168.2.1" });
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_V4);
}

/* Every length up to the end of the UDP header is malformed. */
static void sweep_truncated(struct __test_metadata *_metadata,
			    FIXTURE_DATA(xdp) *self, const struct spec *s)
{
	struct frame f;
	__u32 len;

	build(_metadata, &f, s);
	for (len = 0; len < f.l4 + sizeof(struct udphdr); len++)
		expect(&f, len, XDP_PASS, XDPRELAY_MALFORMED, 0);
	/* The whole frame still matches. */
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED,
	       s->family == AF_INET6 ? ID_V6 : ID_V4);
}

TEST_F(xdp, truncated)
{
	add_xsk(_metadata, self);
	sweep_truncated(_metadata, self, &(struct spec){ 0 });
	sweep_truncated(_metadata, self, &(struct spec){ .vlans = 2,
		.tpid = { ETH_P_8021AD, ETH_P_8021Q }, .opt_words = 3 });
	sweep_truncated(_metadata, self, &(struct spec){ .vlans = 1,
		.family = AF_INET6 });
	/* 40 bytes of options. */
	sweep_truncated(_metadata, self, &(struct spec){ .opt_words = 10 });
}

TEST_F(xdp, truncated_payload)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ 0 });
	expect(&f, f.len - 1, XDP_PASS, XDPRELAY_MALFORMED, 0);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6 });
	expect(&f, f.len - 1, XDP_PASS, XDPRELAY_MALFORMED, 0);
}

TEST_F(xdp, ipv4_options)
{
	struct frame f;
	int words;

	add_xsk(_metadata, self);
	for (words = 1; words <= 10; words++) {
		build(_metadata, &f, &(struct spec){ .opt_words = words });
		ASSERT_EQ(5 + words, (int)ip4(&f)->ihl);
		expect_matched(&f, ID_V4);
	}
}

TEST_F(xdp, fragments)
{
	struct frame f;

	add_xsk(_metadata, self);
	/* IPv4: first (MF), middle (MF, offset), last (offset). */
	build(_metadata, &f, &(struct spec){ .frag_off = 0x2000 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_FRAGMENTS, 0);
	build(_metadata, &f, &(struct spec){ .frag_off = 0x2000 | 185 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_FRAGMENTS, 0);
	build(_metadata, &f, &(struct spec){ .frag_off = 185 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_FRAGMENTS, 0);
	/* DF is no fragment. */
	build(_metadata, &f, &(struct spec){ .frag_off = 0x4000 });
	expect_matched(&f, ID_V4);

	/* IPv6 fragment header: first (M), later (offset). */
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .ip6_frag = 1, .frag_off = 1 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_FRAGMENTS, 0);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
		.ip6_frag = 1, .frag_off = 185 << 3 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_FRAGMENTS, 0);
}

TEST_F(xdp, bad_ihl)
{
	struct frame f;
	int ihl;

	add_xsk(_metadata, self);
	for (ihl = 0; ihl < 5; ihl++) {
		build(_metadata, &f, &(struct spec){ 0 });
		ip4(&f)->ihl = ihl;
		expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
	}
	/* IHL 15 with a 20-byte header: options beyond the frame. */
	build(_metadata, &f, &(struct spec){ .payload = 8 });
	ip4(&f)->ihl = 15;
	ip4(&f)->tot_len = htons(60);
	f.len = f.l3 + 40;
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
}

TEST_F(xdp, bad_ip_version)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ 0 });
	ip4(&f)->version = 6;
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6 });
	ip6(&f)->version = 4;
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
}

TEST_F(xdp, ipv4_tot_len)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ 0 });
	ip4(&f)->tot_len = htons(f.len - f.l3 + 1);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
	/* Shorter than its own header. */
	build(_metadata, &f, &(struct spec){ .opt_words = 2 });
	ip4(&f)->tot_len = htons(27);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
	/* No room for the UDP header inside the datagram. */
	build(_metadata, &f, &(struct spec){ 0 });
	ip4(&f)->tot_len = htons(20 + 7);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
}

TEST_F(xdp, ipv6_payload_len)
{
	struct frame f;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6 });
	ip6(&f)->payload_len = htons(f.len - f.l4 + 1);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6 });
	ip6(&f)->payload_len = htons(7);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, 0);
}

TEST_F(xdp, udp_length)
{
	struct frame f;

	add_xsk(_metadata, self);
	/* Matched streams: counted malformed on the stream row too. */
	build(_metadata, &f, &(struct spec){ 0 });
	udph(&f)->len = htons(ntohs(udph(&f)->len) + 1);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, ID_V4);
	build(_metadata, &f, &(struct spec){ 0 });
	udph(&f)->len = htons(7);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, ID_V4);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6 });
	udph(&f)->len = htons(ntohs(udph(&f)->len) + 1);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, ID_V6);
	/* Shorter than the datagram is fine: trailing bytes are ignored. */
	build(_metadata, &f, &(struct spec){ 0 });
	udph(&f)->len = htons(8);
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_V4);
	/* Not a stream: unmatched, whatever its length says. */
	build(_metadata, &f, &(struct spec){ .dport = 5001 });
	udph(&f)->len = htons(7);
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

TEST_F(xdp, bad_stream_id)
{
	struct frame f;

	add_xsk(_metadata, self);
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.5", .dport = 5000, .id = 0 });
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.6", .dport = 5000,
		.id = XDPRELAY_MAX_STREAMS });
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.5" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.6" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_UNMATCHED, 0);
}

TEST_F(xdp, policer)
{
	struct frame f;
	int i;

	add_xsk(_metadata, self);
	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.4", .dport = 7000, .id = ID_POLICED,
		.rate_pps = 1, .burst = 3 });
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.4",
					     .dport = 7000 });
	for (i = 0; i < 3; i++)
		expect_matched(&f, ID_POLICED);
	expect(&f, f.len, XDP_DROP, XDPRELAY_POLICED, ID_POLICED);
	expect(&f, f.len, XDP_DROP, XDPRELAY_POLICED, ID_POLICED);
	/* Other streams are not affected. */
	build(_metadata, &f, &(struct spec){ 0 });
	expect_matched(&f, ID_V4);
}

TEST_F(xdp, policer_refills)
{
	struct timespec wait = { .tv_nsec = 150 * 1000 * 1000 };
	struct frame f;

	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.4", .dport = 7000, .id = ID_POLICED,
		.rate_pps = 10, .burst = 1 });
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.4",
					     .dport = 7000 });
	expect_matched(&f, ID_POLICED);
	/* Within 100 ms of the first: over the rate. */
	expect(&f, f.len, XDP_DROP, XDPRELAY_POLICED, ID_POLICED);
	ASSERT_EQ(0, nanosleep(&wait, NULL));
	expect_matched(&f, ID_POLICED);
}

/*
 * A rate beyond what xdprelayctl writes is clamped, never a free pass:
 * with no time to refill (the last stamp in the future) and no credit,
 * the packet is over the rate.
 */
TEST_F(xdp, policer_rate_beyond_max)
{
	struct xdprelay_policer pol = { .last_ns = ~0ULL >> 1 };
	__u32 id = ID_POLICED;
	struct frame f;

	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.4", .dport = 7000, .id = ID_POLICED,
		.rate_pps = 1000000ULL * XDPRELAY_MAX_RATE, .burst = 1 });
	ASSERT_EQ(0, bpf_map_update_elem(self->policers_fd, &id, &pol, 0));
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.4",
					     .dport = 7000 });
	expect(&f, f.len, XDP_DROP, XDPRELAY_POLICED, ID_POLICED);
}

/*
 * The token bucket itself (xdprelay_police(), which the program and the
 * socket backend share), on a clock of the test's own.
 */
struct bucket {
	__u64 credit;
	__u64 last;
	__u64 now;
	__u64 rate;
	__u64 burst;
};

/* Packets let through at the bucket's time, until the first refused. */
static __u64 drain(struct bucket *b)
{
	__u64 n = 0;

	while (xdprelay_police(&b->credit, &b->last, b->now, b->rate,
			       b->burst))
		n++;
	return n;
}

TEST(police_full_bucket_then_rate)
{
	struct bucket b = { .now = 5 * XDPRELAY_NSEC_PER_SEC, .rate = 1000,
			    .burst = 50 };

	/* A new bucket is full: burst packets, then none. */
	EXPECT_EQ(50ULL, drain(&b));
	/* 10 ms at 1000/s: 10 packets. */
	b.now += 10 * 1000 * 1000;
	EXPECT_EQ(10ULL, drain(&b));
	/* 999 us: not quite one. */
	b.now += 999 * 1000;
	EXPECT_EQ(0ULL, drain(&b));
	b.now += 1000;
	EXPECT_EQ(1ULL, drain(&b));
	/* A long silence refills to the burst, no more. */
	b.now += 3600 * XDPRELAY_NSEC_PER_SEC;
	EXPECT_EQ(50ULL, drain(&b));
}

/*
 * Rates near the top of the range: 1e9 / rate is not an integer, and no
 * rounding of it may let more through than the rate.
 */
TEST(police_exact_at_high_rates)
{
	static const __u64 rates[] = {
		1, 3, 7, 999983, 333333333, 600000000, 999999999,
		XDPRELAY_MAX_RATE,
	};
	__u64 step, got, want;
	unsigned int i;

	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		struct bucket b = { .now = XDPRELAY_NSEC_PER_SEC,
				    .rate = rates[i], .burst = 1000000 };

		/*
		 * Empty the bucket, then count over 1 ms in steps of 1 us:
		 * rate / 1000 packets, or one more for the credit that was
		 * left below a packet's worth.
		 */
		drain(&b);
		for (got = 0, step = 0; step < 1000; step++) {
			b.now += 1000;
			got += drain(&b);
		}
		want = rates[i] / 1000;
		EXPECT_TRUE(got == want || got == want + 1) {
			TH_LOG("rate %llu: %llu packets in 1 ms",
			       (unsigned long long)rates[i],
			       (unsigned long long)got);
		}
	}
}

/* Clamped rate and burst: the arithmetic stays within 64 bits. */
TEST(police_limits)
{
	struct bucket b = { .now = ~0ULL >> 1, .rate = ~0ULL,
			    .burst = ~0ULL };

	/* Held to XDPRELAY_MAX_RATE: one packet per nanosecond. */
	b.credit = 0;
	b.last = b.now;
	b.now += 1;
	EXPECT_EQ(1ULL, drain(&b));
	b.now += 1000;
	EXPECT_EQ(1000ULL, drain(&b));
	/* The deepest bucket, filled by the longest silence. */
	b.rate = 1;
	b.now = ~0ULL;
	b.last = 0;
	EXPECT_EQ(1, xdprelay_police(&b.credit, &b.last, b.now, b.rate,
				     b.burst));
	EXPECT_EQ((XDPRELAY_MAX_BURST - 1) * XDPRELAY_NSEC_PER_SEC, b.credit);
	/* A rate of 0 is no policer; a burst of 0 is one packet. */
	EXPECT_EQ(1, xdprelay_police(&b.credit, &b.last, b.now, 0, 0));
	b = (struct bucket){ .now = XDPRELAY_NSEC_PER_SEC, .rate = 10 };
	EXPECT_EQ(1ULL, drain(&b));
}

/*
 * The direct path.  The program rewrites the frame for the stream's
 * subscriber and redirects it to lo (ifindex 1); a test run without
 * live frames hands the rewritten frame back with the verdict.
 * The expected frame is built from scratch, its checksums computed in
 * full, so that an incremental update that differs shows.
 */
#define LO_IFINDEX	1

static __u32 sum16(__u32 sum, const void *buf, __u32 len)
{
	const __u8 *p = buf;
	__u32 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static __u16 fold16(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Full checksums of an untagged frame: IPv4 header, and UDP unless zero. */
static void full_csums(__u8 *frame, bool keep_zero_udp)
{
	__u16 proto = (frame[12] << 8) | frame[13];
	__u8 *ip = frame + ETH_HLEN, *udp;
	__u32 sum, ulen, alen, aoff;
	__u16 c;

	if (proto == ETH_P_IP) {
		struct iphdr *iph = (struct iphdr *)ip;

		iph->check = 0;
		c = ~fold16(sum16(0, ip, iph->ihl * 4));
		iph->check = htons(c);
		udp = ip + iph->ihl * 4;
		aoff = 12;
		alen = 8;
	} else {
		udp = ip + sizeof(struct ipv6hdr);
		aoff = 8;
		alen = 32;
	}
	if (keep_zero_udp && !((struct udphdr *)udp)->check)
		return;
	ulen = ntohs(((struct udphdr *)udp)->len);
	((struct udphdr *)udp)->check = 0;
	sum = sum16(0, ip + aoff, alen);
	sum += IPPROTO_UDP + ulen;
	sum = sum16(sum, udp, ulen);
	c = ~fold16(sum);
	((struct udphdr *)udp)->check = htons(c ? c : 0xffff);
}

static void set_direct(struct __test_metadata *_metadata,
		       FIXTURE_DATA(xdp) *self, __u32 id,
		       const struct xdprelay_direct *d)
{
	ASSERT_EQ(0, bpf_map_update_elem(self->direct_fd, &id, d, 0));
}

/* The subscriber's row of xr_subtx in the entries of direct_tpl(). */
#define DIRECT_SLOT	7

static struct xdprelay_direct direct_tpl(int family)
{
	struct xdprelay_direct d = {
		.ifindex = LO_IFINDEX,
		.state = XDPRELAY_DIRECT_SEND,
		.ttl = 33,
		.family = family,
		.eth_dst = { 0x0a, 1, 2, 3, 4, 5 },
		.eth_src = { 0x0b, 6, 7, 8, 9, 10 },
		.sport = htons(5000),
		.dport = htons(6000),
		.slot = DIRECT_SLOT,
	};

	if (family == AF_INET) {
		inet_pton(AF_INET, "10.9.0.1", d.saddr);
		inet_pton(AF_INET, "10.9.0.2", d.daddr);
	} else {
		inet_pton(AF_INET6, "fd09::1", d.saddr);
		inet_pton(AF_INET6, "fd09::2", d.daddr);
	}
	return d;
}

/* What @in (checksums valid) becomes when sent per @d. */
static __u32 direct_expected(const struct frame *in,
			     const struct xdprelay_direct *d, __u8 *out)
{
	__u8 *ip = out + ETH_HLEN;
	struct udphdr *udp;
	__u32 ip_len;
	bool zero;

	if (d->family == AF_INET) {
		struct iphdr *iph;

		ip_len = ntohs(((struct iphdr *)(in->buf + in->l3))->tot_len);
		memcpy(ip, in->buf + in->l3, ip_len);
		iph = (struct iphdr *)ip;
		iph->ttl = d->ttl;
		memcpy(&iph->saddr, d->saddr, 4);
		memcpy(&iph->daddr, d->daddr, 4);
		udp = (struct udphdr *)(ip + iph->ihl * 4);
		put16(out + 12, ETH_P_IP);
	} else {
		struct ipv6hdr *ip6h;

		ip_len = sizeof(*ip6h) +
			 ntohs(((struct ipv6hdr *)(in->buf + in->l3))->payload_len);
		memcpy(ip, in->buf + in->l3, ip_len);
		ip6h = (struct ipv6hdr *)ip;
		ip6h->hop_limit = d->ttl;
		memcpy(&ip6h->saddr, d->saddr, 16);
		memcpy(&ip6h->daddr, d->daddr, 16);
		udp = (struct udphdr *)(ip6h + 1);
		put16(out + 12, ETH_P_IPV6);
	}
	memcpy(out, d->eth_dst, ETH_ALEN);
	memcpy(out + ETH_ALEN, d->eth_src, ETH_ALEN);
	zero = !udp->check;
	udp->source = d->sport;
	udp->dest = d->dport;
	full_csums(out, zero);
	return ETH_HLEN + ip_len;
}

/* Checksums valid on an input frame, tags and all. */
static void input_csums(struct frame *f, bool zero_udp)
{
	__u8 tmp[FRAME_MAX];
	__u32 strip = f->l3 - ETH_HLEN;

	/* Compute on an untagged copy, then put the sums back. */
	memcpy(tmp, f->buf, ETH_ALEN * 2);
	memcpy(tmp + 12, f->buf + f->l3 - 2, f->len - f->l3 + 2);
	if (zero_udp)
		((struct udphdr *)(tmp + f->l4 - strip))->check = 0;
	full_csums(tmp, zero_udp);
	memcpy(f->buf + f->l3, tmp + ETH_HLEN, f->len - f->l3);
}

/*
 * Row @key of the per-CPU map @fd, whose values of @size bytes start with
 * the four counters of struct xdprelay_dtx (xr_dtx, xr_subtx), summed
 * over the CPUs into @tx.
 */
static void tx_sum(struct __test_metadata *_metadata,
		   FIXTURE_DATA(xdp) *self, int fd, __u32 key, size_t size,
		   struct xdprelay_dtx *tx)
{
	char *v;
	int cpu;

	v = calloc(self->ncpus, size);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, bpf_map_lookup_elem(fd, &key, v));
	memset(tx, 0, sizeof(*tx));
	for (cpu = 0; cpu < self->ncpus; cpu++) {
		const struct xdprelay_subtx *c = (const void *)(v + cpu * size);

		tx->packets += c->packets;
		tx->bytes += c->bytes;
		tx->tx_errors += c->tx_errors;
		tx->no_neigh += c->no_neigh;
	}
	free(v);
}

_Static_assert(offsetof(struct xdprelay_dtx, no_neigh) ==
	       offsetof(struct xdprelay_subtx, no_neigh),
	       "xr_dtx and xr_subtx rows start alike");

/* Row @row of xr_dtx. */
static void tx_read(struct __test_metadata *_metadata,
		    FIXTURE_DATA(xdp) *self, __u32 row, struct xdprelay_dtx *tx)
{
	tx_sum(_metadata, self, self->dtx_fd, row, sizeof(*tx), tx);
}

/* Row @slot of xr_subtx, as an xr_dtx row. */
static void sub_read(struct __test_metadata *_metadata,
		     FIXTURE_DATA(xdp) *self, __u32 slot,
		     struct xdprelay_dtx *tx)
{
	tx_sum(_metadata, self, self->subtx_fd, slot,
	       sizeof(struct xdprelay_subtx), tx);
}

/*
 * Run @f through stream @id's direct entry and check the verdict, the
 * frame that leaves, the rx outcome and what reached xr_dtx, in the
 * total's row, the stream's, and the subscriber's in xr_subtx: for
 * XDP_REDIRECT one packet of the output's length, else one of
 * @tx_field (tx_errors or no_neigh).
 */
static void __expect_direct(struct __test_metadata *_metadata,
			    FIXTURE_DATA(xdp) *self, int line,
			    const struct frame *f, __u32 id,
			    const struct xdprelay_direct *d, __u32 act,
			    size_t tx_field)
{
	struct xdprelay_dtx t0[3], t1[3];
	__u8 want[FRAME_MAX];
	struct run_out out;
	__u32 size_in, want_len = 0, k;

	if (act == XDP_REDIRECT)
		want_len = direct_expected(f, d, want);
	snapshot(_metadata, self);
	tx_read(_metadata, self, 0, &t0[0]);
	tx_read(_metadata, self, id, &t0[1]);
	sub_read(_metadata, self, d->slot, &t0[2]);
	ASSERT_EQ(0, run_frame(self, f->buf, f->len, &size_in, &out));
	ASSERT_EQ(act, out.retval) {
		TH_LOG("line %d: verdict", line);
	}
	EXPECT_EQ(0U, out.meta_len);
	if (act == XDP_REDIRECT) {
		ASSERT_EQ(want_len, out.size) {
			TH_LOG("line %d: length of the frame sent", line);
		}
		EXPECT_EQ(0, memcmp(out.buf, want, want_len)) {
			for (k = 0; k < want_len; k++)
				if (out.buf[k] != want[k])
					break;
			TH_LOG("line %d: byte %u is %02x, want %02x", line,
			       k, out.buf[k], want[k]);
		}
	}
	check_counts(_metadata, self, line, f->len, XDPRELAY_DIRECT, id);
	tx_read(_metadata, self, 0, &t1[0]);
	tx_read(_metadata, self, id, &t1[1]);
	sub_read(_metadata, self, d->slot, &t1[2]);
	for (k = 0; k < 3; k++) {
		__u64 *a = (__u64 *)&t0[k], *b = (__u64 *)&t1[k];
		size_t i;

		for (i = 0; i < sizeof(t0[k]) / 8; i++) {
			__u64 w = 0;

			if (act == XDP_REDIRECT &&
			    i == offsetof(struct xdprelay_dtx, packets) / 8)
				w = 1;
			else if (act == XDP_REDIRECT &&
				 i == offsetof(struct xdprelay_dtx, bytes) / 8)
				w = want_len;
			else if (act != XDP_REDIRECT && i == tx_field / 8)
				w = 1;
			EXPECT_EQ(w, b[i] - a[i]) {
				TH_LOG("line %d: %s row %u word %zu", line,
				       k == 2 ? "xr_subtx" : "xr_dtx",
				       k == 2 ? d->slot : k ? id : 0, i);
			}
		}
	}
}

#define expect_direct(f, id, d, act, field) \
	__expect_direct(_metadata, self, __LINE__, f, id, d, act, field)
#define SENT	0

TEST_F(xdp, direct_ipv4)
{
	struct xdprelay_direct d = direct_tpl(AF_INET);
	struct frame f;

	set_direct(_metadata, self, ID_V4, &d);
	build(_metadata, &f, &(struct spec){ 0 });
	input_csums(&f, false);
	expect_direct(&f, ID_V4, &d, XDP_REDIRECT, SENT);
	/* No UDP checksum stays so. */
	input_csums(&f, true);
	expect_direct(&f, ID_V4, &d, XDP_REDIRECT, SENT);
	/* Options; link padding is not sent. */
	build(_metadata, &f, &(struct spec){ .opt_words = 3, .payload = 2 });
	input_csums(&f, false);
	f.len = 80;
	expect_direct(&f, ID_V4, &d, XDP_REDIRECT, SENT);
	/* Another stream still goes to AF_XDP. */
	build(_metadata, &f, &(struct spec){ .family = AF_INET6 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V6);
}

TEST_F(xdp, direct_ipv6)
{
	struct xdprelay_direct d = direct_tpl(AF_INET6);
	struct frame f;

	set_direct(_metadata, self, ID_V6, &d);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .payload = 1316 });
	input_csums(&f, false);
	expect_direct(&f, ID_V6, &d, XDP_REDIRECT, SENT);
	/* Without its mandatory checksum: to the stack, untouched. */
	input_csums(&f, true);
	expect(&f, f.len, XDP_PASS, XDPRELAY_MALFORMED, ID_V6);
}

TEST_F(xdp, direct_vlan)
{
	struct xdprelay_direct d4 = direct_tpl(AF_INET);
	struct xdprelay_direct d6 = direct_tpl(AF_INET6);
	struct frame f;

	set_direct(_metadata, self, ID_V4, &d4);
	set_direct(_metadata, self, ID_V6, &d6);
	build(_metadata, &f, &(struct spec){ .vlans = 1 });
	input_csums(&f, false);
	expect_direct(&f, ID_V4, &d4, XDP_REDIRECT, SENT);
	build(_metadata, &f, &(struct spec){ .vlans = 2,
					     .tpid = { ETH_P_8021AD } });
	input_csums(&f, false);
	expect_direct(&f, ID_V4, &d4, XDP_REDIRECT, SENT);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .vlans = 2 });
	input_csums(&f, false);
	expect_direct(&f, ID_V6, &d6, XDP_REDIRECT, SENT);
}

TEST_F(xdp, direct_not_sent)
{
	struct xdprelay_direct d = direct_tpl(AF_INET);
	struct frame f;

	build(_metadata, &f, &(struct spec){ 0 });
	input_csums(&f, false);
	set_direct(_metadata, self, ID_V4, &d);
	expect_direct(&f, ID_V4, &d, XDP_REDIRECT, SENT);
	d.state = XDPRELAY_DIRECT_NO_NEIGH;
	set_direct(_metadata, self, ID_V4, &d);
	expect_direct(&f, ID_V4, &d, XDP_DROP,
		      offsetof(struct xdprelay_dtx, no_neigh));
	d.state = XDPRELAY_DIRECT_DOWN;
	set_direct(_metadata, self, ID_V4, &d);
	expect_direct(&f, ID_V4, &d, XDP_DROP,
		      offsetof(struct xdprelay_dtx, tx_errors));
	/* A header of the other family cannot be put on it. */
	d = direct_tpl(AF_INET6);
	set_direct(_metadata, self, ID_V4, &d);
	expect_direct(&f, ID_V4, &d, XDP_DROP,
		      offsetof(struct xdprelay_dtx, tx_errors));
}

/*
 * A stream on the socket path goes to the stack untouched, counted as
 * such, socket or no socket on the queue and direct entry or none; its
 * policer and source filter still apply first.
 */
TEST_F(xdp, socket_path)
{
	struct xdprelay_direct d = direct_tpl(AF_INET);
	struct frame f;
	int i;

	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.12", .dport = 7000, .id = ID_SOCKET,
		.rate_pps = 1, .burst = 2, .stack = true,
		.src = "10.0.0.0", .src_len = 24 });
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.12",
					     .dport = 7000 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_SOCKET, ID_SOCKET);
	add_xsk(_metadata, self);
	set_direct(_metadata, self, ID_SOCKET, &d);
	expect(&f, f.len, XDP_PASS, XDPRELAY_SOCKET, ID_SOCKET);
	for (i = 0; i < 2; i++)
		expect(&f, f.len, XDP_DROP, XDPRELAY_POLICED, ID_SOCKET);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.12",
					     .dport = 7000,
					     .saddr = "198.51.100.1" });
	expect(&f, f.len, XDP_PASS, XDPRELAY_SRC_REFUSED, ID_SOCKET);
}

/*
 * A fan-out: the frame goes to the stack rewritten for the first
 * subscriber, whatever its state, with the set in front for the TC
 * program, which counts what it sends; the XDP program counts nothing
 * sent.
 */
static void __expect_fanout(struct __test_metadata *_metadata,
			    FIXTURE_DATA(xdp) *self, int line,
			    const struct frame *f, __u32 id,
			    const struct xdprelay_direct *d)
{
	struct xdprelay_dtx t0, t1;
	struct xdprelay_fmeta m;
	__u8 want[FRAME_MAX];
	struct run_out out;
	__u32 size_in, want_len;

	want_len = direct_expected(f, d, want);
	tx_read(_metadata, self, id, &t0);
	snapshot(_metadata, self);
	ASSERT_EQ(0, run_frame(self, f->buf, f->len, &size_in, &out));
	ASSERT_EQ((__u32)XDP_PASS, out.retval) {
		TH_LOG("line %d: verdict", line);
	}
	ASSERT_EQ(sizeof(m), out.meta_len) {
		TH_LOG("line %d: metadata", line);
	}
	memcpy(&m, out.buf, sizeof(m));
	EXPECT_EQ((__u32)XDPRELAY_FMETA_MAGIC, m.magic);
	EXPECT_EQ(id, m.stream_id);
	EXPECT_EQ(d->gen, m.gen);
	EXPECT_EQ(d->nr, m.nr);
	ASSERT_EQ(want_len, out.size - out.meta_len) {
		TH_LOG("line %d: length of the frame passed", line);
	}
	EXPECT_EQ(0, memcmp(out.buf + out.meta_len, want, want_len)) {
		TH_LOG("line %d: the frame passed", line);
	}
	check_counts(_metadata, self, line, f->len, XDPRELAY_DIRECT, id);
	tx_read(_metadata, self, id, &t1);
	EXPECT_EQ(0, memcmp(&t0, &t1, sizeof(t0))) {
		TH_LOG("line %d: xr_dtx moved", line);
	}
}

#define expect_fanout(f, id, d) \
	__expect_fanout(_metadata, self, __LINE__, f, id, d)

TEST_F(xdp, direct_fanout)
{
	struct xdprelay_direct d = direct_tpl(AF_INET);
	struct frame f;

	d.tc = 1;
	d.nr = 3;
	d.gen = 1;
	set_direct(_metadata, self, ID_V4, &d);
	build(_metadata, &f, &(struct spec){ .vlans = 2, .opt_words = 2 });
	input_csums(&f, false);
	expect_fanout(&f, ID_V4, &d);
	/* The TC program skips a first subscriber that cannot be sent to. */
	d.state = XDPRELAY_DIRECT_NO_NEIGH;
	d.nr = XDPRELAY_MAX_SUBS;
	d.gen = 0;
	set_direct(_metadata, self, ID_V4, &d);
	expect_fanout(&f, ID_V4, &d);

	d = direct_tpl(AF_INET6);
	d.tc = 1;
	d.nr = 2;
	set_direct(_metadata, self, ID_V6, &d);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .payload = 1316 });
	input_csums(&f, false);
	expect_fanout(&f, ID_V6, &d);
}

/*
 * An entry that stands by: the relay's socket takes the stream while it
 * is there, the program relays it while it is not.
 */
TEST_F(xdp, direct_standby)
{
	struct xdprelay_direct d = direct_tpl(AF_INET);
	__u32 key = 0;
	struct frame f;

	d.standby = 1;
	set_direct(_metadata, self, ID_V4, &d);
	build(_metadata, &f, &(struct spec){ 0 });
	input_csums(&f, false);
	expect_direct(&f, ID_V4, &d, XDP_REDIRECT, SENT);
	add_xsk(_metadata, self);
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_V4);
	/* The relay died: its socket left the map. */
	ASSERT_EQ(0, bpf_map_delete_elem(self->xsks_fd, &key));
	expect_direct(&f, ID_V4, &d, XDP_REDIRECT, SENT);
	/* A fan-out stands by too. */
	d.tc = 1;
	d.nr = 2;
	set_direct(_metadata, self, ID_V4, &d);
	expect_fanout(&f, ID_V4, &d);
}

/*
 * A stream the operator put on AF_XDP: its entry is looked up only once
 * no socket took the frame, and then it relays it as any stand-by.
 */
TEST_F(xdp, direct_standby_afxdp)
{
	struct xdprelay_direct d = direct_tpl(AF_INET);
	__u32 key = 0;
	struct frame f;

	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.13", .dport = 5000, .id = ID_AFXDP,
		.afxdp = true });
	d.standby = 1;
	d.daddr[3] = 13;
	set_direct(_metadata, self, ID_AFXDP, &d);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.13" });
	input_csums(&f, false);
	expect_direct(&f, ID_AFXDP, &d, XDP_REDIRECT, SENT);
	add_xsk(_metadata, self);
	expect(&f, f.len, XDP_REDIRECT, XDPRELAY_REDIRECTED, ID_AFXDP);
	ASSERT_EQ(0, bpf_map_delete_elem(self->xsks_fd, &key));
	expect_direct(&f, ID_AFXDP, &d, XDP_REDIRECT, SENT);
	/* No entry: to the stack, as any stream without a socket. */
	ASSERT_EQ(0, bpf_map_delete_elem(self->direct_fd, &(__u32){ ID_AFXDP }));
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_AFXDP);
}

/* The policer and the source filter come first, as for AF_XDP. */
TEST_F(xdp, direct_filtered)
{
	struct xdprelay_direct d = direct_tpl(AF_INET);
	struct frame f;

	add_stream(_metadata, self, &(struct stream_spec){
		.daddr = "10.0.0.9", .dport = 5000, .id = ID_FILTER4,
		.src = "10.77.0.0", .src_len = 16 });
	set_direct(_metadata, self, ID_FILTER4, &d);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.9",
					     .saddr = "10.78.0.1" });
	input_csums(&f, false);
	expect(&f, f.len, XDP_PASS, XDPRELAY_SRC_REFUSED, ID_FILTER4);
	build(_metadata, &f, &(struct spec){ .daddr = "10.0.0.9",
					     .saddr = "10.77.3.4" });
	input_csums(&f, false);
	expect_direct(&f, ID_FILTER4, &d, XDP_REDIRECT, SENT);
}

/* Random headers, payloads, tags and templates: checksums as computed. */
TEST_F(xdp, direct_random)
{
	struct xdprelay_stream val = { .id = ID_VLAN_ANY };
	struct xdprelay_direct d;
	struct xdprelay_key key;
	char a[2][INET6_ADDRSTRLEN];
	struct frame f;
	unsigned int seed = 1, i;
	int family;

	for (i = 0; i < 600; i++) {
		__u32 id = ID_VLAN_ANY;
		__u8 addr[2][16];
		int k;

		family = i & 1 ? AF_INET6 : AF_INET;
		for (k = 0; k < 16; k++) {
			addr[0][k] = rand_r(&seed);
			addr[1][k] = rand_r(&seed);
		}
		inet_ntop(family, addr[0], a[0], sizeof(a[0]));
		inet_ntop(family, addr[1], a[1], sizeof(a[1]));
		build(_metadata, &f, &(struct spec){
			.family = family,
			.vlans = rand_r(&seed) % 3,
			.opt_words = family == AF_INET ? rand_r(&seed) % 11 : 0,
			.saddr = a[0], .daddr = a[1],
			.dport = 1 + rand_r(&seed) % 65535,
			.payload = 1 + rand_r(&seed) % 1400 });
		memset(&key, 0, sizeof(key));
		key.ep.family = family;
		key.ep.port = udph(&f)->dest;
		memcpy(key.ep.addr, addr[1], family == AF_INET ? 4 : 16);
		ASSERT_EQ(0, bpf_map_update_elem(self->streams_fd, &key,
						 &val, 0));
		for (k = 0; k < (int)(f.len - f.l4 - 8); k++)
			f.buf[f.l4 + 8 + k] = rand_r(&seed);
		udph(&f)->source = rand_r(&seed);
		if (family == AF_INET)
			ip4(&f)->ttl = rand_r(&seed);
		else
			ip6(&f)->hop_limit = rand_r(&seed);
		input_csums(&f, family == AF_INET && !(rand_r(&seed) % 8));

		d = direct_tpl(family);
		for (k = 0; k < 16; k++) {
			d.saddr[k] = family == AF_INET && k >= 4 ? 0 :
				     rand_r(&seed);
			d.daddr[k] = family == AF_INET && k >= 4 ? 0 :
				     rand_r(&seed);
		}
		d.sport = rand_r(&seed);
		d.dport = rand_r(&seed);
		d.ttl = rand_r(&seed);
		set_direct(_metadata, self, id, &d);
		expect_direct(&f, id, &d, XDP_REDIRECT, SENT);
		ASSERT_EQ(0, bpf_map_delete_elem(self->streams_fd, &key));
		if (_metadata->exit_code)
			break;
	}
}

/*
 * With BPF_F_TEST_XDP_LIVE_FRAMES the kernel acts on the verdict: the
 * frame reaches the socket, metadata first.
 */
TEST_F(xdp, live_redirect)
{
	struct xdprelay_meta meta;
	const struct xdp_desc *desc;
	struct frame f;
	__u32 idx = 0;
	__u8 *data;
	int err;

	add_xsk(_metadata, self);
	build(_metadata, &f, &(struct spec){ .family = AF_INET6,
					     .payload = 1316 });
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = f.buf,
		.data_size_in = f.len,
		.repeat = 1,
		.flags = BPF_F_TEST_XDP_LIVE_FRAMES,
	);

	snapshot(_metadata, self);
	err = bpf_prog_test_run_opts(self->prog_fd, &opts);
	ASSERT_EQ(0, err) {
		TH_LOG("live test run: %s", strerror(errno));
	}
	check_counts(_metadata, self, __LINE__, f.len, XDPRELAY_REDIRECTED,
		     ID_V6);

	ASSERT_EQ(1U, xsk_ring_cons__peek(&self->rx, 1, &idx));
	desc = xsk_ring_cons__rx_desc(&self->rx, idx);
	ASSERT_EQ(f.len, desc->len);
	data = xsk_umem__get_data(self->umem_area, desc->addr);
	EXPECT_EQ(0, memcmp(data, f.buf, f.len));
	memcpy(&meta, data - sizeof(meta), sizeof(meta));
	EXPECT_EQ((__u32)ID_V6, meta.stream_id);
	EXPECT_EQ((__u32)XDPRELAY_META_MAGIC, meta.magic);
	xsk_ring_cons__release(&self->rx, 1);
}

/*
 * Stream health (xr_health): MPEG-TS and RTP datagrams of stream ID_V4,
 * crafted packet by packet, and the exact counts they leave.
 */
struct ts_spec {
	__u16 pid;
	__u8 cc;
	__u8 afc;		/* adaptation_field_control; 0: 1 (payload) */
	bool tei;
	bool disc;		/* discontinuity_indicator (needs afc & 2) */
	bool nosync;
};

static void put_ts(__u8 *p, const struct ts_spec *t)
{
	__u8 afc = t->afc ? t->afc : 1;

	memset(p, 0xff, XDPRELAY_TS_SIZE);
	p[0] = t->nosync ? 0x46 : 0x47;
	p[1] = (t->tei ? 0x80 : 0) | (t->pid >> 8 & 0x1f);
	p[2] = t->pid & 0xff;
	p[3] = afc << 4 | (t->cc & 0xf);
	if (afc & 2) {
		p[4] = afc == 2 ? 183 : 1;
		p[5] = t->disc ? 0x80 : 0;
	}
}

struct rtp_spec {
	__u16 seq;
	__u32 ts;
	__u32 ssrc;
	__u8 pt;		/* 0: 33 */
	__u8 csrcs;
	__u16 ext_words;	/* with an extension of that many words */
	bool ext;
};

/* The RTP header @r at @p; returns its length. */
static int put_rtp(__u8 *p, const struct rtp_spec *r)
{
	int len = 12 + 4 * r->csrcs;

	p[0] = 0x80 | (r->ext ? 0x10 : 0) | r->csrcs;
	p[1] = r->pt ? r->pt : 33;
	put16(p + 2, r->seq);
	put16(p + 4, r->ts >> 16);
	put16(p + 6, r->ts);
	put16(p + 8, r->ssrc >> 16);
	put16(p + 10, r->ssrc);
	memset(p + 12, 0xaa, 4 * r->csrcs);
	if (r->ext) {
		put16(p + len, 0xbede);
		put16(p + len + 2, r->ext_words);
		memset(p + len + 4, 0, 4 * r->ext_words);
		len += 4 + 4 * r->ext_words;
	}
	return len;
}

/*
 * A datagram to stream ID_V4: RTP header @r (or none) and @n MPEG-TS
 * packets @t, through the program, which passes it (no socket).
 */
static void health_send(struct __test_metadata *_metadata,
			FIXTURE_DATA(xdp) *self, const struct rtp_spec *r,
			const struct ts_spec *t, int n)
{
	__u8 pl[FRAME_MAX];
	struct frame f;
	int len = 0, i;

	if (r)
		len = put_rtp(pl, r);
	for (i = 0; i < n; i++, len += XDPRELAY_TS_SIZE)
		put_ts(pl + len, &t[i]);
	build(_metadata, &f, &(struct spec){ .payload = len });
	memcpy(f.buf + f.l4 + sizeof(struct udphdr), pl, len);
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V4);
}

static void health_read(struct __test_metadata *_metadata,
			FIXTURE_DATA(xdp) *self, struct xdprelay_health *h)
{
	__u32 id = ID_V4;
	int fd = map_fd(self->obj, XDPRELAY_MAP_HEALTH);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bpf_map_lookup_elem(fd, &id, h));
}

/* Seven packets of PID @pid from continuity counter @cc on. */
static void ts_run(struct ts_spec *t, __u16 pid, __u8 cc)
{
	int i;

	for (i = 0; i < XDPRELAY_TS_PER_DGRAM; i++)
		t[i] = (struct ts_spec){ .pid = pid, .cc = cc + i };
}

#define TS7	XDPRELAY_TS_PER_DGRAM

TEST_F(xdp, health_ts_clean)
{
	__u8 video = 0, audio = 0, pat = 0;
	struct xdprelay_health h;
	struct ts_spec t[TS7];
	int i, k;

	/*
	 * Three PIDs, their counters wrapping past 15, and one packet
	 * repeated once, as 13818-1 allows.
	 */
	for (i = 0; i < 10; i++) {
		for (k = 0; k < TS7; k++) {
			if (k == 3)
				t[k] = (struct ts_spec){ .pid = 0, .cc = pat++ };
			else if (k == 6)
				t[k] = (struct ts_spec){ .pid = 0x101,
							 .cc = audio++ };
			else if (i == 5 && k == 2)
				t[k] = (struct ts_spec){ .pid = 0x100,
							 .cc = video - 1 };
			else
				t[k] = (struct ts_spec){ .pid = 0x100,
							 .cc = video++ };
		}
		health_send(_metadata, self, NULL, t, TS7);
	}
	health_read(_metadata, self, &h);
	EXPECT_EQ((__u64)XDPRELAY_KIND_MPEGTS, h.kind);
	EXPECT_EQ(70ULL, h.ts_packets);
	EXPECT_EQ(0ULL, h.sync_errors);
	EXPECT_EQ(0ULL, h.tei_packets);
	EXPECT_EQ(0ULL, h.cc_errors);
	EXPECT_EQ(0ULL, h.pids_unchecked);
	EXPECT_EQ(0ULL, h.rtp_packets);
	EXPECT_NE(0ULL, h.last_ns);
}

TEST_F(xdp, health_ts_errors)
{
	struct xdprelay_health h;
	struct ts_spec t[TS7];

	ts_run(t, 0x100, 0);
	health_send(_metadata, self, NULL, t, TS7);	/* cc 0..6 */
	/* A jump: 7 expected, 9 came. */
	ts_run(t, 0x100, 9);
	health_send(_metadata, self, NULL, t, TS7);	/* 9..15 */
	health_read(_metadata, self, &h);
	EXPECT_EQ(1ULL, h.cc_errors);

	/* One repeat is allowed, a second is an error. */
	ts_run(t, 0x100, 0);
	t[1].cc = 0;
	t[2].cc = 0;
	t[3].cc = 1;
	t[4].cc = 2;
	t[5].cc = 2;
	t[6].cc = 3;
	health_send(_metadata, self, NULL, t, TS7);
	health_read(_metadata, self, &h);
	EXPECT_EQ(2ULL, h.cc_errors);

	/* A discontinuity indicator: any counter goes. */
	ts_run(t, 0x100, 4);
	t[3] = (struct ts_spec){ .pid = 0x100, .cc = 12, .afc = 3,
				 .disc = true };
	t[4].cc = 13;
	t[5].cc = 14;
	t[6].cc = 15;
	health_send(_metadata, self, NULL, t, TS7);
	health_read(_metadata, self, &h);
	EXPECT_EQ(2ULL, h.cc_errors);

	/* Without a payload the counter stays: once right, once not. */
	ts_run(t, 0x100, 0);
	t[1] = (struct ts_spec){ .pid = 0x100, .cc = 0, .afc = 2 };
	t[2].cc = 1;
	t[3] = (struct ts_spec){ .pid = 0x100, .cc = 2, .afc = 2 };
	t[4].cc = 2;
	t[5].cc = 3;
	t[6].cc = 4;
	health_send(_metadata, self, NULL, t, TS7);
	health_read(_metadata, self, &h);
	EXPECT_EQ(3ULL, h.cc_errors);

	/*
	 * A lost sync byte and a packet with its transport error
	 * indicator set: counted, and not taken for the PID's counter.
	 */
	ts_run(t, 0x100, 5);
	t[2] = (struct ts_spec){ .pid = 0x200, .cc = 9, .nosync = true };
	t[3] = (struct ts_spec){ .pid = 0x100, .cc = 15, .tei = true };
	t[2].cc = 9;
	t[3].cc = 15;
	t[4].cc = 7;
	t[5].cc = 8;
	t[6].cc = 9;
	health_send(_metadata, self, NULL, t, TS7);
	health_read(_metadata, self, &h);
	EXPECT_EQ(1ULL, h.sync_errors);
	EXPECT_EQ(1ULL, h.tei_packets);
	EXPECT_EQ(3ULL, h.cc_errors);
	EXPECT_EQ(42ULL, h.ts_packets);
	EXPECT_EQ((__u64)XDPRELAY_KIND_MPEGTS, h.kind);
}

TEST_F(xdp, health_ts_pids)
{
	struct xdprelay_health h;
	struct ts_spec t[TS7];
	int i, k;

	/*
	 * 20 PIDs, each twice in order: those the table holds are
	 * checked, the others counted as unchecked, and no error.
	 */
	for (k = 0; k < 2; k++)
		for (i = 0; i < 20; i++) {
			ts_run(t, 0x20 + i * 0x31, k);
			health_send(_metadata, self, NULL, t, 1);
		}
	health_read(_metadata, self, &h);
	EXPECT_EQ(40ULL, h.ts_packets);
	EXPECT_EQ(0ULL, h.cc_errors);
	/* At least the 4 beyond 16, at most all but the first 8. */
	EXPECT_LE(2 * 4ULL, h.pids_unchecked);
	EXPECT_GE(2 * 12ULL, h.pids_unchecked);
	EXPECT_EQ(0ULL, h.pids_unchecked % 2);
}

TEST_F(xdp, health_rtp_ts)
{
	struct xdprelay_health h;
	struct ts_spec t[TS7];
	/* CSRCs and a header extension to skip. */
	struct rtp_spec r = { .ssrc = 0x11223344, .csrcs = 1, .ext = true,
			      .ext_words = 1 };
	__u16 seqs[] = { 65533, 65534, 65535, 0, 1,	/* wraps: no loss */
			 3,				/* 2 lost */
			 5, 4,				/* 4 late */
			 6, 6,				/* a repeat */
			 7 };
	unsigned int i;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		r.seq = seqs[i];
		r.ts = seqs[i] * 3000U;
		ts_run(t, 0x100, i * 7);
		health_send(_metadata, self, &r, t, TS7);
	}
	health_read(_metadata, self, &h);
	EXPECT_EQ((__u64)XDPRELAY_KIND_RTP_TS, h.kind);
	EXPECT_EQ(11ULL, h.rtp_packets);
	EXPECT_EQ(1ULL, h.rtp_lost);
	EXPECT_EQ(1ULL, h.rtp_reordered);
	EXPECT_EQ(1ULL, h.rtp_duplicates);
	EXPECT_EQ(0ULL, h.ssrc_changes);
	EXPECT_EQ(77ULL, h.ts_packets);
	EXPECT_EQ(0ULL, h.cc_errors);
	EXPECT_EQ(7ULL, h.seq);

	/* A new source: counted, and its sequence taken as it comes. */
	r.ssrc = 0x55667788;
	r.seq = 1000;
	ts_run(t, 0x100, 77);
	health_send(_metadata, self, &r, t, TS7);
	r.seq = 1001;
	ts_run(t, 0x100, 84);
	health_send(_metadata, self, &r, t, TS7);
	health_read(_metadata, self, &h);
	EXPECT_EQ(1ULL, h.ssrc_changes);
	EXPECT_EQ(1ULL, h.rtp_lost);
	EXPECT_EQ(0ULL, h.cc_errors);
}

TEST_F(xdp, health_rtp_jitter)
{
	struct xdprelay_health h;
	struct rtp_spec r = { .pt = 96, .ssrc = 7 };
	struct frame f;
	int len;

	/*
	 * RTP of another payload (96, dynamic): sequence and jitter, no
	 * MPEG-TS.  Timestamps a second apart, packets a moment apart:
	 * |D| is a second less the moment, 90000 less a little, and J
	 * after one step is |D| (RFC 3550 A.8, kept times 16).
	 */
	build(_metadata, &f, &(struct spec){ .payload = 200 });
	len = put_rtp(f.buf + f.l4 + sizeof(struct udphdr), &r);
	ASSERT_EQ(12, len);
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V4);
	r.seq = 1;
	r.ts = XDPRELAY_RTP_HZ;
	put_rtp(f.buf + f.l4 + sizeof(struct udphdr), &r);
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V4);
	health_read(_metadata, self, &h);
	EXPECT_EQ((__u64)XDPRELAY_KIND_RTP, h.kind);
	EXPECT_EQ(2ULL, h.rtp_packets);
	EXPECT_EQ(0ULL, h.ts_packets);
	EXPECT_EQ(0ULL, h.rtp_lost);
	/* Less than 100 ms between the two runs. */
	EXPECT_LE((__u64)(XDPRELAY_RTP_HZ - XDPRELAY_RTP_HZ / 10), h.jitter);
	EXPECT_GE((__u64)XDPRELAY_RTP_HZ, h.jitter);
}

/*
 * A TS packet of PID @pid that starts a PSI section of table @table:
 * behind an adaptation field and a pointer_field of @ptr when @ptr, its
 * program entries (program number, PID) @progs, @n of them.
 */
static void put_psi(__u8 *p, __u16 pid, __u8 cc, __u8 table, __u8 ptr,
		    const __u16 (*progs)[2], int n)
{
	__u8 *s;
	int i;

	memset(p, 0xff, XDPRELAY_TS_SIZE);
	p[0] = 0x47;
	p[1] = 0x40 | (pid >> 8 & 0x1f);
	p[2] = pid & 0xff;
	p[3] = (ptr ? 0x30 : 0x10) | (cc & 0xf);
	s = p + 4;
	if (ptr) {
		s[0] = 1;		/* adaptation_field_length */
		s[1] = 0;
		s += 2;
	}
	*s = ptr;			/* pointer_field */
	s += 1 + ptr;
	s[0] = table;
	put16(s + 1, 0xb000 | (5 + 4 * n + 4));
	put16(s + 3, 1);		/* transport_stream_id */
	s[5] = 0xc1;			/* version 0, current */
	s[6] = 0;
	s[7] = 0;
	for (i = 0; i < n; i++) {
		put16(s + 8 + 4 * i, progs[i][0]);
		put16(s + 10 + 4 * i, 0xe000 | progs[i][1]);
	}
	memset(s + 8 + 4 * n, 0x5a, 4);	/* CRC, not checked */
}

/*
 * A datagram of a PAT of @n programs @progs, the PMT of PID 0x1000, and
 * five video packets: each PID's counter at @cc.
 */
static void psi_send(struct __test_metadata *_metadata,
		     FIXTURE_DATA(xdp) *self, __u8 cc,
		     const __u16 (*progs)[2], int n, __u8 ptr)
{
	__u8 pl[TS7 * XDPRELAY_TS_SIZE];
	struct frame f;
	int i;

	put_psi(pl, 0, cc, 0x00, ptr, progs, n);
	put_psi(pl + XDPRELAY_TS_SIZE, 0x1000, cc, 0x02, 0, NULL, 0);
	for (i = 2; i < TS7; i++)
		put_ts(pl + i * XDPRELAY_TS_SIZE, &(struct ts_spec){
			.pid = 0x100, .cc = cc * 5 + i - 2 });
	build(_metadata, &f, &(struct spec){ .payload = sizeof(pl) });
	memcpy(f.buf + f.l4 + sizeof(struct udphdr), pl, sizeof(pl));
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V4);
}

/* Stream ID_V4's health row, written: the clocks turned back. */
static void health_write(struct __test_metadata *_metadata,
			 FIXTURE_DATA(xdp) *self,
			 const struct xdprelay_health *h)
{
	__u32 id = ID_V4;
	int fd = map_fd(self->obj, XDPRELAY_MAP_HEALTH);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bpf_map_update_elem(fd, &id, h, BPF_EXIST));
}

#define SEC_NS	1000000000ULL

TEST_F(xdp, health_ts_psi)
{
	static const __u16 two[][2] = {
		{ 0, 0x10 }, { 1, 0x1000 }, { 2, 0x1001 },
	};
	static const __u16 moved[][2] = { { 3, 0x1002 }, { 1, 0x1000 } };
	struct xdprelay_health h;
	__u64 pmt0;

	/* The PAT names two PMTs besides the NIT; one of them comes. */
	psi_send(_metadata, self, 0, two, 3, 0);
	health_read(_metadata, self, &h);
	EXPECT_EQ((__u64)XDPRELAY_KIND_MPEGTS, h.kind);
	EXPECT_EQ(3U, h.nr_pmts);
	EXPECT_EQ(XDPRELAY_PMT_NONE, h.pmt_pids[0]);
	EXPECT_EQ(0x1000, h.pmt_pids[1]);
	EXPECT_EQ(0x1001, h.pmt_pids[2]);
	EXPECT_EQ(h.last_ns, h.pat_ns);
	EXPECT_EQ(h.last_ns, h.pmt_ns[1]);
	EXPECT_EQ(0ULL, h.pat_errors);
	EXPECT_EQ(0ULL, h.pmt_errors);
	EXPECT_EQ(0ULL, h.cc_errors);

	/* Both tables a second late: an error each. */
	h.pat_ns -= SEC_NS;
	h.pmt_ns[1] -= SEC_NS;
	h.pmt_ns[2] -= SEC_NS;
	health_write(_metadata, self, &h);
	psi_send(_metadata, self, 1, two, 3, 0);
	health_read(_metadata, self, &h);
	EXPECT_EQ(1ULL, h.pat_errors);
	EXPECT_EQ(1ULL, h.pmt_errors);
	EXPECT_EQ(h.last_ns, h.pat_ns);
	/* 0x1001 never came: its wait goes on from where it was. */
	EXPECT_GT(h.last_ns - h.pmt_ns[2], XDPRELAY_PSI_WINDOW_NS);

	/*
	 * A new PAT, behind an adaptation field and a pointer_field: 0x1000,
	 * in the same entry, keeps its last arrival, 0x1002 is waited for
	 * from now, 0x1001 is gone.
	 */
	pmt0 = h.pmt_ns[1];
	psi_send(_metadata, self, 2, moved, 2, 3);
	health_read(_metadata, self, &h);
	EXPECT_EQ(1ULL, h.pat_errors);
	EXPECT_EQ(2U, h.nr_pmts);
	EXPECT_EQ(0x1002, h.pmt_pids[0]);
	EXPECT_EQ(0x1000, h.pmt_pids[1]);
	EXPECT_EQ(h.last_ns, h.pmt_ns[0]);
	EXPECT_LE(pmt0, h.pmt_ns[1]);
	EXPECT_EQ(1ULL, h.pmt_errors);
	EXPECT_EQ(0ULL, h.cc_errors);

	/* After a pause the wait starts again: no error for the gap. */
	h.last_ns -= 2 * SEC_NS;
	h.pat_ns -= 3 * SEC_NS;
	h.pmt_ns[1] -= 3 * SEC_NS;
	health_write(_metadata, self, &h);
	psi_send(_metadata, self, 3, moved, 2, 0);
	health_read(_metadata, self, &h);
	EXPECT_EQ(1ULL, h.pat_errors);
	EXPECT_EQ(1ULL, h.pmt_errors);
	EXPECT_EQ(0ULL, h.cc_errors);
	EXPECT_EQ(28ULL, h.ts_packets);
}

TEST_F(xdp, health_other)
{
	struct xdprelay_health h;
	struct frame f;

	/* Neither RTP nor MPEG-TS: nothing recognised, nothing counted. */
	build(_metadata, &f, &(struct spec){ .payload = 1316 });
	expect(&f, f.len, XDP_PASS, XDPRELAY_PASS_NO_SOCKET, ID_V4);
	health_read(_metadata, self, &h);
	EXPECT_EQ((__u64)XDPRELAY_KIND_UNKNOWN, h.kind);
	EXPECT_EQ(0ULL, h.ts_packets);
	EXPECT_EQ(0ULL, h.rtp_packets);
	EXPECT_NE(0ULL, h.last_ns);
}

int main(int argc, char **argv)
{
	libbpf_set_print(print_fn);
	libxdp_set_print(xdp_print_fn);

	/* The whole file is one skip when it cannot run at all. */
	if (geteuid()) {
		ksft_print_header();
		ksft_exit_skip("needs root (BPF_PROG_TEST_RUN, AF_XDP)\n");
	}
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_XDP, NULL) != 1) {
		ksft_print_header();
		ksft_exit_skip("kernel without BPF or XDP\n");
	}
	return test_harness_run(argc, argv);
}
