// SPDX-License-Identifier: GPL-2.0
/*
 * Streams: adding and removing them in the pinned maps and the module, in
 * the order that keeps the data path consistent, and config files that
 * describe the whole set.
 *
 * A stream goes live when its endpoint enters xr_streams: everything the
 * relay and the counters need (xr_info, xr_subs, zeroed rows, the module's
 * registration) is in place before, and removal runs in reverse.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"

/*
 * How long a change of subscribers waits for a running relay to resolve
 * their next hops; the relay looks at least once per tick (100 ms).
 */
#define XR_APPLY_WAIT_MS	1000

#define CONFIG_LINE_MAX		16384
#define CONFIG_MAX_ERRORS	20
/* Reads of a subscriber entry before taking it as it stands. */
#define SUBS_TRIES		100

const struct xr_choice xr_paths[] = {
	{ "auto", XDPRELAY_PATH_AUTO },
	{ "afxdp", XDPRELAY_PATH_AFXDP },
	{ "direct", XDPRELAY_PATH_DIRECT },
	{ "socket", XDPRELAY_PATH_SOCKET },
	{ NULL }
};

const struct xr_choice xr_kinds[] = {
	{ "auto", XDPRELAY_CHECK_AUTO },
	{ "mpegts", XDPRELAY_CHECK_MPEGTS },
	{ "rtp", XDPRELAY_CHECK_RTP },
	{ "raw", XDPRELAY_CHECK_RAW },
	{ NULL }
};

static const char *choice_str(const struct xr_choice *c, unsigned int v)
{
	for (; c->name; c++)
		if (c->value == v)
			return c->name;
	return "?";
}

const char *xr_path_str(unsigned int path)
{
	return choice_str(xr_paths, path);
}

const char *xr_kind_str(unsigned int kind)
{
	return choice_str(xr_kinds, kind);
}

const struct xr_opt xr_stream_opts[] = {
	XR_ARG("NAME", struct xr_stream_spec, name,
	       "Stream name: 1 to 31 letters, digits, '_', '.' or '-', not starting with '.'",
	       xr_check_name),
	XR_ENDPOINT("listen", struct xr_stream_spec, listen,
		    "Address and UDP port the stream arrives on: a multicast group or a unicast address of the ingress host",
		    XR_OPT_REQUIRED),
	XR_ENDPOINTS("to", struct xr_stream_spec, to,
		     "Subscriber: address and UDP port to relay the stream to, of the listen address's family, and not a stream's listen endpoint; at most 256",
		     0),
	XR_PREFIX("source", struct xr_stream_spec, source,
		  "Take the stream only from sources within PREFIX, e.g. 10.1.0.0/16; packets from elsewhere are not relayed (the XDP program passes them to the kernel stack)"),
	XR_U32("rate", struct xr_stream_spec, rate, "PPS", 1, 1000000000,
	       "Police the stream to PPS packets per second, 1 to 1000000000; packets over the rate are dropped"),
	XR_U32("burst", struct xr_stream_spec, burst, "N", 1, UINT32_MAX,
	       "Packets the policer lets through at once (default: a tenth of a second at the rate)"),
	XR_PORT("source-port", struct xr_stream_spec, source_port,
		"UDP source port of the relayed packets (default: the listen port)"),
	XR_U32("vlan", struct xr_stream_spec, vlan, "ID", 1, XDPRELAY_VLAN_MAX,
	       "Take the stream only from VLAN ID, 1 to 4094, the innermost tag of the frame (default: any VLAN, and untagged)"),
	XR_ENUM("path", struct xr_stream_spec, path, NULL, xr_paths,
		"How the relay carries the stream: auto (default) takes the direct path where it works, else AF_XDP; direct has the kernel relay each packet without the relay process (the XDP program rewrites and redirects it, for one subscriber through an egress that accepts XDP redirects; else a TC program sends it to each subscriber); afxdp hands each packet to the relay process; socket has the XDP program pass it to the stack, and the relay receives and sends it with UDP sockets"),
	XR_ENUM("kind", struct xr_stream_spec, kind, NULL, xr_kinds,
		"What the stream carries, for the XDP program's health checks: auto (default) recognises MPEG-TS, MPEG-TS in RTP or other RTP from the first packets; mpegts checks it as bare MPEG-TS, rtp as RTP (with MPEG-TS in it or not); raw checks nothing"),
	XR_OPT_END
};

