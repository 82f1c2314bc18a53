// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend: send an exact number of UDP datagrams, for the selftests.
 *
 *   udpsend [-c COUNT] [-s SIZE] [-r PPS] [-b SRCADDR] [-p SRCPORT] [-d DEV]
 *           ADDR PORT
 *
 * -d sends through DEV (SO_BINDTODEVICE), whatever the routes say.  With
 * -V VID and -M MAC, IPv4 only, the frames are built here and sent on DEV
 * through a packet socket, tagged with VLAN VID and addressed to MAC, from
 * -b SRCADDR (required): tagged as a switch's trunk delivers them, on a
 * host that may have no VLAN devices.
 * Each payload starts with a 64-bit big-endian sequence number (from 0),
 * followed by bytes derived from it, so a receiver can check order and
 * content.  Sending is paced when -r is given; a full socket buffer is
 * waited out, never skipped: exactly COUNT datagrams leave.
 *
 * -t ts sends MPEG-TS instead: seven 188-byte packets a datagram, of PID
 * 0x100, their continuity counters running on from one datagram to the
 * next; -t rtp the same behind an RTP header (version 2, payload type
 * 33, the datagram's number as sequence, 3000 ticks of the 90 kHz clock
 * a datagram).  -x N then leaves out every Nth datagram (the Nth, 2Nth,
 * ...), counted as sent but never sent: a stream with N-th datagrams
 * lost on the way, for the health checks to find.  COUNT counts those
 * left out too.  The stream carries its tables as an encoder does: the
 * first two packets of the first datagram, and of the first after each
 * 100 ms, are a PAT naming one program and that program's PMT (PID
 * 0x1000), never in a datagram left out; -i N puts them in every Nth
 * datagram instead (datagram 0, N, 2N, ... or the next one sent), -i 0
 * in none.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <netpacket/packet.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>

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

#define TS_SIZE		188
#define TS_PER_DGRAM	7
#define RTP_HLEN	12
#define TS_PID		0x100
#define PMT_PID		0x1000
#define PSI_PERIOD_NS	100000000ULL

enum { FMT_SEQ, FMT_TS, FMT_RTP };

/*
 * A TS packet at @p that carries a whole PSI section of @table_id on
 * @pid, its continuity counter @cc, with @body (@len bytes) after the
 * section's header; the CRC is left as 0xff bytes, as nothing checks it.
 */
static void put_section(unsigned char *p, unsigned int pid, unsigned int cc,
			unsigned int table_id, const unsigned char *body,
			size_t len)
{
	unsigned int slen = 5 + len + 4;

	memset(p, 0xff, TS_SIZE);
	p[0] = 0x47;
	p[1] = 0x40 | pid >> 8;		/* payload_unit_start_indicator */
	p[2] = pid & 0xff;
	p[3] = 0x10 | (cc & 0xf);
	p[4] = 0;			/* pointer_field */
	p[5] = table_id;
	p[6] = 0xb0 | slen >> 8;
	p[7] = slen & 0xff;
	p[8] = 0;
	p[9] = 1;			/* transport_stream_id, program_number */
	p[10] = 0xc1;			/* version 0, current */
	p[11] = 0;
	p[12] = 0;
	memcpy(p + 13, body, len);
}

/* The PAT and the PMT of the stream's one program, at @p. */
static void put_psi(unsigned char *p, unsigned int cc)
{
	static const unsigned char pat[] = {
		0x00, 0x01, 0xe0 | PMT_PID >> 8, PMT_PID & 0xff,
	};
	static const unsigned char pmt[] = {
		0xe0 | TS_PID >> 8, TS_PID & 0xff,	/* PCR_PID */
		0xf0, 0x00,				/* no descriptors */
		0x1b, 0xe0 | TS_PID >> 8, TS_PID & 0xff, 0xf0, 0x00,
	};

	put_section(p, 0, cc, 0x00, pat, sizeof(pat));
	put_section(p + TS_SIZE, PMT_PID, cc, 0x02, pmt, sizeof(pmt));
}

/*
 * Datagram @seq of an MPEG-TS stream, in RTP when @rtp, with the PAT and
 * PMT when @psi; its length.
 */
