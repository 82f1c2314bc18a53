// SPDX-License-Identifier: GPL-2.0
/*
 * xdprelayctl: attaches the XDP program, manages streams and their
 * subscribers in the pinned maps, runs the relay and reports its state.
 * Each subcommand is an option table bound to a config struct and a
 * function that receives the filled struct (see params.h).
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "config.h"
#include "params.h"
#include "relay.h"
#include "runstatus.h"
#include "watch.h"
#include "state.h"
#include "stats.h"
#include "tcprog.h"
#include "tune.h"
#include "util.h"


#define XR_PROG_NAME		"xdprelay_rx"
#define XR_OBJ_KFUNC		"xdprelay.bpf.o"
#define XR_OBJ_MAPS		"xdprelay_maps.bpf.o"

static int check_ifname(const char *s, char *err, size_t errlen)
{
	if (*s && strlen(s) < IF_NAMESIZE && !strchr(s, '/'))
		return 0;
	snprintf(err, errlen, "'%s' is not an interface name", s);
	return -EINVAL;
}

static int ifindex_of(const char *dev)
{
	int ifindex = if_nametoindex(dev);

	if (!ifindex)
		pr_err("no interface named '%s' in this network namespace (see 'ip link')",
		       dev);
	return ifindex;
}

/* Says what failed, with the fix for a missing privilege. */
static int errno_hint(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int errno_hint(int err, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err == -EPERM || err == -EACCES)
		pr_err("%s: permission denied: run as root (xdprelayctl needs CAP_BPF and CAP_NET_ADMIN)",
		       what);
	else
		pr_err("%s: %s", what, strerror(-err));
	return err;
}

/* attach, detach */

enum { MODE_NATIVE = XDP_MODE_NATIVE, MODE_SKB = XDP_MODE_SKB };

static const struct xr_choice xdp_modes[] = {
	{ "native", MODE_NATIVE },
	{ "skb", MODE_SKB },
	{ NULL }
};

struct attach_cfg {
	const char *dev;
	const char *object;
	unsigned int mode;
};

static const struct attach_cfg attach_defaults = { .mode = MODE_NATIVE };

static const struct xr_opt attach_opts[] = {
	XR_ARG("DEV", struct attach_cfg, dev,
	       "Interface the streams arrive on", check_ifname),
	XR_STR("object", struct attach_cfg, object, "FILE",
	       "XDP object to load (default: xdprelay.bpf.o when xdprelay.ko is loaded, else xdprelay_maps.bpf.o, from ../bpf beside the binary or from "
	       XDPRELAY_LIBDIR ")", NULL, 0),
	XR_ENUM("mode", struct attach_cfg, mode, NULL, xdp_modes,
		"XDP mode: native, in the driver (default), or skb, generic and slower"),
	XR_OPT_END
};

/* The default object: xdprelay.ko's when it is loaded. */
static int find_object(char *path, size_t len)
{
	return xr_find_object(access(XR_SYSFS_DIR, F_OK) ? XR_OBJ_MAPS :
							 XR_OBJ_KFUNC,
			      path, len);
}

/* @object when given and readable, else the default one. */
static int object_path(const char *object, char *path, size_t len)
{
	int ret;

	if (!object)
		return find_object(path, len);
	snprintf(path, len, "%s", object);
	if (access(path, R_OK)) {
		ret = -errno;
		pr_err("cannot read the XDP object %s: %s", path,
		       strerror(-ret));
		return ret;
	}
	return 0;
}

/*
 * The xdprelay program on @ifindex, attached directly or through libxdp's
 * dispatcher: its program id, 0 for none, or -errno.  With @mpp and
 * @progp, hands over the multiprog and the program instead of closing.
 */
static int ours_on(int ifindex, struct xdp_multiprog **mpp,
		   struct xdp_program **progp)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int ret;

	mp = xdp_multiprog__get_from_ifindex(ifindex);
	ret = libxdp_get_error(mp);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), XR_PROG_NAME))
			goto found;
	} else {
		for (p = xdp_multiprog__next_prog(NULL, mp); p;
		     p = xdp_multiprog__next_prog(p, mp))
			if (!strcmp(xdp_program__name(p), XR_PROG_NAME))
				goto found;
	}
	xdp_multiprog__close(mp);
	return 0;
found:
	if (mpp && progp) {
		*mpp = mp;
		*progp = p;
	} else {
		uint32_t id = xdp_program__id(p);

		xdp_multiprog__close(mp);
		return id;
	}
	return xdp_program__id(p);
}

/* Loads the program and attaches it without libxdp's dispatcher. */
static int attach_alone(struct xdp_program *prog, int ifindex,
			unsigned int mode)
{
	struct bpf_object *bobj = xdp_program__bpf_obj(prog);
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST;
	struct bpf_program *p;
	int ret;

	flags |= mode == MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	ret = bpf_object__load(bobj);
	if (ret)
		return ret;
	p = bpf_object__find_program_by_name(bobj, XR_PROG_NAME);
	if (!p)
		return -ENOENT;
	return bpf_xdp_attach(ifindex, bpf_program__fd(p), flags, NULL);
}

/*
 * iproute2 pins the maps of the programs it loads in BASE/tc/globals and
 * reaches it for XDP through a link BASE/xdp -> BASE/tc/ that it creates
 * the first time.  libxdp makes BASE/xdp a directory of its own if it
 * comes first, and iproute2 then pins in BASE/xdp/globals, apart from us:
 * make the links before libxdp runs.
 */
static void iproute2_links(const char *dir)
{
	static const char tail[] = "/tc/globals";
	static const char *const names[] = { "xdp", "ip" };
	size_t len = strlen(dir), i;
	char base[PATH_MAX], link[PATH_MAX + 8], target[PATH_MAX + 8];
	struct stat sb;

	if (len < sizeof(tail) || strcmp(dir + len - sizeof(tail) + 1, tail))
		return;
	snprintf(base, sizeof(base), "%.*s", (int)(len - sizeof(tail) + 1),
		 dir);
	snprintf(target, sizeof(target), "%s/tc/", base);
	for (i = 0; i < XR_ARRAY_SIZE(names); i++) {
		snprintf(link, sizeof(link), "%s/%s", base, names[i]);
		if (!symlink(target, link) || errno != EEXIST)
			continue;
		if (!lstat(link, &sb) && S_ISDIR(sb.st_mode) &&
		    !strcmp(names[i], "xdp"))
			pr_warn("%s is a directory, not iproute2's link to %s: programs attached with 'ip link ... xdp obj' pin their maps in %s/globals, apart from %s (remove %s while nothing is pinned in it to fix this)",
				link, target, link, dir, link);
	}
}