int xr_spec_finish(struct xr_stream_spec *s, char *err, size_t errlen)
{
	char a[XR_ENDPOINT_STRLEN], b[XR_ENDPOINT_STRLEN];
	uint32_t i, j;

	for (i = 0; i < s->to.nr; i++) {
		const struct xdprelay_endpoint *to = &s->to.ep[i];

		if (to->family != s->listen.family) {
			snprintf(err, errlen,
				 "subscriber %s is %s but the stream listens on %s %s: a stream is relayed within one family",
				 xr_endpoint_str(to, a),
				 xr_family_str(to->family),
				 xr_family_str(s->listen.family),
				 xr_endpoint_str(&s->listen, b));
			return -EINVAL;
		}
		if (xr_endpoint_eq(to, &s->listen)) {
			snprintf(err, errlen,
				 "subscriber %s is the stream's own listen endpoint: it would loop",
				 xr_endpoint_str(to, a));
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (xr_endpoint_eq(to, &s->to.ep[j])) {
				snprintf(err, errlen,
					 "subscriber %s is given twice",
					 xr_endpoint_str(to, a));
				return -EINVAL;
			}
		}
	}
	if (s->source.family && s->source.family != s->listen.family) {
		snprintf(err, errlen,
			 "source %s is %s but the stream listens on %s %s",
			 xr_prefix_str(&s->source, a),
			 xr_family_str(s->source.family),
			 xr_family_str(s->listen.family),
			 xr_endpoint_str(&s->listen, b));
		return -EINVAL;
	}
	if (s->burst && !s->rate) {
		snprintf(err, errlen,
			 "burst is the depth of the rate policer: give a rate too");
		return -EINVAL;
	}
	if (s->rate && !s->burst) {
		s->burst = s->rate / XR_DEFAULT_BURST_DIV;
		if (!s->burst)
			s->burst = 1;
	}
	return 0;
}

/* The module's registry of stream names */

static int module_write(const char *file, const char *what)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", XR_SYSFS_DIR, file);
	ret = xr_write_file(path, what);
	if (ret == -EACCES || ret == -EPERM)
		pr_err("permission denied writing %s: run as root", path);
	return ret;
}

static int module_unregister(const char *name)
{
	char buf[XDPRELAY_NAME_LEN + 2];
	int ret;

	snprintf(buf, sizeof(buf), "%s\n", name);
	ret = module_write("del_stream", buf);
	if (ret == -ENOENT)
		return 0;
	if (ret && ret != -EACCES && ret != -EPERM)
		pr_err("cannot remove stream '%s' from %s/del_stream: %s",
		       name, XR_SYSFS_DIR, strerror(-ret));
	return ret;
}

/*
 * xr_info is free at @id and has no @name, so a registration in the module
 * that has either is left over (the maps were re-created by a new attach,
 * or an earlier removal was interrupted): it goes.
 */
static void module_drop_stale(uint32_t id, const char *name)
{
	char path[PATH_MAX];
	struct dirent *de;
	uint64_t sid;
	DIR *dir;

	dir = opendir(XR_SYSFS_DIR "/streams");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/streams/%s/id", XR_SYSFS_DIR,
			 de->d_name);
		if (xr_read_u64(path, &sid))
			continue;
		if (sid != id && strcmp(de->d_name, name))
			continue;
		pr_info("removing the module's stale registration of '%s' (id %llu)",
			de->d_name, (unsigned long long)sid);
		module_unregister(de->d_name);
	}
	closedir(dir);
}

static int module_register(uint32_t id, const char *name)
{
	char buf[64];
	int ret;

	module_drop_stale(id, name);
	snprintf(buf, sizeof(buf), "%u %s\n", id, name);
	ret = module_write("new_stream", buf);
	if (ret && ret != -EACCES && ret != -EPERM)
		pr_err("cannot register stream '%s' (id %u) with the module through %s/new_stream: %s",
		       name, id, XR_SYSFS_DIR, strerror(-ret));
	return ret;
}

/* Pinned maps */

/*
 * Stream ids start from zeroed rows: the program may have counted under
 * the id before, a policer must not start with an old bucket, nor the
 * health checks with another stream's state.
 */
