// SPDX-License-Identifier: GPL-2.0
/*
 * UDP receive buffer autotuning: XDPRELAY_IOC_SOCK_REGISTER and _UNREGISTER
 * on /dev/xdprelay, every bad call refused with its own errno and sockets/
 * unchanged, every bad tuning/ write refused; a receiver behind a bursty
 * sender stops dropping once registered, its buffer shrinks back after the
 * burst, closing it removes its entry, a thousand registrations and
 * refusals leave no socket held (the UDP slab cache's object count), and
 * rmmod with one registered leaves it working.  Needs root and xdprelay.ko loaded; MOD_TUNE_KO names the
 * module for the rmmod test.  selftests/mod_tune.sh runs it in the VM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The harness's SIGALRM handler ignores its context argument, and its
 * TEST_F wrapper sets a local between setjmp() and longjmp().
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "xdprelay_uapi.h"
#include "lib/sysfs.h"

#define SYSFS		"/sys/kernel/xdprelay"
#define SOCKETS		SYSFS "/sockets"
#define TUNING		SYSFS "/tuning"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE	136
#endif
#ifndef AF_XDP
#define AF_XDP		44
#endif

/* The burst: BURSTS times BURST_LEN datagrams of DGRAM_LEN bytes. */
#define BURSTS		20
#define BURST_LEN	2000
#define DGRAM_LEN	1000
#define INTERVAL_MS	20
#define QUIET_MS	300

/* sockets/<id>/<file> as a number, -1 if unreadable. */
static long sock_attr(__u32 id, const char *file)
{
	char path[128];
	__u64 val = 0;

	snprintf(path, sizeof(path), SOCKETS "/%u/%s", id, file);
	return sysfs_read_u64(path, &val) ? -1 : (long)val;
}

static bool sock_entry_exists(__u32 id)
{
	char path[64];

	snprintf(path, sizeof(path), SOCKETS "/%u", id);
	return !access(path, F_OK);
}

/* The entries of sockets/, sorted, as one string: the state to keep. */
static void sockets_state(char *buf, size_t size)
{
	struct dirent **names;
	size_t len = 0;
	int i, n;

	buf[0] = '\0';
	n = scandir(SOCKETS, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(buf, size, "unreadable");
		return;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && len < size)
			len += snprintf(buf + len, size - len, "%s ",
					names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static int sock_register(int dev, int fd, __u32 flags, __u32 *id)
{
	struct xdprelay_sock_reg reg = { .fd = fd, .flags = flags };

	if (ioctl(dev, XDPRELAY_IOC_SOCK_REGISTER, &reg))
		return -errno;
	if (id)
		*id = reg.id;
	return 0;
}

static int sock_unregister(int dev, int fd)
{
	__s32 arg = fd;

	return ioctl(dev, XDPRELAY_IOC_SOCK_UNREGISTER, &arg) ? -errno : 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls @cond every 5 ms for up to @timeout_ms; true once it holds. */
#define POLL_UNTIL(cond, timeout_ms) ({					\
	long __end = now_ms() + (timeout_ms);				\
	bool __ok;							\
									\
	while (!(__ok = (cond)) && now_ms() < __end)			\
		usleep(5000);						\
	__ok;								\
})

/* A UDP socket on 127.0.0.1, any port, SO_RCVBUF @rcvbuf if not 0. */
static int udp_socket(int rcvbuf)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if ((rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf))) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int get_rcvbuf(int fd)
{
	socklen_t len = sizeof(int);
	int val = -1;

	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len);
	return val;
}

/*
 * Sends @n datagrams from @tx to @rx, which reads nothing meanwhile, then
 * drains @rx until nothing more arrives for 50 ms.  Returns how many of
 * them @rx lost, or -1 if a send failed.
 */
