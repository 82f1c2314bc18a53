/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The relay's shared state: the XDP program's pinned maps and the module.
 * Used by every xdprelayctl subcommand and by the relay's data path.
 */
#ifndef XR_STATE_H
#define XR_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "xdprelay.h"

#define XR_SYSFS_DIR	"/sys/kernel/xdprelay"

struct xr_state {
	int streams_fd;		/* xr_streams */
	int xsks_fd;		/* xr_xsks */
	int policers_fd;	/* xr_policers */
	int info_fd;		/* xr_info */
	int counters_fd;	/* xr_counters, -1 for the kfunc object */
	int subs_fd;		/* xr_subs */
	int tx_fd;		/* xr_tx */
	int direct_fd;		/* xr_direct */
	int fanout_fd;		/* xr_fanout */
	int dtx_fd;		/* xr_dtx */
	int cpus_fd;		/* xr_cpus, or -1 */
	int slots_fd;		/* xr_slots */
	int subtx_fd;		/* xr_subtx */
	int queues_fd;		/* xr_queues, or -1 */
	int health_fd;		/* xr_health, or -1 */
	struct xdprelay_subs *subs;	/* xr_subs, mmapped */
	struct xdprelay_tx *tx;		/* xr_tx, mmapped */
	struct xdprelay_slot *slots;	/* xr_slots, mmapped */
	struct xdprelay_queue *queues;	/* xr_queues, mmapped, or NULL */
	struct xdprelay_dtx *percpu;	/* one xr_dtx row, per CPU */
	struct xdprelay_subtx *percpu_sub;	/* one xr_subtx row */
	int ncpus;
	bool module;		/* xdprelay.ko loaded: counters in sysfs */
};

/*
 * Open the pinned maps under XDPRELAY_PIN_DIR (or $XDPRELAY_PIN_DIR) and
 * mmap xr_subs and xr_tx.  Returns 0 or -errno, and prints what failed and
 * how to fix it (no bpffs, program not attached, no privilege).
 */
int xr_state_open(struct xr_state *st);
void xr_state_close(struct xr_state *st);

/*
 * Where the receive counters live: xr_counters when the pinned state is
 * the maps variant's, else xdprelay.ko's sysfs tree.  stats reads them
 * there, and the socket backend counts there what no program counted.
 */
static inline bool xr_rx_in_map(const struct xr_state *st)
{
	return st->counters_fd >= 0;
}

/*
 * Row @id of xr_dtx (what the program sent of direct streams), summed
 * over the CPUs.  Returns 0 or -errno (@sum zeroed then).
 */
int xr_dtx_read(struct xr_state *st, uint32_t id, struct xdprelay_dtx *sum);

/*
 * What was sent to the subscriber of row @slot (struct xdprelay_slot) on
 * every path: its xr_slots counters and its xr_subtx row over the CPUs.
 * Returns 0 or -errno.
 */
int xr_sub_read(struct xr_state *st, uint32_t slot,
		struct xdprelay_subtx *sum);

/*
 * Rows 0 .. @n-1 of the pinned xr_queues into @out, for readers that do
 * not open the whole state.  Returns 0 or -errno (-ENOENT: the program
 * attached predates the map).
 */
int xr_queues_read(struct xdprelay_queue *out, unsigned int n);

/*
 * Adds @d to what the relay's own paths sent to the subscriber of row
 * @slot (0: none), with atomic adds: once per batch, not per packet.
 */
void xr_slot_add(struct xr_state *st, uint32_t slot,
		 const struct xdprelay_subtx *d);

/*
 * Removes every xr_fanout entry of stream @id, whatever its generation.
 * Returns 0 or the first -errno.
 */
int xr_fanout_purge(struct xr_state *st, uint32_t id);

/*
 * The relay's run-time files: /run/xdprelay, or $XDPRELAY_RUN_DIR, so that
 * relays with pinned states of their own ($XDPRELAY_PIN_DIR) run side by
 * side.  The status file names the running relay; the lock serialises
 * control-plane writers.  xr_run_dir_make() creates the directory, and
 * refuses one that is a link, belongs to another user or that others may
 * write: 0, or -errno after saying what is wrong and how to fix it.
 */
const char *xr_run_dir(void);
const char *xr_status_file(void);
const char *xr_lock_file(void);
int xr_run_dir_make(void);

/*
 * Serialises control-plane writers (flock on a file in the run directory).
 * xr_state_lock() waits up to 30 s for another writer, then fails with
 * -EBUSY.  Returns the lock's fd, or -errno after saying what failed.
 */
int xr_state_lock(void);
void xr_state_unlock(int lock_fd);

/* The xr_streams key of the stream @info describes. */
static inline struct xdprelay_key xr_info_key(const struct xdprelay_info *info)
{
	struct xdprelay_key k = { .ep = info->listen, .vlan = info->vlan };

	return k;
}

/* Stream id by name, or -ENOENT; fills *info when not NULL. */
int xr_stream_find(struct xr_state *st, const char *name,
		   struct xdprelay_info *info);

/*
 * The subscribers of stream @id: writers hold xr_state_lock(); seq makes
 * readers retry.  Each keeps its row of counters (xr_slots) while it
 * stays; a new one gets a free row, zeroed.  Returns the entry's new seq.
 */
uint32_t xr_subs_write(struct xr_state *st, uint32_t id,
		       const struct xdprelay_endpoint *sub, uint32_t nr);

/* The pid of the live process named in the relay's status file, or 0. */
int xr_relay_pid(void);

/*
 * Waits at most @timeout_ms until a running relay has resolved the next
 * hops of the subscribers entry @e has as of @seq.  Returns true when it
 * has or no relay runs; false (with a warning) on timeout.
 */
bool xr_subs_wait_applied(const struct xdprelay_subs *e, uint32_t seq,
			  int timeout_ms);
/*
 * Makes every wait of this process, under way or to come, give up at once:
 * for a relay that stops while its own reload waits on it.
 */
void xr_subs_wait_cancel(void);
/* Copies entry @e into @out when its seq differs from *seen; returns true
 * when it copied (and updates *seen). */
bool xr_subs_read(const struct xdprelay_subs *e, struct xdprelay_subs *out,
		  uint32_t *seen);

#endif /* XR_STATE_H */
