// SPDX-License-Identifier: GPL-2.0
/*
 * xdprelay: counters and control for the xdprelay UDP stream relay.
 *
 * The XDP program counts packets through the kfuncs in kfunc.c; the
 * counters and the stream registry are exposed under /sys/kernel/xdprelay/
 * (sysfs.c); the relay reports its transmit counts through /dev/xdprelay
 * (dev.c), where processes also register UDP sockets whose receive
 * buffers tune.c grows under load.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "xdprelay_internal.h"

static int __init xdprelay_init(void)
{
	int err;

	err = xdprelay_counters_init();
	if (err)
		return err;

	err = xdprelay_sysfs_init();
	if (err)
		goto err_counters;

	err = xdprelay_tune_init(xdprelay_sysfs_root());
	if (err)
		goto err_sysfs;

	err = xdprelay_dev_init();
	if (err) {
		pr_err("cannot register /dev/xdprelay: %d\n", err);
		goto err_tune;
	}

	/* Last: a kfunc set cannot be unregistered if a later step fails. */
	err = xdprelay_kfunc_init();
	if (err) {
		pr_err("cannot register kfuncs: %d\n", err);
		goto err_dev;
	}

	return 0;

err_dev:
	xdprelay_dev_exit();
err_tune:
	xdprelay_tune_exit();
err_sysfs:
	xdprelay_sysfs_exit();
err_counters:
	xdprelay_counters_exit();
	return err;
}

static void __exit xdprelay_exit(void)
{
	xdprelay_dev_exit();
	xdprelay_tune_exit();
	xdprelay_sysfs_exit();
	xdprelay_counters_exit();
}

module_init(xdprelay_init);
module_exit(xdprelay_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Counters and control for the xdprelay UDP stream relay");
MODULE_VERSION(XDPRELAY_VERSION);
