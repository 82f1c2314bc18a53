/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The programs the relay loads itself (bpf/xdprelay_tc.bpf.c): the
 * fan-out TC program on clsact ingress of the interface that carries the
 * XDP program, one filter, known by its priority and handle, which
 * nothing else of the interface's is touched for; and the program of the
 * cpumap xr_cpus, which rewrites and sends direct frames handed to
 * another CPU.
 */
#ifndef XR_TCPROG_H
#define XR_TCPROG_H

#include <stdbool.h>
#include <stdint.h>

/* With xdprelay.ko's kfuncs, and without, as the XDP objects. */
#define XR_TC_OBJ	"xdprelay_tc.bpf.o"
#define XR_TC_OBJ_MAPS	"xdprelay_tc_maps.bpf.o"
#define XR_TC_PROG	"xdprelay_fanout"
#define XR_CPU_PROG	"xdprelay_cpu"
#define XR_TC_PRIO	0x7872		/* "xr" */
#define XR_TC_HANDLE	0x7872

/*
 * Loads the program of @object with the maps pinned in @pin_dir and
 * attaches it to @ifindex, in place of ours if it is there (so that a
 * newer build takes over), creating the clsact qdisc when there is none.
 * Returns 0, or -errno with the failing step in *@step.
 */
int xr_tc_attach(int ifindex, const char *object, const char *pin_dir,
		 const char **step);

/*
 * Whether our filter is on @ifindex: 1 with its program id in *@prog_id,
 * 0 when it is not, or -errno.
 */
int xr_tc_query(int ifindex, uint32_t *prog_id);

/* Takes our filter off @ifindex: 0, -ENOENT when it was not there. */
int xr_tc_detach(int ifindex);

/*
 * Gives xr_cpus (@cpus_fd) an entry, with a queue of @qsize frames and
 * @object's cpumap program, for each CPU set in @cpus
 * (XDPRELAY_MAX_CPUS of them), and none for the others.  Returns 0, or
 * -errno with the failing step in *@step.
 */
int xr_cpus_set(int cpus_fd, const bool *cpus, unsigned int qsize,
		const char *object, const char *pin_dir, const char **step);

#endif /* XR_TCPROG_H */