/* Maps already pinned must fit the object, or libbpf fails obscurely. */
static int pins_check(const char *dir)
{
	char path[PATH_MAX];
	struct xr_state st;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, XDPRELAY_MAP_STREAMS);
	if (access(path, F_OK))
		return 0;
	ret = xr_state_open(&st);
	if (!ret)
		xr_state_close(&st);
	return ret;
}

static int cmd_attach(void *arg)
{
	struct attach_cfg *cfg = arg;
	const char *dir = xr_pin_dir();
	/* Pin where ip link pins, so both meet the same maps. */
	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	char obj[PATH_MAX];
	struct xdp_program *prog;
	struct bpf_object *bobj;
	int ifindex, ret;

	ifindex = ifindex_of(cfg->dev);
	if (!ifindex)
		return -ENODEV;
	ret = object_path(cfg->object, obj, sizeof(obj));
	if (ret)
		return ret;

	ret = ours_on(ifindex, NULL, NULL);
	if (ret < 0)
		return errno_hint(ret, "cannot query the XDP programs of %s",
				  cfg->dev);
	if (ret) {
		pr_err("xdprelay's program is attached to %s already (prog id %d): detach it first with 'xdprelayctl detach %s' to load another",
		       cfg->dev, ret, cfg->dev);
		return -EEXIST;
	}

	ret = xr_pin_dir_check(dir, false);
	if (ret)
		return ret;
	ret = pins_check(dir);
	if (ret)
		return ret;
	/* libbpf pins maps but does not create the directory. */
	ret = xr_mkdir_p(dir, 0700);
	if (ret)
		return errno_hint(ret, "cannot create %s", dir);
	iproute2_links(dir);

	prog = xdp_program__open_file(obj, "xdp", &opts);
	ret = libxdp_get_error(prog);
	if (ret) {
		pr_err("cannot open the XDP object %s: %s (run with -v for libbpf's messages)",
		       obj, strerror(-ret));
		return ret;
	}

	/* The kfunc variant has no counter map and needs the module. */
	bobj = xdp_program__bpf_obj(prog);
	if (!bpf_object__find_map_by_name(bobj, XDPRELAY_MAP_COUNTERS) &&
	    access(XR_SYSFS_DIR, F_OK)) {
		pr_err("%s counts through xdprelay.ko, which is not loaded: load it with 'insmod kmod/xdprelay.ko', or attach %s instead",
		       obj, XR_OBJ_MAPS);
		ret = -ENOENT;
		goto out;
	}

	ret = xdp_program__attach(prog, ifindex, cfg->mode, 0);
	if (ret && ret != -EOPNOTSUPP && ret != -EEXIST && ret != -EBUSY &&
	    ret != -EPERM && ret != -EACCES) {
		/*
		 * libxdp 1.3's dispatcher does not change packet data, and
		 * recent kernels (the 6.12 of the VM tests) refuse an
		 * extension that does, as ours does (bpf_xdp_adjust_meta):
		 * the dispatcher loads, our program does not, and libxdp
		 * does not fall back.  Attach it alone, as ip link would;
		 * the object must be reopened.
		 */
		pr_info("libxdp's dispatcher cannot run %s here: attaching it alone",
			XR_PROG_NAME);
		xdp_program__close(prog);
		prog = xdp_program__open_file(obj, "xdp", &opts);
		ret = libxdp_get_error(prog);
		if (ret) {
			pr_err("cannot open the XDP object %s: %s", obj,
			       strerror(-ret));
			return ret;
		}
		ret = attach_alone(prog, ifindex, cfg->mode);
	}
	if (ret == -EOPNOTSUPP && cfg->mode == MODE_NATIVE)
		pr_err("cannot attach to %s: its driver has no native XDP: use --mode skb",
		       cfg->dev);
	else if (ret == -EEXIST || ret == -EBUSY)
		pr_err("cannot attach to %s: another XDP program is attached that libxdp cannot share the interface with (see 'xdprelayctl status'): detach it with 'ip link set dev %s xdp off'",
		       cfg->dev, cfg->dev);
	else if (ret)
		errno_hint(ret, "cannot attach %s to %s (run with -v for libbpf's and libxdp's messages)",
			   obj, cfg->dev);
	else
		pr_info("%s attached to %s, maps pinned in %s", obj, cfg->dev,
			dir);
out:
	xdp_program__close(prog);
	return ret;
}

struct init_cfg {
	const char *object;
};

static const struct xr_opt init_opts[] = {
	XR_STR("object", struct init_cfg, object, "FILE",
	       "XDP object whose maps to create (default: as for attach)",
	       NULL, 0),
	XR_OPT_END
};

/*
 * The maps alone, pinned where attach and ip link pin them: the state
 * the control plane and the socket backend need on a host where the
 * program cannot be attached.  A later attach reuses them.
 */