static int rows_reset(struct xr_state *st, uint32_t id)
{
	struct xdprelay_health health = {};
	struct xdprelay_policer pol = {};
	struct xdprelay_tx *tx = &st->tx[id];
	void *zeros;
	int ncpus, ret = 0;

	if (bpf_map_update_elem(st->policers_fd, &id, &pol, BPF_ANY)) {
		ret = -errno;
		pr_err("cannot reset row %u of %s: %s", id,
		       XDPRELAY_MAP_POLICERS, strerror(-ret));
		return ret;
	}
	if (st->health_fd >= 0 &&
	    bpf_map_update_elem(st->health_fd, &id, &health, BPF_ANY)) {
		ret = -errno;
		pr_err("cannot reset row %u of %s: %s", id,
		       XDPRELAY_MAP_HEALTH, strerror(-ret));
		return ret;
	}
	/* The relay adds to the row with atomics: clear it the same way. */
	__atomic_store_n(&tx->packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&tx->bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&tx->copies, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&tx->tx_errors, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&tx->no_neigh, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&tx->rx_dropped, 0, __ATOMIC_RELAXED);

	/* The per-CPU rows, written by the program. */
	ncpus = st->ncpus;
	zeros = calloc(ncpus, sizeof(struct xdprelay_counters));
	if (!zeros)
		return -ENOMEM;
	if (bpf_map_update_elem(st->dtx_fd, &id, zeros, BPF_ANY)) {
		ret = -errno;
		pr_err("cannot reset row %u of %s: %s", id,
		       XDPRELAY_MAP_DTX, strerror(-ret));
	} else if (st->counters_fd >= 0 &&
		   bpf_map_update_elem(st->counters_fd, &id, zeros, BPF_ANY)) {
		ret = -errno;
		pr_err("cannot reset row %u of %s: %s", id,
		       XDPRELAY_MAP_COUNTERS, strerror(-ret));
	}
	free(zeros);
	return ret;
}

static struct xdprelay_key spec_key(const struct xr_stream_spec *s)
{
	struct xdprelay_key k = { .ep = s->listen, .vlan = s->vlan };

	return k;
}

/* "239.1.1.1:5000", or "239.1.1.1:5000 on VLAN 100". */
static const char *where_str(const struct xdprelay_endpoint *ep,
			     uint32_t vlan, char *buf, size_t len)
{
	char a[XR_ENDPOINT_STRLEN];

	if (vlan)
		snprintf(buf, len, "%s on VLAN %u", xr_endpoint_str(ep, a),
			 vlan);
	else
		snprintf(buf, len, "%s", xr_endpoint_str(ep, a));
	return buf;
}

static void stream_value(const struct xr_stream_spec *s, uint32_t id,
			 struct xdprelay_stream *v)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->rate_pps = s->rate;
	v->burst = s->burst;
	if (s->source.family) {
		v->flags |= XDPRELAY_F_SRC_FILTER;
		memcpy(v->src_addr, s->source.addr, sizeof(v->src_addr));
		xr_prefix_mask(&s->source, v->src_mask);
	}
	if (s->path == XDPRELAY_PATH_SOCKET)
		v->flags |= XDPRELAY_F_STACK;
	if (s->path == XDPRELAY_PATH_AFXDP)
		v->flags |= XDPRELAY_F_AFXDP;
	v->flags |= (s->kind << XDPRELAY_F_CHECK_SHIFT) &
		    XDPRELAY_F_CHECK_MASK;
}

static void stream_info(const struct xr_stream_spec *s,
			struct xdprelay_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "%s", s->name);
	info->listen = s->listen;
	info->src_port = s->source_port;
	info->src_prefixlen = s->source.family ? s->source.len : 0;
	info->vlan = s->vlan;
	info->path = s->path;
	info->kind = s->kind;
}

static int info_write(struct xr_state *st, uint32_t id,
		      const struct xdprelay_info *info)
{
	int ret;

	if (!bpf_map_update_elem(st->info_fd, &id, info, BPF_ANY))
		return 0;
	ret = -errno;
	pr_err("cannot write row %u of %s: %s", id, XDPRELAY_MAP_INFO,
	       strerror(-ret));
	return ret;
}

/* What stream add needs to know of the streams there are. */
struct stream_scan {
	int name_id;		/* stream of the same name, or 0 */
	int listen_id;		/* stream on the same endpoint, or 0 */
	uint32_t free_id;	/* lowest free id, or 0 */
};

static int stream_scan(struct xr_state *st, const struct xr_stream_spec *s,
		       struct stream_scan *sc)
{
	static bool used[XDPRELAY_MAX_STREAMS];
	struct xdprelay_key key, next, *prev = NULL;
	struct xdprelay_stream val;
	struct xdprelay_info info;
	uint32_t id;

	memset(sc, 0, sizeof(*sc));
	memset(used, 0, sizeof(used));

	/* An id that a stale xr_streams entry still names is not free. */
	while (!bpf_map_get_next_key(st->streams_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st->streams_fd, &key, &val))
			continue;
		if (val.id < XDPRELAY_MAX_STREAMS)
			used[val.id] = true;
		if (xr_endpoint_eq(&key.ep, &s->listen) && key.vlan == s->vlan)
			sc->listen_id = val.id ? (int)val.id : -1;
	}

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		if (bpf_map_lookup_elem(st->info_fd, &id, &info))
			return -errno;
		info.name[XDPRELAY_NAME_LEN - 1] = '\0';
		if (!info.name[0]) {
			if (!sc->free_id && !used[id])
				sc->free_id = id;
			continue;
		}
		if (!strcmp(info.name, s->name))
			sc->name_id = id;
		if (xr_endpoint_eq(&info.listen, &s->listen) &&
		    info.vlan == s->vlan)
			sc->listen_id = id;
	}
	return 0;
}

