// SPDX-License-Identifier: GPL-2.0
/*
 * progtime: what xdprelay's XDP program costs per packet, by itself.
 *
 *   progtime [-n RUNS] [-r ROUNDS] OBJ [SINK_OBJ]
 *
 * Loads OBJ (bpf/xdprelay_maps.bpf.o) with maps of its own, not pinned,
 * and runs it through BPF_PROG_TEST_RUN on a 64-byte UDP datagram over
 * IPv4, RUNS times per round (default 2000000), in each case below, and
 * prints the median over ROUNDS rounds (default 5) of the kernel's time
 * per run:
 *
 *   unmatched	a datagram of no stream: parse, one lookup, to the stack
 *   afxdp	a stream on the AF_XDP path (--path afxdp; its queue has
 *		no socket here, so the verdict is XDP_PASS after the
 *		redirect is tried)
 *   direct	a stream on the direct path: rewrite and redirect (the
 *		redirect is not carried out by a test run)
 *
 * and on a 1316-byte datagram of seven MPEG-TS packets, to a stream on
 * the AF_XDP path, what the health checks cost:
 *
 *   ts-raw	--kind raw: no check
 *   ts		--kind auto, bare MPEG-TS: seven packets checked
 *   rtp-ts	--kind auto, behind a 12-byte RTP header: RTP and TS checked
 *
 * (every run checks the same datagram again: the counters find a repeat
 * each time, which costs what a packet in order does).
 *
 * and, with SINK_OBJ (bench/sink.bpf.o), the bench sink's program on the
 * same frame: the cost of an XDP program that does next to nothing.
 * Nothing is sent anywhere.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdprelay.h"

#define FRAME_MAX	(ETH_HLEN + 20 + 8 + 12 + 1316)
#define MAX_ROUNDS	21
#define TS_COUNT	7
#define TS_SIZE		188

static const __u8 stream_addr[4] = { 10, 70, 1, 2 };

static void die(const char *what, int err)
{
	fprintf(stderr, "progtime: %s: %s\n", what, strerror(err));
	exit(1);
}

/* What a datagram carries. */
enum payload { PL_64, PL_TS, PL_RTP_TS };

/* Seven MPEG-TS packets of PID 0x100 at @p, after an RTP header if @rtp. */
static unsigned int payload_ts(__u8 *p, int rtp)
{
	unsigned int len = 0, i;

	if (rtp) {
		memset(p, 0, 12);
		p[0] = 0x80;
		p[1] = 33;
		len = 12;
	}
	for (i = 0; i < TS_COUNT; i++, len += TS_SIZE) {
		memset(p + len, 0xff, TS_SIZE);
		p[len] = 0x47;
		p[len + 1] = 0x01;
		p[len + 2] = 0x00;
		p[len + 3] = 0x10 | i;
	}
	return len;
}

/*
 * A UDP datagram from 10.70.1.1 to 10.70.1.2:@port of 64 bytes, or of
 * MPEG-TS; returns the frame's length.
 */
static unsigned int frame(__u8 *buf, unsigned int port, enum payload pl)
{
	struct ethhdr *eth = (void *)buf;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *udp = (void *)(iph + 1);
	const __u8 src[4] = { 10, 70, 1, 1 };
	unsigned int len = 64;
	__u32 sum = 0;
	int i;

	memset(buf, 0, FRAME_MAX);
	if (pl != PL_64)
		len = payload_ts((__u8 *)(udp + 1), pl == PL_RTP_TS);
	memset(eth->h_dest, 0x02, ETH_ALEN);
	memset(eth->h_source, 0x04, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->tot_len = htons(20 + 8 + len);
	memcpy(&iph->saddr, src, 4);
	memcpy(&iph->daddr, stream_addr, 4);
	for (i = 0; i < 10; i++)
		sum += ((__u16 *)iph)[i];
	sum = (sum & 0xffff) + (sum >> 16);
	iph->check = ~((sum & 0xffff) + (sum >> 16));
	udp->source = htons(4000);
	udp->dest = htons(port);
	udp->len = htons(8 + len);
	udp->check = htons(0x1234);
	return ETH_HLEN + 20 + 8 + len;
}

static int cmp(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median ns per run of @prog_fd on a frame carrying @pl to @port, and
 * its verdict.
 */
static __u32 timed(int prog_fd, unsigned int port, enum payload pl,
		   __u32 runs, int rounds, __u32 *verdict)
{
	__u32 ns[MAX_ROUNDS];
	__u8 in[FRAME_MAX];
	unsigned int len;
	int i;

	len = frame(in, port, pl);
	for (i = 0; i < rounds; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts,
			.data_in = in,
			.data_size_in = len,
			.repeat = runs,
		);

		if (bpf_prog_test_run_opts(prog_fd, &opts))
			die("BPF_PROG_TEST_RUN", errno);
		ns[i] = opts.duration;
		*verdict = opts.retval;
	}
	qsort(ns, rounds, sizeof(ns[0]), cmp);
	return ns[rounds / 2];
}

static const char *verdict_str(__u32 v)
{
	static const char * const names[] = {
		"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
		"XDP_REDIRECT",
	};

	return v < 5 ? names[v] : "?";
}

static struct bpf_object *load(const char *path, int *prog_fd)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;

	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		die(path, errno);
	/* Maps of its own: nothing pinned, nothing of a live relay's. */
	bpf_object__for_each_map(map, obj)
		if (bpf_map__set_pin_path(map, NULL))
			die("unpinning a map", errno);
	prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		die(path, ENOENT);
	bpf_object__for_each_program(prog, obj)
		if (bpf_program__type(prog) != BPF_PROG_TYPE_XDP ||
		    bpf_program__expected_attach_type(prog) != BPF_XDP)
			bpf_program__set_autoload(prog, false);
	if (bpf_object__load(obj))
		die("loading the object", errno);
	bpf_object__for_each_program(prog, obj)
		if (bpf_program__autoload(prog))
			break;
	*prog_fd = bpf_program__fd(prog);
	return obj;
}

