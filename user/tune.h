/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UDP receive buffer autotuning by xdprelay.ko: registering a socket with
 * the module, and xdprelayctl tune, which shows and sets its knobs.
 */
#ifndef XR_TUNE_H
#define XR_TUNE_H

#include <stdbool.h>

#include "params.h"

/*
 * Has xdprelay.ko tune the receive buffer of UDP socket @fd until it is
 * unregistered or closed.  Returns the registration id (its directory
 * under /sys/kernel/xdprelay/sockets/), or -errno: -ENOENT when the module
 * is not loaded, else the module's refusal (see docs/ABI/dev-xdprelay).
 */
int xr_tune_register(int fd);
/* Stops the tuning of @fd: 0 or -errno, as xr_tune_register(). */
int xr_tune_unregister(int fd);

struct xr_tune_cfg {
	const char *interval_ms;	/* NULL: leave the knob alone */
	const char *quiet_ms;
	const char *rcvbuf_max;
	bool json;
};

extern const struct xr_opt xr_tune_opts[];
int xr_tune_cmd(void *cfg);

#endif /* XR_TUNE_H */