static int cmd_init(void *arg)
{
	struct init_cfg *cfg = arg;
	const char *dir = xr_pin_dir();
	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	char obj[PATH_MAX], path[PATH_MAX + 16];
	struct bpf_program *p;
	struct bpf_object *bobj;
	int ret;

	ret = xr_pin_dir_check(dir, false);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/%s", dir, XDPRELAY_MAP_STREAMS);
	if (!access(path, F_OK)) {
		ret = pins_check(dir);
		if (!ret)
			pr_info("the maps are pinned in %s already: nothing to do",
				dir);
		return ret;
	}
	ret = object_path(cfg->object, obj, sizeof(obj));
	if (ret)
		return ret;
	ret = xr_mkdir_p(dir, 0700);
	if (ret)
		return errno_hint(ret, "cannot create %s", dir);
	iproute2_links(dir);

	bobj = bpf_object__open_file(obj, &opts);
	ret = libbpf_get_error(bobj);
	if (ret) {
		pr_err("cannot open the XDP object %s: %s (run with -v for libbpf's messages)",
		       obj, strerror(-ret));
		return ret;
	}
	bpf_object__for_each_program(p, bobj)
		bpf_program__set_autoload(p, false);
	ret = bpf_object__load(bobj);
	if (ret)
		errno_hint(ret, "cannot create the maps of %s in %s (run with -v for libbpf's messages)",
			   obj, dir);
	else
		pr_info("maps of %s pinned in %s; no program attached",
			obj, dir);
	bpf_object__close(bobj);
	return ret;
}

struct detach_cfg {
	const char *dev;
};

static const struct xr_opt detach_opts[] = {
	XR_ARG("DEV", struct detach_cfg, dev,
	       "Interface to detach xdprelay's XDP program from", check_ifname),
	XR_OPT_END
};

static int cmd_detach(void *arg)
{
	struct detach_cfg *cfg = arg;
	struct xdp_multiprog *mp = NULL;
	struct xdp_program *prog;
	int ifindex, ret;

	ifindex = ifindex_of(cfg->dev);
	if (!ifindex)
		return -ENODEV;
	/* The relay's fan-out program goes with it. */
	ret = xr_tc_detach(ifindex);
	if (!ret)
		pr_info("fan-out program detached from %s", cfg->dev);
	else if (ret != -ENOENT)
		errno_hint(ret, "cannot detach the fan-out program from %s",
			   cfg->dev);
	ret = ours_on(ifindex, &mp, &prog);
	if (ret < 0)
		return errno_hint(ret, "cannot query the XDP programs of %s",
				  cfg->dev);
	if (!ret) {
		pr_err("xdprelay's program is not attached to %s (see 'xdprelayctl status')",
		       cfg->dev);
		return -ENOENT;
	}
	if (xdp_multiprog__is_legacy(mp))
		ret = xdp_multiprog__detach(mp);
	else
		ret = xdp_program__detach(prog, ifindex,
					  xdp_multiprog__attach_mode(mp), 0);
	if (ret) {
		errno_hint(ret, "cannot detach from %s", cfg->dev);
	} else {
		pr_info("detached from %s; the maps stay pinned in %s",
			cfg->dev, xr_pin_dir());
	}
	xdp_multiprog__close(mp);
	return ret;
}

/* stream add, del, list, apply */

/* Opens the state and takes the writers' lock: both, or neither. */
static int state_open_locked(struct xr_state *st, int *lock)
{
	int ret;

	ret = xr_state_open(st);
	if (ret)
		return ret;
	*lock = xr_state_lock();
	if (*lock < 0) {
		xr_state_close(st);
		return *lock;
	}
	return 0;
}

static void state_close_locked(struct xr_state *st, int lock)
{
	xr_state_unlock(lock);
	xr_state_close(st);
}

static int cmd_stream_add(void *arg)
{
	struct xr_stream_spec *s = arg;
	char err[XR_ERR_LEN];
	struct xr_state st;
	int lock, ret;

	if (xr_spec_finish(s, err, sizeof(err))) {
		pr_err("%s", err);
		return -XR_EUSAGE;
	}
	ret = state_open_locked(&st, &lock);
	if (ret)
		return ret;
	ret = xr_stream_add(&st, s);
	state_close_locked(&st, lock);
	return ret;
}

struct name_cfg {
	const char *name;
};

static const struct xr_opt stream_del_opts[] = {
	XR_ARG("NAME", struct name_cfg, name, "Stream to remove",
	       xr_check_name),
	XR_OPT_END
};

static int cmd_stream_del(void *arg)
{
	struct name_cfg *cfg = arg;
	struct xr_state st;
	int lock, ret;

	ret = state_open_locked(&st, &lock);
	if (ret)
		return ret;
	ret = xr_stream_del(&st, cfg->name);
	state_close_locked(&st, lock);
	return ret;
}

struct list_cfg {
	bool json;
};

static const struct xr_opt list_opts[] = {
	XR_FLAG("json", struct list_cfg, json, "Print JSON"),
	XR_OPT_END
};

/* As a config file line, so that the output can be applied back. */
static void stream_print_plain(const struct xr_stream_spec *s, bool live,
			       const char *runs, const char *why)
{
	char a[XR_ENDPOINT_STRLEN];
	uint32_t i;

	printf("stream %s listen %s", s->name, xr_endpoint_str(&s->listen, a));
	for (i = 0; i < s->to.nr; i++)
		printf(" to %s", xr_endpoint_str(&s->to.ep[i], a));
	if (s->source.family)
		printf(" source %s", xr_prefix_str(&s->source, a));
	if (s->rate)
		printf(" rate %u burst %u", s->rate, s->burst);
	if (s->source_port)
		printf(" source-port %u", ntohs(s->source_port));
	if (s->vlan)
		printf(" vlan %u", s->vlan);
	if (s->path != XDPRELAY_PATH_AUTO)
		printf(" path %s", xr_path_str(s->path));
	if (s->kind != XDPRELAY_CHECK_AUTO)
		printf(" kind %s", xr_kind_str(s->kind));
	if (!live)
		printf(" # not live: not in %s", XDPRELAY_MAP_STREAMS);
	else if (strcmp(runs, "none") || strcmp(why, XR_WHY_NO_RELAY))
		printf(" # runs %s%s%s", runs, why[0] ? ": " : "", why);
	printf("\n");
}