static size_t fill_ts(unsigned char *buf, uint64_t seq, bool rtp, bool psi)
{
	static unsigned int psi_cc, cc;
	unsigned char *p = buf;
	uint32_t ts = seq * 3000;
	int i = 0;

	if (rtp) {
		p[0] = 0x80;
		p[1] = 33;
		p[2] = seq >> 8;
		p[3] = seq;
		p[4] = ts >> 24;
		p[5] = ts >> 16;
		p[6] = ts >> 8;
		p[7] = ts;
		memcpy(p + 8, "\x5e\x1a\x7e\x57", 4);	/* SSRC */
		p += RTP_HLEN;
	}
	if (psi) {
		put_psi(p, psi_cc++);
		p += 2 * TS_SIZE;
		i = 2;
	}
	for (; i < TS_PER_DGRAM; i++, p += TS_SIZE) {
		memset(p, 0xff, TS_SIZE);
		p[0] = 0x47;
		p[1] = TS_PID >> 8;
		p[2] = TS_PID & 0xff;
		p[3] = 0x10 | (cc++ & 0xf);
	}
	return p - buf;
}

static uint32_t csum_add(uint32_t sum, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* What a tagged frame is sent with: a packet socket on the device. */
struct raw {
	int fd;
	struct sockaddr_ll ll;
	uint8_t src_mac[ETH_ALEN];
	uint8_t dst_mac[ETH_ALEN];
	uint16_t vid;
	struct in_addr saddr;
	struct in_addr daddr;
	uint16_t sport;
	uint16_t dport;
	uint16_t ip_id;
};

static int raw_open(struct raw *r, const char *dev)
{
	struct ifreq ifr = {};

	r->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (r->fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(r->fd, SIOCGIFHWADDR, &ifr))
		return -1;
	memcpy(r->src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	r->ll.sll_family = AF_PACKET;
	r->ll.sll_ifindex = if_nametoindex(dev);
	r->ll.sll_halen = ETH_ALEN;
	memcpy(r->ll.sll_addr, r->dst_mac, ETH_ALEN);
	return r->ll.sll_ifindex ? 0 : -1;
}

/* Ethernet, an 802.1Q tag, IPv4 and UDP with both checksums, @payload. */
static ssize_t raw_send(struct raw *r, const uint8_t *payload, size_t len)
{
	static uint8_t f[18 + 20 + 8 + MAX_PAYLOAD];
	uint8_t *ip = f + 18, *udp = ip + 20;
	uint16_t tot = 20 + 8 + len, ulen = 8 + len, c;
	uint32_t sum;

	memcpy(f, r->dst_mac, ETH_ALEN);
	memcpy(f + 6, r->src_mac, ETH_ALEN);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = r->vid >> 8;
	f[15] = r->vid;
	f[16] = 0x08;
	f[17] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = tot >> 8;
	ip[3] = tot;
	ip[4] = r->ip_id >> 8;
	ip[5] = r->ip_id++;
	ip[6] = 0x40;		/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &r->saddr, 4);
	memcpy(ip + 16, &r->daddr, 4);
	c = csum_fold(csum_add(0, ip, 20));
	ip[10] = c >> 8;
	ip[11] = c;
	udp[0] = r->sport >> 8;
	udp[1] = r->sport;
	udp[2] = r->dport >> 8;
	udp[3] = r->dport;
	udp[4] = ulen >> 8;
	udp[5] = ulen;
	udp[6] = udp[7] = 0;
	memcpy(udp + 8, payload, len);
	sum = csum_add(0, ip + 12, 8);
	sum += IPPROTO_UDP + ulen;
	c = csum_fold(csum_add(sum, udp, ulen));
	if (!c)
		c = 0xffff;
	udp[6] = c >> 8;
	udp[7] = c;
	return sendto(r->fd, f, 18 + tot, 0, (struct sockaddr *)&r->ll,
		      sizeof(r->ll));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpsend [-c COUNT] [-s SIZE] [-r PPS] [-b SRCADDR] "
		"[-p SRCPORT] [-d DEV [-V VID -M MAC]] "
		"[-t ts|rtp [-x N] [-i N]] ADDR PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long count = 1, size = 64, pps = 0, sport = 0, skip = 0, v;
	unsigned long psi_every = ULONG_MAX;	/* by the clock */
	uint64_t psi_due = 0, psi_next = 0;
	int fmt = FMT_SEQ;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *dst, *src = NULL;
	const char *bind_addr = NULL, *dev = NULL;
	struct raw raw = { .fd = -1, .sport = 4000 };
	unsigned long vid = 0;
	bool mac = false;
	static unsigned char buf[MAX_PAYLOAD];
	uint64_t start, seq;
	char portstr[8];
	int opt, fd, err, one = 1;

	while ((opt = getopt(argc, argv, "c:s:r:b:p:d:V:M:t:x:i:")) != -1) {
		switch (opt) {
		case 't':
			if (!strcmp(optarg, "ts")) {
				fmt = FMT_TS;
			} else if (!strcmp(optarg, "rtp")) {
				fmt = FMT_RTP;
			} else {
				fprintf(stderr, "udpsend: -t '%s': want ts or rtp\n",
					optarg);
				return 2;
			}
			break;
		case 'x':
			if (parse_ulong(optarg, "skip", 2, ULONG_MAX, &skip))
				return 2;
			break;
		case 'i':
			if (parse_ulong(optarg, "PSI interval", 0, ULONG_MAX,
					&psi_every))
				return 2;
			break;
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
		case 'd':
			dev = optarg;
			break;
		case 'V':
			if (parse_ulong(optarg, "VLAN id", 1, 4094, &vid))
				return 2;
			break;
		case 'M':
			if (!ether_aton_r(optarg,
					  (struct ether_addr *)raw.dst_mac)) {
				fprintf(stderr, "udpsend: MAC '%s' does not parse\n",
					optarg);
				return 2;
			}
			mac = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (parse_ulong(argv[optind + 1], "port", 1, 65535, &v))
		return 2;

	if (vid && (!dev || !mac || !bind_addr)) {
		fprintf(stderr, "udpsend: -V needs -d DEV, -M MAC and -b SRCADDR\n");
		return 2;
	}
	if (vid) {
		raw.vid = vid;
		raw.dport = v;
		if (sport)
			raw.sport = sport;
		if (inet_pton(AF_INET, bind_addr, &raw.saddr) != 1 ||
		    inet_pton(AF_INET, argv[optind], &raw.daddr) != 1) {
			fprintf(stderr, "udpsend: -V takes IPv4 addresses\n");
			return 2;
		}
		if (raw_open(&raw, dev)) {
			perror("udpsend: packet socket");
			return 1;
		}
	}
	err = getaddrinfo(argv[optind], argv[optind + 1], &hints, &dst);
	if (err) {
		fprintf(stderr, "udpsend: address '%s': %s\n", argv[optind],
			gai_strerror(err));
		return 2;
	}
	fd = socket(dst->ai_family, SOCK_DGRAM, 0);
	if (fd < 0 || (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
					 strlen(dev) + 1))) {
		perror("udpsend: socket");
		return 1;
	}
	/*
	 * A device that drops the datagram (a veth whose peer's ring is
	 * full, after a stall of this sender and the burst that catches up)
	 * answers ENOBUFS, which the kernel keeps from a UDP sender without
	 * IP_RECVERR: with it, the loop below sends the datagram again, so
	 * that the receivers miss only what the relay lost.
	 */
	if (dst->ai_family == AF_INET6)
		err = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one,
				 sizeof(one));
	else
		err = setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one,
				 sizeof(one));
	if (err) {
		perror("udpsend: IP_RECVERR");
		return 1;
	}
	if ((bind_addr || sport) && !vid) {
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
	if (!vid && connect(fd, dst->ai_addr, dst->ai_addrlen)) {
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
		bool left_out = skip && (seq + 1) % skip == 0;
		bool psi = false;

		/* The tables go in the first datagram sent once they are due. */
		if (psi_every == ULONG_MAX)
			psi = now_ns() >= psi_due;
		else if (psi_every)
			psi = seq >= psi_next;
		psi = psi && !left_out && fmt != FMT_SEQ;
		if (psi) {
			psi_due = now_ns() + PSI_PERIOD_NS;
			psi_next = (seq / psi_every + 1) * psi_every;
		}
		if (fmt != FMT_SEQ)
			size = fill_ts(buf, seq, fmt == FMT_RTP, psi);
		else
			fill_payload(buf, size, seq);
		if (left_out)
			continue;
		while ((vid ? raw_send(&raw, buf, size) :
			      send(fd, buf, size, 0)) < 0) {
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
	if (raw.fd >= 0)
		close(raw.fd);
	freeaddrinfo(dst);
	if (src)
		freeaddrinfo(src);
	return 0;
}
