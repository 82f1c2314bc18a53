// SPDX-License-Identifier: GPL-2.0
/*
 * The relay's shared state: the maps the XDP program pins (by ip link or
 * xdprelayctl attach) and the subscriber table's sequence lock.
 *
 * Everything read back from a pinned map was written by another process,
 * possibly by another version of this program: the maps' layout is
 * checked when they are opened, and entries are bounded when read.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "relay.h"
#include "state.h"
#include "util.h"

#define HOW_TO_ATTACH							\
	"attach it with 'ip link set dev DEV xdp obj bpf/xdprelay.bpf.o sec xdp' or 'xdprelayctl attach DEV', or for the socket backend alone create its maps with 'xdprelayctl init'"

/*
 * A writer holds the lock for a few map updates and, per stream, at most
 * XR_APPLY_WAIT_MS (config.c) for a relay to resolve next hops.
 */
#define XR_LOCK_TIMEOUT_MS	30000
#define XR_LOCK_POLL_MS		10

/* Readers give up after this many torn copies and use the old one. */
#define SUBS_READ_TRIES	4

struct map_spec {
	const char *name;
	size_t fd_off;		/* in struct xr_state */
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	bool mmapable;
	bool optional;		/* xr_counters: maps variant only; xr_cpus */
};

#define MAP(_name, _fd, _type, _val, _max, _mmap, _opt) {		\
	.name = _name,							\
	.fd_off = offsetof(struct xr_state, _fd),			\
	.type = _type,							\
	.key_size = sizeof(__u32),					\
	.value_size = _val,						\
	.max_entries = _max,						\
	.mmapable = _mmap,						\
	.optional = _opt,						\
}

/* xr_streams first: its absence means that nothing is attached. */
static const struct map_spec maps[] = {
	{
		.name = XDPRELAY_MAP_STREAMS,
		.fd_off = offsetof(struct xr_state, streams_fd),
		.type = BPF_MAP_TYPE_HASH,
		.key_size = sizeof(struct xdprelay_key),
		.value_size = sizeof(struct xdprelay_stream),
		.max_entries = XDPRELAY_MAX_STREAMS,
	},
	MAP(XDPRELAY_MAP_XSKS, xsks_fd, BPF_MAP_TYPE_XSKMAP, sizeof(__u32),
	    XDPRELAY_MAX_QUEUES, false, false),
	MAP(XDPRELAY_MAP_POLICERS, policers_fd, BPF_MAP_TYPE_ARRAY,
	    sizeof(struct xdprelay_policer), XDPRELAY_MAX_STREAMS, false,
	    false),
	MAP(XDPRELAY_MAP_INFO, info_fd, BPF_MAP_TYPE_ARRAY,
	    sizeof(struct xdprelay_info), XDPRELAY_MAX_STREAMS, false, false),
	MAP(XDPRELAY_MAP_SUBS, subs_fd, BPF_MAP_TYPE_ARRAY,
	    sizeof(struct xdprelay_subs), XDPRELAY_MAX_STREAMS, true, false),
	MAP(XDPRELAY_MAP_TX, tx_fd, BPF_MAP_TYPE_ARRAY,
	    sizeof(struct xdprelay_tx), XDPRELAY_MAX_STREAMS, true, false),
	MAP(XDPRELAY_MAP_DIRECT, direct_fd, BPF_MAP_TYPE_HASH,
	    sizeof(struct xdprelay_direct), XDPRELAY_MAX_STREAMS, false,
	    false),
	{
		.name = XDPRELAY_MAP_FANOUT,
		.fd_off = offsetof(struct xr_state, fanout_fd),
		.type = BPF_MAP_TYPE_HASH,
		.key_size = sizeof(struct xdprelay_fkey),
		.value_size = sizeof(struct xdprelay_fset),
		.max_entries = XDPRELAY_FANOUT_ENTRIES,
	},
	MAP(XDPRELAY_MAP_DTX, dtx_fd, BPF_MAP_TYPE_PERCPU_ARRAY,
	    sizeof(struct xdprelay_dtx), XDPRELAY_MAX_STREAMS, false, false),
	MAP(XDPRELAY_MAP_COUNTERS, counters_fd, BPF_MAP_TYPE_PERCPU_ARRAY,
	    sizeof(struct xdprelay_counters), XDPRELAY_MAX_STREAMS, false,
	    true),
	MAP(XDPRELAY_MAP_SLOTS, slots_fd, BPF_MAP_TYPE_ARRAY,
	    sizeof(struct xdprelay_slot), XDPRELAY_SLOTS, true, false),
	MAP(XDPRELAY_MAP_SUBTX, subtx_fd, BPF_MAP_TYPE_PERCPU_ARRAY,
	    sizeof(struct xdprelay_subtx), XDPRELAY_SLOTS, false, false),
	/* Not pinned by programs older than the hand-off to other CPUs. */
	MAP(XDPRELAY_MAP_CPUS, cpus_fd, BPF_MAP_TYPE_CPUMAP,
	    sizeof(struct bpf_cpumap_val), XDPRELAY_MAX_CPUS, false, true),
	/* Not pinned by programs older than the per-queue figures. */
	MAP(XDPRELAY_MAP_QUEUES, queues_fd, BPF_MAP_TYPE_ARRAY,
	    sizeof(struct xdprelay_queue), XDPRELAY_MAX_QUEUES, true, true),
	/* Nor by those older than the streams' health. */
	MAP(XDPRELAY_MAP_HEALTH, health_fd, BPF_MAP_TYPE_ARRAY,
	    sizeof(struct xdprelay_health), XDPRELAY_MAX_STREAMS, false,
	    true),
};