static void stream_print_json(const struct xr_stream_spec *s, uint32_t id,
			      bool live, const char *runs, const char *why)
{
	char a[XR_ENDPOINT_STRLEN];
	uint32_t i;

	jw_obj_open();
	jw_kv_u64("id", id);
	jw_kv_str("name", s->name);
	jw_kv_str("listen", xr_endpoint_str(&s->listen, a));
	jw_key("to");
	jw_arr_open();
	for (i = 0; i < s->to.nr; i++)
		jw_str(xr_endpoint_str(&s->to.ep[i], a));
	jw_arr_close();
	jw_key("source");
	if (s->source.family)
		jw_str(xr_prefix_str(&s->source, a));
	else
		jw_null();
	jw_kv_u64("rate", s->rate);
	jw_kv_u64("burst", s->burst);
	jw_kv_u64("source_port", ntohs(s->source_port));
	jw_kv_u64("vlan", s->vlan);
	jw_kv_bool("live", live);
	jw_kv_str("path", xr_path_str(s->path));
	jw_kv_str("kind", xr_kind_str(s->kind));
	jw_kv_str("runs", runs);
	jw_kv_str("why", why);
	jw_obj_close();
}

static int cmd_stream_list(void *arg)
{
	struct list_cfg *cfg = arg;
	struct relay_status rs;
	struct xr_stream_spec s;
	const char *runs, *why;
	struct xr_state st;
	uint32_t id;
	bool live;
	int ret;

	ret = xr_state_open(&st);
	if (ret)
		return ret;
	relay_status_read(&rs);
	if (cfg->json)
		jw_arr_open();
	for (id = 1; id < XDPRELAY_MAX_STREAMS; id++) {
		ret = xr_stream_get(&st, id, &s, &live);
		if (ret == -ENOENT)
			continue;
		if (ret) {
			pr_err("cannot read %s: %s", XDPRELAY_MAP_INFO,
			       strerror(-ret));
			break;
		}
		runs = stream_runs(&rs, &st, id, &why);
		if (cfg->json)
			stream_print_json(&s, id, live, runs, why);
		else
			stream_print_plain(&s, live, runs, why);
	}
	if (ret == -ENOENT)
		ret = 0;
	if (cfg->json)
		jw_arr_close();
	relay_status_free(&rs);
	xr_state_close(&st);
	return ret;
}

struct apply_cfg {
	const char *file;
};

static const struct xr_opt apply_opts[] = {
	XR_ARG("FILE", struct apply_cfg, file,
	       "Config file to apply: streams it lists are added or changed, streams it does not list are removed",
	       NULL),
	XR_OPT_END
};

static int config_apply_file(const char *file)
{
	struct xr_config cfg;
	struct xr_state st;
	int ret;

	/* The whole file is checked before anything changes. */
	ret = xr_config_load(file, &cfg);
	if (ret)
		return ret;
	ret = xr_state_open(&st);
	if (!ret) {
		ret = xr_config_apply(&st, &cfg);
		xr_state_close(&st);
	}
	xr_config_free(&cfg);
	return ret;
}

static int cmd_stream_apply(void *arg)
{
	struct apply_cfg *cfg = arg;

	return config_apply_file(cfg->file);
}

/* sub add, del */

struct sub_cfg {
	const char *name;
	struct xr_endpoints to;
};

static const struct xr_opt sub_add_opts[] = {
	XR_ARG("NAME", struct sub_cfg, name, "Stream to add subscribers to",
	       xr_check_name),
	XR_ENDPOINTS("to", struct sub_cfg, to,
		     "Subscriber to add: address and UDP port, of the stream's family",
		     XR_OPT_REQUIRED),
	XR_OPT_END
};

static const struct xr_opt sub_del_opts[] = {
	XR_ARG("NAME", struct sub_cfg, name,
	       "Stream to remove subscribers from", xr_check_name),
	XR_ENDPOINTS("to", struct sub_cfg, to, "Subscriber to remove",
		     XR_OPT_REQUIRED),
	XR_OPT_END
};

static int sub_index(const struct xr_endpoints *eps,
		     const struct xdprelay_endpoint *ep)
{
	uint32_t i;

	for (i = 0; i < eps->nr; i++)
		if (xr_endpoint_eq(&eps->ep[i], ep))
			return i;
	return -1;
}

/* Checks every change against the stream before making any. */
static int sub_change(struct sub_cfg *cfg, bool add)
{
	char a[XR_ENDPOINT_STRLEN], b[XR_ENDPOINT_STRLEN];
	struct xr_endpoints next;
	struct xr_stream_spec s;
	struct xr_state st;
	int lock, id, ret, k;
	uint32_t i;
	bool live;

	ret = state_open_locked(&st, &lock);
	if (ret)
		return ret;
	id = xr_stream_find(&st, cfg->name, NULL);
	if (id < 0) {
		ret = id;
		if (id == -ENOENT)
			pr_err("no stream named '%s' (see 'xdprelayctl stream list')",
			       cfg->name);
		else
			pr_err("cannot read %s: %s", XDPRELAY_MAP_INFO,
			       strerror(-id));
		goto out;
	}
	ret = xr_stream_get(&st, id, &s, &live);
	if (ret)
		goto out;

	next = s.to;
	for (i = 0; i < cfg->to.nr; i++) {
		const struct xdprelay_endpoint *ep = &cfg->to.ep[i];

		xr_endpoint_str(ep, a);
		k = sub_index(&next, ep);
		ret = -EINVAL;
		if (!add && k < 0) {
			pr_err("%s is not a subscriber of '%s' (see 'xdprelayctl stream list')",
			       a, s.name);
			ret = -ENOENT;
		} else if (!add) {
			memmove(&next.ep[k], &next.ep[k + 1],
				(next.nr - k - 1) * sizeof(next.ep[0]));
			next.nr--;
			ret = 0;
		} else if (ep->family != s.listen.family) {
			pr_err("subscriber %s is %s but stream '%s' listens on %s %s: a stream is relayed within one family",
			       a, xr_family_str(ep->family), s.name,
			       xr_family_str(s.listen.family),
			       xr_endpoint_str(&s.listen, b));
		} else if (xr_endpoint_eq(ep, &s.listen)) {
			pr_err("subscriber %s is the stream's own listen endpoint: it would loop",
			       a);
		} else if (k >= 0) {
			pr_err("%s is a subscriber of '%s' already", a, s.name);
			ret = -EEXIST;
		} else if (next.nr == XDPRELAY_MAX_SUBS) {
			pr_err("stream '%s' has %d subscribers, the most it can have: remove one first, or relay to a multicast group and let the network fan out",
			       s.name, XDPRELAY_MAX_SUBS);
			ret = -ENOSPC;
		} else {
			next.ep[next.nr++] = *ep;
			ret = 0;
		}
		if (ret)
			goto out;
	}
	/* Taking subscribers away can make no loop. */
	ret = add ? xr_loop_check(&st, id, &s.listen, &next) : 0;
	if (!ret)
		ret = xr_stream_set_subs(&st, id, &next);
	if (!ret)
		pr_info("stream '%s' has %u subscriber%s", s.name, next.nr,
			next.nr == 1 ? "" : "s");
out:
	state_close_locked(&st, lock);
	return ret;
}

