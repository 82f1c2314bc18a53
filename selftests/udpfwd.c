// SPDX-License-Identifier: GPL-2.0
/*
 * udpfwd: forward UDP datagrams, leaving out a known set, for the
 * selftests: a lossy network between a real sender and the relay.
 *
 *   udpfwd [-x N] [-i MS] LADDR LPORT ADDR PORT
 *
 * Receives on LADDR:LPORT and sends each datagram on to ADDR:PORT as it
 * came, but the Nth, 2Nth, ... of them (-x N).  Stops once nothing came
 * for MS milliseconds (-i, default 2000) after the first, and prints
 * "received R forwarded F skipped S".
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DGRAM	65536

static int parse_ulong(const char *s, const char *what, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "udpfwd: %s '%s': want %lu to %lu\n", what, s,
			min, max);
		return -1;
	}
	return 0;
}

static int sock_for(const char *addr, const char *port, bool listen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int fd, err;

	err = getaddrinfo(addr, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "udpfwd: %s:%s: %s\n", addr, port,
			gai_strerror(err));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || (listen ? bind(fd, ai->ai_addr, ai->ai_addrlen) :
			connect(fd, ai->ai_addr, ai->ai_addrlen))) {
		fprintf(stderr, "udpfwd: %s %s:%s: %s\n",
			listen ? "bind" : "connect", addr, port,
			strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

int main(int argc, char **argv)
{
	unsigned long skip = 0, idle_ms = 2000, rcvd = 0, fwd = 0;
	static char buf[MAX_DGRAM];
	int opt, in, out, rcvbuf = 8 << 20;
	struct pollfd pfd;
	ssize_t n;

	while ((opt = getopt(argc, argv, "x:i:")) != -1) {
		switch (opt) {
		case 'x':
			if (parse_ulong(optarg, "skip", 2, ULONG_MAX, &skip))
				return 2;
			break;
		case 'i':
			if (parse_ulong(optarg, "idle", 1, 600000, &idle_ms))
				return 2;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 4)
		goto usage;
	in = sock_for(argv[optind], argv[optind + 1], true);
	out = sock_for(argv[optind + 2], argv[optind + 3], false);
	if (in < 0 || out < 0)
		return 1;
	setsockopt(in, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	pfd = (struct pollfd){ .fd = in, .events = POLLIN };
	for (;;) {
		/* Until the first datagram, wait as long as it takes. */
		n = poll(&pfd, 1, rcvd ? (int)idle_ms : -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = recv(in, buf, sizeof(buf), 0);
		if (n < 0)
			continue;
		rcvd++;
		if (skip && rcvd % skip == 0)
			continue;
		while (send(out, buf, n, 0) < 0 &&
		       (errno == ENOBUFS || errno == EAGAIN ||
			errno == ECONNREFUSED || errno == EINTR))
			poll(NULL, 0, 1);
		fwd++;
	}
	printf("received %lu forwarded %lu skipped %lu\n", rcvd, fwd,
	       rcvd - fwd);
	return 0;

usage:
	fprintf(stderr, "usage: udpfwd [-x N] [-i MS] LADDR LPORT ADDR PORT\n");
	return 2;
}
