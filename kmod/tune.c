// SPDX-License-Identifier: GPL-2.0
/*
 * UDP receive buffer autotuning.
 *
 * The kernel autotunes TCP buffers but not UDP ones: a receiver behind a
 * bursty sender drops datagrams unless SO_RCVBUF was guessed right.  A
 * process registers its UDP sockets through /dev/xdprelay; every
 * tuning/interval_ms a worker doubles the receive buffer of each socket
 * whose drop count rose, up to tuning/rcvbuf_max, and once the socket has
 * been quiet for tuning/quiet_ms halves it again, one step per quiet
 * period, back to the size it had when registered.
 *
 * Only the receive side is tuned: UDP counts no per-socket send failure
 * (a send short of space blocks or fails with EAGAIN and leaves no trace on
 * the socket), so there is nothing cheap to react to.
 *
 * An entry holds a reference on the struct sock, not on its file, so the
 * owner's close() still closes the socket; the worker then finds it dead
 * and drops the entry.
 */
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/sock.h>

#include "compat.h"
#include "xdprelay_internal.h"

#define XDPRELAY_MAX_SOCKETS		1024

#define XDPRELAY_INTERVAL_MIN		10
#define XDPRELAY_INTERVAL_MAX		10000
#define XDPRELAY_QUIET_MIN		10
#define XDPRELAY_QUIET_MAX		3600000
/* What SO_RCVBUF itself would allow: at least the floor, twice fits an int. */
#define XDPRELAY_RCVBUF_MAX_MIN		(2 * SOCK_MIN_RCVBUF)
#define XDPRELAY_RCVBUF_MAX_MAX		(INT_MAX / 2)

static unsigned int xdprelay_interval_ms = 100;
static unsigned int xdprelay_quiet_ms = 5000;
static unsigned int xdprelay_rcvbuf_max = 64 << 20;

struct xdprelay_sock {
	struct kobject kobj;		/* sockets/<id>/ */
	struct sock *sk;		/* held */
	u32 id;
	pid_t pid;
	int rcvbuf_base;		/* sk_rcvbuf at registration */
	int drops_seen;			/* its drops at the last pass */
	unsigned long quiet_since;	/* jiffies: last drop or shrink */
	unsigned long grows;
	unsigned long shrinks;
};

static struct kobject *xdprelay_tuning_kobj;
static struct kobject *xdprelay_sockets_kobj;

/* Serialises registration and the worker; the xarray maps id to entry. */
static DEFINE_MUTEX(xdprelay_socks_lock);
static DEFINE_XARRAY_ALLOC1(xdprelay_socks);
static u32 xdprelay_socks_next;
static unsigned int xdprelay_socks_nr;

static void xdprelay_tune_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(xdprelay_tune_work, xdprelay_tune_work_fn);

static struct xdprelay_sock *to_xdprelay_sock(struct kobject *kobj)
{
	return container_of(kobj, struct xdprelay_sock, kobj);
}

/* Last put: sysfs is done with the entry, so the socket can go. */
static void xdprelay_sock_release(struct kobject *kobj)
{
	struct xdprelay_sock *xs = to_xdprelay_sock(kobj);

	sock_put(xs->sk);
	kfree(xs);
}

/* sockets/<id>/ files */

static ssize_t rcvbuf_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(to_xdprelay_sock(kobj)->sk->sk_rcvbuf));
}

static ssize_t sndbuf_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(to_xdprelay_sock(kobj)->sk->sk_sndbuf));
}

static ssize_t drops_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct sock *sk = to_xdprelay_sock(kobj)->sk;

	return sysfs_emit(buf, "%u\n", (u32)sk_drops_read(sk));
}

static ssize_t grows_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  READ_ONCE(to_xdprelay_sock(kobj)->grows));
}

static ssize_t shrinks_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lu\n",
			  READ_ONCE(to_xdprelay_sock(kobj)->shrinks));
}

static ssize_t pid_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%d\n", to_xdprelay_sock(kobj)->pid);
}

