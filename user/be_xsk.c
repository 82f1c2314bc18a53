// SPDX-License-Identifier: GPL-2.0
/*
 * The AF_XDP path of the relay (backend.h): its set-up, its workers and
 * their sockets in xr_xsks, its stop and its frame audit.
 *
 * One worker thread per ingress RX queue, pinned to a CPU, owns an AF_XDP
 * socket on that queue and one on the egress interface sharing its UMEM;
 * xsk_path.c is what it runs.  At stop the sockets leave xr_xsks first,
 * the workers drain, and every frame must be found home.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include <bpf/bpf.h>

#include "be_xsk.h"
#include "xdpfeat.h"
#include "util.h"

#define XR_XDP_HEADROOM		256	/* XDP_PACKET_HEADROOM */
#define XR_MAX_FRAME_SIZE	4096
#define XR_MAX_RING		8192

static bool has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

static int check_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		return 0;	/* cannot tell: the calls will */
	if (has_cap(d, CAP_NET_ADMIN) && has_cap(d, CAP_NET_RAW) &&
	    (has_cap(d, CAP_BPF) || has_cap(d, CAP_SYS_ADMIN)))
		return 0;
	pr_err("run needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_BPF (AF_XDP sockets, the pinned maps): run it as root, or grant them (systemd AmbientCapabilities=)");
	return -EPERM;
}

/* Combined plus RX-only channels; 0 when the driver cannot say. */
static unsigned int rx_channels(const char *ifname, unsigned int *tx,
				unsigned int *combined)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { .ifr_data = (void *)&ch };

	*tx = 0;
	*combined = 0;
	if (xr_if_ioctl(ifname, SIOCETHTOOL, &ifr))
		return 0;
	*tx = ch.combined_count + ch.tx_count;
	*combined = ch.combined_count;
	return ch.combined_count + ch.rx_count;
}

/*
 * Queue pairs that carry the stack's traffic, of the @combined channels of
 * @ifindex.  virtio-net, given a program while it has queue pairs to
 * spare, enables them for its XDP transmit and counts them as channels
 * from then on, but not as the stack's transmit queues: a zero-copy
 * socket there could never send, and its close fails.  Where the kernel
 * cannot tell (before 6.8), all of them.
 */
static unsigned int stack_pairs(int ifindex, unsigned int combined)
{
	unsigned int ntx;

	if (!combined || xr_stack_tx_queues(ifindex, &ntx) || !ntx ||
	    ntx >= combined)
		return combined;
	return ntx;
}

/* The attached program must be the one whose xr_xsks is pinned. */
static int check_program(struct relay *r)
{
	const char *ifname = r->cfg->ingress;
	char why[512];
	bool skb;
	int err;

	err = relay_program_check(ifname, why, sizeof(why), &skb);
	if (err) {
		pr_err("%s: attach it with 'ip link set dev %s xdp obj xdprelay.bpf.o sec xdp' or 'xdprelayctl attach %s'",
		       why, ifname, ifname);
		return err;
	}
	if (skb)
		pr_info("%s: the XDP program runs in generic (skb) mode: AF_XDP copy mode only, at a lower rate",
			ifname);
	return 0;
}