static void map_put(struct bpf_object *obj, const char *name,
		    const void *key, const void *val)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map)
		die(name, ENOENT);
	if (bpf_map_update_elem(bpf_map__fd(map), key, val, BPF_ANY))
		die(name, errno);
}

int main(int argc, char **argv)
{
	struct xdprelay_key key = { .ep.family = AF_INET };
	struct xdprelay_stream s = {};
	struct xdprelay_direct d = {};
	struct xdprelay_info info = {};
	unsigned long runs = 2000000, rounds = 5;
	struct bpf_object *obj, *sink;
	int prog_fd, sink_fd, opt;
	__u32 ns, verdict;

	while ((opt = getopt(argc, argv, "n:r:")) != -1) {
		char *end;

		switch (opt) {
		case 'n':
			runs = strtoul(optarg, &end, 10);
			if (*end || !runs || runs > 100000000)
				goto usage;
			break;
		case 'r':
			rounds = strtoul(optarg, &end, 10);
			if (*end || !rounds || rounds > MAX_ROUNDS)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1 && optind != argc - 2)
		goto usage;

	libbpf_set_print(NULL);
	obj = load(argv[optind], &prog_fd);

	/*
	 * Stream 1 at port 5000, which the operator put on AF_XDP, stream 2
	 * at 5001 on the direct path.
	 */
	info.path = XDPRELAY_PATH_AFXDP;
	map_put(obj, XDPRELAY_MAP_INFO, &(__u32){ 1 }, &info);
	memcpy(key.ep.addr, stream_addr, 4);
	key.ep.port = htons(5000);
	s.id = 1;
	s.flags = XDPRELAY_F_AFXDP;
	map_put(obj, XDPRELAY_MAP_STREAMS, &key, &s);
	key.ep.port = htons(5001);
	s.id = 2;
	s.flags = 0;
	map_put(obj, XDPRELAY_MAP_STREAMS, &key, &s);
	/*
	 * A test run repeats the program on the same buffer, which the
	 * direct path rewrites in place: the header it writes is the one
	 * the frame has, so that every run matches the stream again and
	 * does the whole rewrite (the checksums' updates add nothing).
	 */
	d.ifindex = 1;
	d.state = XDPRELAY_DIRECT_SEND;
	d.ttl = 64;
	d.family = AF_INET;
	d.sport = htons(4000);
	d.dport = htons(5001);
	d.nr = 1;
	memset(d.eth_dst, 0x02, ETH_ALEN);
	memset(d.eth_src, 0x04, ETH_ALEN);
	memcpy(d.saddr, (__u8[]){ 10, 70, 1, 1 }, 4);
	memcpy(d.daddr, stream_addr, 4);
	map_put(obj, XDPRELAY_MAP_DIRECT, &s.id, &d);
	/* Streams 3 to 5 at 5002 to 5004, on AF_XDP: health checks. */
	key.ep.port = htons(5002);
	s.id = 3;
	s.flags = XDPRELAY_F_AFXDP |
		  XDPRELAY_CHECK_RAW << XDPRELAY_F_CHECK_SHIFT;
	map_put(obj, XDPRELAY_MAP_STREAMS, &key, &s);
	key.ep.port = htons(5003);
	s.id = 4;
	s.flags = XDPRELAY_F_AFXDP;
	map_put(obj, XDPRELAY_MAP_STREAMS, &key, &s);
	key.ep.port = htons(5004);
	s.id = 5;
	map_put(obj, XDPRELAY_MAP_STREAMS, &key, &s);

	printf("# ns per run, median of %lu rounds of %lu runs\n", rounds,
	       runs);
	ns = timed(prog_fd, 4999, PL_64, runs, rounds, &verdict);
	printf("unmatched %u %s\n", ns, verdict_str(verdict));
	ns = timed(prog_fd, 5000, PL_64, runs, rounds, &verdict);
	printf("afxdp %u %s\n", ns, verdict_str(verdict));
	ns = timed(prog_fd, 5001, PL_64, runs, rounds, &verdict);
	printf("direct %u %s\n", ns, verdict_str(verdict));
	ns = timed(prog_fd, 5002, PL_TS, runs, rounds, &verdict);
	printf("ts-raw %u %s\n", ns, verdict_str(verdict));
	ns = timed(prog_fd, 5003, PL_TS, runs, rounds, &verdict);
	printf("ts %u %s\n", ns, verdict_str(verdict));
	ns = timed(prog_fd, 5004, PL_RTP_TS, runs, rounds, &verdict);
	printf("rtp-ts %u %s\n", ns, verdict_str(verdict));
	if (optind == argc - 2) {
		sink = load(argv[optind + 1], &sink_fd);
		ns = timed(sink_fd, 5000, PL_64, runs, rounds, &verdict);
		printf("sink %u %s\n", ns, verdict_str(verdict));
		bpf_object__close(sink);
	}
	bpf_object__close(obj);
	return 0;
usage:
	fprintf(stderr, "usage: progtime [-n RUNS] [-r ROUNDS] OBJ [SINK_OBJ]\n");
	return 2;
}
