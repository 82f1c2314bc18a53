// SPDX-License-Identifier: GPL-2.0
/*
 * tsgen - send bench datagrams (bench.h) at a fixed rate, each stamped with
 * CLOCK_MONOTONIC just before it is sent, for the sink to compute one-way
 * latency with bpf_ktime_get_ns(), the same clock.
 *
 *	tsgen [-r PPS] [-c COUNT] [-s SIZE] [-t SECONDS] ADDR PORT
 *
 * Stops after COUNT datagrams or SECONDS, whichever comes first, and prints
 * "sent N".  Sends are paced against absolute deadlines, so a late wake-up
 * does not slow the average rate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || end == s || *end || *out < min || *out > max)
		return -EINVAL;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tsgen [-r PPS] [-c COUNT] [-s SIZE] [-t SECONDS] "
		   "ADDR PORT\n"
		   "  -r PPS      rate, 1 to 1000000 (default 20000)\n"
		   "  -c COUNT    datagrams to send (default 20000)\n"
		   "  -s SIZE     UDP payload bytes, %d to %d (default 64)\n"
		   "  -t SECONDS  stop after this long at most (default 60)\n",
		BENCH_MIN_PAYLOAD, BENCH_MAX_PAYLOAD);
}

int main(int argc, char **argv)
{
	unsigned long rate = 20000, cnt = 20000, size = 64, secs = 60, port;
	unsigned long long start, deadline, next, gap, sent = 0, t;
	unsigned char buf[BENCH_MAX_PAYLOAD];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct timespec ts;
	unsigned long i;
	int opt, fd;
	__u32 w;

	while ((opt = getopt(argc, argv, "r:c:s:t:h")) != -1) {
		int err = 0;

		switch (opt) {
		case 'r':
			err = parse_ulong(optarg, 1, 1000000, &rate);
			break;
		case 'c':
			err = parse_ulong(optarg, 1, ULONG_MAX, &cnt);
			break;
		case 's':
			err = parse_ulong(optarg, BENCH_MIN_PAYLOAD,
					  BENCH_MAX_PAYLOAD, &size);
			break;
		case 't':
			err = parse_ulong(optarg, 1, 86400, &secs);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (err) {
			fprintf(stderr, "tsgen: bad value for -%c: '%s'\n",
				opt, optarg);
			return 2;
		}
	}
	if (optind + 2 != argc ||
	    inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1 ||
	    parse_ulong(argv[optind + 1], 1, 65535, &port)) {
		usage(stderr);
		return 2;
	}
	dst.sin_port = htons(port);

	w = htonl(BENCH_MAGIC);
	memcpy(buf, &w, 4);
	w = htonl(size);
	memcpy(buf + 4, &w, 4);
	for (i = BENCH_HDR_LEN; i < size; i++)
		buf[i] = bench_pattern(i);

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst))) {
		perror("tsgen: socket");
		return 1;
	}
	/* Wake-ups within a microsecond of the deadline, not 50 us late. */
	prctl(PR_SET_TIMERSLACK, 1UL);

	gap = 1000000000ULL / rate;
	start = now_ns();
	deadline = start + secs * 1000000000ULL;
	for (i = 0; i < cnt; i++) {
		next = start + i * gap;
		if (next >= deadline)
			break;
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
				       NULL) == EINTR)
			;
		t = now_ns();
		memcpy(buf + 8, &t, sizeof(t));
		if (send(fd, buf, size, 0) == (ssize_t)size)
			sent++;
	}
	printf("sent %llu\n", sent);
	close(fd);
	return 0;
}
