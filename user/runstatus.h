/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running relay says in its status file (xr_status_file()): its
 * interfaces, queues, how fan-out runs, and the path of each stream; read
 * by status, stream list and stats.
 */
#ifndef XR_RUNSTATUS_H
#define XR_RUNSTATUS_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "state.h"
#include "xdprelay.h"

/* The path of each stream, as the relay's status file has it. */
#define XR_RUN_WHY_LEN		160

struct stream_run {
	char name[XDPRELAY_NAME_LEN];
	char path[8];
	char why[XR_RUN_WHY_LEN];
};

struct relay_status {
	bool present;
	long pid;
	bool running;
	char ingress[IF_NAMESIZE];
	char egress[IF_NAMESIZE];
	bool busy_poll;
	unsigned int silence_s;		/* run --silence */
	char queue_mode[XDPRELAY_MAX_QUEUES][16];
	char fanout[256];		/* how fan-out runs, or why not */
	char direct_cpus[128];		/* --direct-cpus, or "" */
	struct stream_run *runs;	/* by stream id; NULL: none read */
	/* With no relay running: is the fan-out TC program in place? */
	bool tc_known;
	int tc_found;		/* 1, 0, or -errno: cannot tell */
};

/* The status file as it stands; running: its relay is alive. */
void relay_status_read(struct relay_status *rs);
void relay_status_free(struct relay_status *rs);

/* Why a stream runs no path, in the usual case. */
#define XR_WHY_NO_RELAY		"no relay running"

/*
 * The path stream @id runs: what the running relay says, or, with no
 * relay, direct for a stream the kernel relays on its own (none for one
 * that needs the fan-out TC program while it is gone); why, into *@why.
 */
const char *stream_runs(struct relay_status *rs, struct xr_state *st,
			uint32_t id, const char **why);

#endif /* XR_RUNSTATUS_H */