static int burst(int tx, int rx, int n)
{
	struct sockaddr_in dst;
	socklen_t len = sizeof(dst);
	char buf[DGRAM_LEN] = { 0 };
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	int i, got = 0;

	if (getsockname(rx, (struct sockaddr *)&dst, &len))
		return -1;
	for (i = 0; i < n; i++)
		if (sendto(tx, buf, sizeof(buf), 0, (struct sockaddr *)&dst,
			   len) != sizeof(buf)) {
			ksft_print_msg("sendto: %s\n", strerror(errno));
			return -1;
		}

	while (poll(&pfd, 1, 50) == 1)
		while (recv(rx, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			got++;

	return n > got ? n - got : 0;
}

/* Knobs saved at setup and put back at teardown. */
static const char *const knobs[] = { "interval_ms", "quiet_ms",
				     "rcvbuf_max" };
#define NR_KNOBS	ARRAY_SIZE(knobs)

static void knob_path(char *path, size_t size, const char *knob)
{
	snprintf(path, size, TUNING "/%s", knob);
}

static int knob_set(const char *knob, long val)
{
	char path[64], buf[32];

	knob_path(path, sizeof(path), knob);
	snprintf(buf, sizeof(buf), "%ld", val);
	return sysfs_write(path, buf);
}

static long knob_get(const char *knob)
{
	char path[64];
	__u64 val = 0;

	knob_path(path, sizeof(path), knob);
	return sysfs_read_u64(path, &val) ? -1 : (long)val;
}

FIXTURE(tune) {
	int dev;
	long knobs[NR_KNOBS];
	char before[4096];
};

FIXTURE_SETUP(tune)
{
	size_t i;

	self->dev = open(XDPRELAY_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", XDPRELAY_DEVICE,
				       strerror(errno));
	for (i = 0; i < NR_KNOBS; i++) {
		self->knobs[i] = knob_get(knobs[i]);
		ASSERT_LE(0, self->knobs[i]) TH_LOG("%s", knobs[i]);
	}
	sockets_state(self->before, sizeof(self->before));
}

FIXTURE_TEARDOWN(tune)
{
	size_t i;

	for (i = 0; i < NR_KNOBS; i++)
		EXPECT_EQ(0, knob_set(knobs[i], self->knobs[i]));
	if (self->dev >= 0)
		close(self->dev);
}

static bool sockets_same(const char *before)
{
	char now[4096];

	sockets_state(now, sizeof(now));
	return !strcmp(before, now);
}

static void expect_sockets_unchanged(struct __test_metadata *_metadata,
				     const char *before)
{
	char now[4096];

	sockets_state(now, sizeof(now));
	EXPECT_STREQ(before, now);
}

/*
 * First, on a fresh load (mod_tune.sh loads the module just before):
 * the documented defaults, and no socket registered.  The other cases
 * change the knobs and put them back.
 */
TEST_F(tune, defaults)
{
	EXPECT_EQ(100, self->knobs[0]) TH_LOG("interval_ms");
	EXPECT_EQ(5000, self->knobs[1]) TH_LOG("quiet_ms");
	EXPECT_EQ(64L << 20, self->knobs[2]) TH_LOG("rcvbuf_max");
	EXPECT_STREQ("", self->before);
}

/*
 * The receive buffer grows up to tuning/rcvbuf_max and no further, set
 * below net.core.rmem_max or above it: the cap is the knob's.
 */
TEST_F(tune, rcvbuf_max_caps_growth)
{
	static const long caps[] = { 64 << 10, 300 << 10 };
	int tx, rx, i, c;
	__u32 id = 0;

	ASSERT_EQ(0, knob_set("interval_ms", INTERVAL_MS));
	ASSERT_EQ(0, knob_set("quiet_ms", 60000));
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, tx);
	for (c = 0; c < (int)ARRAY_SIZE(caps); c++) {
		ASSERT_EQ(0, knob_set("rcvbuf_max", caps[c]));
		rx = udp_socket(4096);
		ASSERT_LE(0, rx);
		ASSERT_EQ(0, sock_register(self->dev, rx, 0, &id));
		/* Every burst overflows even the cap: growth stops there. */
		for (i = 0; i < BURSTS && get_rcvbuf(rx) < caps[c]; i++) {
			long g = sock_attr(id, "grows");

			ASSERT_LT(0, burst(tx, rx, BURST_LEN));
			EXPECT_TRUE(POLL_UNTIL(sock_attr(id, "grows") > g,
					       50 * INTERVAL_MS));
		}
		EXPECT_EQ(caps[c], get_rcvbuf(rx));
		/* More lossy bursts: no more growth. */
		for (i = 0; i < 3; i++) {
			ASSERT_LT(0, burst(tx, rx, BURST_LEN));
			usleep(3 * INTERVAL_MS * 1000);
		}
		EXPECT_EQ(caps[c], get_rcvbuf(rx));
		EXPECT_EQ(caps[c], sock_attr(id, "rcvbuf"));
		ksft_print_msg("rcvbuf_max %ld: rcvbuf %d after %ld grows\n",
			       caps[c], get_rcvbuf(rx),
			       sock_attr(id, "grows"));
		close(rx);
		EXPECT_TRUE(POLL_UNTIL(!sock_entry_exists(id),
				       50 * INTERVAL_MS));
	}
	close(tx);
	expect_sockets_unchanged(_metadata, self->before);
}

#define MAX_SOCKETS	1024

/* At most 1024 sockets at once: the next one is ENOSPC, until one goes. */
TEST_F(tune, socket_limit_enospc)
{
	struct rlimit rl = { MAX_SOCKETS + 64, MAX_SOCKETS + 64 };
	static int fds[MAX_SOCKETS];
	int extra, i;
	__u32 id;

	ASSERT_STREQ("", self->before);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	for (i = 0; i < MAX_SOCKETS; i++) {
		fds[i] = udp_socket(0);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, sock_register(self->dev, fds[i], 0, &id))
			TH_LOG("socket %d", i);
	}
	extra = udp_socket(0);
	ASSERT_LE(0, extra);
	EXPECT_EQ(-ENOSPC, sock_register(self->dev, extra, 0, &id));
	ASSERT_EQ(0, sock_unregister(self->dev, fds[0]));
	EXPECT_EQ(0, sock_register(self->dev, extra, 0, &id));
	EXPECT_EQ(-ENOSPC, sock_register(self->dev, fds[0], 0, &id));
	close(extra);
	for (i = 0; i < MAX_SOCKETS; i++)
		close(fds[i]);
	EXPECT_TRUE(POLL_UNTIL(sockets_same(self->before), 5000));
}

