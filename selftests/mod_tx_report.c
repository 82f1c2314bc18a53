// SPDX-License-Identifier: GPL-2.0
/*
 * XDPRELAY_IOC_TX_ADD and XDPRELAY_IOC_RX_ADD on /dev/xdprelay: reported
 * counts land exactly in streams/<name>/tx_packets and tx_bytes (rx_* for
 * RX_ADD) and in stats/, and nowhere else; XDPRELAY_IOC_SUB_TX_ADD's in
 * the subscribers' counters of their rows; every bad call fails with its
 * own errno and counts nothing.  Needs root and
 * xdprelay.ko loaded; selftests/mod_tx_report.sh runs it in the VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The harness's SIGALRM handler ignores its context argument, and its
 * TEST_F wrapper sets a local between setjmp() and longjmp().
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "xdprelay_kfunc.h"
#include "xdprelay_uapi.h"
#include "lib/sysfs.h"

#define SYSFS		"/sys/kernel/xdprelay"
#define NOBODY		65534

/* The streams every test registers: the first, the second and last id. */
static const struct {
	__u32 id;
	const char *name;
} streams[] = {
	{ 1, "txr1" },
	{ 2, "txr2" },
	{ XDPRELAY_MAX_STREAMS - 1, "txr1023" },
};

#define NR_STREAMS	ARRAY_SIZE(streams)

enum { TX, RX, NR_DIRS };

static const char *const dirs[NR_DIRS] = { "tx", "rx" };

/*
 * {tx,rx}_packets and {tx,rx}_bytes of the global row and of each stream
 * above: every test checks both directions.
 */
struct tx_counts {
	__u64 packets[NR_DIRS][1 + NR_STREAMS];
	__u64 bytes[NR_DIRS][1 + NR_STREAMS];
};

static int read_counts(struct tx_counts *c)
{
	char path[128];
	int d, err = 0;
	size_t i;

	for (d = 0; !err && d < NR_DIRS; d++) {
		snprintf(path, sizeof(path), SYSFS "/stats/%s_packets",
			 dirs[d]);
		err = sysfs_read_u64(path, &c->packets[d][0]);
		snprintf(path, sizeof(path), SYSFS "/stats/%s_bytes", dirs[d]);
		err = err ?: sysfs_read_u64(path, &c->bytes[d][0]);
		for (i = 0; !err && i < NR_STREAMS; i++) {
			snprintf(path, sizeof(path),
				 SYSFS "/streams/%s/%s_packets",
				 streams[i].name, dirs[d]);
			err = sysfs_read_u64(path, &c->packets[d][1 + i]);
			snprintf(path, sizeof(path),
				 SYSFS "/streams/%s/%s_bytes",
				 streams[i].name, dirs[d]);
			err = err ?: sysfs_read_u64(path, &c->bytes[d][1 + i]);
		}
	}
	return err;
}

/* Index of stream @id in struct tx_counts, or -1 if not one of streams[]. */
static int counts_idx(__u32 id)
{
	size_t i;

	for (i = 0; i < NR_STREAMS; i++)
		if (streams[i].id == id)
			return 1 + i;
	return -1;
}

/* What @c becomes once @nr reports are counted in direction @d. */
static void counts_add(struct tx_counts *c, int d,
		       const struct xdprelay_report *r, __u32 nr)
{
	__u32 i;
	int idx;

	for (i = 0; i < nr; i++) {
		c->packets[d][0] += r[i].packets;
		c->bytes[d][0] += r[i].bytes;
		idx = counts_idx(r[i].stream);
		if (idx > 0) {
			c->packets[d][idx] += r[i].packets;
			c->bytes[d][idx] += r[i].bytes;
		}
	}
}