static struct kobj_attribute xdprelay_attr_rcvbuf = __ATTR_RO(rcvbuf);
static struct kobj_attribute xdprelay_attr_sndbuf = __ATTR_RO(sndbuf);
static struct kobj_attribute xdprelay_attr_drops = __ATTR_RO(drops);
static struct kobj_attribute xdprelay_attr_grows = __ATTR_RO(grows);
static struct kobj_attribute xdprelay_attr_shrinks = __ATTR_RO(shrinks);
static struct kobj_attribute xdprelay_attr_pid = __ATTR_RO(pid);

static struct attribute *xdprelay_sock_attrs[] = {
	&xdprelay_attr_rcvbuf.attr,
	&xdprelay_attr_sndbuf.attr,
	&xdprelay_attr_drops.attr,
	&xdprelay_attr_grows.attr,
	&xdprelay_attr_shrinks.attr,
	&xdprelay_attr_pid.attr,
	NULL
};
ATTRIBUTE_GROUPS(xdprelay_sock);

static const struct kobj_type xdprelay_sock_ktype = {
	.release	= xdprelay_sock_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= xdprelay_sock_groups,
};

/* tuning/ files */

struct xdprelay_knob_attribute {
	struct kobj_attribute attr;
	unsigned int *val;
	unsigned int min;
	unsigned int max;
};

static ssize_t xdprelay_knob_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	const struct xdprelay_knob_attribute *ka =
		container_of(attr, struct xdprelay_knob_attribute, attr);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*ka->val));
}

static ssize_t xdprelay_knob_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	const struct xdprelay_knob_attribute *ka =
		container_of(attr, struct xdprelay_knob_attribute, attr);
	unsigned int val;
	int err;

	err = kstrtouint(buf, 10, &val);
	if (err)
		return err;
	if (val < ka->min || val > ka->max)
		return -ERANGE;

	/* Each knob is read once per pass: no pass sees half an update. */
	WRITE_ONCE(*ka->val, val);

	/*
	 * A new interval applies now, not after the old one runs out, for
	 * the worker that runs while sockets are registered: under the lock
	 * that decides whether it runs, so that it is never queued with
	 * nothing to do.
	 */
	if (ka->val == &xdprelay_interval_ms) {
		mutex_lock(&xdprelay_socks_lock);
		if (xdprelay_socks_nr)
			mod_delayed_work(system_wq, &xdprelay_tune_work,
					 msecs_to_jiffies(val));
		mutex_unlock(&xdprelay_socks_lock);
	}
	return count;
}

#define XDPRELAY_KNOB_ATTR(_name, _min, _max)				\
	struct xdprelay_knob_attribute xdprelay_attr_##_name = {	\
		.attr = __ATTR(_name, 0644, xdprelay_knob_show,		\
			       xdprelay_knob_store),			\
		.val = &xdprelay_##_name,				\
		.min = _min,						\
		.max = _max,						\
	}

static XDPRELAY_KNOB_ATTR(interval_ms, XDPRELAY_INTERVAL_MIN,
			  XDPRELAY_INTERVAL_MAX);
static XDPRELAY_KNOB_ATTR(quiet_ms, XDPRELAY_QUIET_MIN, XDPRELAY_QUIET_MAX);
static XDPRELAY_KNOB_ATTR(rcvbuf_max, XDPRELAY_RCVBUF_MAX_MIN,
			  XDPRELAY_RCVBUF_MAX_MAX);

static struct attribute *xdprelay_tuning_attrs[] = {
	&xdprelay_attr_interval_ms.attr.attr,
	&xdprelay_attr_quiet_ms.attr.attr,
	&xdprelay_attr_rcvbuf_max.attr.attr,
	NULL
};

static const struct attribute_group xdprelay_tuning_group = {
	.attrs	= xdprelay_tuning_attrs,
};

/* The worker */

static void xdprelay_tune_schedule(void)
{
	queue_delayed_work(system_wq, &xdprelay_tune_work,
			   msecs_to_jiffies(READ_ONCE(xdprelay_interval_ms)));
}