static int *map_fd(struct xr_state *st, const struct map_spec *m)
{
	return (int *)((char *)st + m->fd_off);
}

/* An mmapped array map: values 8-byte aligned, whole pages. */
static size_t mmap_len(size_t value_size, size_t entries)
{
	size_t page = sysconf(_SC_PAGESIZE);
	size_t len = ((value_size + 7) & ~7UL) * entries;

	return (len + page - 1) & ~(page - 1);
}

static int map_check(const char *path, int fd, const struct map_spec *m)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	const char *what = NULL;
	__u32 got = 0, want = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		pr_err("cannot read the description of %s: %s", path,
		       strerror(errno));
		return -errno;
	}
	if (info.type != m->type) {
		what = "type";
		got = info.type;
		want = m->type;
	} else if (info.key_size != m->key_size) {
		what = "key size";
		got = info.key_size;
		want = m->key_size;
	} else if (info.value_size != m->value_size) {
		what = "value size";
		got = info.value_size;
		want = m->value_size;
	} else if (info.max_entries != m->max_entries) {
		what = "size";
		got = info.max_entries;
		want = m->max_entries;
	} else if (m->mmapable && !(info.map_flags & BPF_F_MMAPABLE)) {
		what = "mmapable flag";
		want = 1;
	}
	if (!what)
		return 0;
	pr_err("%s has %s %u where this xdprelayctl expects %u: it comes from another version of the XDP object; detach the program, remove the xr_* pins in %s and attach it again",
	       path, what, got, want, xr_pin_dir());
	return -EPROTO;
}

/*
 * Whether ip link pinned the maps in BASE/xdp/globals instead of
 * BASE/tc/globals (see iproute2_links() in xdprelayctl.c); sets @alt.
 */
static bool pinned_by_ip_xdp(const char *dir, char *alt, size_t len)
{
	static const char tail[] = "/tc/globals";
	size_t n = strlen(dir);
	char path[PATH_MAX + 16];

	if (n < sizeof(tail) || strcmp(dir + n - sizeof(tail) + 1, tail))
		return false;
	snprintf(alt, len, "%.*s/xdp/globals", (int)(n - sizeof(tail) + 1),
		 dir);
	snprintf(path, sizeof(path), "%s/%s", alt, XDPRELAY_MAP_STREAMS);
	return !access(path, F_OK);
}