static void expect_counts(struct __test_metadata *_metadata,
			  const struct tx_counts *want)
{
	struct tx_counts got;
	size_t i;
	int d;

	ASSERT_EQ(0, read_counts(&got));
	for (d = 0; d < NR_DIRS; d++) {
		for (i = 0; i < 1 + NR_STREAMS; i++) {
			const char *what = i ? streams[i - 1].name : "stats";

			EXPECT_EQ(want->packets[d][i], got.packets[d][i])
				TH_LOG("%s/%s_packets", what, dirs[d]);
			EXPECT_EQ(want->bytes[d][i], got.bytes[d][i])
				TH_LOG("%s/%s_bytes", what, dirs[d]);
		}
	}
}

/* XDPRELAY_IOC_TX_ADD or _RX_ADD of @nr reports at @r: 0 or -errno. */
static int report_add(int fd, int d, const struct xdprelay_report *r,
		      __u32 nr)
{
	struct xdprelay_report_batch batch = {
		.nr = nr,
		.reports = (uintptr_t)r,
	};
	unsigned long cmd = d == RX ? XDPRELAY_IOC_RX_ADD :
				      XDPRELAY_IOC_TX_ADD;

	return ioctl(fd, cmd, &batch) ? -errno : 0;
}

static int tx_add(int fd, const struct xdprelay_report *r, __u32 nr)
{
	return report_add(fd, TX, r, nr);
}

/* Drops CAP_NET_ADMIN from every set of this process, keeping uid 0. */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned int i;

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (CAP_TO_INDEX(CAP_NET_ADMIN) != i)
			continue;
		data[i].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
		data[i].permitted &= ~CAP_TO_MASK(CAP_NET_ADMIN);
		data[i].inheritable &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	}
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

static int keep_privileges(void)
{
	return 0;
}

FIXTURE(tx) {
	int fd;
	struct tx_counts before;
};

/* Opens the device, registers streams[] and reads their counters. */
static void setup_streams(struct __test_metadata *_metadata, int *fd,
			  struct tx_counts *before)
{
	char line[64];
	size_t i;

	*fd = open(XDPRELAY_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, *fd) TH_LOG("open %s: %s", XDPRELAY_DEVICE,
				 strerror(errno));

	for (i = 0; i < NR_STREAMS; i++) {
		/* Left over by a test that died before its teardown. */
		sysfs_write(SYSFS "/del_stream", streams[i].name);
		snprintf(line, sizeof(line), "%u %s", streams[i].id,
			 streams[i].name);
		ASSERT_EQ(0, sysfs_write(SYSFS "/new_stream", line))
			TH_LOG("new_stream '%s'", line);
	}

	ASSERT_EQ(0, read_counts(before));
}

static void teardown_streams(struct __test_metadata *_metadata, int fd)
{
	size_t i;
	int err;

	for (i = 0; i < NR_STREAMS; i++) {
		err = sysfs_write(SYSFS "/del_stream", streams[i].name);
		if (err)
			ksft_print_msg("del_stream %s: %s\n", streams[i].name,
				       strerror(-err));
		EXPECT_EQ(0, err);
	}
	close(fd);
}

FIXTURE_SETUP(tx)
{
	setup_streams(_metadata, &self->fd, &self->before);
}

FIXTURE_TEARDOWN(tx)
{
	teardown_streams(_metadata, self->fd);
}

/*
 * A stream id that counted before starts at zero when it is registered
 * again, under its old name or a new one.
 */