TEST_F(tune, register_and_unregister)
{
	char path[128];
	struct stat st;
	const char *const files[] = { "rcvbuf", "sndbuf", "drops", "grows",
				      "shrinks", "pid" };
	__u32 id = 0;
	size_t i;
	int fd;

	fd = udp_socket(4096);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sock_register(self->dev, fd, 0, &id));
	EXPECT_LT(0U, id);
	ASSERT_TRUE(sock_entry_exists(id));

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), SOCKETS "/%u/%s", id, files[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0444U, st.st_mode & 07777) TH_LOG("%s", path);
	}
	EXPECT_EQ(getpid(), sock_attr(id, "pid"));
	EXPECT_EQ(get_rcvbuf(fd), sock_attr(id, "rcvbuf"));
	EXPECT_EQ(0, sock_attr(id, "grows"));
	EXPECT_EQ(0, sock_attr(id, "shrinks"));
	EXPECT_EQ(0, sock_attr(id, "drops"));

	EXPECT_EQ(0, sock_unregister(self->dev, fd));
	EXPECT_FALSE(sock_entry_exists(id));
	EXPECT_EQ(-ENOENT, sock_unregister(self->dev, fd));

	/* The socket is the caller's still, and can come back. */
	EXPECT_EQ(0, sock_register(self->dev, fd, 0, &id));
	close(fd);
	EXPECT_TRUE(POLL_UNTIL(!sock_entry_exists(id), 2000));
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, ipv6_accepted)
{
	__u32 id = 0;
	int fd;

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (fd < 0)
		SKIP(return, "no IPv6");
	EXPECT_EQ(0, sock_register(self->dev, fd, 0, &id));
	EXPECT_EQ(0, sock_unregister(self->dev, fd));
	close(fd);
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, flags_einval)
{
	int fd = udp_socket(0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, sock_register(self->dev, fd, 1, NULL));
	EXPECT_EQ(-EINVAL, sock_register(self->dev, fd, 1u << 31, NULL));
	close(fd);
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, closed_fd_ebadf)
{
	int fd = udp_socket(0);

	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-EBADF, sock_register(self->dev, fd, 0, NULL));
	EXPECT_EQ(-EBADF, sock_register(self->dev, -1, 0, NULL));
	EXPECT_EQ(-EBADF, sock_unregister(self->dev, fd));
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, not_a_socket_enotsock)
{
	int fd = open("/dev/null", O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTSOCK, sock_register(self->dev, fd, 0, NULL));
	EXPECT_EQ(-ENOTSOCK, sock_unregister(self->dev, fd));
	/* The device itself is not a socket either. */
	EXPECT_EQ(-ENOTSOCK, sock_register(self->dev, self->dev, 0, NULL));
	close(fd);
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, bad_pointer_efault)
{
	EXPECT_EQ(-1, ioctl(self->dev, XDPRELAY_IOC_SOCK_REGISTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->dev, XDPRELAY_IOC_SOCK_UNREGISTER, NULL));
	EXPECT_EQ(EFAULT, errno);
	expect_sockets_unchanged(_metadata, self->before);
}