static int map_open(struct xr_state *st, const struct map_spec *m,
		    bool first)
{
	const char *dir = xr_pin_dir();
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, m->name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT && m->optional)
			return 0;
		if (ret == -ENOENT && first && pinned_by_ip_xdp(dir, path,
								 sizeof(path)))
			pr_err("no maps pinned in %s, but in %s: ip link pinned them there because the xdp directory next to tc is not its link to tc; run with XDPRELAY_PIN_DIR=%s, or detach, remove them and attach again with 'xdprelayctl attach DEV'",
			       dir, path, path);
		else if (ret == -ENOENT && first)
			pr_err("the xdprelay XDP program is not attached (no maps pinned in %s): "
			       HOW_TO_ATTACH, dir);
		else if (ret == -ENOENT)
			pr_err("%s is missing while %s/%s is pinned: the program attached is another version; detach it, remove the xr_* pins in %s and "
			       HOW_TO_ATTACH, path, dir, XDPRELAY_MAP_STREAMS,
			       dir);
		else if (ret == -EPERM || ret == -EACCES)
			pr_err("permission denied opening %s: run as root (xdprelayctl needs CAP_BPF and CAP_NET_ADMIN)",
			       path);
		else
			pr_err("cannot open pinned map %s: %s", path,
			       strerror(-ret));
		return ret;
	}
	ret = map_check(path, fd, m);
	if (ret) {
		close(fd);
		return ret;
	}
	*map_fd(st, m) = fd;
	return 0;
}

static void *map_mmap(int fd, size_t value_size, size_t entries,
		      const char *name)
{
	void *p;

	p = mmap(NULL, mmap_len(value_size, entries), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		pr_err("cannot mmap %s/%s: %s", xr_pin_dir(), name,
		       strerror(errno));
		return NULL;
	}
	return p;
}

int xr_state_open(struct xr_state *st)
{
	size_t i;
	int ret;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < XR_ARRAY_SIZE(maps); i++)
		*map_fd(st, &maps[i]) = -1;

	ret = xr_pin_dir_check(xr_pin_dir(), false);
	if (ret)
		return ret;

	for (i = 0; i < XR_ARRAY_SIZE(maps); i++) {
		ret = map_open(st, &maps[i], i == 0);
		if (ret)
			goto err;
	}

	st->subs = map_mmap(st->subs_fd, sizeof(struct xdprelay_subs),
			    XDPRELAY_MAX_STREAMS, XDPRELAY_MAP_SUBS);
	if (!st->subs) {
		ret = -errno;
		goto err;
	}
	st->tx = map_mmap(st->tx_fd, sizeof(struct xdprelay_tx),
			  XDPRELAY_MAX_STREAMS, XDPRELAY_MAP_TX);
	if (!st->tx) {
		ret = -errno;
		goto err;
	}
	st->slots = map_mmap(st->slots_fd, sizeof(struct xdprelay_slot),
			     XDPRELAY_SLOTS, XDPRELAY_MAP_SLOTS);
	if (!st->slots) {
		ret = -errno;
		goto err;
	}

	if (st->queues_fd >= 0) {
		st->queues = map_mmap(st->queues_fd,
				      sizeof(struct xdprelay_queue),
				      XDPRELAY_MAX_QUEUES, XDPRELAY_MAP_QUEUES);
		if (!st->queues) {
			ret = -errno;
			goto err;
		}
	}

	st->ncpus = libbpf_num_possible_cpus();
	if (st->ncpus <= 0) {
		ret = st->ncpus ? st->ncpus : -EINVAL;
		pr_err("cannot tell how many CPUs there may be: %s",
		       strerror(-ret));
		goto err;
	}
	st->percpu = calloc(st->ncpus, sizeof(*st->percpu));
	st->percpu_sub = calloc(st->ncpus, sizeof(*st->percpu_sub));
	if (!st->percpu || !st->percpu_sub) {
		ret = -ENOMEM;
		goto err;
	}

	st->module = !access(XR_SYSFS_DIR, F_OK);
	return 0;