TEST_F(tx, new_stream_starts_at_zero)
{
	struct xdprelay_report r = { .stream = 2, .packets = 9, .bytes = 900 };
	struct tx_counts now;
	__u64 v = ~0ULL;

	ASSERT_EQ(0, tx_add(self->fd, &r, 1));
	ASSERT_EQ(0, report_add(self->fd, RX, &r, 1));
	r.outcome = XDPRELAY_POLICED;
	ASSERT_EQ(0, report_add(self->fd, RX, &r, 1));
	ASSERT_EQ(0, read_counts(&now));
	ASSERT_NE(0ULL, now.packets[TX][2]);
	ASSERT_NE(0ULL, now.packets[RX][2]);

	ASSERT_EQ(0, sysfs_write(SYSFS "/del_stream", "txr2"));
	ASSERT_EQ(0, sysfs_write(SYSFS "/new_stream", "2 txr2"));
	ASSERT_EQ(0, read_counts(&now));
	EXPECT_EQ(0ULL, now.packets[TX][2]);
	EXPECT_EQ(0ULL, now.bytes[TX][2]);
	EXPECT_EQ(0ULL, now.packets[RX][2]);
	EXPECT_EQ(0ULL, now.bytes[RX][2]);
	ASSERT_EQ(0, sysfs_read_u64(SYSFS "/streams/txr2/policed", &v));
	EXPECT_EQ(0ULL, v);

	/* The same id under another name. */
	ASSERT_EQ(0, tx_add(self->fd, &(struct xdprelay_report){
		.stream = 2, .packets = 1, .bytes = 1 }, 1));
	ASSERT_EQ(0, sysfs_write(SYSFS "/del_stream", "txr2"));
	ASSERT_EQ(0, sysfs_write(SYSFS "/new_stream", "2 txr2b"));
	ASSERT_EQ(0, sysfs_read_u64(SYSFS "/streams/txr2b/tx_packets", &v));
	EXPECT_EQ(0ULL, v);
	ASSERT_EQ(0, sysfs_write(SYSFS "/del_stream", "txr2b"));
	ASSERT_EQ(0, sysfs_write(SYSFS "/new_stream", "2 txr2"));
}

TEST_F(tx, one_report)
{
	struct xdprelay_report r = { .stream = 1, .packets = 3,
					.bytes = 3 * 1358 };
	struct tx_counts want = self->before;

	ASSERT_EQ(0, tx_add(self->fd, &r, 1));
	counts_add(&want, TX, &r, 1);
	expect_counts(_metadata, &want);

	/* A second report adds to the first. */
	ASSERT_EQ(0, tx_add(self->fd, &r, 1));
	counts_add(&want, TX, &r, 1);
	expect_counts(_metadata, &want);
	EXPECT_EQ(6ULL, want.packets[TX][1]);
}

TEST_F(tx, several_streams_in_one_batch)
{
	struct xdprelay_report r[] = {
		{ .stream = 2, .packets = 10, .bytes = 13160 },
		{ .stream = 1023, .packets = 1, .bytes = 60 },
		{ .stream = 2, .packets = 5, .bytes = 6580 },
		{ .stream = 1, .packets = 0, .bytes = 0 },
	};
	struct tx_counts want = self->before;

	ASSERT_EQ(0, tx_add(self->fd, r, 4));
	counts_add(&want, TX, r, 4);
	expect_counts(_metadata, &want);
	EXPECT_EQ(15ULL, want.packets[TX][2]);
}

TEST_F(tx, full_batch)
{
	struct xdprelay_report r[XDPRELAY_REPORT_BATCH_MAX] = {};
	struct tx_counts want = self->before;
	__u32 i;

	for (i = 0; i < XDPRELAY_REPORT_BATCH_MAX; i++) {
		r[i].stream = streams[i % NR_STREAMS].id;
		r[i].packets = i + 1;
		r[i].bytes = (i + 1) * 1000 + i;
	}
	ASSERT_EQ(0, tx_add(self->fd, r, XDPRELAY_REPORT_BATCH_MAX));
	counts_add(&want, TX, r, XDPRELAY_REPORT_BATCH_MAX);
	expect_counts(_metadata, &want);
}

TEST_F(tx, counts_are_64_bit)
{
	struct xdprelay_report r = { .stream = 1, .packets = 1ULL << 40,
					.bytes = 3ULL << 50 };
	struct tx_counts want = self->before;

	ASSERT_EQ(0, tx_add(self->fd, &r, 1));
	counts_add(&want, TX, &r, 1);
	expect_counts(_metadata, &want);
}

/* Like the kfunc, the ioctl counts any id in range, registered or not. */
TEST_F(tx, unregistered_stream_counts_in_global_row)
{
	struct xdprelay_report r = { .stream = 500, .packets = 7,
					.bytes = 700 };
	struct tx_counts want = self->before;

	ASSERT_EQ(0, tx_add(self->fd, &r, 1));
	counts_add(&want, TX, &r, 1);
	expect_counts(_metadata, &want);
}

