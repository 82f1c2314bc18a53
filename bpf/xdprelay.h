/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maps and metadata shared by the XDP program and user space.  The maps are
 * pinned by name; iproute2 and xdprelayctl both pin them under
 * XDPRELAY_PIN_DIR.
 */
#ifndef _XDPRELAY_H
#define _XDPRELAY_H

#include <linux/types.h>
#include "../kmod/xdprelay_kfunc.h"

#define XDPRELAY_PIN_DIR	"/sys/fs/bpf/tc/globals"

/* Map names: at most 15 characters (BPF_OBJ_NAME_LEN). */
#define XDPRELAY_MAP_STREAMS	"xr_streams"
#define XDPRELAY_MAP_XSKS	"xr_xsks"
#define XDPRELAY_MAP_POLICERS	"xr_policers"
#define XDPRELAY_MAP_COUNTERS	"xr_counters"	/* maps variant only */

#define XDPRELAY_MAX_QUEUES	64

/* Key of xr_streams.  Unused address bytes are zero. */
struct xdprelay_stream_key {
	__u16 family;		/* AF_INET or AF_INET6 */
	__be16 port;		/* UDP destination port */
	__u8 addr[16];		/* destination; IPv4 in the first 4 bytes */
};

#define XDPRELAY_F_SRC_FILTER	(1U << 0)

/* Value of xr_streams. */
struct xdprelay_stream {
	__u32 id;		/* 1 .. XDPRELAY_MAX_STREAMS - 1 */
	__u32 flags;
	__u8 src_addr[16];	/* allowed source prefix, already masked */
	__u8 src_mask[16];
	__u64 rate_pps;		/* policer rate; 0: no policer */
	__u64 burst;		/* policer bucket depth in packets */
};

/* Value of xr_policers, indexed by stream id; owned by the program. */
struct xdprelay_policer {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 credit_ns;
	__u64 last_ns;
};

/* Value of xr_counters (per-CPU array indexed by stream id). */
struct xdprelay_counters {
	__u64 c[XDPRELAY_NR_COUNTERS];
};

/*
 * XDP metadata in front of every redirected frame.  The magic tells user
 * space that the metadata was written by this program.
 */
#define XDPRELAY_META_MAGIC	0x58445231	/* "XDR1" */

struct xdprelay_meta {
	__u32 stream_id;
	__u32 magic;
};

#endif /* _XDPRELAY_H */
