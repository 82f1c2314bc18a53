/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket path's own state, shared by its two files: be_sock.c (the
 * sockets of each stream, set-up, counters) and sock_path.c (what its
 * worker runs).
 */
#ifndef XR_BE_SOCK_H
#define XR_BE_SOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "control.h"
#include "report.h"

#define SR_BATCH		64	/* datagrams per recvmmsg/sendmmsg */
#define SR_DRAIN		16	/* batches per socket per wakeup */
#define SR_BUF_SIZE		65536
#define SR_GSO_BYTES		65000	/* payload per GSO send */
#define SR_GSO_SEGS		64
#define ETH_HDR_LEN		14
#define UDP_HDR_LEN		8

#ifndef UDP_SEGMENT
#define UDP_SEGMENT		103
#endif

struct sr_acc {
	uint64_t packets;
	uint64_t bytes;
	uint64_t tx_errors;
	uint64_t no_neigh;
};

struct sr_stream {
	int fd;				/* listen socket, -1: none */
	int out_fd;			/* egress: its own, or fd */
	struct xdprelay_info info;	/* what the sockets were opened for */
	struct xdprelay_stream val;	/* filter and policer; 0: not live */
	bool armed;			/* fd in the worker's epoll set */
	uint64_t opened_ms;		/* when fd was opened */
	bool warned;
	uint32_t loops;			/* subscribers left out */
	__u64 pol_credit;		/* the worker's policer */
	__u64 pol_last;
	struct xr_rx_count rx;		/* since the last tick */
	uint32_t drops_seen;		/* of the listen socket */
};

/*
 * The worker's list of a stream, apart from struct sr_stream: only the
 * streams the path takes touch theirs.
 */
struct sr_list {
	struct xdprelay_subs subs;	/* loops left out */
	uint16_t loop_slot[XDPRELAY_MAX_SUBS];	/* their rows */
};

struct sr {
	struct relay *rl;	/* the control plane */
	int epfd;
	bool tune_warned;
	pthread_mutex_t lock;
	pthread_t thread;
	bool started;
	int stop;
	struct xdprelay_counters *vals;	/* one xr_counters row, per CPU */
	bool xdp_counts;	/* an xdprelay program counts what arrives */
	uint64_t next_check;	/* of xdp_counts */
	uint64_t next_tick;	/* the next full pass over the streams */
	struct sr_stream s[XDPRELAY_MAX_STREAMS];
	struct sr_list *lists;	/* by stream id */

	/* The worker's. */
	bool gso;		/* until the kernel refuses UDP_SEGMENT */
	uint8_t *buf;
	struct mmsghdr rmsg[SR_BATCH];
	struct sockaddr_storage rname[SR_BATCH];
	struct iovec riov[SR_BATCH];
	struct iovec siov[SR_BATCH];
	struct mmsghdr smsg[SR_BATCH];
	char sctl[SR_BATCH][CMSG_SPACE(sizeof(uint16_t))];
	struct sr_acc acc[XDPRELAY_MAX_STREAMS];
};

socklen_t sr_sockaddr(const struct xdprelay_endpoint *ep,
		      struct sockaddr_storage *ss);

/* sock_path.c: what the worker runs, its argument the struct sr. */
void *sock_worker_main(void *arg);

#endif /* XR_BE_SOCK_H */