static const char *stream_name(struct xr_state *st, int id, char *buf)
{
	struct xdprelay_info info;
	__u32 key = id;

	if (id <= 0 || id >= XDPRELAY_MAX_STREAMS ||
	    bpf_map_lookup_elem(st->info_fd, &key, &info) || !info.name[0])
		return "(unnamed)";
	snprintf(buf, XDPRELAY_NAME_LEN, "%s", info.name);
	return buf;
}

/*
 * A subscriber that is a stream's listen endpoint on this host would feed
 * that stream what it relays, forever (the relay sends with a fresh TTL).
 * Refused whichever comes first: the subscriber, or the stream.
 */
int xr_loop_check(struct xr_state *st, uint32_t id,
		  const struct xdprelay_endpoint *listen,
		  const struct xr_endpoints *to)
{
	char a[XR_ENDPOINT_STRLEN];
	struct xr_stream_spec o;
	uint32_t other, i, j;
	bool live;
	int ret;

	for (other = 1; other < XDPRELAY_MAX_STREAMS; other++) {
		if (other == id)
			continue;
		ret = xr_stream_get(st, other, &o, &live);
		if (ret == -ENOENT)
			continue;
		if (ret) {
			pr_err("cannot read %s: %s", XDPRELAY_MAP_INFO,
			       strerror(-ret));
			return ret;
		}
		for (i = 0; i < to->nr; i++) {
			if (!xr_endpoint_eq(&to->ep[i], &o.listen))
				continue;
			pr_err("subscriber %s is the listen endpoint of stream '%s': that stream would receive what this one sends, forever",
			       xr_endpoint_str(&to->ep[i], a), o.name);
			return -ELOOP;
		}
		for (j = 0; j < o.to.nr; j++) {
			if (!xr_endpoint_eq(&o.to.ep[j], listen))
				continue;
			pr_err("%s is a subscriber of stream '%s': a stream listening there would receive what that one sends, forever",
			       xr_endpoint_str(listen, a), o.name);
			return -ELOOP;
		}
	}
	return 0;
}

int xr_stream_add(struct xr_state *st, const struct xr_stream_spec *s)
{
	char a[XR_ENDPOINT_STRLEN], other[XDPRELAY_NAME_LEN];
	struct xdprelay_key key = spec_key(s);
	struct xdprelay_info info, none = {};
	struct xdprelay_stream val;
	struct stream_scan sc;
	char w[XR_ENDPOINT_STRLEN + 16];
	uint32_t id, seq;
	int ret;

	ret = stream_scan(st, s, &sc);
	if (ret) {
		pr_err("cannot read %s: %s", XDPRELAY_MAP_INFO, strerror(-ret));
		return ret;
	}
	if (sc.name_id) {
		pr_err("a stream named '%s' exists already: choose another name, or remove it first with 'xdprelayctl stream del %s'",
		       s->name, s->name);
		return -EEXIST;
	}
	if (sc.listen_id) {
		pr_err("%s is already the listen endpoint of stream '%s': a stream has one endpoint, and an endpoint one stream (in a VLAN, or in any)",
		       where_str(&s->listen, s->vlan, w, sizeof(w)),
		       stream_name(st, sc.listen_id, other));
		return -EEXIST;
	}
	if (!sc.free_id) {
		pr_err("all %d stream ids are taken: remove a stream first",
		       XDPRELAY_MAX_STREAMS - 1);
		return -ENOSPC;
	}
	id = sc.free_id;
	ret = xr_loop_check(st, 0, &s->listen, &s->to);
	if (ret)
		return ret;

	ret = rows_reset(st, id);
	if (ret)
		return ret;
	stream_info(s, &info);
	ret = info_write(st, id, &info);
	if (ret)
		return ret;
	/* First: its subscribers' directories go in the stream's. */
	if (st->module) {
		ret = module_register(id, s->name);
		if (ret)
			goto err_info;
	}
	seq = xr_subs_write(st, id, s->to.ep, s->to.nr);
	xr_subs_wait_applied(&st->subs[id], seq, XR_APPLY_WAIT_MS);
	stream_value(s, id, &val);
	if (bpf_map_update_elem(st->streams_fd, &key, &val, BPF_NOEXIST)) {
		ret = -errno;
		pr_err("cannot add %s to %s: %s", xr_endpoint_str(&s->listen, a),
		       XDPRELAY_MAP_STREAMS, strerror(-ret));
		goto err_module;
	}
	pr_info("stream '%s' added as id %u", s->name, id);
	return 0;

err_module:
	xr_subs_write(st, id, NULL, 0);
	if (st->module)
		module_unregister(s->name);
err_info:
	info_write(st, id, &none);
	return ret;
}

