// SPDX-License-Identifier: GPL-2.0
/*
 * UDP receive buffer autotuning by xdprelay.ko.  A program registers its
 * sockets through /dev/xdprelay; xdprelayctl tune shows and sets the knobs
 * in /sys/kernel/xdprelay/tuning/ and lists the sockets under tuning.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/bpf.h>	/* struct bpf_spin_lock, for state.h */

#include "xdprelay_uapi.h"

#include "state.h"
#include "tune.h"
#include "util.h"

#define XR_TUNING_DIR		XR_SYSFS_DIR "/tuning"
#define XR_SOCKETS_DIR		XR_SYSFS_DIR "/sockets"

/* The device, or -ENOENT when the module is not loaded. */
static int tune_dev_open(void)
{
	int fd;

	fd = open(XDPRELAY_DEVICE, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int xr_tune_register(int fd)
{
	struct xdprelay_sock_reg reg = { .fd = fd };
	int dev, ret;

	dev = tune_dev_open();
	if (dev < 0)
		return dev;
	ret = ioctl(dev, XDPRELAY_IOC_SOCK_REGISTER, &reg) ? -errno : 0;
	close(dev);
	return ret ? ret : (int)reg.id;
}

int xr_tune_unregister(int fd)
{
	__s32 arg = fd;
	int dev, ret;

	dev = tune_dev_open();
	if (dev < 0)
		return dev;
	ret = ioctl(dev, XDPRELAY_IOC_SOCK_UNREGISTER, &arg) ? -errno : 0;
	close(dev);
	return ret;
}

/* xdprelayctl tune */

struct knob {
	const char *name;	/* file in tuning/, and the JSON key */
	const char *opt;
	size_t off;		/* of the option's value in xr_tune_cfg */
	const char *range;	/* the module's, for its refusals */
};

static const struct knob knobs[] = {
	{ "interval_ms", "--interval-ms",
	  offsetof(struct xr_tune_cfg, interval_ms), "10 to 10000" },
	{ "quiet_ms", "--quiet-ms",
	  offsetof(struct xr_tune_cfg, quiet_ms), "10 to 3600000" },
	{ "rcvbuf_max", "--rcvbuf-max",
	  offsetof(struct xr_tune_cfg, rcvbuf_max),
	  "2 * SOCK_MIN_RCVBUF (4608 on x86-64) to 1073741823" },
};

static const char *knob_arg(const struct xr_tune_cfg *cfg,
			    const struct knob *k)
{
	return *(const char *const *)((const char *)cfg + k->off);
}

/*
 * Only the form is checked here: the module judges the range, and its
 * refusal names the knob's range rather than a u32's.
 */
static int check_number(const char *s, char *err, size_t errlen)
{
	uint32_t v;
	int ret;

	ret = xr_parse_u32(s, 0, UINT32_MAX, &v, err, errlen);
	return ret == -ERANGE ? 0 : ret;
}

const struct xr_opt xr_tune_opts[] = {
	XR_STR("interval-ms", struct xr_tune_cfg, interval_ms, "N",
	       "Milliseconds between two passes of the tuning worker, 10 to 10000",
	       check_number, 0),
	XR_STR("quiet-ms", struct xr_tune_cfg, quiet_ms, "N",
	       "Milliseconds without a drop after which a grown buffer is halved, 10 to 3600000",
	       check_number, 0),
	XR_STR("rcvbuf-max", struct xr_tune_cfg, rcvbuf_max, "BYTES",
	       "Largest receive buffer the module sets; may exceed net.core.rmem_max",
	       check_number, 0),
	XR_FLAG("json", struct xr_tune_cfg, json, "Print JSON"),
	XR_OPT_END
};

static int tune_module_check(void)
{
	if (!access(XR_TUNING_DIR, F_OK))
		return 0;
	if (access(XR_SYSFS_DIR, F_OK))
		pr_err("xdprelay.ko is not loaded: load it with 'insmod kmod/xdprelay.ko'");
	else
		pr_err("the loaded xdprelay.ko has no %s: load a newer one (rmmod xdprelay; insmod kmod/xdprelay.ko)",
		       XR_TUNING_DIR);
	return -ENOENT;
}

static int knob_path(const struct knob *k, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%s", XR_TUNING_DIR, k->name);
}

static int knob_write(const struct knob *k, const char *val)
{
	char path[128];

	knob_path(k, path, sizeof(path));
	return xr_write_file(path, val);
}

/*
 * Writes every knob given, or none: a refusal puts back the ones already
 * written.
 */
static int tune_set(const struct xr_tune_cfg *cfg)
{
	char old[XR_ARRAY_SIZE(knobs)][32], path[128];
	const char *val;
	size_t i, j;
	int ret;

	for (i = 0; i < XR_ARRAY_SIZE(knobs); i++) {
		if (!knob_arg(cfg, &knobs[i]))
			continue;
		knob_path(&knobs[i], path, sizeof(path));
		ret = xr_read_file(path, old[i], sizeof(old[i]));
		if (ret) {
			pr_err("cannot read %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < XR_ARRAY_SIZE(knobs); i++) {
		val = knob_arg(cfg, &knobs[i]);
		if (!val)
			continue;
		ret = knob_write(&knobs[i], val);
		if (ret)
			goto undo;
		pr_info("%s: %s, was %s", knobs[i].name, val, old[i]);
	}
	return 0;
undo:
	if (ret == -ERANGE)
		pr_err("%s %s refused by xdprelay.ko: out of range, use %s",
		       knobs[i].opt, val, knobs[i].range);
	else if (ret == -EINVAL)
		pr_err("%s %s refused by xdprelay.ko: not a decimal number, use %s",
		       knobs[i].opt, val, knobs[i].range);
	else if (ret == -EACCES || ret == -EPERM)
		pr_err("cannot write %s/%s: permission denied: run as root",
		       XR_TUNING_DIR, knobs[i].name);
	else
		pr_err("cannot write %s/%s: %s", XR_TUNING_DIR, knobs[i].name,
		       strerror(-ret));
	for (j = 0; j < i; j++)
		if (knob_arg(cfg, &knobs[j]) && knob_write(&knobs[j], old[j]))
			pr_warn("could not put %s back to %s", knobs[j].name,
				old[j]);
	return ret;
}

struct tune_sock {
	unsigned long id;
	uint64_t pid, rcvbuf, sndbuf, drops, grows, shrinks;
};

static int sock_cmp(const void *a, const void *b)
{
	const struct tune_sock *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* 0, or -ENOENT for an entry gone since readdir(): its socket closed. */
static int sock_read(const char *name, struct tune_sock *s)
{
	static const struct {
		const char *file;
		size_t off;
	} fields[] = {
		{ "pid", offsetof(struct tune_sock, pid) },
		{ "rcvbuf", offsetof(struct tune_sock, rcvbuf) },
		{ "sndbuf", offsetof(struct tune_sock, sndbuf) },
		{ "drops", offsetof(struct tune_sock, drops) },
		{ "grows", offsetof(struct tune_sock, grows) },
		{ "shrinks", offsetof(struct tune_sock, shrinks) },
	};
	char path[128], *end;
	size_t i;
	int ret;

	s->id = strtoul(name, &end, 10);
	if (end == name || *end)
		return -ENOENT;
	for (i = 0; i < XR_ARRAY_SIZE(fields); i++) {
		snprintf(path, sizeof(path), "%s/%lu/%s", XR_SOCKETS_DIR,
			 s->id, fields[i].file);
		ret = xr_read_u64(path, (uint64_t *)((char *)s +
						     fields[i].off));
		if (ret)
			return ret;
	}
	return 0;
}

/* The registered sockets by id, in *@socks (to free); their number. */
static int socks_read(struct tune_sock **socks)
{
	struct tune_sock *v = NULL, *tmp;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir(XR_SOCKETS_DIR);
	if (!d) {
		ret = -errno;
		pr_err("cannot list %s: %s", XR_SOCKETS_DIR, strerror(-ret));
		return ret;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(v, cap * sizeof(*v));
			if (!tmp) {
				ret = -ENOMEM;
				pr_err("out of memory");
				goto out;
			}
			v = tmp;
		}
		ret = sock_read(de->d_name, &v[n]);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (ret) {
			pr_err("cannot read %s/%s: %s", XR_SOCKETS_DIR,
			       de->d_name, strerror(-ret));
			goto out;
		}
		n++;
	}
	qsort(v, n, sizeof(*v), sock_cmp);
out:
	closedir(d);
	if (ret) {
		free(v);
		return ret;
	}
	*socks = v;
	return n;
}

static int tune_show(bool json)
{
	uint64_t val[XR_ARRAY_SIZE(knobs)];
	struct tune_sock *socks = NULL;
	char path[128];
	int i, n, ret;

	for (i = 0; i < (int)XR_ARRAY_SIZE(knobs); i++) {
		knob_path(&knobs[i], path, sizeof(path));
		ret = xr_read_u64(path, &val[i]);
		if (ret) {
			pr_err("cannot read %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	n = socks_read(&socks);
	if (n < 0)
		return n;

	if (json) {
		jw_obj_open();
		jw_key("tuning");
		jw_obj_open();
		for (i = 0; i < (int)XR_ARRAY_SIZE(knobs); i++)
			jw_kv_u64(knobs[i].name, val[i]);
		jw_obj_close();
		jw_key("sockets");
		jw_arr_open();
		for (i = 0; i < n; i++) {
			jw_obj_open();
			jw_kv_u64("id", socks[i].id);
			jw_kv_u64("pid", socks[i].pid);
			jw_kv_u64("rcvbuf", socks[i].rcvbuf);
			jw_kv_u64("sndbuf", socks[i].sndbuf);
			jw_kv_u64("drops", socks[i].drops);
			jw_kv_u64("grows", socks[i].grows);
			jw_kv_u64("shrinks", socks[i].shrinks);
			jw_obj_close();
		}
		jw_arr_close();
		jw_obj_close();
		free(socks);
		return 0;
	}

	for (i = 0; i < (int)XR_ARRAY_SIZE(knobs); i++)
		printf("%-12s %" PRIu64 "\n", knobs[i].name, val[i]);
	printf("\n");
	if (!n) {
		printf("No socket registered for tuning.\n");
		free(socks);
		return 0;
	}
	printf("%-6s %-8s %12s %12s %8s %8s\n", "ID", "PID", "RCVBUF", "DROPS",
	       "GROWS", "SHRINKS");
	for (i = 0; i < n; i++)
		printf("%-6lu %-8" PRIu64 " %12" PRIu64 " %12" PRIu64
		       " %8" PRIu64 " %8" PRIu64 "\n",
		       socks[i].id, socks[i].pid, socks[i].rcvbuf,
		       socks[i].drops, socks[i].grows, socks[i].shrinks);
	free(socks);
	return 0;
}

int xr_tune_cmd(void *arg)
{
	struct xr_tune_cfg *cfg = arg;
	int ret;

	ret = tune_module_check();
	if (ret)
		return ret;
	if (!cfg->interval_ms && !cfg->quiet_ms && !cfg->rcvbuf_max)
		return tune_show(cfg->json);
	ret = tune_set(cfg);
	if (ret || !cfg->json)
		return ret;
	return tune_show(true);
}
