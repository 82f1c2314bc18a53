// SPDX-License-Identifier: GPL-2.0
/*
 * The relay's status file, read back (runstatus.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include <bpf/bpf.h>

#include "runstatus.h"
#include "tcprog.h"
#include "util.h"

static void stream_run_line(struct relay_status *rs, const char *key,
			    const char *val)
{
	unsigned long id;
	char *end;

	id = strtoul(key, &end, 10);
	if (end == key || !id || id >= XDPRELAY_MAX_STREAMS)
		return;
	if (!rs->runs)
		rs->runs = calloc(XDPRELAY_MAX_STREAMS, sizeof(*rs->runs));
	if (!rs->runs)
		return;
	if (!strcmp(end, ".name"))
		snprintf(rs->runs[id].name, sizeof(rs->runs[id].name), "%s",
			 val);
	else if (!strcmp(end, ".path"))
		snprintf(rs->runs[id].path, sizeof(rs->runs[id].path), "%s",
			 val);
	else if (!strcmp(end, ".why"))
		snprintf(rs->runs[id].why, sizeof(rs->runs[id].why), "%s",
			 val);
}

void relay_status_free(struct relay_status *rs)
{
	free(rs->runs);
	rs->runs = NULL;
}

void relay_status_read(struct relay_status *rs)
{
	char line[512], *eq, *end;
	unsigned long q;
	FILE *f;

	memset(rs, 0, sizeof(*rs));
	f = fopen(xr_status_file(), "re");
	if (!f)
		return;
	rs->present = true;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(line, "pid")) {
			rs->pid = strtol(eq, NULL, 10);
		} else if (!strcmp(line, "ingress")) {
			snprintf(rs->ingress, sizeof(rs->ingress), "%s", eq);
		} else if (!strcmp(line, "egress")) {
			snprintf(rs->egress, sizeof(rs->egress), "%s", eq);
		} else if (!strcmp(line, "busy_poll")) {
			rs->busy_poll = !strcmp(eq, "1") || !strcmp(eq, "on") ||
					!strcmp(eq, "yes") || !strcmp(eq, "true");
		} else if (!strcmp(line, "silence")) {
			rs->silence_s = strtoul(eq, NULL, 10);
		} else if (!strcmp(line, "direct_cpus")) {
			snprintf(rs->direct_cpus, sizeof(rs->direct_cpus),
				 "%s", eq);
		} else if (!strcmp(line, "fanout")) {
			snprintf(rs->fanout, sizeof(rs->fanout), "%s", eq);
		} else if (!strncmp(line, "stream.", 7)) {
			stream_run_line(rs, line + 7, eq);
		} else if (!strncmp(line, "queue.", 6)) {
			q = strtoul(line + 6, &end, 10);
			if (end == line + 6 || strcmp(end, ".mode") ||
			    q >= XDPRELAY_MAX_QUEUES)
				continue;
			snprintf(rs->queue_mode[q], sizeof(rs->queue_mode[q]),
				 "%s", eq);
		}
	}
	fclose(f);
	/* A relay that died without cleaning up left the file behind. */
	rs->running = rs->pid > 0 && (!kill(rs->pid, 0) || errno == EPERM);
}

/*
 * Whether the fan-out TC program that uses the pinned xr_fanout is on an
 * interface of this namespace: 1, 0, or -errno when that cannot be told.
 */
static int fanout_tc_found(struct xr_state *st)
{
	struct if_nameindex *ifs, *i;
	char name[BPF_OBJ_NAME_LEN];
	uint32_t prog;
	int ret = 0;

	ifs = if_nameindex();
	if (!ifs)
		return -errno;
	for (i = ifs; i->if_index && ret != 1; i++)
		if (xr_tc_query(i->if_index, &prog) == 1)
			ret = xr_prog_uses_map(prog, st->fanout_fd, name,
					       sizeof(name));
	if_freenameindex(ifs);
	return ret;
}

const char *stream_runs(struct relay_status *rs, struct xr_state *st,
			uint32_t id, const char **why)
{
	struct xdprelay_direct d;

	*why = "";
	if (rs->running && rs->runs && rs->runs[id].path[0]) {
		*why = rs->runs[id].why;
		return rs->runs[id].path;
	}
	if (bpf_map_lookup_elem(st->direct_fd, &id, &d)) {
		*why = XR_WHY_NO_RELAY;
		return "none";
	}
	/* The relay puts the TC program back; while none runs, nobody does. */
	if (d.tc && !rs->tc_known) {
		rs->tc_found = fanout_tc_found(st);
		rs->tc_known = true;
	}
	if (d.tc && !rs->tc_found) {
		*why = "no relay running, and the fan-out TC program is on no interface: the kernel drops its packets; start the relay, which puts the program back";
		return "none";
	}
	*why = "no relay running: the kernel relays it as the last relay left it";
	return "direct";
}