/* Frame size, ring size, queues. */
static int check_interfaces(struct relay *r, struct xsk_relay *xr)
{
	const struct relay_config *cfg = r->cfg;
	unsigned int in_rx, in_tx, eg_rx, eg_tx, head, mtu, comb, pairs;
	unsigned int eg_comb;
	struct ifreq ifr = {};
	int err;

	err = xr_if_ioctl(cfg->ingress, SIOCGIFMTU, &ifr);
	if (err) {
		pr_err("cannot read the MTU of %s: %s", cfg->ingress,
		       strerror(-err));
		return err;
	}
	mtu = ifr.ifr_mtu;
	/* The kernel's headroom, Ethernet and two VLAN tags. */
	head = XR_FRAME_HEADROOM + XR_XDP_HEADROOM + XR_ETH_HLEN +
	       XR_MAX_VLAN * XR_VLAN_HLEN;
	xr->frame_size = mtu + head <= 2048 ? 2048 : XR_MAX_FRAME_SIZE;
	if (mtu + head > XR_MAX_FRAME_SIZE) {
		pr_err("the MTU of %s (%u) does not fit an AF_XDP frame: lower it to %u or less (ip link set dev %s mtu %u)",
		       cfg->ingress, mtu, XR_MAX_FRAME_SIZE - head,
		       cfg->ingress, XR_MAX_FRAME_SIZE - head);
		return -EMSGSIZE;
	}
	memset(&ifr, 0, sizeof(ifr));
	if (!xr_if_ioctl(cfg->egress, SIOCGIFMTU, &ifr) &&
	    (unsigned int)ifr.ifr_mtu < mtu)
		pr_warn("the MTU of %s (%d) is below that of %s (%u): larger datagrams will not leave",
			cfg->egress, ifr.ifr_mtu, cfg->ingress, mtu);


	in_rx = rx_channels(cfg->ingress, &in_tx, &comb);
	if (!in_rx)
		in_rx = 1;
	pairs = stack_pairs(r->ingress_ifindex, comb);
	if (pairs < comb) {
		pr_info("queues %u-%u of %s are its XDP transmit queues, enabled with the program: no socket there; what arrives on them takes the kernel's path",
			pairs, comb - 1, cfg->ingress);
		in_rx = pairs;
	}
	if (cfg->queues > XDPRELAY_MAX_QUEUES) {
		pr_err("--queues %u: at most %u", cfg->queues,
		       XDPRELAY_MAX_QUEUES);
		return -ERANGE;
	}
	if (cfg->queues > in_rx) {
		pr_err("%s has %u RX queue(s), fewer than --queues %u: lower it, or raise the channels (ethtool -L %s combined %u)",
		       cfg->ingress, in_rx, cfg->queues, cfg->ingress,
		       cfg->queues);
		return -ERANGE;
	}
	xr->nq = cfg->queues ? cfg->queues : in_rx;
	if (xr->nq > XDPRELAY_MAX_QUEUES) {
		pr_warn("%s has %u RX queues; the relay serves the first %u",
			cfg->ingress, xr->nq, XDPRELAY_MAX_QUEUES);
		xr->nq = XDPRELAY_MAX_QUEUES;
	}
	if (xr->nq < in_rx)
		pr_warn("queues %u-%u of %s get no socket: the kernel relays what it can of their streams, and passes the rest to the stack",
			xr->nq, in_rx - 1, cfg->ingress);

	if (r->egress_ifindex != r->ingress_ifindex) {
		eg_rx = rx_channels(cfg->egress, &eg_tx, &eg_comb);
		pairs = stack_pairs(r->egress_ifindex, eg_comb);
		if (pairs < eg_comb)
			eg_tx = eg_rx = pairs;
		if (eg_rx && eg_tx && eg_tx < xr->nq && eg_rx < xr->nq) {
			pr_err("%s has %u TX queue(s), the relay needs one per ingress queue (%u): raise them (ethtool -L %s combined %u) or lower --queues",
			       cfg->egress, eg_tx, xr->nq, cfg->egress, xr->nq);
			return -ERANGE;
		}
	}
	return 0;
}

static int check_config(struct relay *r, struct xsk_relay *xr)
{
	const struct relay_config *cfg = r->cfg;
	unsigned int ring;

	xr->frames = cfg->frames ? cfg->frames : RELAY_DEFAULT_FRAMES;
	xr->batch = cfg->batch ? cfg->batch : RELAY_DEFAULT_BATCH;
	if (xr->frames < RELAY_MIN_FRAMES || xr->frames > RELAY_MAX_FRAMES) {
		pr_err("--frames %u: must be %u to %u", xr->frames,
		       RELAY_MIN_FRAMES, RELAY_MAX_FRAMES);
		return -ERANGE;
	}
	if (xr->batch > RELAY_MAX_BATCH) {
		pr_err("--batch %u: must be 1 to %u", xr->batch,
		       RELAY_MAX_BATCH);
		return -ERANGE;
	}
	if ((unsigned int)cfg->mode > RELAY_MODE_COPY) {
		pr_err("unknown mode %d", cfg->mode);
		return -EINVAL;
	}
	/* Half the frames may wait on the fill ring, the rest travel. */
	for (ring = 1; ring * 2 <= xr->frames / 2; ring *= 2)
		;
	xr->ring_size = ring < XR_MAX_RING ? ring : XR_MAX_RING;
	/*
	 * The fill and RX rings could hold every frame between them, and
	 * a fan-out would find none to copy into: keep enough back for a
	 * batch to the most subscribers, a quarter of the frames at most.
	 */
	xr->reserve = xr->batch * (XDPRELAY_MAX_SUBS - 1);
	if (xr->reserve > xr->frames / 4)
		xr->reserve = xr->frames / 4;
	return 0;
}