static int cmd_sub_add(void *arg)
{
	return sub_change(arg, true);
}

static int cmd_sub_del(void *arg)
{
	return sub_change(arg, false);
}

/* run */

static const struct xr_choice run_modes[] = {
	{ "auto", RELAY_MODE_AUTO },
	{ "zerocopy", RELAY_MODE_ZEROCOPY },
	{ "copy", RELAY_MODE_COPY },
	{ NULL }
};

static const struct xr_choice run_backends[] = {
	{ "xdp", RELAY_BACKEND_XDP },
	{ "socket", RELAY_BACKEND_SOCKET },
	{ NULL }
};

static int check_cpulist(const char *s, char *err, size_t errlen)
{
	bool set[XDPRELAY_MAX_CPUS];

	return xr_parse_cpulist(s, set, XDPRELAY_MAX_CPUS, err, errlen);
}

struct run_cfg {
	const char *ingress;
	const char *egress;
	unsigned int backend;
	uint32_t queues;
	unsigned int mode;
	uint32_t frames;
	bool busy_poll;
	const char *direct_cpus;
	const char *config;
	uint32_t silence;
};

static const struct run_cfg run_defaults = {
	.backend = RELAY_BACKEND_AUTO,
	.mode = RELAY_MODE_AUTO,
	.silence = XR_SILENCE_DEFAULT_S,
};

static const struct xr_opt run_opts[] = {
	XR_STR("ingress", struct run_cfg, ingress, "DEV",
	       "Interface the streams arrive on: xdprelay's XDP program attached to it for the xdp backend",
	       check_ifname, XR_OPT_REQUIRED),
	XR_STR("egress", struct run_cfg, egress, "DEV",
	       "Interface the subscribers are reached through; may be the ingress",
	       check_ifname, XR_OPT_REQUIRED),
	XR_ENUM("backend", struct run_cfg, backend, NULL, run_backends,
		"xdp: AF_XDP sockets fed by xdprelay's XDP program; socket: ordinary UDP sockets (recvmmsg, sendmmsg, UDP GSO). Default: xdp when xr_xsks is pinned and xdprelay's program is attached to the ingress, else socket, said in one log line"),
	XR_U32("queues", struct run_cfg, queues, "N", 1, XDPRELAY_MAX_QUEUES,
	       "Serve the first N receive queues of the ingress, one worker each (default: all)"),
	XR_ENUM("mode", struct run_cfg, mode, NULL, run_modes,
		"AF_XDP binding: auto (the default) tries zerocopy and falls back to copy; zerocopy or copy insists on that mode"),
	XR_U32("frames", struct run_cfg, frames, "N", RELAY_MIN_FRAMES,
	       RELAY_MAX_FRAMES,
	       "AF_XDP frames per worker (default 4096), half of them waiting for the kernel: more ride out a longer stall of the worker, fewer stay in the CPU caches and relay more packets"),
	XR_FLAG("busy-poll", struct run_cfg, busy_poll,
		"Never sleep: each worker polls its RX ring, and busy-polls the device's NAPI where the kernel has one for its socket; a core per worker, for the lowest latency"),
	XR_STR("direct-cpus", struct run_cfg, direct_cpus, "CPUS",
	       "Rewrite and send the direct path's packets on CPUS (a list such as 2 or 2,3 or 2-5; each stream on one of them) instead of the CPU they arrive on, which hands them over through a cpumap: for a NIC queue whose CPU is the bottleneck; on a veth the hand-off costs more than it moves. Default: where they arrive",
	       check_cpulist, 0),
	XR_STR("config", struct run_cfg, config, "FILE",
	       "Apply the config file FILE before starting, and again on SIGHUP",
	       NULL, 0),
	XR_U32("silence", struct run_cfg, silence, "SEC", 1, 3600,
	       "Say that a stream is silent once it had no packet for SEC seconds, 1 to 3600 (default 5), and again when packets come back; stats flags it too"),
	XR_OPT_END
};

/* SIGHUP: a file that does not check out changes nothing. */
static int run_reload(void *ctx)
{
	const char *file = ctx;
	int ret;

	pr_info("reloading %s", file);
	ret = config_apply_file(file);
	if (ret)
		pr_err("%s not applied: the streams stay as they were", file);
	return ret;
}

static int cmd_run(void *arg)
{
	struct run_cfg *cfg = arg;
	struct relay_config rc = {
		.ingress = cfg->ingress,
		.egress = cfg->egress,
		.backend = cfg->backend,
		.queues = cfg->queues,
		.mode = cfg->mode,
		.frames = cfg->frames,
		.busy_poll = cfg->busy_poll,
		.direct_cpus = cfg->direct_cpus,
		.verbose = xr_verbose,
		.silence_s = cfg->silence,
	};
	int ret;

	if (!ifindex_of(cfg->ingress) || !ifindex_of(cfg->egress))
		return -ENODEV;
	if (cfg->config) {
		ret = config_apply_file(cfg->config);
		if (ret)
			return ret;
		rc.reload = run_reload;
		rc.reload_arg = (void *)cfg->config;
	}
	return relay_run(&rc);
}

/* status */

struct status_cfg {
	bool json;
};

static const struct xr_opt status_opts[] = {
	XR_FLAG("json", struct status_cfg, json, "Print JSON"),
	XR_OPT_END
};