int xr_stream_del(struct xr_state *st, const char *name)
{
	struct xdprelay_info info, none = {};
	struct xdprelay_stream val;
	struct xdprelay_key key;
	int id, ret;

	id = xr_stream_find(st, name, &info);
	if (id == -ENOENT) {
		pr_err("no stream named '%s' (see 'xdprelayctl stream list')",
		       name);
		return id;
	}
	if (id < 0) {
		pr_err("cannot read %s: %s", XDPRELAY_MAP_INFO, strerror(-id));
		return id;
	}

	/* The endpoint may name another id after a crash: leave that. */
	key = xr_info_key(&info);
	if (!bpf_map_lookup_elem(st->streams_fd, &key, &val) &&
	    val.id == (uint32_t)id &&
	    bpf_map_delete_elem(st->streams_fd, &key) && errno != ENOENT) {
		ret = -errno;
		pr_err("cannot remove stream '%s' from %s: %s", name,
		       XDPRELAY_MAP_STREAMS, strerror(-ret));
		return ret;
	}
	if (st->module) {
		ret = module_unregister(name);
		if (ret)
			return ret;
	}
	xr_subs_write(st, id, NULL, 0);
	/* A direct stream would go on in the kernel. */
	if (bpf_map_delete_elem(st->direct_fd, &id) && errno != ENOENT) {
		ret = -errno;
		pr_err("cannot remove stream '%s' from %s: %s", name,
		       XDPRELAY_MAP_DIRECT, strerror(-ret));
		return ret;
	}
	ret = xr_fanout_purge(st, id);
	if (ret) {
		pr_err("cannot remove stream '%s' from %s: %s", name,
		       XDPRELAY_MAP_FANOUT, strerror(-ret));
		return ret;
	}
	ret = info_write(st, id, &none);
	if (ret)
		return ret;
	pr_info("stream '%s' (id %d) removed", name, id);
	return 0;
}

int xr_stream_get(struct xr_state *st, uint32_t id,
		  struct xr_stream_spec *s, bool *live)
{
	struct xdprelay_stream val;
	struct xdprelay_key key;
	struct xdprelay_info info;
	uint32_t seen = 1;	/* never a stable seq: those are even */
	struct xdprelay_subs subs = {};
	int tries;

	memset(s, 0, sizeof(*s));
	*live = false;
	if (bpf_map_lookup_elem(st->info_fd, &id, &info))
		return -errno;
	info.name[XDPRELAY_NAME_LEN - 1] = '\0';
	if (!info.name[0])
		return -ENOENT;
	if (!xr_name_valid(info.name)) {
		pr_warn("row %u of %s has an invalid name: ignored", id,
			XDPRELAY_MAP_INFO);
		return -ENOENT;
	}
	snprintf(s->name_buf, sizeof(s->name_buf), "%s", info.name);
	s->name = s->name_buf;
	s->listen = info.listen;
	s->source_port = info.src_port;
	s->vlan = info.vlan <= XDPRELAY_VLAN_MAX ? info.vlan : 0;
	s->path = info.path <= XDPRELAY_PATH_SOCKET ? info.path : 0;
	s->kind = info.kind <= XDPRELAY_CHECK_RAW ? info.kind : 0;
	key = xr_info_key(&info);

	if (!bpf_map_lookup_elem(st->streams_fd, &key, &val) &&
	    val.id == id) {
		*live = true;
		s->rate = val.rate_pps > UINT32_MAX ? UINT32_MAX : val.rate_pps;
		s->burst = val.burst > UINT32_MAX ? UINT32_MAX : val.burst;
		if (val.flags & XDPRELAY_F_SRC_FILTER) {
			s->source.family = info.listen.family;
			s->source.len = info.src_prefixlen;
			memcpy(s->source.addr, val.src_addr,
			       sizeof(s->source.addr));
		}
	}

