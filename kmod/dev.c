// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/xdprelay: the ioctls of xdprelay_uapi.h.  The relay reports its
 * transmit counts here, a batch of streams (or subscribers) per call, and
 * the socket backend its receive counts too; processes register the UDP
 * sockets whose buffers tune.c tunes.
 */
#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "xdprelay_internal.h"
#include "xdprelay_uapi.h"

/* The layout is the same for 32- and 64-bit callers: no compat structs. */
static_assert(sizeof(struct xdprelay_report) == 24);
static_assert(sizeof(struct xdprelay_report_batch) == 16);
static_assert(sizeof(struct xdprelay_sock_reg) == 12);
static_assert(sizeof(struct xdprelay_sub_report) == 40);

/* A relay reports on the outcomes of its own filter and policer only. */
static bool xdprelay_report_valid(const struct xdprelay_report *r, bool rx)
{
	if (!r->stream || r->stream >= XDPRELAY_MAX_STREAMS)
		return false;
	return !r->outcome || (rx && (r->outcome == XDPRELAY_POLICED ||
				      r->outcome == XDPRELAY_SRC_REFUSED));
}

/*
 * Copy in the array of @size-byte reports that the batch at @argp points
 * to, and its length.  Returns the copy (kvfree() it) or an ERR_PTR.
 */
static void *xdprelay_batch_dup(const void __user *argp, size_t size,
				u32 *nr)
{
	struct xdprelay_report_batch batch;

	if (copy_from_user(&batch, argp, sizeof(batch)))
		return ERR_PTR(-EFAULT);
	if (!batch.nr || batch.nr > XDPRELAY_REPORT_BATCH_MAX || batch.pad)
		return ERR_PTR(-EINVAL);
	*nr = batch.nr;
	return vmemdup_array_user(u64_to_user_ptr(batch.reports), batch.nr,
				  size);
}

/*
 * The reports are copied once, then validated and counted from that copy:
 * reading user memory twice (a pass to validate, one to count) would let
 * another thread change a report in between.
 */
static int xdprelay_ioc_report(const void __user *argp, bool rx)
{
	enum xdprelay_counter pkts_ctr = rx ? XDPRELAY_RX_PACKETS :
					      XDPRELAY_TX_PACKETS;
	enum xdprelay_counter bytes_ctr = rx ? XDPRELAY_RX_BYTES :
					       XDPRELAY_TX_BYTES;
	struct xdprelay_report *reports;
	u64 packets = 0, bytes = 0;
	int err = 0;
	u32 i, nr;

	reports = xdprelay_batch_dup(argp, sizeof(*reports), &nr);
	if (IS_ERR(reports))
		return PTR_ERR(reports);

	for (i = 0; i < nr; i++) {
		if (!xdprelay_report_valid(&reports[i], rx)) {
			err = -EINVAL;
			goto out;
		}
	}

	for (i = 0; i < nr; i++) {
		const struct xdprelay_report *r = &reports[i];

		xdprelay_counter_add(r->stream, pkts_ctr, r->packets);
		xdprelay_counter_add(r->stream, bytes_ctr, r->bytes);
		if (r->outcome) {
			xdprelay_counter_add(r->stream, r->outcome, r->packets);
			xdprelay_counter_add(0, r->outcome, r->packets);
		}
		packets += r->packets;
		bytes += r->bytes;
	}
	xdprelay_counter_add(0, pkts_ctr, packets);
	xdprelay_counter_add(0, bytes_ctr, bytes);

out:
	kvfree(reports);
	return err;
}

/* The same for subscribers' rows (XDPRELAY_IOC_SUB_TX_ADD). */
static int xdprelay_ioc_sub_report(const void __user *argp)
{
	struct xdprelay_sub_report *reports;
	int err = 0;
	u32 i, nr;

	reports = xdprelay_batch_dup(argp, sizeof(*reports), &nr);
	if (IS_ERR(reports))
		return PTR_ERR(reports);

	for (i = 0; i < nr; i++) {
		if (!reports[i].row || reports[i].row >= XDPRELAY_SLOTS ||
		    reports[i].pad) {
			err = -EINVAL;
			goto out;
		}
	}

	for (i = 0; i < nr; i++) {
		const struct xdprelay_sub_report *r = &reports[i];

		xdprelay_sub_counter_add(r->row, XDPRELAY_SUB_TX_PACKETS,
					 r->packets);
		xdprelay_sub_counter_add(r->row, XDPRELAY_SUB_TX_BYTES,
					 r->bytes);
		xdprelay_sub_counter_add(r->row, XDPRELAY_SUB_TX_ERRORS,
					 r->tx_errors);
		xdprelay_sub_counter_add(r->row, XDPRELAY_SUB_TX_NO_NEIGH,
					 r->no_neigh);
	}

out:
	kvfree(reports);
	return err;
}

static int xdprelay_ioc_sock_register(void __user *argp)
{
	struct xdprelay_sock_reg reg;
	int err;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	if (reg.flags)
		return -EINVAL;

	err = xdprelay_tune_register(reg.fd, &reg.id);
	if (err)
		return err;

	/*
	 * The socket stays registered if the id cannot be written back: the
	 * caller can still unregister it by fd, or close it.
	 */
	if (put_user(reg.id, &((struct xdprelay_sock_reg __user *)argp)->id))
		return -EFAULT;
	return 0;
}

static int xdprelay_ioc_sock_unregister(const void __user *argp)
{
	__s32 fd;

	if (get_user(fd, (const __s32 __user *)argp))
		return -EFAULT;

	return xdprelay_tune_unregister(fd);
}

static long xdprelay_dev_ioctl(struct file *file, unsigned int cmd,
			       unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	/*
	 * Checked on every call, not only at open: the mode of the node
	 * decides who may open it, this who may act through it.
	 */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;

	switch (cmd) {
	case XDPRELAY_IOC_TX_ADD:
		return xdprelay_ioc_report(argp, false);
	case XDPRELAY_IOC_RX_ADD:
		return xdprelay_ioc_report(argp, true);
	case XDPRELAY_IOC_SUB_TX_ADD:
		return xdprelay_ioc_sub_report(argp);
	case XDPRELAY_IOC_SOCK_REGISTER:
		return xdprelay_ioc_sock_register(argp);
	case XDPRELAY_IOC_SOCK_UNREGISTER:
		return xdprelay_ioc_sock_unregister(argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations xdprelay_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= xdprelay_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice xdprelay_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "xdprelay",
	.fops	= &xdprelay_dev_fops,
	.mode	= 0600,
};

int xdprelay_dev_init(void)
{
	return misc_register(&xdprelay_miscdev);
}

/*
 * An open file holds a reference on the module (.owner), so no ioctl can
 * be running or start once rmmod gets here.
 */
void xdprelay_dev_exit(void)
{
	misc_deregister(&xdprelay_miscdev);
}
