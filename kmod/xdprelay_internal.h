/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of xdprelay.ko.
 */
#ifndef _XDPRELAY_INTERNAL_H
#define _XDPRELAY_INTERNAL_H

#include <linux/math.h>
#include <linux/percpu.h>
#include <linux/types.h>

#include "xdprelay_kfunc.h"

#define XDPRELAY_VERSION	"0.1.0"

/*
 * Counters are kept per CPU, one row of XDPRELAY_NR_COUNTERS per stream id.
 * A single percpu allocation is limited to PCPU_MIN_UNIT_SIZE (32 KiB), less
 * than the whole table, so the rows are split into chunks of a power-of-two
 * number of rows that each fit.
 */
struct xdprelay_row {
	u64 counter[XDPRELAY_NR_COUNTERS];
};

#define XDPRELAY_CHUNK_ROWS	256
#define XDPRELAY_NR_CHUNKS	\
	DIV_ROUND_UP(XDPRELAY_MAX_STREAMS, XDPRELAY_CHUNK_ROWS)

struct xdprelay_chunk {
	struct xdprelay_row row[XDPRELAY_CHUNK_ROWS];
};

extern struct xdprelay_chunk __percpu *xdprelay_chunks[XDPRELAY_NR_CHUNKS];

/*
 * Add @val to counter @c of row @row on this CPU.  Safe from any context,
 * including hard interrupts; takes no lock.  @row must be below
 * XDPRELAY_MAX_STREAMS.
 */
static inline void xdprelay_counter_add(u32 row, enum xdprelay_counter c,
					u64 val)
{
	struct xdprelay_chunk __percpu *chunk;

	chunk = xdprelay_chunks[row / XDPRELAY_CHUNK_ROWS];
	this_cpu_add(chunk->row[row % XDPRELAY_CHUNK_ROWS].counter[c], val);
}

int xdprelay_counters_init(void);
void xdprelay_counters_exit(void);
u64 xdprelay_counter_read(u32 row, enum xdprelay_counter c);
void xdprelay_counters_reset(u32 row);

/*
 * Per-subscriber counters, per CPU: XDPRELAY_SLOTS rows, chunked as the
 * streams' are.
 */
struct xdprelay_sub_row {
	u64 counter[XDPRELAY_SUB_NR_COUNTERS];
};

#define XDPRELAY_SUB_CHUNK_ROWS	512
#define XDPRELAY_SUB_NR_CHUNKS	\
	DIV_ROUND_UP(XDPRELAY_SLOTS, XDPRELAY_SUB_CHUNK_ROWS)

struct xdprelay_sub_chunk {
	struct xdprelay_sub_row row[XDPRELAY_SUB_CHUNK_ROWS];
};

extern struct xdprelay_sub_chunk __percpu *
	xdprelay_sub_chunks[XDPRELAY_SUB_NR_CHUNKS];

/* As xdprelay_counter_add(), for subscriber row @row < XDPRELAY_SLOTS. */
static inline void xdprelay_sub_counter_add(u32 row,
					    enum xdprelay_sub_counter c,
					    u64 val)
{
	struct xdprelay_sub_chunk __percpu *chunk;

	chunk = xdprelay_sub_chunks[row / XDPRELAY_SUB_CHUNK_ROWS];
	this_cpu_add(chunk->row[row % XDPRELAY_SUB_CHUNK_ROWS].counter[c],
		     val);
}

u64 xdprelay_sub_counter_read(u32 row, enum xdprelay_sub_counter c);
void xdprelay_sub_counters_reset(u32 row);

/*
 * Stream health, as the XDP program reports it through its kfuncs: per
 * CPU, one row per stream id, chunked as the streams' counters are; and
 * what each stream carries.
 */
struct xdprelay_health_row {
	u64 counter[XDPRELAY_H_NR_COUNTERS];
};

#define XDPRELAY_HEALTH_CHUNK_ROWS	256
#define XDPRELAY_HEALTH_NR_CHUNKS	\
	DIV_ROUND_UP(XDPRELAY_MAX_STREAMS, XDPRELAY_HEALTH_CHUNK_ROWS)

struct xdprelay_health_chunk {
	struct xdprelay_health_row row[XDPRELAY_HEALTH_CHUNK_ROWS];
};

extern struct xdprelay_health_chunk __percpu *
	xdprelay_health_chunks[XDPRELAY_HEALTH_NR_CHUNKS];
extern u8 xdprelay_health_kinds[XDPRELAY_MAX_STREAMS];

/* As xdprelay_counter_add(), for health counter @c of stream @row. */
static inline void xdprelay_health_counter_add(u32 row,
					       enum xdprelay_health_counter c,
					       s64 val)
{
	struct xdprelay_health_chunk __percpu *chunk;

	chunk = xdprelay_health_chunks[row / XDPRELAY_HEALTH_CHUNK_ROWS];
	this_cpu_add(chunk->row[row % XDPRELAY_HEALTH_CHUNK_ROWS].counter[c],
		     (u64)val);
}

u64 xdprelay_health_counter_read(u32 row, enum xdprelay_health_counter c);
/* Zeroes the row and forgets the kind, before a stream is given the id. */
void xdprelay_health_reset(u32 row);

int xdprelay_kfunc_init(void);

struct kobject;

int xdprelay_sysfs_init(void);
void xdprelay_sysfs_exit(void);
struct kobject *xdprelay_sysfs_root(void);

int xdprelay_tune_init(struct kobject *parent);
void xdprelay_tune_exit(void);
int xdprelay_tune_register(int fd, u32 *id);
int xdprelay_tune_unregister(int fd);

int xdprelay_dev_init(void);
void xdprelay_dev_exit(void);

#endif /* _XDPRELAY_INTERNAL_H */
