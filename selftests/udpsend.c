// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend: send an exact number of UDP datagrams, for the selftests.
 *
 *   udpsend [-c COUNT] [-s SIZE] [-r PPS] [-b SRCADDR] [-p SRCPORT] ADDR PORT
 *
 * Each payload starts with a 64-bit big-endian sequence number (from 0),
 * followed by bytes derived from it, so a receiver can check order and
 * content.  Sending is paced when -r is given; a full socket buffer is
 * waited out, never skipped: exactly COUNT datagrams leave.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD	65507

static int parse_ulong(const char *s, const char *what, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "udpsend: %s '%s' is not a number in %lu..%lu\n",
			what, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void fill_payload(unsigned char *buf, size_t len, uint64_t seq)
{
	uint64_t be = htobe64(seq);
	size_t i;

	for (i = sizeof(be); i < len; i++)
		buf[i] = (unsigned char)(seq + i);
	memcpy(buf, &be, len < sizeof(be) ? len : sizeof(be));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpsend [-c COUNT] [-s SIZE] [-r PPS] [-b SRCADDR] "
		"[-p SRCPORT] ADDR PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count = 1, size = 64, pps = 0, sport = 0, v;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *dst, *src = NULL;
	const char *bind_addr = NULL;
	static unsigned char buf[MAX_PAYLOAD];
	uint64_t start, seq;
	char portstr[8];
	int opt, fd, err;

	while ((opt = getopt(argc, argv, "c:s:r:b:p:")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_ulong(optarg, "count", 0, ULONG_MAX, &count))
				return 2;
			break;
		case 's':
			if (parse_ulong(optarg, "size", 0, MAX_PAYLOAD, &size))
				return 2;
			break;
		case 'r':
			if (parse_ulong(optarg, "rate", 1, 100000000, &pps))
				return 2;
			break;
		case 'b':
			bind_addr = optarg;
			break;
		case 'p':
			if (parse_ulong(optarg, "source port", 1, 65535, &v))
				return 2;
			sport = v;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (parse_ulong(argv[optind + 1], "port", 1, 65535, &v))
		return 2;

	err = getaddrinfo(argv[optind], argv[optind + 1], &hints, &dst);
	if (err) {
		fprintf(stderr, "udpsend: address '%s': %s\n", argv[optind],
			gai_strerror(err));
		return 2;
	}
	fd = socket(dst->ai_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpsend: socket");
		return 1;
	}
	if (bind_addr || sport) {
		hints.ai_family = dst->ai_family;
		hints.ai_flags |= AI_PASSIVE;
		snprintf(portstr, sizeof(portstr), "%lu", sport);
		err = getaddrinfo(bind_addr, portstr, &hints, &src);
		if (err) {
			fprintf(stderr, "udpsend: source '%s': %s\n",
				bind_addr ? bind_addr : "any", gai_strerror(err));
			return 2;
		}
		if (bind(fd, src->ai_addr, src->ai_addrlen)) {
			perror("udpsend: bind");
			return 1;
		}
	}
	if (connect(fd, dst->ai_addr, dst->ai_addrlen)) {
		perror("udpsend: connect");
		return 1;
	}

	start = now_ns();
	for (seq = 0; seq < count; seq++) {
		if (pps) {
			uint64_t due = start + seq * 1000000000ULL / pps;
			uint64_t now = now_ns();

			if (due > now) {
				struct timespec ts = {
					.tv_sec = (due - now) / 1000000000ULL,
					.tv_nsec = (due - now) % 1000000000ULL,
				};

				nanosleep(&ts, NULL);
			}
		}
		fill_payload(buf, size, seq);
		while (send(fd, buf, size, 0) < 0) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			/*
			 * A local socket sees ENOBUFS/EAGAIN when the device
			 * queue is full, and ECONNREFUSED after an ICMP
			 * port unreachable: none loses the datagram.
			 */
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != ECONNREFUSED && errno != EINTR) {
				perror("udpsend: send");
				return 1;
			}
			poll(&pfd, 1, 1);
		}
	}
	close(fd);
	freeaddrinfo(dst);
	if (src)
		freeaddrinfo(src);
	return 0;
}