/* The socket backend's receive counts: rx_* only, tx_* untouched. */
TEST_F(tx, rx_reports_count_in_rx)
{
	struct xdprelay_report r[] = {
		{ .stream = 1, .packets = 20, .bytes = 20 * 1358 },
		{ .stream = 1023, .packets = 2, .bytes = 120 },
		{ .stream = 1, .packets = 1, .bytes = 1358 },
		{ .stream = 600, .packets = 4, .bytes = 400 },
	};
	struct tx_counts want = self->before;

	ASSERT_EQ(0, report_add(self->fd, RX, r, 4));
	counts_add(&want, RX, r, 4);
	expect_counts(_metadata, &want);
	EXPECT_EQ(21ULL, want.packets[RX][1]);

	ASSERT_EQ(0, tx_add(self->fd, r, 1));
	counts_add(&want, TX, r, 1);
	expect_counts(_metadata, &want);
}

/* An outcome counter of stream @name (NULL: the global one). */
static __u64 outcome_count(struct __test_metadata *_metadata,
			   const char *name, const char *outcome)
{
	char path[128];
	__u64 v = 0;

	if (name)
		snprintf(path, sizeof(path), SYSFS "/streams/%s/%s", name,
			 outcome);
	else
		snprintf(path, sizeof(path), SYSFS "/stats/%s", outcome);
	EXPECT_EQ(0, sysfs_read_u64(path, &v)) TH_LOG("%s", path);
	return v;
}

/*
 * The socket backend's own policer and source filter: the packets count
 * as received and under their outcome, on the stream and globally, as
 * the program counts them; the other outcomes stay as they were.
 */
TEST_F(tx, rx_reports_with_outcomes)
{
	/* The first four are per stream too; the others global only. */
	static const char *const others[] = {
		"redirected", "pass_no_socket", "pass_no_meta", "malformed",
		"fragments", "unmatched",
	};
	struct xdprelay_report r[] = {
		{ .stream = 1, .packets = 5, .bytes = 500 },
		{ .stream = 1, .outcome = XDPRELAY_POLICED, .packets = 3,
		  .bytes = 300 },
		{ .stream = 1, .outcome = XDPRELAY_SRC_REFUSED, .packets = 2,
		  .bytes = 200 },
		{ .stream = 1023, .outcome = XDPRELAY_SRC_REFUSED,
		  .packets = 7, .bytes = 70 },
	};
	__u64 pol1, ref1, ref1023, pol0, ref0, other0[6], other1[4];
	struct tx_counts want = self->before, now;
	unsigned int i;

	pol1 = outcome_count(_metadata, "txr1", "policed");
	ref1 = outcome_count(_metadata, "txr1", "src_refused");
	ref1023 = outcome_count(_metadata, "txr1023", "src_refused");
	pol0 = outcome_count(_metadata, NULL, "policed");
	ref0 = outcome_count(_metadata, NULL, "src_refused");
	for (i = 0; i < 6; i++) {
		other0[i] = outcome_count(_metadata, NULL, others[i]);
		if (i < 4)
			other1[i] = outcome_count(_metadata, "txr1",
						  others[i]);
	}

	ASSERT_EQ(0, report_add(self->fd, RX, r, 4));
	counts_add(&want, RX, r, 4);
	expect_counts(_metadata, &want);
	/* Stream 1 had 5 + 3 + 2, whatever the outcome. */
	ASSERT_EQ(0, read_counts(&now));
	EXPECT_EQ(10ULL, now.packets[RX][1] - self->before.packets[RX][1]);
	EXPECT_EQ(pol1 + 3, outcome_count(_metadata, "txr1", "policed"));
	EXPECT_EQ(ref1 + 2, outcome_count(_metadata, "txr1", "src_refused"));
	EXPECT_EQ(ref1023 + 7,
		  outcome_count(_metadata, "txr1023", "src_refused"));
	EXPECT_EQ(pol0 + 3, outcome_count(_metadata, NULL, "policed"));
	EXPECT_EQ(ref0 + 9, outcome_count(_metadata, NULL, "src_refused"));
	for (i = 0; i < 6; i++) {
		EXPECT_EQ(other0[i], outcome_count(_metadata, NULL, others[i]));
		if (i < 4)
			EXPECT_EQ(other1[i],
				  outcome_count(_metadata, "txr1", others[i]));
	}
}