static void xdprelay_sock_remove(struct xdprelay_sock *xs)
{
	lockdep_assert_held(&xdprelay_socks_lock);

	xa_erase(&xdprelay_socks, xs->id);
	xdprelay_socks_nr--;
	kobject_del(&xs->kobj);
	kobject_put(&xs->kobj);
}

/* Set the receive buffer as SO_RCVBUF does, locked so the stack keeps it. */
static void xdprelay_set_rcvbuf(struct sock *sk, int val)
{
	lock_sock(sk);
	sk->sk_userlocks |= SOCK_RCVBUF_LOCK;
	WRITE_ONCE(sk->sk_rcvbuf, val);
	release_sock(sk);
}

static void xdprelay_sock_tune(struct xdprelay_sock *xs, int rcvbuf_max,
			       unsigned long quiet)
{
	struct sock *sk = xs->sk;
	int drops = sk_drops_read(sk);
	int rcvbuf = READ_ONCE(sk->sk_rcvbuf);

	if (drops != xs->drops_seen) {
		xs->drops_seen = drops;
		xs->quiet_since = jiffies;
		if (rcvbuf < rcvbuf_max) {
			/* rcvbuf_max is at most INT_MAX / 2: no overflow. */
			xdprelay_set_rcvbuf(sk, min(rcvbuf * 2, rcvbuf_max));
			WRITE_ONCE(xs->grows, xs->grows + 1);
		}
		return;
	}

	if (rcvbuf > xs->rcvbuf_base &&
	    time_after_eq(jiffies, xs->quiet_since + quiet)) {
		xs->quiet_since = jiffies;
		xdprelay_set_rcvbuf(sk, max(rcvbuf / 2, xs->rcvbuf_base));
		WRITE_ONCE(xs->shrinks, xs->shrinks + 1);
	}
}

static void xdprelay_tune_work_fn(struct work_struct *work)
{
	int rcvbuf_max = READ_ONCE(xdprelay_rcvbuf_max);
	unsigned long quiet;
	struct xdprelay_sock *xs;
	unsigned long id;

	quiet = msecs_to_jiffies(READ_ONCE(xdprelay_quiet_ms));

	mutex_lock(&xdprelay_socks_lock);
	xa_for_each(&xdprelay_socks, id, xs) {
		/* Closed by its owner: we hold the last reference. */
		if (sock_flag(xs->sk, SOCK_DEAD) ||
		    !READ_ONCE(xs->sk->sk_socket))
			xdprelay_sock_remove(xs);
		else
			xdprelay_sock_tune(xs, rcvbuf_max, quiet);
	}
	if (xdprelay_socks_nr)
		xdprelay_tune_schedule();
	mutex_unlock(&xdprelay_socks_lock);
}

/* Registration */

