// SPDX-License-Identifier: GPL-2.0
/*
 * udprecv: receive the datagrams of udpsend and check them, for the
 * selftests.
 *
 *   udprecv [-c COUNT] [-t IDLE_MS] [-s SIZE] [-r READY_FILE] [-f FIRST_FILE]
 *           [-d DEV] [-P] ADDR PORT
 *
 * Binds ADDR:PORT with SO_REUSEADDR (and SO_REUSEPORT with -P, to DEV with
 * -d: what another user could try to take a stream with; a multicast ADDR
 * is joined, on DEV with -d), then receives until COUNT
 * datagrams arrived or none came for IDLE_MS (default 2000).  Each payload
 * must be SIZE bytes (when given) and carry udpsend's pattern.  Prints one
 * line:
 *
 *   received N first F last L gaps G reordered R bad B
 *
 * and exits 0 when COUNT datagrams arrived in order and intact (or, without
 * -c, whatever arrived was in order and intact), 1 otherwise.  READY_FILE
 * is created once the socket is bound, FIRST_FILE once the first datagram
 * arrived, so a test can wait for either.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAYLOAD	65536

static int parse_ulong(const char *s, const char *what, unsigned long max,
		       unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || *out > max) {
		fprintf(stderr, "udprecv: %s '%s' is not a number up to %lu\n",
			what, s, max);
		return -1;
	}
	return 0;
}

static bool payload_ok(const unsigned char *buf, size_t len, uint64_t *seq)
{
	uint64_t be;
	size_t i;

	if (len < sizeof(be))
		return false;
	memcpy(&be, buf, sizeof(be));
	*seq = be64toh(be);
	for (i = sizeof(be); i < len; i++)
		if (buf[i] != (unsigned char)(*seq + i))
			return false;
	return true;
}

static int touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0) {
		fprintf(stderr, "udprecv: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int join_group(int fd, const struct addrinfo *ai, int ifindex)
{
	if (ai->ai_family == AF_INET) {
		const struct sockaddr_in *sin = (void *)ai->ai_addr;
		struct ip_mreqn mr = { .imr_multiaddr = sin->sin_addr,
				       .imr_ifindex = ifindex };

		if (!IN_MULTICAST(ntohl(sin->sin_addr.s_addr)))
			return 0;
		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				  sizeof(mr));
	} else {
		const struct sockaddr_in6 *sin6 = (void *)ai->ai_addr;
		struct ipv6_mreq mr = { .ipv6mr_multiaddr = sin6->sin6_addr,
					.ipv6mr_interface = ifindex };

		if (!IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
			return 0;
		return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
				  sizeof(mr));
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: udprecv [-c COUNT] [-t IDLE_MS] [-s SIZE] "
		"[-r READY_FILE] [-f FIRST_FILE] [-d DEV] [-P] ADDR PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count = 0, idle_ms = 2000, size = 0, v;
	uint64_t received = 0, gaps = 0, reordered = 0, bad = 0;
	uint64_t first = 0, last = 0, seq, next = 0;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
					      AI_PASSIVE };
	static unsigned char buf[MAX_PAYLOAD];
	const char *ready = NULL, *first_file = NULL, *dev = NULL;
	struct addrinfo *ai;
	int opt, fd, err, one = 1, rcvbuf = 8 << 20, ifindex = 0;
	bool ok, reuseport = false;

	while ((opt = getopt(argc, argv, "c:t:s:r:f:d:P")) != -1) {
		switch (opt) {
		case 'c':
			if (parse_ulong(optarg, "count", ULONG_MAX, &count))
				return 2;
			break;
		case 't':
			if (parse_ulong(optarg, "idle time", 3600000, &idle_ms))
				return 2;
			break;
		case 's':
			if (parse_ulong(optarg, "size", MAX_PAYLOAD, &size))
				return 2;
			break;
		case 'r':
			ready = optarg;
			break;
		case 'f':
			first_file = optarg;
			break;
		case 'd':
			dev = optarg;
			ifindex = if_nametoindex(dev);
			if (!ifindex) {
				fprintf(stderr, "udprecv: no interface %s\n",
					dev);
				return 2;
			}
			break;
		case 'P':
			reuseport = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (parse_ulong(argv[optind + 1], "port", 65535, &v) || !v)
		return 2;
	err = getaddrinfo(argv[optind], argv[optind + 1], &hints, &ai);
	if (err) {
		fprintf(stderr, "udprecv: address '%s': %s\n", argv[optind],
			gai_strerror(err));
		return 2;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (reuseport &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
			       strlen(dev) + 1))) {
		perror("udprecv: socket");
		return 1;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen)) {
		perror("udprecv: bind");
		return 1;
	}
	if (join_group(fd, ai, ifindex)) {
		perror("udprecv: join");
		return 1;
	}
	/* Best effort: the bound is net.core.rmem_max without privilege. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (ready && touch(ready))
		return 1;

	while (!count || received < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t len;

		if (poll(&pfd, 1, idle_ms) <= 0)
			break;
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0)
			continue;
		if ((size && (size_t)len != size) ||
		    !payload_ok(buf, len, &seq)) {
			bad++;
			continue;
		}
		if (!received) {
			first = seq;
			if (first_file && touch(first_file))
				return 1;
		}
		else if (seq > next)
			gaps += seq - next;
		else if (seq < next)
			reordered++;
		if (seq >= next)
			next = seq + 1;
		last = seq;
		received++;
	}

	printf("received %llu first %llu last %llu gaps %llu reordered %llu "
	       "bad %llu\n", (unsigned long long)received,
	       (unsigned long long)first, (unsigned long long)last,
	       (unsigned long long)gaps, (unsigned long long)reordered,
	       (unsigned long long)bad);
	ok = !gaps && !reordered && !bad && (!count || received == count);
	return ok ? 0 : 1;
}