FIXTURE(not_udp) {
	int dev;
	char before[4096];
};

FIXTURE_VARIANT(not_udp) {
	int domain;
	int type;
	int protocol;
};

FIXTURE_VARIANT_ADD(not_udp, tcp) {
	.domain = AF_INET, .type = SOCK_STREAM, .protocol = 0,
};

FIXTURE_VARIANT_ADD(not_udp, tcp6) {
	.domain = AF_INET6, .type = SOCK_STREAM, .protocol = 0,
};

FIXTURE_VARIANT_ADD(not_udp, udplite) {
	.domain = AF_INET, .type = SOCK_DGRAM, .protocol = IPPROTO_UDPLITE,
};

FIXTURE_VARIANT_ADD(not_udp, raw_udp) {
	.domain = AF_INET, .type = SOCK_RAW, .protocol = IPPROTO_UDP,
};

FIXTURE_VARIANT_ADD(not_udp, unix_dgram) {
	.domain = AF_UNIX, .type = SOCK_DGRAM, .protocol = 0,
};

FIXTURE_VARIANT_ADD(not_udp, xdp) {
	.domain = AF_XDP, .type = SOCK_RAW, .protocol = 0,
};

FIXTURE_SETUP(not_udp)
{
	self->dev = open(XDPRELAY_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	sockets_state(self->before, sizeof(self->before));
}

FIXTURE_TEARDOWN(not_udp)
{
	close(self->dev);
}

TEST_F(not_udp, eprotonosupport)
{
	int fd;

	fd = socket(variant->domain, variant->type, variant->protocol);
	if (fd < 0)
		SKIP(return, "socket(): %s", strerror(errno));
	EXPECT_EQ(-EPROTONOSUPPORT, sock_register(self->dev, fd, 0, NULL));
	EXPECT_EQ(-EPROTONOSUPPORT, sock_unregister(self->dev, fd));
	close(fd);
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, twice_eexist)
{
	__u32 id, id2 = 0;
	int fd, fd2;

	fd = udp_socket(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sock_register(self->dev, fd, 0, &id));
	EXPECT_EQ(-EEXIST, sock_register(self->dev, fd, 0, &id2));
	/* Another fd of the same socket is the same socket. */
	fd2 = dup(fd);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-EEXIST, sock_register(self->dev, fd2, 0, &id2));
	EXPECT_EQ(0U, id2);
	EXPECT_EQ(0, sock_unregister(self->dev, fd2));
	EXPECT_EQ(-ENOENT, sock_unregister(self->dev, fd));
	close(fd2);
	close(fd);
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, unregister_unknown_enoent)
{
	int fd = udp_socket(0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOENT, sock_unregister(self->dev, fd));
	close(fd);
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, bad_knob_writes)
{
	static const struct {
		const char *val;
		int err;
	} bad[] = {
		{ "\n", -EINVAL }, { "abc", -EINVAL },
		{ "12x", -EINVAL }, { "-1", -EINVAL }, { "1 2", -EINVAL },
		{ "0x10", -EINVAL }, { "99999999999", -ERANGE },
		{ "0", -ERANGE },
	};
	static const struct {
		const char *knob;
		const char *below, *above;
		const char *good;
	} k[] = {
		{ "interval_ms", "9", "10001", "10" },
		{ "quiet_ms", "9", "3600001", "3600000" },
		{ "rcvbuf_max", "1024", "1073741824", "1073741823" },
	};
	char path[64];
	size_t i, j;
	long before;

	for (i = 0; i < ARRAY_SIZE(k); i++) {
		knob_path(path, sizeof(path), k[i].knob);
		before = knob_get(k[i].knob);
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			int err = sysfs_write(path, bad[j].val);

			if (err != bad[j].err)
				ksft_print_msg("%s '%s': %d\n", k[i].knob,
					       bad[j].val, err);
			EXPECT_EQ(bad[j].err, err);
		}
		EXPECT_EQ(-ERANGE, sysfs_write(path, k[i].below))
			TH_LOG("%s '%s'", k[i].knob, k[i].below);
		EXPECT_EQ(-ERANGE, sysfs_write(path, k[i].above))
			TH_LOG("%s '%s'", k[i].knob, k[i].above);
		EXPECT_EQ(before, knob_get(k[i].knob)) TH_LOG("%s", k[i].knob);

		EXPECT_EQ(0, sysfs_write(path, k[i].good));
		EXPECT_EQ(strtol(k[i].good, NULL, 10), knob_get(k[i].knob));
	}
	expect_sockets_unchanged(_metadata, self->before);
}

