// SPDX-License-Identifier: GPL-2.0
/*
 * kfuncs for the xdprelay XDP program and its fan-out TC program.
 */
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/errno.h>
#include <linux/module.h>

#include "compat.h"
#include "xdprelay_internal.h"

static inline void xdprelay_count_packet(u32 row, u32 outcome, u32 bytes)
{
	xdprelay_counter_add(row, XDPRELAY_RX_PACKETS, 1);
	xdprelay_counter_add(row, XDPRELAY_RX_BYTES, bytes);
	xdprelay_counter_add(row, outcome, 1);
}

__bpf_kfunc_start_defs();

/**
 * xdprelay_account() - Count one packet seen by the XDP program.
 * @stream: Stream id the packet belongs to, 0 if it belongs to none.
 * @outcome: What the program did with it, one of XDPRELAY_REDIRECTED ..
 *	     XDPRELAY_SOCKET.
 * @bytes: Length of the packet from its MAC header.
 *
 * Adds the packet to the rx_packets, rx_bytes and @outcome counters of
 * @stream, if not 0, and of the global row.  The stream id need not be
 * registered: the counters of a stream are cleared when it is.
 *
 * Return: 0, or -EINVAL if @stream or @outcome is out of range, in which
 * case nothing is counted.
 */
__bpf_kfunc int xdprelay_account(u32 stream, u32 outcome, u32 bytes)
{
	if (stream >= XDPRELAY_MAX_STREAMS ||
	    outcome < XDPRELAY_FIRST_OUTCOME || outcome > XDPRELAY_LAST_OUTCOME)
		return -EINVAL;

	if (stream)
		xdprelay_count_packet(stream, outcome, bytes);
	xdprelay_count_packet(0, outcome, bytes);
	return 0;
}

/**
 * xdprelay_sent() - Count one packet sent by the direct path.
 * @stream: Stream id the packet belongs to, 1 .. XDPRELAY_MAX_STREAMS - 1.
 * @bytes: Length of the packet sent, from its MAC header.
 *
 * Adds the packet to the tx_packets and tx_bytes counters of @stream and
 * of the global row: what the XDP program redirects, or the TC program
 * sends to one subscriber of a fan-out, without the relay process.
 *
 * Return: 0, or -EINVAL if @stream is out of range, in which case
 * nothing is counted.
 */
__bpf_kfunc int xdprelay_sent(u32 stream, u32 bytes)
{
	if (!stream || stream >= XDPRELAY_MAX_STREAMS)
		return -EINVAL;

	xdprelay_counter_add(stream, XDPRELAY_TX_PACKETS, 1);
	xdprelay_counter_add(stream, XDPRELAY_TX_BYTES, bytes);
	xdprelay_counter_add(0, XDPRELAY_TX_PACKETS, 1);
	xdprelay_counter_add(0, XDPRELAY_TX_BYTES, bytes);
	return 0;
}

/**
 * xdprelay_sub_count() - Count one packet for a subscriber.
 * @row: The subscriber's row, 1 .. XDPRELAY_SLOTS - 1.
 * @event: What became of the packet, one of enum xdprelay_sub_event.
 * @bytes: Length of the packet sent, from its MAC header.
 *
 * Adds the packet to the subscriber's tx_packets and tx_bytes when it was
 * sent, else to its tx_errors or tx_no_neigh.  The row need not be
 * registered: its counters are cleared when a subscriber is given it.
 *
 * Return: 0, or -EINVAL if @row or @event is out of range, in which case
 * nothing is counted.
 */
__bpf_kfunc int xdprelay_sub_count(u32 row, u32 event, u32 bytes)
{
	if (!row || row >= XDPRELAY_SLOTS)
		return -EINVAL;

	switch (event) {
	case XDPRELAY_SUB_SENT:
		xdprelay_sub_counter_add(row, XDPRELAY_SUB_TX_PACKETS, 1);
		xdprelay_sub_counter_add(row, XDPRELAY_SUB_TX_BYTES, bytes);
		return 0;
	case XDPRELAY_SUB_ERROR:
		xdprelay_sub_counter_add(row, XDPRELAY_SUB_TX_ERRORS, 1);
		return 0;
	case XDPRELAY_SUB_NO_NEIGH:
		xdprelay_sub_counter_add(row, XDPRELAY_SUB_TX_NO_NEIGH, 1);
		return 0;
	default:
		return -EINVAL;
	}
}

__bpf_kfunc int xdprelay_health_add(u32 stream, u32 counter, s32 n)
{
	if (!stream || stream >= XDPRELAY_MAX_STREAMS ||
	    counter >= XDPRELAY_H_NR_COUNTERS)
		return -EINVAL;

	xdprelay_health_counter_add(stream, counter, n);
	return 0;
}

__bpf_kfunc int xdprelay_health_kind(u32 stream, u32 kind)
{
	if (!stream || stream >= XDPRELAY_MAX_STREAMS ||
	    kind >= XDPRELAY_NR_KINDS)
		return -EINVAL;

	WRITE_ONCE(xdprelay_health_kinds[stream], kind);
	return 0;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(xdprelay_kfunc_ids)
BTF_ID_FLAGS(func, xdprelay_account)
BTF_ID_FLAGS(func, xdprelay_sent)
BTF_ID_FLAGS(func, xdprelay_sub_count)
BTF_ID_FLAGS(func, xdprelay_health_add)
BTF_ID_FLAGS(func, xdprelay_health_kind)
BTF_KFUNCS_END(xdprelay_kfunc_ids)

static const struct btf_kfunc_id_set xdprelay_kfunc_set = {
	.owner	= THIS_MODULE,
	.set	= &xdprelay_kfunc_ids,
};

/*
 * There is no way to unregister a kfunc set, and none is needed: every
 * loaded program that calls one of these kfuncs holds a reference on the
 * module, and drops it only an RCU grace period after the program is
 * freed, so the module cannot go away while a call may still run.
 */
int xdprelay_kfunc_init(void)
{
	int ret;

	ret = register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP,
					&xdprelay_kfunc_set);
	if (ret)
		return ret;
	/* The fan-out TC program counts what it sends. */
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_SCHED_CLS,
					 &xdprelay_kfunc_set);
}