struct prog_desc {
	uint32_t id;
	char name[BPF_OBJ_NAME_LEN];
	const char *mode;
	uint32_t ours_id;	/* xdprelay_rx, maybe under a dispatcher */
	bool maps_variant;	/* uses xr_counters */
	bool pinned;		/* uses the maps pinned in the pin dir */
	int err;		/* could not be inspected: errno */
};

static uint32_t map_id_of_fd(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/*
 * Which counters the program uses, and whether its stream table is the
 * pinned one.  libbpf 1.1 has no bpf_prog_get_info_by_fd(): the generic
 * bpf_obj_get_info_by_fd() does the same.
 */
static void prog_maps(uint32_t prog_id, uint32_t pinned_id,
		      struct prog_desc *d)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[32], i;
	int fd, mfd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	if (info.nr_map_ids > XR_ARRAY_SIZE(ids))
		info.nr_map_ids = XR_ARRAY_SIZE(ids);
	i = info.nr_map_ids;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = i;
	info.map_ids = (uintptr_t)ids;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		goto out;
	for (i = 0; i < info.nr_map_ids && i < XR_ARRAY_SIZE(ids); i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);

		if (ids[i] == pinned_id)
			d->pinned = true;
		mfd = bpf_map_get_fd_by_id(ids[i]);
		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen) &&
		    !strcmp(mi.name, XDPRELAY_MAP_COUNTERS))
			d->maps_variant = true;
		close(mfd);
	}
out:
	close(fd);
}

static int prog_describe(int ifindex, uint32_t id, const char *mode,
			 uint32_t pinned_id, struct prog_desc *d)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd, ret;

	memset(d, 0, sizeof(*d));
	d->id = id;
	d->mode = mode;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		d->err = errno;
		return -d->err;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		d->err = errno;
		close(fd);
		return -d->err;
	}
	close(fd);
	memcpy(d->name, info.name, sizeof(d->name));
	d->name[sizeof(d->name) - 1] = '\0';
	if (!strcmp(d->name, XR_PROG_NAME)) {
		d->ours_id = id;
	} else {
		/* Maybe under libxdp's dispatcher. */
		ret = ours_on(ifindex, NULL, NULL);
		if (ret > 0)
			d->ours_id = ret;
	}
	if (d->ours_id)
		prog_maps(d->ours_id, pinned_id, d);
	return 0;
}

static void print_prog(const char *ifname, int ifindex,
		       const struct prog_desc *d, bool json)
{
	if (json) {
		jw_obj_open();
		jw_kv_str("ifname", ifname);
		jw_kv_u64("ifindex", ifindex);
		jw_kv_str("mode", d->mode);
		jw_kv_u64("prog_id", d->id);
		if (d->err)
			jw_kv_str("error", strerror(d->err));
		else
			jw_kv_str("prog_name", d->name);
		jw_kv_bool("xdprelay", d->ours_id);
		if (d->ours_id) {
			jw_kv_u64("xdprelay_prog_id", d->ours_id);
			jw_kv_str("counters", d->maps_variant ? "maps" :
				  "module");
			jw_kv_bool("pinned_state", d->pinned);
		}
		jw_obj_close();
		return;
	}
	if (d->err) {
		printf("  %s: prog id %u (%s), cannot inspect it: %s%s\n",
		       ifname, d->id, d->mode, strerror(d->err),
		       d->err == EPERM || d->err == EACCES ?
		       ": run as root" : "");
		return;
	}
	printf("  %s: %s (prog id %u, %s)", ifname, d->name, d->id, d->mode);
	if (!d->ours_id) {
		printf(", not xdprelay's\n");
		return;
	}
	if (d->ours_id != d->id)
		printf(" running %s (prog id %u)", XR_PROG_NAME, d->ours_id);
	printf(", counters in %s, %s %s\n",
	       d->maps_variant ? XDPRELAY_MAP_COUNTERS : "xdprelay.ko",
	       d->pinned ? "uses the maps pinned in" :
	       "does NOT use the maps pinned in", xr_pin_dir());
}

static int status_progs(bool json, uint32_t pinned_id)
{
	struct if_nameindex *ifs, *i;
	unsigned int n = 0;

	ifs = if_nameindex();
	if (!ifs)
		return errno_hint(-errno, "cannot list the interfaces");
	if (json) {
		jw_key("interfaces");
		jw_arr_open();
	} else {
		printf("XDP programs:\n");
	}
	for (i = ifs; i->if_index; i++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		struct {
			uint32_t id;
			const char *mode;
		} att[3];
		struct prog_desc d;
		unsigned int k;

		if (bpf_xdp_query(i->if_index, 0, &q))
			continue;
		att[0].id = q.drv_prog_id;
		att[0].mode = "native";
		att[1].id = q.skb_prog_id;
		att[1].mode = "skb";
		att[2].id = q.hw_prog_id;
		att[2].mode = "hw";
		for (k = 0; k < 3; k++) {
			if (!att[k].id)
				continue;
			/* One that cannot be inspected is still shown. */
			prog_describe(i->if_index, att[k].id, att[k].mode,
				      pinned_id, &d);
			print_prog(i->if_name, i->if_index, &d, json);
			n++;
		}
	}
	if_freenameindex(ifs);
	if (json)
		jw_arr_close();
	else if (!n)
		printf("  none attached in this network namespace\n");
	return 0;
}

static void status_module(bool json)
{
	char version[64];
	bool loaded;

	loaded = !xr_read_file(XR_SYSFS_DIR "/version", version,
			       sizeof(version));
	if (json) {
		jw_key("module");
		jw_obj_open();
		jw_kv_bool("loaded", loaded);
		if (loaded)
			jw_kv_str("version", version);
		jw_obj_close();
	} else if (loaded) {
		printf("Module: xdprelay.ko %s loaded\n", version);
	} else {
		printf("Module: xdprelay.ko not loaded\n");
	}
}

struct pins_desc {
	int dir_err;		/* xr_pin_dir_check()'s */
	bool present;
	int err;		/* why not present */
	uint32_t streams_id;	/* xr_streams' map id */
	unsigned int streams;
};