/* Only receive reports carry an outcome. */
TEST_F(tx, tx_report_with_outcome_einval)
{
	struct xdprelay_report r = { .stream = 1, .packets = 1, .bytes = 1,
				     .outcome = XDPRELAY_POLICED };

	EXPECT_EQ(-EINVAL, tx_add(self->fd, &r, 1));
	expect_counts(_metadata, &self->before);
}

/* One bad batch: the call fails with EINVAL, every counter unchanged. */
FIXTURE(bad) {
	int fd;
	struct tx_counts before;
	struct xdprelay_report r[XDPRELAY_REPORT_BATCH_MAX + 1];
};

FIXTURE_VARIANT(bad) {
	__u32 nr;		/* reports in the batch, all valid but... */
	__u32 batch_pad;
	bool spoil;		/* ...report bad_idx, if spoil */
	__u32 bad_idx;
	__u32 bad_stream;
	__u32 bad_outcome;
};

FIXTURE_VARIANT_ADD(bad, nr_0) {
	.nr = 0,
};

FIXTURE_VARIANT_ADD(bad, nr_over_max) {
	.nr = XDPRELAY_REPORT_BATCH_MAX + 1,
};

FIXTURE_VARIANT_ADD(bad, batch_pad) {
	.nr = 2, .batch_pad = 1,
};

FIXTURE_VARIANT_ADD(bad, stream_0) {
	.nr = 1, .spoil = true, .bad_idx = 0, .bad_stream = 0,
};

FIXTURE_VARIANT_ADD(bad, stream_1024) {
	.nr = 1, .spoil = true, .bad_idx = 0,
	.bad_stream = XDPRELAY_MAX_STREAMS,
};

FIXTURE_VARIANT_ADD(bad, stream_u32_max) {
	.nr = 1, .spoil = true, .bad_idx = 0, .bad_stream = UINT32_MAX,
};

/* A counter that is no outcome, and outcomes a relay does not report. */
FIXTURE_VARIANT_ADD(bad, outcome_rx_bytes) {
	.nr = 1, .spoil = true, .bad_idx = 0, .bad_stream = 1,
	.bad_outcome = XDPRELAY_RX_BYTES,
};

FIXTURE_VARIANT_ADD(bad, outcome_redirected) {
	.nr = 1, .spoil = true, .bad_idx = 0, .bad_stream = 1,
	.bad_outcome = XDPRELAY_REDIRECTED,
};

FIXTURE_VARIANT_ADD(bad, outcome_past_the_counters) {
	.nr = 1, .spoil = true, .bad_idx = 0, .bad_stream = 1,
	.bad_outcome = XDPRELAY_NR_COUNTERS,
};

FIXTURE_VARIANT_ADD(bad, stream_0_mid_batch) {
	.nr = 5, .spoil = true, .bad_idx = 2, .bad_stream = 0,
};

FIXTURE_VARIANT_ADD(bad, outcome_mid_batch) {
	.nr = 5, .spoil = true, .bad_idx = 2, .bad_stream = 2,
	.bad_outcome = 0x80000000,
};

FIXTURE_VARIANT_ADD(bad, stream_1024_last_of_full_batch) {
	.nr = XDPRELAY_REPORT_BATCH_MAX, .spoil = true,
	.bad_idx = XDPRELAY_REPORT_BATCH_MAX - 1,
	.bad_stream = XDPRELAY_MAX_STREAMS,
};