	/* A writer holds the entry only for a moment. */
	for (tries = 0; tries < SUBS_TRIES; tries++) {
		if (xr_subs_read(&st->subs[id], &subs, &seen))
			break;
		sched_yield();
	}
	/*
	 * Still odd: a writer died half-way.  Writers hold the lock, so the
	 * entry stays as it is: take it as it stands.
	 */
	if (tries == SUBS_TRIES) {
		memcpy(&subs, &st->subs[id], sizeof(subs));
		if (subs.nr > XDPRELAY_MAX_SUBS)
			subs.nr = XDPRELAY_MAX_SUBS;
	}
	s->to.nr = subs.nr;
	memcpy(s->to.ep, subs.sub, subs.nr * sizeof(subs.sub[0]));
	return 0;
}

int xr_stream_set_subs(struct xr_state *st, uint32_t id,
		       const struct xr_endpoints *to)
{
	uint32_t seq;

	if (!id || id >= XDPRELAY_MAX_STREAMS)
		return -EINVAL;
	seq = xr_subs_write(st, id, to->ep, to->nr);
	xr_subs_wait_applied(&st->subs[id], seq, XR_APPLY_WAIT_MS);
	return 0;
}

/* Changes a stream whose endpoint stays, without taking it down. */
static int stream_update(struct xr_state *st, uint32_t id,
			 const struct xr_stream_spec *s)
{
	char a[XR_ENDPOINT_STRLEN];
	struct xdprelay_health zero = {};
	struct xdprelay_info info, old;
	struct xdprelay_stream val;
	struct xdprelay_key key;
	int ret;

	ret = xr_loop_check(st, id, &s->listen, &s->to);
	if (ret)
		return ret;
	/* Checked as something else: from a clean slate. */
	if (st->health_fd >= 0 &&
	    !bpf_map_lookup_elem(st->info_fd, &id, &old) &&
	    old.kind != s->kind &&
	    bpf_map_update_elem(st->health_fd, &id, &zero, BPF_ANY))
		pr_warn("cannot reset row %u of %s: %s: its health counts go on",
			id, XDPRELAY_MAP_HEALTH, strerror(errno));
	stream_info(s, &info);
	ret = info_write(st, id, &info);
	if (ret)
		return ret;
	stream_value(s, id, &val);
	key = spec_key(s);
	if (bpf_map_update_elem(st->streams_fd, &key, &val, BPF_EXIST)) {
		ret = -errno;
		pr_err("cannot update %s in %s: %s",
		       xr_endpoint_str(&s->listen, a), XDPRELAY_MAP_STREAMS,
		       strerror(-ret));
		return ret;
	}
	return 0;
}

/* Config files */

