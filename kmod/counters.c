// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU packet counters, one row per stream id, row 0 global; one row
 * per subscriber, by the row the control plane gave it; and one row of
 * health counters per stream id.
 *
 * Writers add on their own CPU with this_cpu_add(); readers sum over all
 * possible CPUs.  A reader may see a row mid-update (rx_packets already
 * incremented, the outcome not yet); each counter on its own is exact.
 */
#include <linux/bug.h>
#include <linux/cpumask.h>
#include <linux/percpu.h>

#include "xdprelay_internal.h"

struct xdprelay_chunk __percpu *xdprelay_chunks[XDPRELAY_NR_CHUNKS];
struct xdprelay_sub_chunk __percpu *
	xdprelay_sub_chunks[XDPRELAY_SUB_NR_CHUNKS];
struct xdprelay_health_chunk __percpu *
	xdprelay_health_chunks[XDPRELAY_HEALTH_NR_CHUNKS];
u8 xdprelay_health_kinds[XDPRELAY_MAX_STREAMS];

static struct xdprelay_row *xdprelay_row_ptr(u32 row, int cpu)
{
	struct xdprelay_chunk *chunk;

	chunk = per_cpu_ptr(xdprelay_chunks[row / XDPRELAY_CHUNK_ROWS], cpu);
	return &chunk->row[row % XDPRELAY_CHUNK_ROWS];
}

u64 xdprelay_counter_read(u32 row, enum xdprelay_counter c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(xdprelay_row_ptr(row, cpu)->counter[c]);

	return sum;
}

/*
 * Zero a row.  An update racing with this on another CPU may be lost or
 * survive; callers reset a row only before its stream goes live.
 */
void xdprelay_counters_reset(u32 row)
{
	struct xdprelay_row *r;
	int cpu, c;

	for_each_possible_cpu(cpu) {
		r = xdprelay_row_ptr(row, cpu);
		for (c = 0; c < XDPRELAY_NR_COUNTERS; c++)
			WRITE_ONCE(r->counter[c], 0);
	}
}

static struct xdprelay_sub_row *xdprelay_sub_row_ptr(u32 row, int cpu)
{
	struct xdprelay_sub_chunk *chunk;

	chunk = per_cpu_ptr(xdprelay_sub_chunks[row / XDPRELAY_SUB_CHUNK_ROWS],
			    cpu);
	return &chunk->row[row % XDPRELAY_SUB_CHUNK_ROWS];
}

u64 xdprelay_sub_counter_read(u32 row, enum xdprelay_sub_counter c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(xdprelay_sub_row_ptr(row, cpu)->counter[c]);

	return sum;
}

/* As xdprelay_counters_reset(), before a subscriber is given the row. */
void xdprelay_sub_counters_reset(u32 row)
{
	struct xdprelay_sub_row *r;
	int cpu, c;

	for_each_possible_cpu(cpu) {
		r = xdprelay_sub_row_ptr(row, cpu);
		for (c = 0; c < XDPRELAY_SUB_NR_COUNTERS; c++)
			WRITE_ONCE(r->counter[c], 0);
	}
}

static struct xdprelay_health_row *xdprelay_health_row_ptr(u32 row, int cpu)
{
	struct xdprelay_health_chunk *chunk;

	chunk = per_cpu_ptr(xdprelay_health_chunks[row /
						   XDPRELAY_HEALTH_CHUNK_ROWS],
			    cpu);
	return &chunk->row[row % XDPRELAY_HEALTH_CHUNK_ROWS];
}

u64 xdprelay_health_counter_read(u32 row, enum xdprelay_health_counter c)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(xdprelay_health_row_ptr(row, cpu)->counter[c]);

	return sum;
}

void xdprelay_health_reset(u32 row)
{
	struct xdprelay_health_row *r;
	int cpu, c;

	for_each_possible_cpu(cpu) {
		r = xdprelay_health_row_ptr(row, cpu);
		for (c = 0; c < XDPRELAY_H_NR_COUNTERS; c++)
			WRITE_ONCE(r->counter[c], 0);
	}
	WRITE_ONCE(xdprelay_health_kinds[row], XDPRELAY_KIND_UNKNOWN);
}

int xdprelay_counters_init(void)
{
	int i;

	BUILD_BUG_ON(sizeof(struct xdprelay_chunk) > PCPU_MIN_UNIT_SIZE);
	BUILD_BUG_ON(sizeof(struct xdprelay_sub_chunk) > PCPU_MIN_UNIT_SIZE);
	BUILD_BUG_ON(sizeof(struct xdprelay_health_chunk) >
		     PCPU_MIN_UNIT_SIZE);

	for (i = 0; i < XDPRELAY_NR_CHUNKS; i++) {
		xdprelay_chunks[i] = alloc_percpu(struct xdprelay_chunk);
		if (!xdprelay_chunks[i])
			goto err;
	}
	for (i = 0; i < XDPRELAY_SUB_NR_CHUNKS; i++) {
		xdprelay_sub_chunks[i] = alloc_percpu(struct xdprelay_sub_chunk);
		if (!xdprelay_sub_chunks[i])
			goto err;
	}
	for (i = 0; i < XDPRELAY_HEALTH_NR_CHUNKS; i++) {
		xdprelay_health_chunks[i] =
			alloc_percpu(struct xdprelay_health_chunk);
		if (!xdprelay_health_chunks[i])
			goto err;
	}

	return 0;

err:
	xdprelay_counters_exit();
	return -ENOMEM;
}

void xdprelay_counters_exit(void)
{
	int i;

	for (i = 0; i < XDPRELAY_NR_CHUNKS; i++) {
		free_percpu(xdprelay_chunks[i]);
		xdprelay_chunks[i] = NULL;
	}
	for (i = 0; i < XDPRELAY_SUB_NR_CHUNKS; i++) {
		free_percpu(xdprelay_sub_chunks[i]);
		xdprelay_sub_chunks[i] = NULL;
	}
	for (i = 0; i < XDPRELAY_HEALTH_NR_CHUNKS; i++) {
		free_percpu(xdprelay_health_chunks[i]);
		xdprelay_health_chunks[i] = NULL;
	}
}