TEST_F(tune, close_removes_entry)
{
	__u32 id = 0;
	int fd;

	ASSERT_EQ(0, knob_set("interval_ms", INTERVAL_MS));
	fd = udp_socket(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sock_register(self->dev, fd, 0, &id));
	ASSERT_TRUE(sock_entry_exists(id));
	close(fd);
	EXPECT_TRUE(POLL_UNTIL(!sock_entry_exists(id), 50 * INTERVAL_MS));
	expect_sockets_unchanged(_metadata, self->before);
}

/*
 * Objects in use in the slab cache of UDP sockets, which SLUB may share
 * with other caches of its size and flags: the first number of
 * /sys/kernel/slab/UDP/objects, -1 if unreadable.
 */
static long udp_slab_objects(void)
{
	long n = -1;
	FILE *f;

	f = fopen("/sys/kernel/slab/UDP/objects", "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

#define LEAK_ROUNDS	1000
#define LEAK_SLACK	128	/* objects of partly used per-CPU slabs */

/*
 * Registrations, refusals and closes by the thousand leave no socket
 * held: the UDP slab returns to where it was.
 */
TEST_F(tune, no_socket_leaked)
{
	long before, after = -1;
	int i, fd, dup_fd;
	__u32 id;

	ASSERT_EQ(0, knob_set("interval_ms", INTERVAL_MS));
	before = udp_slab_objects();
	ASSERT_LT(0, before) TH_LOG("/sys/kernel/slab/UDP/objects unreadable");
	for (i = 0; i < LEAK_ROUNDS; i++) {
		fd = udp_socket(0);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, sock_register(self->dev, fd, 0, &id));
		dup_fd = dup(fd);
		ASSERT_EQ(-EEXIST, sock_register(self->dev, dup_fd, 0, NULL));
		ASSERT_EQ(-EINVAL, sock_register(self->dev, fd, 1, NULL));
		if (i % 2)
			ASSERT_EQ(0, sock_unregister(self->dev, fd));
		close(dup_fd);
		close(fd);
	}
	/* Entries go at the tuner's next pass, sockets after RCU. */
	EXPECT_TRUE(POLL_UNTIL(sockets_same(self->before), 5000));
	expect_sockets_unchanged(_metadata, self->before);
	EXPECT_TRUE(POLL_UNTIL((after = udp_slab_objects()) <=
			       before + LEAK_SLACK, 5000))
		TH_LOG("UDP slab: %ld objects before, %ld after %d sockets",
		       before, after, LEAK_ROUNDS);
}

/*
 * Without the tuner a receiver with a small buffer loses most of every
 * burst; registered, the tuner doubles its buffer after each lossy burst
 * until a whole burst fits, then, once the bursts stop, halves it back.
 */
TEST_F(tune, bursts_stop_dropping)
{
	int lost[BURSTS], last_lossy = -1, rcvbuf0, tx, rx, i;
	long grows, peak;
	__u32 id = 0;

	ASSERT_EQ(0, knob_set("interval_ms", INTERVAL_MS));
	/* No shrinking between bursts: only after them. */
	ASSERT_EQ(0, knob_set("quiet_ms", 60000));

	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, tx);

	rx = udp_socket(4096);
	ASSERT_LE(0, rx);
	lost[0] = burst(tx, rx, BURST_LEN);
	ASSERT_LE(0, lost[0]);
	ksft_print_msg("unregistered, rcvbuf %d: lost %d of %d\n",
		       get_rcvbuf(rx), lost[0], BURST_LEN);
	EXPECT_LT(0, lost[0]);
	close(rx);

	rx = udp_socket(4096);
	ASSERT_LE(0, rx);
	rcvbuf0 = get_rcvbuf(rx);
	ASSERT_EQ(0, sock_register(self->dev, rx, 0, &id));

	for (i = 0; i < BURSTS; i++) {
		long g = sock_attr(id, "grows");

		lost[i] = burst(tx, rx, BURST_LEN);
		ASSERT_LE(0, lost[i]);
		ksft_print_msg("burst %2d: rcvbuf %7d lost %4d\n", i,
			       get_rcvbuf(rx), lost[i]);
		if (!lost[i])
			continue;
		last_lossy = i;
		/* Let the worker see the drops before the next burst. */
		EXPECT_TRUE(POLL_UNTIL(sock_attr(id, "grows") > g,
				       50 * INTERVAL_MS));
	}

	grows = sock_attr(id, "grows");
	peak = sock_attr(id, "rcvbuf");
	ksft_print_msg("registered: last lossy burst %d of %d, drops %ld\n",
		       last_lossy, BURSTS, sock_attr(id, "drops"));
	ksft_print_msg("registered: grows %ld, rcvbuf %d -> %ld\n", grows,
		       rcvbuf0, peak);
	/* Doubling from 8 KiB, a burst of 2000 fits within 12 grows. */
	EXPECT_GT(BURSTS - 5, last_lossy);
	for (i = BURSTS - 5; i < BURSTS; i++)
		EXPECT_EQ(0, lost[i]) TH_LOG("burst %d", i);
	EXPECT_LT(0, grows);
	EXPECT_LT(rcvbuf0, peak);
	EXPECT_EQ(peak, get_rcvbuf(rx));

	/* Quiet: halved back, one step per quiet period. */
	ASSERT_EQ(0, knob_set("quiet_ms", QUIET_MS));
	EXPECT_TRUE(POLL_UNTIL(sock_attr(id, "rcvbuf") == rcvbuf0,
			       (grows + 5) * (QUIET_MS + 2 * INTERVAL_MS)));
	ksft_print_msg("after %d ms quiet: rcvbuf %d, shrinks %ld\n",
		       QUIET_MS, get_rcvbuf(rx), sock_attr(id, "shrinks"));
	EXPECT_EQ(rcvbuf0, get_rcvbuf(rx));
	EXPECT_LT(0, sock_attr(id, "shrinks"));

	close(rx);
	EXPECT_TRUE(POLL_UNTIL(!sock_entry_exists(id), 50 * INTERVAL_MS));
	close(tx);
	expect_sockets_unchanged(_metadata, self->before);
}

