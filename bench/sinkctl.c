// SPDX-License-Identifier: GPL-2.0
/*
 * sinkctl - read and reset the counters of the bench's sink (sink.bpf.c)
 * through its maps pinned on bpffs.
 *
 *	sinkctl [-d DIR] stats		one line: counter=value ...
 *	sinkctl [-d DIR] latency	one line: samples, p50, p99, p99.9, max (ns)
 *	sinkctl [-d DIR] reset		zero every counter and the histogram
 *
 * Counters are per-CPU in the kernel; sinkctl prints their sums.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"

#define DEFAULT_DIR	"/sys/fs/bpf/tc/globals"

static const char *const counter_names[BC_MAX] = {
	[BC_PACKETS]	= "packets",
	[BC_BYTES]	= "bytes",
	[BC_BAD_MAGIC]	= "bad_magic",
	[BC_CHECKED]	= "checked",
	[BC_MISMATCH]	= "mismatch",
	[BC_STAMPED]	= "stamped",
	[BC_OTHER]	= "other",
};

static int map_open(const char *dir, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "sinkctl: %s: %s (is sink.bpf.o attached?)\n",
			path, strerror(errno));
	return fd;
}

/* Sum of the per-CPU values of one slot of a per-CPU array. */
static int slot_sum(int fd, __u32 key, __u64 *vals, int ncpus, __u64 *sum)
{
	int i;

	if (bpf_map_lookup_elem(fd, &key, vals))
		return -errno;
	*sum = 0;
	for (i = 0; i < ncpus; i++)
		*sum += vals[i];
	return 0;
}

static int slots_zero(int fd, __u32 n, __u64 *vals, int ncpus)
{
	__u32 key;

	memset(vals, 0, sizeof(*vals) * ncpus);
	for (key = 0; key < n; key++)
		if (bpf_map_update_elem(fd, &key, vals, BPF_EXIST))
			return -errno;
	return 0;
}

static int cmd_stats(int fd, __u64 *vals, int ncpus)
{
	__u64 sum = 0;
	__u32 k;
	int err;

	for (k = 0; k < BC_MAX; k++) {
		err = slot_sum(fd, k, vals, ncpus, &sum);
		if (err)
			return err;
		printf("%s%s=%llu", k ? " " : "", counter_names[k],
		       (unsigned long long)sum);
	}
	printf("\n");
	return 0;
}

/* Middle of bucket b, where the value of a sample in it is taken to be. */
static unsigned long long bucket_mid(__u32 b)
{
	unsigned long long lo = bench_bucket_lo(b);

	if (b + 1 >= BENCH_LAT_BUCKETS)
		return lo;
	return lo + (bench_bucket_lo(b + 1) - lo) / 2;
}

static int cmd_latency(int fd, __u64 *vals, int ncpus)
{
	static const double pct[] = { 0.50, 0.99, 0.999 };
	static __u64 hist[BENCH_LAT_BUCKETS];
	unsigned long long at[3] = { 0 }, max = 0;
	__u64 total = 0, seen = 0;
	unsigned int p = 0;
	__u32 b;
	int err;

	for (b = 0; b < BENCH_LAT_BUCKETS; b++) {
		err = slot_sum(fd, b, vals, ncpus, &hist[b]);
		if (err)
			return err;
		total += hist[b];
	}
	for (b = 0; b < BENCH_LAT_BUCKETS && total; b++) {
		if (!hist[b])
			continue;
		seen += hist[b];
		/* The sample of rank ceil(q * total) falls in this bucket. */
		while (p < 3 && seen >= (__u64)(pct[p] * total + 0.999999))
			at[p++] = bucket_mid(b);
		max = bucket_mid(b);
	}
	printf("samples=%llu p50=%llu p99=%llu p999=%llu max=%llu\n",
	       (unsigned long long)total, at[0], at[1], at[2], max);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: sinkctl [-d DIR] stats|latency|reset\n"
		   "  -d DIR  where the sink's maps are pinned (default "
		   DEFAULT_DIR ")\n");
}

int main(int argc, char **argv)
{
	const char *dir = DEFAULT_DIR, *cmd;
	int ncpus, cfd, lfd, opt, err;
	__u64 *vals;

	while ((opt = getopt(argc, argv, "d:h")) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "stats") && strcmp(cmd, "latency") &&
	    strcmp(cmd, "reset")) {
		fprintf(stderr, "sinkctl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}

	ncpus = libbpf_num_possible_cpus();
	if (ncpus < 0) {
		fprintf(stderr, "sinkctl: cannot count CPUs: %s\n",
			strerror(-ncpus));
		return 1;
	}
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return 1;
	cfd = map_open(dir, "xb_counters");
	lfd = map_open(dir, "xb_latency");
	if (cfd < 0 || lfd < 0)
		return 1;

	if (!strcmp(cmd, "stats"))
		err = cmd_stats(cfd, vals, ncpus);
	else if (!strcmp(cmd, "latency"))
		err = cmd_latency(lfd, vals, ncpus);
	else
		err = slots_zero(cfd, BC_MAX, vals, ncpus) ?:
		      slots_zero(lfd, BENCH_LAT_BUCKETS, vals, ncpus);
	if (err) {
		fprintf(stderr, "sinkctl: %s: %s\n", cmd, strerror(-err));
		return 1;
	}
	free(vals);
	close(cfd);
	close(lfd);
	return 0;
}
