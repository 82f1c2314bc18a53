/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/xdprelay: the ioctls through which user space talks to xdprelay.ko.
 */
#ifndef _XDPRELAY_UAPI_H
#define _XDPRELAY_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define XDPRELAY_DEVICE		"/dev/xdprelay"

/* One stream's packets and bytes since the previous report. */
struct xdprelay_report {
	__u32 stream;		/* 1 .. XDPRELAY_MAX_STREAMS - 1 */
	__u32 outcome;		/* RX_ADD: 0 or an outcome; TX_ADD: 0 */
	__u64 packets;
	__u64 bytes;
};

/*
 * XDPRELAY_IOC_TX_ADD: add @nr reports (at most XDPRELAY_REPORT_BATCH_MAX)
 * at user address @reports to the streams' and the global tx_packets and
 * tx_bytes.  XDPRELAY_IOC_RX_ADD: the same, to rx_packets and rx_bytes,
 * for a relay that receives what no XDP program counted (the socket
 * backend); a report whose outcome is XDPRELAY_POLICED or
 * XDPRELAY_SRC_REFUSED (xdprelay_kfunc.h) counts its packets under that
 * outcome as well, as the program would have.  The whole batch is
 * validated first: a bad stream id or outcome, or @nr out of range, gives
 * -EINVAL and counts nothing.
 */
struct xdprelay_report_batch {
	__u32 nr;
	__u32 pad;		/* must be 0 */
	__u64 reports;		/* struct xdprelay_report * */
};

#define XDPRELAY_REPORT_BATCH_MAX	1024

/*
 * One subscriber's counts since the previous report: what the relay
 * process sent to the subscriber of row @row (1 .. XDPRELAY_SLOTS - 1 of
 * xdprelay_kfunc.h), or could not.
 */
struct xdprelay_sub_report {
	__u32 row;
	__u32 pad;		/* must be 0 */
	__u64 packets;
	__u64 bytes;
	__u64 tx_errors;
	__u64 no_neigh;
};

/*
 * XDPRELAY_IOC_SUB_TX_ADD: add @nr struct xdprelay_sub_report (at most
 * XDPRELAY_REPORT_BATCH_MAX) at user address @reports of a struct
 * xdprelay_report_batch to the subscribers' counters.  The whole batch is
 * validated first: a bad row or pad, or @nr out of range, gives -EINVAL
 * and counts nothing.
 */

/*
 * XDPRELAY_IOC_SOCK_REGISTER: have the module tune the receive buffer of
 * UDP socket @fd; @id is set to the socket's directory under
 * /sys/kernel/xdprelay/sockets/.  XDPRELAY_IOC_SOCK_UNREGISTER takes the
 * socket's fd (an int) and stops tuning it.  Closing the socket also ends
 * its registration.
 */
struct xdprelay_sock_reg {
	__s32 fd;
	__u32 flags;		/* must be 0 */
	__u32 id;		/* out */
};

#define XDPRELAY_IOC_MAGIC	0xb8
#define XDPRELAY_IOC_TX_ADD	\
	_IOW(XDPRELAY_IOC_MAGIC, 1, struct xdprelay_report_batch)
#define XDPRELAY_IOC_SOCK_REGISTER \
	_IOWR(XDPRELAY_IOC_MAGIC, 2, struct xdprelay_sock_reg)
#define XDPRELAY_IOC_SOCK_UNREGISTER	_IOW(XDPRELAY_IOC_MAGIC, 3, __s32)
#define XDPRELAY_IOC_RX_ADD	\
	_IOW(XDPRELAY_IOC_MAGIC, 4, struct xdprelay_report_batch)
#define XDPRELAY_IOC_SUB_TX_ADD	\
	_IOW(XDPRELAY_IOC_MAGIC, 5, struct xdprelay_report_batch)

#endif /* _XDPRELAY_UAPI_H */