/* Last: unloads the module, and loads it again from MOD_TUNE_KO. */
TEST_F(tune, rmmod_with_registered_socket)
{
	const char *ko = getenv("MOD_TUNE_KO");
	char cmd[512], buf[16];
	int rx, tx, rcvbuf, lost;
	__u32 id = 0;

	if (!ko)
		SKIP(return, "MOD_TUNE_KO not set");

	ASSERT_EQ(0, knob_set("interval_ms", INTERVAL_MS));
	rx = udp_socket(4096);
	ASSERT_LE(0, rx);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, tx);
	ASSERT_EQ(0, sock_register(self->dev, rx, 0, &id));
	/* Grow it, so that rmmod has something it must not undo. */
	ASSERT_LT(0, burst(tx, rx, BURST_LEN));
	ASSERT_TRUE(POLL_UNTIL(sock_attr(id, "grows") > 0, 50 * INTERVAL_MS));
	rcvbuf = get_rcvbuf(rx);

	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(0, system("rmmod xdprelay"));
	EXPECT_NE(0, access(SYSFS, F_OK));

	EXPECT_EQ(rcvbuf, get_rcvbuf(rx));
	/*
	 * The buffer is at least twice the 8 KiB it started with: four
	 * datagrams (about 2.3 KiB of truesize each on loopback) fit.
	 */
	lost = burst(tx, rx, 4);
	EXPECT_EQ(0, lost);
	ksft_print_msg("after rmmod: rcvbuf %d, %d of 4 received\n",
		       get_rcvbuf(rx), 4 - lost);
	close(tx);
	close(rx);

	snprintf(cmd, sizeof(cmd), "insmod '%s'", ko);
	ASSERT_EQ(0, system(cmd));
	/* The teardown puts back knobs saved from the old load. */
	snprintf(buf, sizeof(buf), "%ld", knob_get("interval_ms"));
	EXPECT_STREQ("100", buf);
}

TEST_HARNESS_MAIN