FIXTURE_SETUP(bad)
{
	size_t i;

	setup_streams(_metadata, &self->fd, &self->before);

	/* Valid reports around the spoilt one, so only it can be refused. */
	for (i = 0; i < XDPRELAY_REPORT_BATCH_MAX + 1; i++) {
		self->r[i].stream = streams[i % NR_STREAMS].id;
		self->r[i].packets = 1;
		self->r[i].bytes = 100;
	}
	if (variant->spoil) {
		self->r[variant->bad_idx].stream = variant->bad_stream;
		self->r[variant->bad_idx].outcome = variant->bad_outcome;
	}
}

FIXTURE_TEARDOWN(bad)
{
	teardown_streams(_metadata, self->fd);
}

static void bad_batch(struct __test_metadata *_metadata,
		      FIXTURE_DATA(bad) *self,
		      const FIXTURE_VARIANT(bad) *variant, int d)
{
	struct xdprelay_report_batch batch = {
		.nr = variant->nr,
		.pad = variant->batch_pad,
		.reports = (uintptr_t)self->r,
	};
	unsigned long cmd = d == RX ? XDPRELAY_IOC_RX_ADD :
				      XDPRELAY_IOC_TX_ADD;
	struct tx_counts want = self->before;

	EXPECT_EQ(-1, ioctl(self->fd, cmd, &batch));
	EXPECT_EQ(EINVAL, errno) TH_LOG("errno %s", strerror(errno));
	expect_counts(_metadata, &self->before);

	/* The batch without its fault is accepted: the fault was refused. */
	batch.pad = 0;
	batch.nr = variant->spoil ? variant->bad_idx : variant->nr;
	if (batch.nr > XDPRELAY_REPORT_BATCH_MAX)
		batch.nr = XDPRELAY_REPORT_BATCH_MAX;
	if (!batch.nr)
		return;
	ASSERT_EQ(0, ioctl(self->fd, cmd, &batch));
	counts_add(&want, d, self->r, batch.nr);
	expect_counts(_metadata, &want);
}

TEST_F(bad, tx_refused_and_nothing_counted)
{
	bad_batch(_metadata, self, variant, TX);
}

TEST_F(bad, rx_refused_and_nothing_counted)
{
	bad_batch(_metadata, self, variant, RX);
}

/* XDPRELAY_IOC_SUB_TX_ADD, to two subscribers of stream txs1. */
#define SUB_STREAM	"txs1"

static const struct {
	__u32 row;
	const char *name;
} subs[] = {
	{ 1, "10.0.0.1:6000" },
	{ XDPRELAY_SLOTS - 1, "[fd00::1]:6000" },
};

static const char *const sub_files[4] = {
	"tx_packets", "tx_bytes", "tx_errors", "tx_no_neigh",
};

FIXTURE(sub) {
	int fd;
};