err:
	xr_state_close(st);
	return ret;
}

void xr_state_close(struct xr_state *st)
{
	size_t i;
	int *fd;

	if (st->queues)
		munmap(st->queues, mmap_len(sizeof(struct xdprelay_queue),
					    XDPRELAY_MAX_QUEUES));
	if (st->slots)
		munmap(st->slots, mmap_len(sizeof(struct xdprelay_slot),
					   XDPRELAY_SLOTS));
	if (st->tx)
		munmap(st->tx, mmap_len(sizeof(struct xdprelay_tx),
					XDPRELAY_MAX_STREAMS));
	if (st->subs)
		munmap(st->subs, mmap_len(sizeof(struct xdprelay_subs),
					  XDPRELAY_MAX_STREAMS));
	st->queues = NULL;
	st->slots = NULL;
	st->tx = NULL;
	st->subs = NULL;
	free(st->percpu);
	st->percpu = NULL;
	free(st->percpu_sub);
	st->percpu_sub = NULL;
	for (i = 0; i < XR_ARRAY_SIZE(maps); i++) {
		fd = map_fd(st, &maps[i]);
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

int xr_dtx_read(struct xr_state *st, uint32_t id, struct xdprelay_dtx *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(st->dtx_fd, &id, st->percpu))
		return -errno;
	for (cpu = 0; cpu < st->ncpus; cpu++) {
		sum->packets += st->percpu[cpu].packets;
		sum->bytes += st->percpu[cpu].bytes;
		sum->tx_errors += st->percpu[cpu].tx_errors;
		sum->no_neigh += st->percpu[cpu].no_neigh;
		sum->handed += st->percpu[cpu].handed;
		sum->arrived += st->percpu[cpu].arrived;
	}
	return 0;
}

int xr_sub_read(struct xr_state *st, uint32_t slot,
		struct xdprelay_subtx *sum)
{
	const struct xdprelay_slot *row;
	int cpu;

	memset(sum, 0, sizeof(*sum));
	if (!slot || slot >= XDPRELAY_SLOTS)
		return -EINVAL;
	row = &st->slots[slot];
	sum->packets = __atomic_load_n(&row->packets, __ATOMIC_RELAXED);
	sum->bytes = __atomic_load_n(&row->bytes, __ATOMIC_RELAXED);
	sum->tx_errors = __atomic_load_n(&row->tx_errors, __ATOMIC_RELAXED);
	sum->no_neigh = __atomic_load_n(&row->no_neigh, __ATOMIC_RELAXED);
	if (bpf_map_lookup_elem(st->subtx_fd, &slot, st->percpu_sub))
		return -errno;
	for (cpu = 0; cpu < st->ncpus; cpu++) {
		sum->packets += st->percpu_sub[cpu].packets;
		sum->bytes += st->percpu_sub[cpu].bytes;
		sum->tx_errors += st->percpu_sub[cpu].tx_errors;
		sum->no_neigh += st->percpu_sub[cpu].no_neigh;
	}
	return 0;
}

void xr_slot_add(struct xr_state *st, uint32_t slot,
		 const struct xdprelay_subtx *d)
{
	struct xdprelay_slot *row;

	if (!slot || slot >= XDPRELAY_SLOTS)
		return;
	row = &st->slots[slot];
	if (d->packets)
		__atomic_fetch_add(&row->packets, d->packets,
				   __ATOMIC_RELAXED);
	if (d->bytes)
		__atomic_fetch_add(&row->bytes, d->bytes, __ATOMIC_RELAXED);
	if (d->tx_errors)
		__atomic_fetch_add(&row->tx_errors, d->tx_errors,
				   __ATOMIC_RELAXED);
	if (d->no_neigh)
		__atomic_fetch_add(&row->no_neigh, d->no_neigh,
				   __ATOMIC_RELAXED);
}

int xr_fanout_purge(struct xr_state *st, uint32_t id)
{
	/* Both generations' sets, at most. */
	struct xdprelay_fkey keys[2 * XDPRELAY_MAX_SUBS];
	struct xdprelay_fkey key, next;
	unsigned int n = 0, i;
	void *prev = NULL;
	int ret = 0;

	while (!bpf_map_get_next_key(st->fanout_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (next.id == id && n < XR_ARRAY_SIZE(keys))
			keys[n++] = next;
	}
	for (i = 0; i < n; i++)
		if (bpf_map_delete_elem(st->fanout_fd, &keys[i]) &&
		    errno != ENOENT && !ret)
			ret = -errno;
	return ret;
}

const char *xr_run_dir(void)
{
	const char *dir = getenv("XDPRELAY_RUN_DIR");

	return dir && *dir ? dir : XR_RUN_DIR;
}

static const char *run_file(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", xr_run_dir(), name);
	return buf;
}

const char *xr_status_file(void)
{
	static char path[PATH_MAX];

	return run_file(path, sizeof(path), "status");
}

const char *xr_lock_file(void)
{
	static char path[PATH_MAX];

	return run_file(path, sizeof(path), "lock");
}

/*
 * The run directory holds the lock that serialises every writer of the
 * pinned state and the file that names the relay: whoever else can write
 * it can plant a link where either is opened, or replace them.  So it is
 * a directory of its own (not a link), owned by this user or root, and
 * nobody else may write it.
 */
int xr_run_dir_make(void)
{
	const char *dir = xr_run_dir();
	struct stat sb;
	int ret;

	ret = xr_mkdir_p(dir, 0755);
	if (ret) {
		pr_err("cannot create %s: %s%s", dir, strerror(-ret),
		       ret == -EACCES ? ": run as root" : "");
		return ret;
	}
	if (lstat(dir, &sb)) {
		ret = -errno;
		pr_err("cannot read %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(sb.st_mode)) {
		pr_err("%s is not a directory but a %s: remove it, or name another run directory with XDPRELAY_RUN_DIR",
		       dir, S_ISLNK(sb.st_mode) ? "symbolic link" : "file");
		return -ENOTDIR;
	}
	if (sb.st_uid != geteuid() && sb.st_uid != 0) {
		pr_err("%s belongs to uid %u, not to this user or root: remove it, or name another run directory with XDPRELAY_RUN_DIR",
		       dir, (unsigned int)sb.st_uid);
		return -EPERM;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		pr_err("%s can be written by others (mode %03o): 'chmod go-w %s', or name another run directory with XDPRELAY_RUN_DIR",
		       dir, (unsigned int)(sb.st_mode & 07777), dir);
		return -EPERM;
	}
	return 0;
}

/* @path opened without following a link, and a regular file: 0 or -errno. */
static int open_regular(const char *path, int flags, int *fdp)
{
	struct stat sb;
	int fd, ret;

	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ELOOP)
			pr_err("%s is a symbolic link: remove it", path);
		else
			pr_err("cannot open %s: %s%s", path, strerror(-ret),
			       ret == -EACCES ? ": run as root" : "");
		return ret;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		pr_err("%s is not a regular file: remove it", path);
		close(fd);
		return -EINVAL;
	}
	*fdp = fd;
	return 0;
}

int xr_state_lock(void)
{
	int fd = -1, ret, waited = 0;

	ret = xr_run_dir_make();
	if (ret)
		return ret;
	ret = open_regular(xr_lock_file(), O_RDWR | O_CREAT, &fd);
	if (ret)
		return ret;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		if (ret != -EWOULDBLOCK) {
			pr_err("cannot lock %s: %s", xr_lock_file(),
			       strerror(-ret));
			goto fail;
		}
		if (waited >= XR_LOCK_TIMEOUT_MS) {
			pr_err("another xdprelayctl has held %s for %d ms: try again once it is done (see 'fuser -v %s')",
			       xr_lock_file(), waited, xr_lock_file());
			ret = -EBUSY;
			goto fail;
		}
		if (!waited)
			pr_warn("another xdprelayctl holds %s: waiting up to %d s for it to finish its change",
				xr_lock_file(), XR_LOCK_TIMEOUT_MS / 1000);
		usleep(XR_LOCK_POLL_MS * 1000);
		waited += XR_LOCK_POLL_MS;
	}
	return fd;
fail:
	close(fd);
	return ret;
}