static void explain_open_error(struct relay *r, struct xsk_relay *xr,
			       struct worker *w, int err)
{
	const struct relay_config *cfg = r->cfg;
	const char *step = w->x.failed ? w->x.failed : "opening";
	const char *ifname = strstr(step, "egress") ? cfg->egress :
			     cfg->ingress;
	unsigned int q = w->queue;

	switch (-err) {
	case EBUSY:
		pr_err("queue %u of %s already has an AF_XDP socket (another 'xdprelayctl run', or another AF_XDP program): stop it, or serve other queues",
		       q, ifname);
		break;
	case EPERM:
	case EACCES:
		pr_err("queue %u: %s: %s: run as root (CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF)",
		       q, step, strerror(-err));
		break;
	case ENOMEM:
	case ENOBUFS:
		pr_err("queue %u: %s: %s: %u frames of %u bytes are too many to lock; raise the limit (ulimit -l, LimitMEMLOCK=) or lower --frames",
		       q, step, strerror(-err), xr->frames, xr->frame_size);
		break;
	case EOPNOTSUPP:
		pr_err("queue %u: %s: %s does not support zero-copy AF_XDP: use --mode auto or --mode copy",
		       q, step, ifname);
		break;
	case EINVAL:
		pr_err("queue %u: %s on %s: %s: does %s have a queue %u? (ethtool -l %s)",
		       q, step, ifname, strerror(-err), ifname, q, ifname);
		break;
	default:
		pr_err("queue %u: %s on %s: %s", q, step, ifname,
		       strerror(-err));
	}
}

/* Zero-copy first in auto mode, copy when the drivers cannot. */
static int open_queue(struct relay *r, struct xsk_relay *xr,
		      struct worker *w)
{
	const struct relay_config *cfg = r->cfg;
	struct xr_xsk_cfg c = {
		.ingress = cfg->ingress,
		.egress = r->egress_ifindex == r->ingress_ifindex ?
			  cfg->ingress : cfg->egress,
		.queue = w->queue,
		.nframes = xr->frames,
		.frame_size = xr->frame_size,
		.ring_size = xr->ring_size,
		.busy_poll = cfg->busy_poll,
		.busy_poll_budget = xr->batch,
	};
	int err;

	if (cfg->mode != RELAY_MODE_COPY) {
		c.zerocopy = true;
		err = xr_xsk_open(&w->x, &c);
		if (!err)
			return 0;
		if (cfg->mode == RELAY_MODE_ZEROCOPY) {
			explain_open_error(r, xr, w, err);
			return err;
		}
		w->zc_err = err;
		w->zc_failed = w->x.failed;
	}
	c.zerocopy = false;
	err = xr_xsk_open(&w->x, &c);
	if (err)
		explain_open_error(r, xr, w, err);
	return err;
}

static void log_queue_mode(struct relay *r, struct worker *w)
{
	const struct relay_config *cfg = r->cfg;

	if (w->x.zerocopy)
		pr_info("queue %u: zero-copy mode, CPU %d", w->queue, w->cpu);
	else if (cfg->mode == RELAY_MODE_COPY)
		pr_info("queue %u: copy mode (--mode copy), CPU %d", w->queue,
			w->cpu);
	else
		pr_info("queue %u: copy mode, CPU %d: zero-copy failed %s: %s",
			w->queue, w->cpu, w->zc_failed ? w->zc_failed : "",
			strerror(-w->zc_err));
}

static int alloc_worker(struct relay *r, struct xsk_relay *xr,
			struct worker *w, unsigned int q, const int *cpus,
			int ncpus)
{
	w->r = r;
	w->xr = xr;
	w->queue = q;
	w->cpu = cpus[q % ncpus];
	w->qrow = r->st.queues ? &r->st.queues[q] : NULL;
	w->cache = calloc(XDPRELAY_MAX_STREAMS, sizeof(*w->cache));
	w->acc = calloc(XDPRELAY_MAX_STREAMS, sizeof(*w->acc));
	w->dirty = calloc(XDPRELAY_MAX_STREAMS, 1);
	w->dirty_ids = calloc(XDPRELAY_MAX_STREAMS, sizeof(*w->dirty_ids));
	w->sacc = calloc(XDPRELAY_SLOTS, sizeof(*w->sacc));
	w->sdirty = calloc(XDPRELAY_SLOTS, 1);
	w->sdirty_ids = calloc(XDPRELAY_SLOTS, sizeof(*w->sdirty_ids));
	w->out = calloc((size_t)xr->batch * XDPRELAY_MAX_SUBS,
			sizeof(*w->out));
	w->fan = calloc(xr->batch, sizeof(*w->fan));
	if (!w->cache || !w->acc || !w->dirty || !w->dirty_ids || !w->out ||
	    !w->fan || !w->sacc || !w->sdirty || !w->sdirty_ids)
		return -ENOMEM;
	return 0;
}