static void status_pins_read(struct pins_desc *p)
{
	const char *dir = xr_pin_dir();
	struct xdprelay_info info;
	char path[PATH_MAX];
	int sfd, ifd;
	uint32_t id;

	memset(p, 0, sizeof(*p));
	p->dir_err = xr_pin_dir_check(dir, true);
	snprintf(path, sizeof(path), "%s/%s", dir, XDPRELAY_MAP_STREAMS);
	sfd = bpf_obj_get(path);
	p->err = sfd < 0 ? errno : 0;
	snprintf(path, sizeof(path), "%s/%s", dir, XDPRELAY_MAP_INFO);
	ifd = bpf_obj_get(path);
	p->present = sfd >= 0;
	p->streams_id = map_id_of_fd(sfd);
	for (id = 1; ifd >= 0 && id < XDPRELAY_MAX_STREAMS; id++)
		if (!bpf_map_lookup_elem(ifd, &id, &info) && info.name[0])
			p->streams++;
	if (sfd >= 0)
		close(sfd);
	if (ifd >= 0)
		close(ifd);
}

static void status_pins(const struct pins_desc *p, bool json)
{
	const char *dir = xr_pin_dir();

	if (json) {
		jw_key("pinned");
		jw_obj_open();
		jw_kv_str("dir", dir);
		jw_kv_bool("bpffs", p->dir_err != -ENODEV);
		jw_kv_bool("present", p->present);
		jw_kv_u64("streams", p->streams);
		jw_obj_close();
	} else if (p->present) {
		printf("Pinned maps: %s, %u stream%s\n", dir, p->streams,
		       p->streams == 1 ? "" : "s");
	} else {
		printf("Pinned maps: none in %s (%s)\n", dir,
		       p->dir_err == -ENODEV ? "no BPF filesystem mounted there" :
		       p->dir_err ? strerror(-p->dir_err) :
		       p->err == ENOENT ? "the program was never attached" :
		       strerror(p->err));
	}
}

/* A served AF_XDP queue has figures in xr_queues. */
static bool queue_counted(const struct relay_status *rs,
			  const struct xdprelay_queue *qs, unsigned int q)
{
	return qs && (!strcmp(rs->queue_mode[q], "copy") ||
		      !strcmp(rs->queue_mode[q], "zerocopy"));
}

/* What the relay wrote in xr_status_file(), and its queues' figures. */
static void status_relay(bool json)
{
	struct xdprelay_queue qrows[XDPRELAY_MAX_QUEUES], *qs = NULL;
	const struct xdprelay_queue *qr;
	struct relay_status rs;
	unsigned int q;
	uint32_t id;

	relay_status_read(&rs);
	if (rs.running && !xr_queues_read(qrows, XDPRELAY_MAX_QUEUES))
		qs = qrows;
	if (json) {
		jw_key("relay");
		jw_obj_open();
		jw_kv_bool("running", rs.running);
		if (rs.running) {
			jw_kv_u64("pid", rs.pid);
			jw_kv_str("ingress", rs.ingress);
			jw_kv_str("egress", rs.egress);
			jw_kv_bool("busy_poll", rs.busy_poll);
			jw_key("queues");
			jw_arr_open();
			for (q = 0; q < XDPRELAY_MAX_QUEUES; q++) {
				if (!rs.queue_mode[q][0])
					continue;
				jw_obj_open();
				jw_kv_u64("queue", q);
				jw_kv_str("mode", rs.queue_mode[q]);
				if (queue_counted(&rs, qs, q)) {
					qr = &qs[q];
					jw_kv_u64("rx_packets", qr->rx_packets);
					jw_kv_u64("tx_packets", qr->tx_packets);
					jw_kv_u64("tx_copies", qr->copies);
					jw_kv_u64("xsk_dropped",
						  qr->xsk_dropped);
				}
				jw_obj_close();
			}
			jw_arr_close();
			jw_key("streams");
			jw_arr_open();
			for (id = 1; rs.runs && id < XDPRELAY_MAX_STREAMS; id++) {
				const struct stream_run *sr = &rs.runs[id];

				if (!sr->path[0])
					continue;
				jw_obj_open();
				jw_kv_u64("id", id);
				jw_kv_str("name", sr->name);
				jw_kv_str("path", sr->path);
				jw_kv_str("why", sr->why);
				jw_obj_close();
			}
			jw_arr_close();
			jw_kv_str("fanout", rs.fanout);
			jw_key("direct_cpus");
			if (rs.direct_cpus[0])
				jw_str(rs.direct_cpus);
			else
				jw_null();
		}
		jw_obj_close();
		relay_status_free(&rs);
		return;
	}
	if (!rs.running) {
		if (rs.present && rs.pid > 0)
			printf("Relay: not running (%s names pid %ld, which is gone)\n",
			       xr_status_file(), rs.pid);
		else
			printf("Relay: not running\n");
		relay_status_free(&rs);
		return;
	}
	printf("Relay: running, pid %ld, ingress %s, egress %s, busy poll %s\n",
	       rs.pid, rs.ingress, rs.egress, rs.busy_poll ? "on" : "off");
	for (q = 0; q < XDPRELAY_MAX_QUEUES; q++) {
		if (!rs.queue_mode[q][0])
			continue;
		printf("  queue %u: %s", q, rs.queue_mode[q]);
		qr = queue_counted(&rs, qs, q) ? &qs[q] : NULL;
		if (qr)
			printf(", %llu packets received, %llu sent, %llu copies, %llu dropped on the way in",
			       (unsigned long long)qr->rx_packets,
			       (unsigned long long)qr->tx_packets,
			       (unsigned long long)qr->copies,
			       (unsigned long long)qr->xsk_dropped);
		printf("\n");
	}
	if (rs.fanout[0])
		printf("  fan-out: %s\n", rs.fanout);
	if (rs.direct_cpus[0])
		printf("  direct path: rewrites and sends on CPU %s, handed over from the receiving CPU\n",
		       rs.direct_cpus);
	for (id = 1; rs.runs && id < XDPRELAY_MAX_STREAMS; id++) {
		const struct stream_run *sr = &rs.runs[id];

		if (!sr->path[0])
			continue;
		printf("  stream %s: %s path%s%s\n", sr->name, sr->path,
		       sr->why[0] ? ": " : "", sr->why);
	}
	relay_status_free(&rs);
}

