// SPDX-License-Identifier: GPL-2.0
/*
 * The programs the relay loads itself (tcprog.h): the fan-out TC program
 * on clsact ingress, and the cpumap's program in xr_cpus.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tcprog.h"
#include "util.h"

static void hook_init(struct bpf_tc_hook *hook, int ifindex)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = BPF_TC_INGRESS;
}

static void opts_init(struct bpf_tc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = XR_TC_HANDLE;
	opts->priority = XR_TC_PRIO;
}

/*
 * Opens @object with the maps pinned in @pin_dir and loads its program
 * @name, and no other: *@obj to close, *@prog.  Returns 0, or -errno with
 * the failing step in *@step (*@obj NULL).
 */
static int load_one(const char *object, const char *pin_dir,
		    const char *name, struct bpf_object **obj,
		    struct bpf_program **prog, const char **step)
{
	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo,
			    .pin_root_path = pin_dir);
	struct bpf_program *p;
	char path[PATH_MAX];
	int ret;

	*obj = NULL;
	*prog = NULL;
	*step = "finding the object";
	ret = xr_find_object(object, path, sizeof(path));
	if (ret)
		return ret;
	*step = "opening the object";
	*obj = bpf_object__open_file(path, &oo);
	ret = libbpf_get_error(*obj);
	if (ret) {
		*obj = NULL;
		return ret;
	}
	*step = "loading the object";
	bpf_object__for_each_program(p, *obj) {
		if (!strcmp(bpf_program__name(p), name))
			*prog = p;
		else
			bpf_program__set_autoload(p, false);
	}
	ret = *prog ? bpf_object__load(*obj) : -ENOENT;
	if (ret) {
		bpf_object__close(*obj);
		*obj = NULL;
	}
	return ret;
}

int xr_tc_attach(int ifindex, const char *object, const char *pin_dir,
		 const char **step)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int ret;

	ret = load_one(object, pin_dir, XR_TC_PROG, &obj, &prog, step);
	if (ret)
		return ret;

	*step = "creating the clsact qdisc";
	hook_init(&hook, ifindex);
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		goto out;
	*step = "attaching to clsact ingress";
	opts_init(&opts);
	opts.prog_fd = bpf_program__fd(prog);
	ret = bpf_tc_attach(&hook, &opts);
	if (ret == -EEXIST) {
		opts_init(&opts);
		opts.prog_fd = bpf_program__fd(prog);
		opts.flags = BPF_TC_F_REPLACE;
		ret = bpf_tc_attach(&hook, &opts);
	}
out:
	/* The filter holds the program; the maps stay pinned. */
	bpf_object__close(obj);
	return ret;
}

int xr_tc_query(int ifindex, uint32_t *prog_id)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int ret;

	hook_init(&hook, ifindex);
	opts_init(&opts);
	ret = bpf_tc_query(&hook, &opts);
	/* No qdisc (EINVAL) or no such filter (ENOENT). */
	if (ret == -ENOENT || ret == -EINVAL)
		return 0;
	if (ret)
		return ret;
	*prog_id = opts.prog_id;
	return 1;
}

int xr_tc_detach(int ifindex)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int ret;

	hook_init(&hook, ifindex);
	opts_init(&opts);
	ret = bpf_tc_detach(&hook, &opts);
	return ret == -EINVAL ? -ENOENT : ret;
}

/* Whether program @id is the one @fd refers to, or one of the same code. */
static bool same_prog(__u32 id, int fd)
{
	struct bpf_prog_info a = {}, b = {};
	__u32 la = sizeof(a), lb = sizeof(b);
	int other;
	bool same;

	if (!id)
		return false;
	other = bpf_prog_get_fd_by_id(id);
	if (other < 0)
		return false;
	same = !bpf_obj_get_info_by_fd(other, &a, &la) &&
	       !bpf_obj_get_info_by_fd(fd, &b, &lb) &&
	       a.type == b.type && !memcmp(a.tag, b.tag, sizeof(a.tag));
	close(other);
	return same;
}

int xr_cpus_set(int cpus_fd, const bool *cpus, unsigned int qsize,
		const char *object, const char *pin_dir, const char **step)
{
	struct bpf_cpumap_val val = { .qsize = qsize };
	struct bpf_object *obj = NULL;
	struct bpf_program *prog;
	__u32 cpu;
	int ret;

	for (cpu = 0; cpu < XDPRELAY_MAX_CPUS && !cpus[cpu]; cpu++)
		;
	if (cpu < XDPRELAY_MAX_CPUS) {
		ret = load_one(object, pin_dir, XR_CPU_PROG, &obj, &prog,
			       step);
		if (ret)
			return ret;
		val.bpf_prog.fd = bpf_program__fd(prog);
	}
	*step = "writing xr_cpus";
	for (cpu = 0; cpu < XDPRELAY_MAX_CPUS; cpu++) {
		struct bpf_cpumap_val cur = {};

		/*
		 * An entry as it would be written stays: a new one would
		 * start a new kernel thread, and the frames still queued
		 * for the old one could leave after the first ones of the
		 * new (a relay restarted with the same list).
		 */
		if (cpus[cpu] &&
		    !bpf_map_lookup_elem(cpus_fd, &cpu, &cur) &&
		    cur.qsize == qsize &&
		    same_prog(cur.bpf_prog.id, val.bpf_prog.fd))
			continue;
		if (cpus[cpu])
			ret = bpf_map_update_elem(cpus_fd, &cpu, &val, 0);
		else
			ret = bpf_map_delete_elem(cpus_fd, &cpu);
		if (ret && !(!cpus[cpu] && errno == ENOENT)) {
			ret = -errno;
			goto out;
		}
		ret = 0;
	}
out:
	/* Each entry holds the program; the maps stay pinned. */
	bpf_object__close(obj);
	return ret;
}