static void free_worker(struct worker *w)
{
	free(w->cache);
	free(w->acc);
	free(w->dirty);
	free(w->dirty_ids);
	free(w->sacc);
	free(w->sdirty);
	free(w->sdirty_ids);
	free(w->out);
	free(w->fan);
}

static int start_worker(struct worker *w)
{
	char name[16];
	cpu_set_t set;
	int err;

	err = pthread_create(&w->thread, NULL, xsk_worker_main, w);
	if (err)
		return -err;
	w->started = true;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	err = pthread_setaffinity_np(w->thread, sizeof(set), &set);
	if (err)
		pr_warn("queue %u: cannot pin to CPU %d: %s", w->queue, w->cpu,
			strerror(err));
	snprintf(name, sizeof(name), "xdprelay-q%u", w->queue);
	pthread_setname_np(w->thread, name);
	return 0;
}

static int register_socket(struct relay *r, struct worker *w)
{
	uint32_t key = w->queue;
	int fd = w->x.rx_fd, err;

	err = bpf_map_update_elem(r->st.xsks_fd, &key, &fd, BPF_ANY);
	if (err) {
		pr_err("queue %u: cannot put the socket into %s: %s",
		       w->queue, XDPRELAY_MAP_XSKS, strerror(-err));
		return err;
	}
	w->registered = true;
	return 0;
}

static void unregister_socket(struct relay *r, struct worker *w)
{
	uint32_t key = w->queue;

	if (!w->registered)
		return;
	if (bpf_map_delete_elem(r->st.xsks_fd, &key))
		pr_warn("queue %u: cannot remove the socket from %s: %s",
			w->queue, XDPRELAY_MAP_XSKS, strerror(errno));
	w->registered = false;
}

static void stop_workers(struct relay *r, struct xsk_relay *xr)
{
	unsigned int q;

	/* No new frame may be steered to a socket about to go. */
	for (q = 0; q < xr->nq; q++)
		unregister_socket(r, &xr->w[q]);
	__atomic_store_n(&xr->stop, 1, __ATOMIC_RELEASE);
	for (q = 0; q < xr->nq; q++) {
		if (xr->w[q].started)
			pthread_join(xr->w[q].thread, NULL);
		xr->w[q].started = false;
	}
}

/* The kernel's own drops are the operator's first clue to overload. */
static void log_kernel_drops(struct worker *w)
{
	uint64_t dropped, ring_full, fill_empty, tx_invalid;

	if (xr_xsk_stats(&w->x, &dropped, &ring_full, &fill_empty,
			 &tx_invalid))
		return;
	if (ring_full)
		pr_info("queue %u: %lu frames dropped by the kernel on a full RX ring: the relay could not keep up",
			w->queue, (unsigned long)ring_full);
	if (dropped)
		pr_info("queue %u: %lu frames dropped by the kernel: no free frame, or no room in one",
			w->queue, (unsigned long)dropped);
	if (tx_invalid)
		pr_info("queue %u: %lu TX descriptors refused by the kernel",
			w->queue, (unsigned long)tx_invalid);
	pr_debug("queue %u: fill ring empty %lu times", w->queue,
		 (unsigned long)fill_empty);
}

