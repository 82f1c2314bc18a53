/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/xdprelay: the ioctls through which user space talks to xdprelay.ko.
 */
#ifndef _XDPRELAY_UAPI_H
#define _XDPRELAY_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define XDPRELAY_DEVICE		"/dev/xdprelay"

/* One stream's transmit counts since the previous report. */
struct xdprelay_tx_report {
	__u32 stream;		/* 1 .. XDPRELAY_MAX_STREAMS - 1 */
	__u32 pad;		/* must be 0 */
	__u64 packets;
	__u64 bytes;
};

/*
 * XDPRELAY_IOC_TX_ADD: add @nr reports (at most XDPRELAY_TX_BATCH_MAX) at
 * user address @reports to the streams' and the global tx_packets and
 * tx_bytes.  The whole batch is validated first: a bad stream id, a
 * non-zero pad or @nr out of range gives -EINVAL and counts nothing.
 */
struct xdprelay_tx_batch {
	__u32 nr;
	__u32 pad;		/* must be 0 */
	__u64 reports;		/* struct xdprelay_tx_report * */
};

#define XDPRELAY_TX_BATCH_MAX	1024

#define XDPRELAY_IOC_MAGIC	0xb8
#define XDPRELAY_IOC_TX_ADD	_IOW(XDPRELAY_IOC_MAGIC, 1, struct xdprelay_tx_batch)

#endif /* _XDPRELAY_UAPI_H */