void xr_state_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);
}

int xr_stream_find(struct xr_state *st, const char *name,
		   struct xdprelay_info *info)
{
	struct xdprelay_info rec;
	__u32 id;

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		if (bpf_map_lookup_elem(st->info_fd, &id, &rec))
			return -errno;
		rec.name[XDPRELAY_NAME_LEN - 1] = '\0';
		if (!rec.name[0] || strcmp(rec.name, name))
			continue;
		if (info)
			*info = rec;
		return id;
	}
	return -ENOENT;
}

/* Whether row @slot is stream @id's, for subscriber @ep. */
static bool slot_is(const struct xr_state *st, uint32_t slot, uint32_t id,
		    const struct xdprelay_endpoint *ep)
{
	const struct xdprelay_slot *row;

	if (!slot || slot >= XDPRELAY_SLOTS)
		return false;
	row = &st->slots[slot];
	return __atomic_load_n(&row->stream, __ATOMIC_RELAXED) == id &&
	       xr_endpoint_eq(&row->ep, ep);
}

/*
 * With xdprelay.ko and the program that counts through it, a row given to
 * a subscriber gets its directory under the stream's in /sys, whose
 * counters the programs and the relay's reports fill; a row freed loses
 * it.  A stream the module does not know (added before it was loaded)
 * has none.
 */