static bool xdprelay_sock_is_udp(const struct sock *sk)
{
	return sk && (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	       sk->sk_type == SOCK_DGRAM && sk->sk_protocol == IPPROTO_UDP;
}

static struct xdprelay_sock *xdprelay_sock_find(const struct sock *sk)
{
	struct xdprelay_sock *xs;
	unsigned long id;

	lockdep_assert_held(&xdprelay_socks_lock);

	xa_for_each(&xdprelay_socks, id, xs)
		if (xs->sk == sk)
			return xs;

	return NULL;
}

static int xdprelay_sock_add(struct sock *sk, u32 *id)
{
	struct xdprelay_sock *xs;
	int err;

	lockdep_assert_held(&xdprelay_socks_lock);

	if (xdprelay_sock_find(sk))
		return -EEXIST;
	if (xdprelay_socks_nr >= XDPRELAY_MAX_SOCKETS)
		return -ENOSPC;

	xs = kzalloc(sizeof(*xs), GFP_KERNEL);
	if (!xs)
		return -ENOMEM;

	kobject_init(&xs->kobj, &xdprelay_sock_ktype);
	sock_hold(sk);			/* released by the kobject */
	xs->sk = sk;
	xs->pid = task_tgid_nr(current);
	xs->rcvbuf_base = READ_ONCE(sk->sk_rcvbuf);
	xs->drops_seen = sk_drops_read(sk);
	xs->quiet_since = jiffies;

	/* Cyclic ids: a stale sockets/<id> is not soon someone else's. */
	err = xa_alloc_cyclic(&xdprelay_socks, &xs->id, xs, xa_limit_31b,
			      &xdprelay_socks_next, GFP_KERNEL);
	if (err < 0)
		goto put;

	err = kobject_add(&xs->kobj, xdprelay_sockets_kobj, "%u", xs->id);
	if (err) {
		xa_erase(&xdprelay_socks, xs->id);
		goto put;
	}

	if (!xdprelay_socks_nr++)
		xdprelay_tune_schedule();
	*id = xs->id;
	return 0;

put:
	kobject_put(&xs->kobj);
	return err;
}

/*
 * Look up @fd as a UDP socket: -EBADF, -ENOTSOCK or -EPROTONOSUPPORT when
 * it is not one.  The caller drops the file with sockfd_put().
 */
static struct socket *xdprelay_udp_lookup(int fd, int *err)
{
	struct socket *sock;

	sock = sockfd_lookup(fd, err);
	if (!sock)
		return NULL;

	if (!xdprelay_sock_is_udp(sock->sk)) {
		sockfd_put(sock);
		*err = -EPROTONOSUPPORT;
		return NULL;
	}

	return sock;
}

int xdprelay_tune_register(int fd, u32 *id)
{
	struct socket *sock;
	int err;

	sock = xdprelay_udp_lookup(fd, &err);
	if (!sock)
		return err;

	mutex_lock(&xdprelay_socks_lock);
	err = xdprelay_sock_add(sock->sk, id);
	mutex_unlock(&xdprelay_socks_lock);

	sockfd_put(sock);
	return err;
}

int xdprelay_tune_unregister(int fd)
{
	struct xdprelay_sock *xs;
	struct socket *sock;
	int err = -ENOENT;

	sock = xdprelay_udp_lookup(fd, &err);
	if (!sock)
		return err;

	mutex_lock(&xdprelay_socks_lock);
	xs = xdprelay_sock_find(sock->sk);
	if (xs) {
		xdprelay_sock_remove(xs);
		err = 0;
	}
	mutex_unlock(&xdprelay_socks_lock);

	sockfd_put(sock);
	return err;
}

int xdprelay_tune_init(struct kobject *parent)
{
	int err;

	xdprelay_sockets_kobj = kobject_create_and_add("sockets", parent);
	if (!xdprelay_sockets_kobj)
		return -ENOMEM;

	xdprelay_tuning_kobj = kobject_create_and_add("tuning", parent);
	if (!xdprelay_tuning_kobj) {
		err = -ENOMEM;
		goto err_sockets;
	}

	err = sysfs_create_group(xdprelay_tuning_kobj, &xdprelay_tuning_group);
	if (err)
		goto err_tuning;

	return 0;

err_tuning:
	kobject_put(xdprelay_tuning_kobj);
err_sockets:
	kobject_put(xdprelay_sockets_kobj);
	return err;
}

/*
 * Called once no ioctl can run.  The knobs go first: removing them waits
 * for a store under way, and a store may queue the worker, which must not
 * outlive the module.  Then the worker stops, and every socket is let go;
 * the sockets keep the buffer sizes they have.
 */
void xdprelay_tune_exit(void)
{
	struct xdprelay_sock *xs;
	unsigned long id;

	sysfs_remove_group(xdprelay_tuning_kobj, &xdprelay_tuning_group);

	cancel_delayed_work_sync(&xdprelay_tune_work);

	mutex_lock(&xdprelay_socks_lock);
	xa_for_each(&xdprelay_socks, id, xs)
		xdprelay_sock_remove(xs);
	mutex_unlock(&xdprelay_socks_lock);

	kobject_put(xdprelay_tuning_kobj);
	kobject_put(xdprelay_sockets_kobj);
}