/* After the workers: were all frames home? */
static int check_frames(struct xsk_relay *xr)
{
	uint64_t total = 0, home = 0, kernel = 0, flight = 0;
	struct xr_xsk_audit a;
	unsigned int q;
	int ret = 0;

	for (q = 0; q < xr->nq; q++) {
		struct worker *w = &xr->w[q];
		bool ok;

		if (!w->x.umem)
			continue;
		xr_xsk_reclaim(&w->x);
		ok = xr_xsk_audit(&w->x, &a);
		total += a.nframes;
		kernel += a.kernel_rx;
		flight += a.in_flight;
		if (ok && !a.in_flight)
			home += a.seen + a.kernel_rx;
		else
			home += a.seen;
		pr_debug("queue %u: %lu received, %lu TX kicks (%lu met back-pressure); frames: %u free, %u on the fill ring, %u on the egress fill ring, %u on the RX ring, %u on the TX ring, %u with the kernel, %u in flight",
			 q, (unsigned long)w->rx_packets,
			 (unsigned long)w->x.kicks,
			 (unsigned long)w->x.kick_backoff, a.free, a.fill_ring,
			 a.egress_fill, a.rx_ring, a.tx_ring, a.kernel_rx, a.in_flight);
		log_kernel_drops(w);
		if (w->bad_meta || w->malformed)
			pr_info("queue %u: %lu frames without xdprelay metadata, %lu malformed: recycled",
				q, (unsigned long)w->bad_meta,
				(unsigned long)w->malformed);
		if (!ok) {
			pr_err("queue %u: frame accounting is off: %u duplicate, %u invalid, %u seen + %u with the kernel + %u in flight of %u",
			       q, a.duplicate, a.invalid, a.seen, a.kernel_rx,
			       a.in_flight, a.nframes);
			ret = -EIO;
		} else if (a.in_flight) {
			ret = -EIO;
		}
	}
	if (!ret) {
		pr_info("frames: %lu of %lu accounted for%s",
			(unsigned long)home, (unsigned long)total,
			kernel ? " (some with the driver until the sockets close)" : "");
		return 0;
	}
	pr_err("frames: %lu of %lu accounted for, %lu still in flight on TX after %u ms",
	       (unsigned long)home, (unsigned long)total, (unsigned long)flight,
	       XR_STOP_DRAIN_MS);
	return ret;
}