void xr_config_free(struct xr_config *cfg)
{
	free(cfg->streams);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

/* Strips a comment and splits on blanks; returns the number of words. */
static int split_words(char *line, char **words, int max)
{
	char *save = NULL, *w, *hash;
	int n = 0;

	hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (w = strtok_r(line, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -E2BIG;
		words[n++] = w;
	}
	return n;
}

/* Parses one "stream NAME KEYWORD VALUE..." line into @s. */
static int parse_stream_line(char **w, int nw, struct xr_stream_spec *s,
			     char *err, size_t errlen)
{
	const struct xr_opt *o;
	uint32_t seen = 0;
	char e[XR_ERR_LEN - 64];	/* room for the keyword in front */
	int i, bit;

	if (strcmp(w[0], "stream")) {
		snprintf(err, errlen,
			 "unknown statement '%s': expected 'stream NAME listen ADDR:PORT [to ADDR:PORT]...'",
			 w[0]);
		return -EINVAL;
	}
	if (nw < 2) {
		snprintf(err, errlen, "'stream' needs a NAME");
		return -EINVAL;
	}
	if (xr_check_name(w[1], err, errlen))
		return -EINVAL;
	snprintf(s->name_buf, sizeof(s->name_buf), "%s", w[1]);
	s->name = s->name_buf;

	for (i = 2; i < nw; i++) {
		o = xr_opt_find(xr_stream_opts, w[i]);
		if (!o) {
			snprintf(err, errlen,
				 "unknown keyword '%s': expected listen, to, source, rate, burst, source-port, vlan or path",
				 w[i]);
			return -EINVAL;
		}
		bit = o - xr_stream_opts;
		if ((seen & (1U << bit)) && o->type != XR_OPT_ENDPOINTS) {
			snprintf(err, errlen, "'%s' given twice", o->name);
			return -EINVAL;
		}
		seen |= 1U << bit;
		if (o->type == XR_OPT_FLAG) {
			xr_opt_set(xr_stream_opts, o->name, "", s, e,
				   sizeof(e));
			continue;
		}
		if (i + 1 >= nw) {
			snprintf(err, errlen, "'%s' needs a value: %s %s",
				 o->name, o->name, o->arg);
			return -EINVAL;
		}
		if (xr_opt_set(xr_stream_opts, o->name, w[++i], s, e,
			       sizeof(e))) {
			snprintf(err, errlen, "%s: %s", o->name, e);
			return -EINVAL;
		}
	}
	if (!s->listen.family) {
		snprintf(err, errlen, "stream '%s' has no 'listen ADDR:PORT'",
			 s->name);
		return -EINVAL;
	}
	return xr_spec_finish(s, err, errlen);
}

/* A stream already defined by an earlier line that @s collides with. */
static int config_dup(const struct xr_config *cfg, const int *lines,
		      const struct xr_stream_spec *s, char *err,
		      size_t errlen)
{
	char a[XR_ENDPOINT_STRLEN + 16];
	unsigned int i;

	for (i = 0; i < cfg->nr; i++) {
		const struct xr_stream_spec *o = &cfg->streams[i];

		if (!strcmp(o->name_buf, s->name_buf)) {
			snprintf(err, errlen,
				 "stream '%s' is already defined on line %d",
				 s->name_buf, lines[i]);
			return -EEXIST;
		}
		if (xr_endpoint_eq(&o->listen, &s->listen) &&
		    o->vlan == s->vlan) {
			snprintf(err, errlen,
				 "%s is already the listen endpoint of stream '%s' (line %d)",
				 where_str(&s->listen, s->vlan, a, sizeof(a)),
				 o->name_buf, lines[i]);
			return -EEXIST;
		}
	}
	return 0;
}

/* Subscribers of one stream of the file that another of it listens on. */
static int config_loops(const struct xr_config *cfg, const int *lines,
			const char *path, int nerr)
{
	char a[XR_ENDPOINT_STRLEN];
	unsigned int i, j, k;
	int found = 0;

	for (i = 0; i < cfg->nr; i++) {
		const struct xr_stream_spec *s = &cfg->streams[i];

		for (j = 0; j < s->to.nr; j++) {
			for (k = 0; k < cfg->nr; k++) {
				if (k == i || !xr_endpoint_eq(&s->to.ep[j],
							      &cfg->streams[k].listen))
					continue;
				if (nerr + found++ < CONFIG_MAX_ERRORS)
					pr_err("%s:%d: subscriber %s is the listen endpoint of stream '%s' (line %d): that stream would receive what this one sends, forever",
					       path, lines[i],
					       xr_endpoint_str(&s->to.ep[j], a),
					       cfg->streams[k].name_buf,
					       lines[k]);
			}
		}
	}
	return found;
}

int xr_config_load(const char *path, struct xr_config *cfg)
{
	char line[CONFIG_LINE_MAX], err[XR_ERR_LEN];
	char *words[3 + 2 * (XDPRELAY_MAX_SUBS + 8)];
	struct xr_stream_spec s;
	int lineno = 0, nerr = 0, nw, ret = 0;
	int *lines = NULL;
	unsigned int i;
	FILE *f;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		pr_err("cannot read config file %s: %s", path, strerror(-ret));
		return ret;
	}
	cfg->path = strdup(path);
	cfg->streams = calloc(XDPRELAY_MAX_STREAMS, sizeof(*cfg->streams));
	lines = calloc(XDPRELAY_MAX_STREAMS, sizeof(*lines));
	if (!cfg->path || !cfg->streams || !lines) {
		ret = -ENOMEM;
		pr_err("out of memory");
		goto out;
	}

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		err[0] = '\0';
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, sizeof(err),
				 "line longer than %d characters",
				 CONFIG_LINE_MAX - 2);
			while (fgets(line, sizeof(line), f) &&
			       !strchr(line, '\n'))
				;
		} else {
			nw = split_words(line, words, XR_ARRAY_SIZE(words));
			if (nw == 0)
				continue;
			memset(&s, 0, sizeof(s));
			if (nw < 0)
				snprintf(err, sizeof(err),
					 "too many words: at most %zu",
					 XR_ARRAY_SIZE(words));
			else if (!parse_stream_line(words, nw, &s, err,
						    sizeof(err)))
				config_dup(cfg, lines, &s, err, sizeof(err));
		}
		if (!err[0] && cfg->nr == XDPRELAY_MAX_STREAMS - 1)
			snprintf(err, sizeof(err), "more than %d streams",
				 XDPRELAY_MAX_STREAMS - 1);
		if (err[0]) {
			/* Every error of the file at once, within reason. */
			if (nerr++ < CONFIG_MAX_ERRORS)
				pr_err("%s:%d: %s", path, lineno, err);
			continue;
		}
		lines[cfg->nr] = lineno;
		cfg->streams[cfg->nr++] = s;
	}
	nerr += config_loops(cfg, lines, path, nerr);
	if (ferror(f)) {
		ret = -EIO;
		pr_err("cannot read config file %s: %s", path, strerror(EIO));
	} else if (nerr) {
		if (nerr > CONFIG_MAX_ERRORS)
			pr_err("%s: %d more errors", path,
			       nerr - CONFIG_MAX_ERRORS);
		pr_err("%s: %d error%s, nothing applied", path, nerr,
		       nerr == 1 ? "" : "s");
		ret = -EINVAL;
	}
	/* The names moved with the array's entries. */
	for (i = 0; i < cfg->nr; i++)
		cfg->streams[i].name = cfg->streams[i].name_buf;