FIXTURE_SETUP(sub)
{
	char line[64];
	size_t i;

	self->fd = open(XDPRELAY_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	sysfs_write(SYSFS "/del_stream", SUB_STREAM);
	ASSERT_EQ(0, sysfs_write(SYSFS "/new_stream", "5 " SUB_STREAM));
	for (i = 0; i < ARRAY_SIZE(subs); i++) {
		snprintf(line, sizeof(line), "%u 5 %s", subs[i].row,
			 subs[i].name);
		ASSERT_EQ(0, sysfs_write(SYSFS "/new_sub", line))
			TH_LOG("new_sub '%s'", line);
	}
}

FIXTURE_TEARDOWN(sub)
{
	EXPECT_EQ(0, sysfs_write(SYSFS "/del_stream", SUB_STREAM));
	close(self->fd);
}

static int sub_add(int fd, const struct xdprelay_sub_report *r, __u32 nr,
		   __u32 pad)
{
	struct xdprelay_report_batch batch = {
		.nr = nr,
		.pad = pad,
		.reports = (uintptr_t)r,
	};

	return ioctl(fd, XDPRELAY_IOC_SUB_TX_ADD, &batch) ? -errno : 0;
}

/* The four counters of subscriber @i: packets, bytes, errors, no_neigh. */
static void expect_sub(struct __test_metadata *_metadata, size_t i,
		       __u64 p, __u64 b, __u64 e, __u64 n)
{
	const __u64 want[4] = { p, b, e, n };
	char path[160];
	__u64 v = ~0ULL;
	int k;

	for (k = 0; k < 4; k++) {
		snprintf(path, sizeof(path),
			 SYSFS "/streams/" SUB_STREAM "/subscribers/%s/%s",
			 subs[i].name, sub_files[k]);
		ASSERT_EQ(0, sysfs_read_u64(path, &v)) TH_LOG("%s", path);
		EXPECT_EQ(want[k], v) TH_LOG("%s", path);
	}
}

TEST_F(sub, reports_land_in_their_rows)
{
	struct xdprelay_sub_report r[] = {
		{ .row = 1, .packets = 3, .bytes = 300, .tx_errors = 1,
		  .no_neigh = 2 },
		{ .row = XDPRELAY_SLOTS - 1, .packets = 7, .bytes = 700 },
		{ .row = 1, .packets = 1, .bytes = 100 },
	};
	__u64 v = ~0ULL;

	ASSERT_EQ(0, sub_add(self->fd, r, ARRAY_SIZE(r), 0));
	expect_sub(_metadata, 0, 4, 400, 1, 2);
	expect_sub(_metadata, 1, 7, 700, 0, 0);
	/* Not the stream's: the relay reports those apart. */
	ASSERT_EQ(0, sysfs_read_u64(SYSFS "/streams/" SUB_STREAM "/tx_packets",
				    &v));
	EXPECT_EQ(0ULL, v);
}

TEST_F(sub, a_row_given_again_starts_at_zero)
{
	struct xdprelay_sub_report r = { .row = 1, .packets = 9, .bytes = 9 };

	ASSERT_EQ(0, sub_add(self->fd, &r, 1, 0));
	ASSERT_EQ(0, sysfs_write(SYSFS "/del_sub", "1"));
	ASSERT_EQ(0, sysfs_write(SYSFS "/new_sub", "1 5 10.0.0.1:6000"));
	expect_sub(_metadata, 0, 0, 0, 0, 0);
}

TEST_F(sub, bad_batches_refused_and_nothing_counted)
{
	struct xdprelay_sub_report r[3] = {
		{ .row = 1, .packets = 1, .bytes = 1 },
		{ .row = XDPRELAY_SLOTS - 1, .packets = 1, .bytes = 1 },
		{ .row = 1, .packets = 1, .bytes = 1 },
	};

	EXPECT_EQ(-EINVAL, sub_add(self->fd, r, 0, 0));
	EXPECT_EQ(-EINVAL, sub_add(self->fd, r, 3, 1));
	EXPECT_EQ(-EINVAL, sub_add(self->fd, r,
				   XDPRELAY_REPORT_BATCH_MAX + 1, 0));
	r[2].row = 0;
	EXPECT_EQ(-EINVAL, sub_add(self->fd, r, 3, 0));
	r[2].row = XDPRELAY_SLOTS;
	EXPECT_EQ(-EINVAL, sub_add(self->fd, r, 3, 0));
	r[2].row = 1;
	r[2].pad = 1;
	EXPECT_EQ(-EINVAL, sub_add(self->fd, r, 3, 0));
	EXPECT_EQ(-EFAULT, sub_add(self->fd, NULL, 1, 0));
	expect_sub(_metadata, 0, 0, 0, 0, 0);
	expect_sub(_metadata, 1, 0, 0, 0, 0);
}

TEST_F(tx, bad_batch_pointer_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, XDPRELAY_IOC_TX_ADD, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, XDPRELAY_IOC_TX_ADD, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	expect_counts(_metadata, &self->before);
}

TEST_F(tx, bad_reports_pointer_efault)
{
	EXPECT_EQ(-EFAULT, tx_add(self->fd, NULL, 1));
	EXPECT_EQ(-EFAULT, tx_add(self->fd, (void *)-4096L, 1));
	expect_counts(_metadata, &self->before);
}

/* Valid reports running into an unmapped page: nothing of them counts. */
TEST_F(tx, reports_cross_into_unmapped_page_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct xdprelay_report *r;
	__u32 nr, i;
	char *map;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, munmap(map + page, page));

	nr = page / sizeof(*r);
	r = (struct xdprelay_report *)(map + page) - nr;
	for (i = 0; i < nr; i++)
		r[i] = (struct xdprelay_report){ .stream = 1, .packets = 1,
						    .bytes = 64 };
	ASSERT_EQ(0, tx_add(self->fd, r, nr));
	counts_add(&self->before, TX, r, nr);

	EXPECT_EQ(-EFAULT, tx_add(self->fd, r, nr + 1));
	EXPECT_EQ(-EFAULT, tx_add(self->fd, r + nr - 1, 2));
	expect_counts(_metadata, &self->before);
	munmap(map, page);
}