static bool slots_in_module(const struct xr_state *st)
{
	return st->module && !xr_rx_in_map(st);
}

static void slot_register(const struct xr_state *st, uint32_t slot,
			  uint32_t id, const struct xdprelay_endpoint *ep)
{
	char line[64], a[XR_ENDPOINT_STRLEN];
	int ret;

	if (!slots_in_module(st))
		return;
	snprintf(line, sizeof(line), "%u %u %s\n", slot, id,
		 xr_endpoint_str(ep, a));
	ret = xr_write_file(XR_SYSFS_DIR "/new_sub", line);
	if (ret && ret != -ENOENT)
		pr_warn("cannot register subscriber %s of stream %u with the module through %s/new_sub: %s; its counters are in 'xdprelayctl stats' only",
			a, id, XR_SYSFS_DIR, strerror(-ret));
}

static void slot_unregister(const struct xr_state *st, uint32_t slot)
{
	char line[16];

	if (!slots_in_module(st))
		return;
	snprintf(line, sizeof(line), "%u\n", slot);
	xr_write_file(XR_SYSFS_DIR "/del_sub", line);
}

/*
 * Rows whose stream's list does not name them: left by a writer that
 * died between giving a row out and writing the list.  Freed, so that a
 * full table finds room again.
 */
static void slots_sweep(struct xr_state *st)
{
	uint32_t s, id, j, nr;

	for (s = 1; s < XDPRELAY_SLOTS; s++) {
		id = st->slots[s].stream;
		if (!id)
			continue;
		nr = 0;
		if (id < XDPRELAY_MAX_STREAMS)
			nr = st->subs[id].nr;
		if (nr > XDPRELAY_MAX_SUBS)
			nr = XDPRELAY_MAX_SUBS;
		for (j = 0; j < nr; j++)
			if (st->subs[id].slot[j] == s)
				break;
		if (j < nr)
			continue;
		__atomic_store_n(&st->slots[s].stream, 0, __ATOMIC_RELAXED);
		slot_unregister(st, s);
	}
}