out:
	free(lines);
	fclose(f);
	if (ret)
		xr_config_free(cfg);
	return ret;
}

static bool spec_same_stream(const struct xr_stream_spec *a,
			     const struct xr_stream_spec *b)
{
	return xr_endpoint_eq(&a->listen, &b->listen) && a->vlan == b->vlan &&
	       a->path == b->path && a->kind == b->kind &&
	       a->rate == b->rate && a->burst == b->burst &&
	       a->source_port == b->source_port &&
	       a->source.family == b->source.family &&
	       a->source.len == b->source.len &&
	       !memcmp(a->source.addr, b->source.addr, sizeof(a->source.addr));
}

static bool spec_same_subs(const struct xr_stream_spec *a,
			   const struct xr_stream_spec *b)
{
	return a->to.nr == b->to.nr &&
	       !memcmp(a->to.ep, b->to.ep, a->to.nr * sizeof(a->to.ep[0]));
}

static const struct xr_stream_spec *config_find(const struct xr_config *cfg,
						const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nr; i++)
		if (!strcmp(cfg->streams[i].name, name))
			return &cfg->streams[i];
	return NULL;
}

int xr_config_apply(struct xr_state *st, const struct xr_config *cfg)
{
	unsigned int added = 0, changed = 0, removed = 0, moved = 0, i;
	const struct xr_stream_spec *want;
	struct xr_stream_spec *cur;
	bool *present, live;
	int lock, ret = 0;
	uint32_t id;

	cur = calloc(XDPRELAY_MAX_STREAMS, sizeof(*cur));
	present = calloc(XDPRELAY_MAX_STREAMS, sizeof(*present));
	if (!cur || !present) {
		ret = -ENOMEM;
		pr_err("out of memory");
		goto out_free;
	}
	lock = xr_state_lock();
	if (lock < 0) {
		ret = lock;
		goto out_free;
	}

	/*
	 * Removals first, so that a stream the file renames or moves
	 * frees its endpoint and id for the additions.
	 */
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		ret = xr_stream_get(st, id, &cur[id], &live);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (ret) {
			pr_err("cannot read %s: %s", XDPRELAY_MAP_INFO,
			       strerror(-ret));
			goto out;
		}
		want = config_find(cfg, cur[id].name);
		if (want && live &&
		    xr_endpoint_eq(&want->listen, &cur[id].listen) &&
		    want->vlan == cur[id].vlan) {
			present[id] = true;
			continue;
		}
		ret = xr_stream_del(st, cur[id].name);
		if (ret)
			goto out;
		/* A stream that moved is added back below: a change. */
		if (want)
			moved++;
		else
			removed++;
	}

	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		if (!present[id])
			continue;
		want = config_find(cfg, cur[id].name);
		if (spec_same_stream(want, &cur[id]) &&
		    spec_same_subs(want, &cur[id]))
			continue;
		if (!spec_same_stream(want, &cur[id])) {
			ret = stream_update(st, id, want);
			if (ret)
				goto out;
		}
		if (!spec_same_subs(want, &cur[id])) {
			ret = xr_loop_check(st, id, &want->listen, &want->to);
			if (ret)
				goto out;
			xr_stream_set_subs(st, id, &want->to);
		}
		pr_info("stream '%s' changed", want->name);
		changed++;
	}

	for (i = 0; i < cfg->nr; i++) {
		bool found = false;

		for (id = 1; id < XDPRELAY_MAX_STREAMS && !found; id++)
			found = present[id] &&
				!strcmp(cur[id].name, cfg->streams[i].name);
		if (found)
			continue;
		ret = xr_stream_add(st, &cfg->streams[i]);
		if (ret)
			goto out;
		added++;
	}
	added -= moved;
	changed += moved;
	pr_info("%s applied: %u stream%s added, %u changed, %u removed",
		cfg->path, added, added == 1 ? "" : "s", changed, removed);
out:
	xr_state_unlock(lock);
out_free:
	free(present);
	free(cur);
	return ret;
}