TEST_F(tx, unknown_ioctl_enotty)
{
	struct xdprelay_report r = { .stream = 1, .packets = 1,
					.bytes = 1 };
	struct xdprelay_report_batch batch = { .nr = 1, .reports = (uintptr_t)&r };

	/* Another number, the same number with another size or direction. */
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOW(XDPRELAY_IOC_MAGIC, 99, struct xdprelay_report_batch),
			    &batch));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(XDPRELAY_IOC_MAGIC, 1, __u64),
			    &batch));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd,
			    _IOWR(XDPRELAY_IOC_MAGIC, 1, struct xdprelay_report_batch),
			    &batch));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, FIONREAD, &batch));
	EXPECT_EQ(ENOTTY, errno);
	expect_counts(_metadata, &self->before);
}

/* What a process that gave up CAP_NET_ADMIN tries on the open device. */
enum unpriv_op {
	OP_TX_ADD,		/* a valid report */
	OP_UNKNOWN_IOCTL,
	OP_OPEN,		/* open the device itself */
};

/*
 * Runs @op in a child that first calls @drop, so that this process keeps
 * its privileges for the checks and the teardown.  Returns the errno @op
 * failed with, 0 if it succeeded, -1 if the child could not drop them.
 */
static int unpriv_errno(int fd, int (*drop)(void), enum unpriv_op op)
{
	struct xdprelay_report r = { .stream = 1, .packets = 1,
					.bytes = 1 };
	int status, ret = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (drop())
			_exit(255);
		switch (op) {
		case OP_TX_ADD:
			ret = -tx_add(fd, &r, 1);
			break;
		case OP_UNKNOWN_IOCTL:
			if (ioctl(fd, FIONREAD, &r))
				ret = errno;
			break;
		case OP_OPEN:
			ret = open(XDPRELAY_DEVICE, O_RDWR) < 0 ? errno : 0;
			break;
		}
		_exit(ret);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 255)
		return -1;
	return WEXITSTATUS(status);
}

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

/* The device was opened by root; CAP_NET_ADMIN is checked at each call. */
TEST_F(tx, nobody_eperm)
{
	EXPECT_EQ(EPERM, unpriv_errno(self->fd, become_nobody, OP_TX_ADD));
	EXPECT_EQ(EACCES, unpriv_errno(self->fd, become_nobody, OP_OPEN));
	expect_counts(_metadata, &self->before);
}

TEST_F(tx, root_without_net_admin_eperm)
{
	EXPECT_EQ(EPERM, unpriv_errno(self->fd, drop_net_admin, OP_TX_ADD));
	/* EPERM comes first, whatever the command. */
	EXPECT_EQ(EPERM, unpriv_errno(self->fd, drop_net_admin,
				      OP_UNKNOWN_IOCTL));
	expect_counts(_metadata, &self->before);
}

/* The checks above fail for the right reason: these are let through. */
TEST_F(tx, root_with_net_admin_allowed)
{
	struct xdprelay_report r = { .stream = 1, .packets = 1,
					.bytes = 1 };

	EXPECT_EQ(0, unpriv_errno(self->fd, keep_privileges, OP_OPEN));
	EXPECT_EQ(0, unpriv_errno(self->fd, keep_privileges, OP_TX_ADD));
	counts_add(&self->before, TX, &r, 1);
	expect_counts(_metadata, &self->before);
}

TEST_HARNESS_MAIN