/*
 * A free row for subscriber @ep of stream @id, zeroed in xr_slots and
 * xr_subtx, taken from where the last writer stopped looking: a row freed
 * a moment ago, which a program may still count in, is taken again last.
 * Returns the row, or 0 when none is free.
 */
static uint16_t slot_take(struct xr_state *st, uint32_t id,
			  const struct xdprelay_endpoint *ep)
{
	struct xdprelay_slot *row;
	uint32_t start, i, s;
	int pass;

	start = st->slots[0].stream % XDPRELAY_SLOTS;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < XDPRELAY_SLOTS; i++) {
			s = (start + i) % XDPRELAY_SLOTS;
			row = &st->slots[s];
			if (!s || row->stream)
				continue;
			memset(st->percpu_sub, 0,
			       st->ncpus * sizeof(*st->percpu_sub));
			if (bpf_map_update_elem(st->subtx_fd, &s,
						st->percpu_sub, BPF_ANY))
				continue;
			row->ep = *ep;
			__atomic_store_n(&row->gen, row->gen + 1,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&row->packets, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&row->bytes, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&row->tx_errors, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&row->no_neigh, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&row->stream, id, __ATOMIC_RELEASE);
			st->slots[0].stream = s + 1;
			/* A registration left by a crash goes first. */
			slot_unregister(st, s);
			slot_register(st, s, id, ep);
			return s;
		}
		slots_sweep(st);
	}
	return 0;
}

/*
 * The rows of the new list @sub of stream @id into @slot: a subscriber
 * the list had keeps its row, a new one takes a free one; the rows of
 * those that left are freed.
 */
static void slots_assign(struct xr_state *st, uint32_t id,
			 const struct xdprelay_subs *old,
			 const struct xdprelay_endpoint *sub, uint32_t nr,
			 uint16_t *slot)
{
	uint32_t onr = old->nr > XDPRELAY_MAX_SUBS ? XDPRELAY_MAX_SUBS :
						     old->nr;
	bool kept[XDPRELAY_MAX_SUBS] = { false };
	static bool warned;
	uint32_t j, k;

	for (j = 0; j < nr; j++) {
		slot[j] = 0;
		for (k = 0; k < onr; k++) {
			if (kept[k] || !xr_endpoint_eq(&old->sub[k], &sub[j]) ||
			    !slot_is(st, old->slot[k], id, &sub[j]))
				continue;
			kept[k] = true;
			slot[j] = old->slot[k];
			break;
		}
	}
	for (k = 0; k < onr; k++) {
		if (kept[k] || !slot_is(st, old->slot[k], id, &old->sub[k]))
			continue;
		__atomic_store_n(&st->slots[old->slot[k]].stream, 0,
				 __ATOMIC_RELAXED);
		slot_unregister(st, old->slot[k]);
	}
	for (j = 0; j < nr; j++) {
		if (slot[j])
			continue;
		slot[j] = slot_take(st, id, &sub[j]);
		if (!slot[j] && !warned) {
			pr_warn("all %d rows of %s are taken: subscribers added from now on are counted with their stream only",
				XDPRELAY_SLOTS - 1, XDPRELAY_MAP_SLOTS);
			warned = true;
		}
	}
}

/*
 * The writer makes seq odd, writes the entry and makes seq even again.  A
 * writer that died half-way left seq odd: the next one keeps it odd while
 * it writes, and the final value still differs from every value a reader
 * saw.
 */