/* Returns 1 to stop. */
static int check_workers(struct relay *r, struct xsk_relay *xr)
{
	unsigned int q;

	for (q = 0; q < xr->nq; q++) {
		struct worker *w = &xr->w[q];

		if (!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			continue;
		if (w->err == -ENXIO || w->err == -ENODEV)
			pr_err("queue %u: the socket lost its interface (%s): was %s or %s removed?",
			       q, strerror(-w->err), r->cfg->ingress,
			       r->cfg->egress);
		else
			pr_err("queue %u: transmit failed: %s", q,
			       strerror(-w->err));
		return -EIO;
	}
	return 0;
}

/*
 * What the kernel dropped on its way into the sockets (full RX ring, no
 * free frame), into xr_tx's total rx_dropped: a queue's drops have no
 * stream.  Each queue's figures, as the kernel has them, into its row of
 * xr_queues.
 */
static void count_xsk_drops(struct relay *r, struct xsk_relay *xr)
{
	uint64_t dropped, full, fill, inval, sum = 0;
	struct xdprelay_queue *row;
	unsigned int q;

	for (q = 0; q < xr->nq; q++) {
		if (xr_xsk_stats(&xr->w[q].x, &dropped, &full, &fill, &inval))
			continue;
		sum += dropped + full;
		row = xr->w[q].qrow;
		if (!row)
			continue;
		__atomic_store_n(&row->xsk_dropped, dropped + full,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&row->fill_empty, fill, __ATOMIC_RELAXED);
		__atomic_store_n(&row->tx_invalid, inval, __ATOMIC_RELAXED);
	}
	if (sum <= xr->xsk_drops)
		return;
	__atomic_fetch_add(&r->st.tx[0].rx_dropped, sum - xr->xsk_drops,
			   __ATOMIC_RELAXED);
	xr->xsk_drops = sum;
}

static int usable_cpus(int *cpus, int max)
{
	cpu_set_t set;
	int i, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (i = 0; i < CPU_SETSIZE && n < max; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return n;
}

/* ---- the path's operations ----------------------------------------- */

static struct xsk_relay *xsk_of(const struct relay *r)
{
	return r->priv;
}

/* What the path needs, and a socket per queue, not yet registered. */
static int xsk_setup(struct relay *r)
{
	int cpus[CPU_SETSIZE], ncpus, err;
	struct xsk_relay *xr;
	unsigned int q;

	xr = calloc(1, sizeof(*xr));
	if (!xr)
		return -ENOMEM;
	r->priv = xr;
	err = check_config(r, xr);
	if (err)
		return err;
	err = check_caps();
	if (err)
		return err;
	err = check_program(r);
	if (err)
		return err;
	err = check_interfaces(r, xr);
	if (err)
		return err;
	xr->w = calloc(xr->nq, sizeof(*xr->w));
	if (!xr->w)
		return -ENOMEM;
	/* The figures of a relay that ran before are not this one's. */
	if (r->st.queues)
		memset(r->st.queues, 0,
		       XDPRELAY_MAX_QUEUES * sizeof(*r->st.queues));
	ncpus = usable_cpus(cpus, CPU_SETSIZE);
	if (!ncpus) {
		cpus[0] = 0;
		ncpus = 1;
	}
	for (q = 0; q < xr->nq; q++) {
		struct worker *w = &xr->w[q];

		w->x.rx_fd = w->x.tx_fd = -1;
		err = alloc_worker(r, xr, w, q, cpus, ncpus);
		if (err) {
			pr_err("queue %u: out of memory", q);
			return err;
		}
		err = open_queue(r, xr, w);
		if (err)
			return err;
		xr_xsk_refill(&w->x, xr->reserve);
		log_queue_mode(r, w);
	}
	return 0;
}

/* The workers, then the sockets into xr_xsks: the frames come. */
static int xsk_start(struct relay *r)
{
	struct xsk_relay *xr = xsk_of(r);
	unsigned int q;
	int err;

	xr->started = true;
	for (q = 0; q < xr->nq; q++) {
		err = start_worker(&xr->w[q]);
		if (err) {
			pr_err("queue %u: cannot start a thread: %s", q,
			       strerror(-err));
			return err;
		}
	}
	for (q = 0; q < xr->nq; q++) {
		err = register_socket(r, &xr->w[q]);
		if (err)
			return err;
	}
	pr_info("relaying from %s to %s on %u queue(s)%s", r->cfg->ingress,
		r->cfg->egress, xr->nq,
		r->cfg->busy_poll ? ", busy polling" : "");
	return 0;
}

/*
 * The workers read the subscriber lists from xr_subs themselves, and the
 * settings from r->ctl: nothing to do here.
 */
static void xsk_stream_changed(struct relay *r, uint32_t id,
			       const struct xdprelay_info *info)
{
	(void)r;
	(void)id;
	(void)info;
}

static void xsk_subs_changed(struct relay *r, uint32_t id,
			     const struct xdprelay_subs *subs)
{
	(void)r;
	(void)id;
	(void)subs;
}

static int xsk_tick(struct relay *r, uint64_t now_ms)
{
	(void)now_ms;
	count_xsk_drops(r, xsk_of(r));
	return XR_TICK_MS;
}

static int xsk_check(struct relay *r)
{
	return check_workers(r, xsk_of(r));
}

static unsigned int xsk_queues(const struct relay *r)
{
	return xsk_of(r) ? xsk_of(r)->nq : 0;
}

static const char *xsk_queue_mode(const struct relay *r, unsigned int q)
{
	return xsk_of(r)->w[q].x.zerocopy ? "zerocopy" : "copy";
}

static void xsk_stop(struct relay *r)
{
	struct xsk_relay *xr = xsk_of(r);

	if (!xr || !xr->w)
		return;
	stop_workers(r, xr);
	count_xsk_drops(r, xr);
}

/* Every frame home, then every socket closed. */
static int xsk_teardown(struct relay *r)
{
	struct xsk_relay *xr = xsk_of(r);
	unsigned int q;
	int err = 0;

	if (!xr)
		return 0;
	if (xr->w) {
		if (xr->started)
			err = check_frames(xr);
		for (q = 0; q < xr->nq; q++) {
			xr_xsk_close(&xr->w[q].x);
			free_worker(&xr->w[q]);
		}
	}
	free(xr->w);
	free(xr);
	r->priv = NULL;
	return err;
}

const struct xr_backend xr_backend_xsk = {
	.name = "xdp",
	.joins_groups = true,
	.direct = true,
	.setup = xsk_setup,
	.start = xsk_start,
	.stream_changed = xsk_stream_changed,
	.subs_changed = xsk_subs_changed,
	.tick = xsk_tick,
	.check = xsk_check,
	.queues = xsk_queues,
	.queue_mode = xsk_queue_mode,
	.stop = xsk_stop,
	.teardown = xsk_teardown,
};