static int cmd_status(void *arg)
{
	struct status_cfg *cfg = arg;
	struct pins_desc pins;
	int ret;

	status_pins_read(&pins);
	if (cfg->json)
		jw_obj_open();
	ret = status_progs(cfg->json, pins.streams_id);
	status_pins(&pins, cfg->json);
	status_module(cfg->json);
	status_relay(cfg->json);
	if (cfg->json)
		jw_obj_close();
	return ret;
}

/* The command tree */

static const struct xr_cmd stream_cmds[] = {
	{
		.name = "add",
		.summary = "Add a stream",
		.desc = "Add a stream: the packets that arrive on its listen endpoint are relayed to its subscribers.",
		.opts = xr_stream_opts,
		.cfg_size = sizeof(struct xr_stream_spec),
		.run = cmd_stream_add,
	},
	{
		.name = "del",
		.summary = "Remove a stream",
		.desc = "Remove a stream: its packets go to the kernel stack again.",
		.opts = stream_del_opts,
		.cfg_size = sizeof(struct name_cfg),
		.run = cmd_stream_del,
	},
	{
		.name = "list",
		.summary = "List the streams",
		.desc = "List the streams, one per line in config file syntax: the output can be applied back.",
		.opts = list_opts,
		.cfg_size = sizeof(struct list_cfg),
		.run = cmd_stream_list,
	},
	{
		.name = "apply",
		.summary = "Apply a config file",
		.desc = "Make the streams what a config file says, without running the relay. The whole file is checked before anything changes.",
		.opts = apply_opts,
		.cfg_size = sizeof(struct apply_cfg),
		.run = cmd_stream_apply,
	},
	{ .name = NULL }
};

static const struct xr_cmd sub_cmds[] = {
	{
		.name = "add",
		.summary = "Add subscribers to a stream",
		.desc = "Add subscribers to a stream, live: the relay picks them up without stopping, and the stream's other subscribers see no change.",
		.opts = sub_add_opts,
		.cfg_size = sizeof(struct sub_cfg),
		.run = cmd_sub_add,
	},
	{
		.name = "del",
		.summary = "Remove subscribers from a stream",
		.desc = "Remove subscribers from a stream, live, without disturbing the others.",
		.opts = sub_del_opts,
		.cfg_size = sizeof(struct sub_cfg),
		.run = cmd_sub_del,
	},
	{ .name = NULL }
};

static const struct xr_cmd root_cmds[] = {
	{
		.name = "attach",
		.summary = "Attach the XDP program to DEV",
		.desc = "Attach xdprelay's XDP program to DEV with libxdp, pinning its maps where ip link pins them, so that the two ways of attaching meet the same streams.",
		.opts = attach_opts,
		.cfg_size = sizeof(struct attach_cfg),
		.defaults = &attach_defaults,
		.run = cmd_attach,
	},
	{
		.name = "init",
		.summary = "Create the maps without attaching the XDP program",
		.desc = "Create and pin the maps of the XDP object where attach and ip link pin them, without attaching its program: the state that the stream and sub commands and the socket backend need on a host where XDP cannot attach. A later attach, or ip link, reuses them. Nothing to do when they are pinned already.",
		.opts = init_opts,
		.cfg_size = sizeof(struct init_cfg),
		.run = cmd_init,
	},
	{
		.name = "detach",
		.summary = "Detach the XDP program from DEV",
		.desc = "Detach xdprelay's XDP program from DEV. The pinned maps, and so the streams, stay.",
		.opts = detach_opts,
		.cfg_size = sizeof(struct detach_cfg),
		.run = cmd_detach,
	},
	{
		.name = "stream",
		.summary = "Manage streams",
		.cmds = stream_cmds,
	},
	{
		.name = "sub",
		.summary = "Manage the subscribers of a stream",
		.cmds = sub_cmds,
	},
	{
		.name = "run",
		.summary = "Run the relay",
		.desc = "Run the relay in the foreground: one worker per ingress receive queue, each with its AF_XDP socket, or with --backend socket one worker thread on UDP sockets, which applies the streams' source filters and policers itself and counts what it receives in the xr_counters map only when that map exists and no xdprelay XDP program counts it. SIGINT and SIGTERM stop it, SIGHUP applies the config file again while the relay goes on.",
		.opts = run_opts,
		.cfg_size = sizeof(struct run_cfg),
		.defaults = &run_defaults,
		.run = cmd_run,
	},
	{
		.name = "stats",
		.summary = "Show the counters",
		.desc = "Show the counters of each stream and the totals: what the XDP program received, from xdprelay.ko's sysfs tree or the xr_counters map, what the relay sent, and the health of each stream's MPEG-TS or RTP.",
		.opts = xr_stats_opts,
		.cfg_size = sizeof(struct xr_stats_cfg),
		.run = xr_stats_cmd,
	},
	{
		.name = "status",
		.summary = "Show what runs",
		.desc = "Show the XDP programs attached in this network namespace, the pinned maps, the module, and the relay with the AF_XDP mode and figures of each queue.",
		.opts = status_opts,
		.cfg_size = sizeof(struct status_cfg),
		.run = cmd_status,
	},
	{
		.name = "tune",
		.summary = "Show or set UDP receive buffer autotuning",
		.desc = "Without options, show the knobs of xdprelay.ko's UDP receive buffer autotuning and the sockets registered for it; with options, set the knobs. The module checks the values: a refused one changes nothing.",
		.opts = xr_tune_opts,
		.cfg_size = sizeof(struct xr_tune_cfg),
		.run = xr_tune_cmd,
	},
	{ .name = NULL }
};

static const struct xr_cmd root = {
	.name = "xdprelayctl",
	.summary = "Control xdprelay, the XDP and AF_XDP relay of UDP streams.",
	.cmds = root_cmds,
};

int main(int argc, char **argv)
{
	xr_libbpf_quiet();
	return xr_cmd_main(&root, argc, argv);
}