uint32_t xr_subs_write(struct xr_state *st, uint32_t id,
		       const struct xdprelay_endpoint *sub, uint32_t nr)
{
	struct xdprelay_subs *e = &st->subs[id];
	uint32_t seq = __atomic_load_n(&e->seq, __ATOMIC_RELAXED) | 1;
	uint16_t slot[XDPRELAY_MAX_SUBS];

	if (nr > XDPRELAY_MAX_SUBS)
		nr = XDPRELAY_MAX_SUBS;
	slots_assign(st, id, e, sub, nr, slot);
	__atomic_store_n(&e->seq, seq, __ATOMIC_RELAXED);
	/* The odd seq is visible before any of the entry changes. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memset(e->sub, 0, sizeof(e->sub));
	memcpy(e->sub, sub, nr * sizeof(*sub));
	memset(e->slot, 0, sizeof(e->slot));
	memcpy(e->slot, slot, nr * sizeof(*slot));
	e->nr = nr;
	__atomic_store_n(&e->seq, seq + 1, __ATOMIC_RELEASE);
	return seq + 1;
}

int xr_relay_pid(void)
{
	FILE *f = fopen(xr_status_file(), "re");
	char line[128];
	int pid = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pid=%d", &pid) == 1)
			break;
	fclose(f);
	if (pid <= 0 || (kill(pid, 0) && errno != EPERM))
		return 0;
	return pid;
}

static int subs_wait_cancelled;

void xr_subs_wait_cancel(void)
{
	__atomic_store_n(&subs_wait_cancelled, 1, __ATOMIC_RELEASE);
}

bool xr_subs_wait_applied(const struct xdprelay_subs *e, uint32_t seq,
			  int timeout_ms)
{
	int waited = 0;

	if (!xr_relay_pid())
		return true;
	/* Serial arithmetic: applied may be behind or past seq. */
	while ((int32_t)(__atomic_load_n(&e->applied, __ATOMIC_ACQUIRE) -
			 seq) < 0) {
		if (__atomic_load_n(&subs_wait_cancelled, __ATOMIC_ACQUIRE))
			return false;
		if (waited >= timeout_ms) {
			pr_warn("the relay has not resolved the subscribers' next hops after %d ms: their packets count as no_neigh until it does",
				timeout_ms);
			return false;
		}
		usleep(2000);
		waited += 2;
	}
	return true;
}

int xr_queues_read(struct xdprelay_queue *out, unsigned int n)
{
	char path[PATH_MAX];
	unsigned int q;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", xr_pin_dir(),
		 XDPRELAY_MAP_QUEUES);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	for (q = 0; q < n && !ret; q++)
		if (bpf_map_lookup_elem(fd, &q, &out[q]))
			ret = -errno;
	close(fd);
	return ret;
}

/* User space indexes the mmapped arrays with the kernel's stride. */
_Static_assert(sizeof(struct xdprelay_subs) % 8 == 0, "xr_subs stride");
_Static_assert(sizeof(struct xdprelay_tx) % 8 == 0, "xr_tx stride");
_Static_assert(sizeof(struct xdprelay_slot) % 8 == 0, "xr_slots stride");
_Static_assert(sizeof(struct xdprelay_queue) % 8 == 0, "xr_queues stride");
_Static_assert(XDPRELAY_SLOTS <= 65536, "a row number fits in __u16");

bool xr_subs_read(const struct xdprelay_subs *e, struct xdprelay_subs *out,
		  uint32_t *seen)
{
	struct xdprelay_subs tmp;
	uint32_t s1, s2;
	int tries;

	for (tries = 0; tries < SUBS_READ_TRIES; tries++) {
		s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		if (s1 == *seen)
			return false;
		/* A write in progress: keep the old copy, look again later. */
		if (s1 & 1)
			return false;
		memcpy(&tmp, e, sizeof(tmp));
		/* The copy is complete before seq is read again. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&e->seq, __ATOMIC_RELAXED);
		if (s1 != s2)
			continue;
		tmp.seq = s1;
		if (tmp.nr > XDPRELAY_MAX_SUBS)
			tmp.nr = XDPRELAY_MAX_SUBS;
		*out = tmp;
		*seen = s1;
		return true;
	}
	return false;
}
