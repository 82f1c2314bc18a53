/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarative command lines: each subcommand is a table of typed options
 * bound to the fields of its config struct.  The parser fills the struct,
 * checks types, ranges and required options, generates --help from the
 * same table, and matches subcommands by unique prefix.
 */
#ifndef XR_PARAMS_H
#define XR_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Exit codes. */
#define XR_EXIT_OK		0
#define XR_EXIT_FAILURE		1
#define XR_EXIT_USAGE		2

/*
 * A command returns 0, a negative errno for a runtime failure (exit 1), or
 * -XR_EUSAGE for input that no system state would make right (exit 2).
 * Either way it has said what failed.
 */
#define XR_EUSAGE		4096

enum xr_opt_type {
	XR_OPT_FLAG,		/* bool */
	XR_OPT_STR,		/* const char *, into argv */
	XR_OPT_U32,		/* uint32_t within [min, max] */
	XR_OPT_PORT,		/* uint16_t, network order, 1 to 65535 */
	XR_OPT_ENUM,		/* unsigned int, one of ->choices */
	XR_OPT_ENDPOINT,	/* struct xdprelay_endpoint */
	XR_OPT_ENDPOINTS,	/* struct xr_endpoints: may be repeated */
	XR_OPT_PREFIX,		/* struct xr_prefix */
};

#define XR_OPT_REQUIRED		(1U << 0)
#define XR_OPT_POSITIONAL	(1U << 1)

struct xr_choice {
	const char *name;
	unsigned int value;
};

struct xr_opt {
	const char *name;	/* long name, or a positional's ARG */
	enum xr_opt_type type;
	size_t off;		/* of the bound field in the config struct */
	const char *arg;	/* what --help shows for the value */
	const char *help;
	uint32_t min, max;	/* XR_OPT_U32 */
	const struct xr_choice *choices;	/* XR_OPT_ENUM, NULL ended */
	/* XR_OPT_STR: 0, or -EINVAL with a sentence in @err. */
	int (*check)(const char *s, char *err, size_t errlen);
	unsigned int flags;
};

struct xr_cmd {
	const char *name;
	const char *summary;		/* one line for the command lists */
	const char *desc;		/* for its --help; NULL: summary */
	const struct xr_cmd *cmds;	/* subcommands, or NULL */
	const struct xr_opt *opts;	/* options, ended by a NULL name */
	size_t cfg_size;
	const void *defaults;		/* initial config; NULL: zeros */
	int (*run)(void *cfg);
};

/*
 * Binds an option to field @f of struct @s; fails to compile unless the
 * field has type @t.
 */
#define XR_FIELD(s, f, t)						\
	.off = offsetof(s, f) +						\
	       0 * sizeof(char[__builtin_types_compatible_p(		\
			__typeof__(((s *)0)->f), t) ? 1 : -1])

#define XR_FLAG(n, s, f, h)						\
	{ .name = n, .type = XR_OPT_FLAG, XR_FIELD(s, f, bool), .help = h }
#define XR_STR(n, s, f, a, h, chk, fl)					\
	{ .name = n, .type = XR_OPT_STR, XR_FIELD(s, f, const char *),	\
	  .arg = a, .help = h, .check = chk, .flags = fl }
#define XR_ARG(a, s, f, h, chk)						\
	XR_STR(a, s, f, a, h, chk, XR_OPT_POSITIONAL | XR_OPT_REQUIRED)
#define XR_U32(n, s, f, a, lo, hi, h)					\
	{ .name = n, .type = XR_OPT_U32, XR_FIELD(s, f, uint32_t),	\
	  .arg = a, .help = h, .min = lo, .max = hi }
#define XR_PORT(n, s, f, h)						\
	{ .name = n, .type = XR_OPT_PORT, XR_FIELD(s, f, uint16_t),	\
	  .arg = "PORT", .help = h }
#define XR_ENUM(n, s, f, a, c, h)					\
	{ .name = n, .type = XR_OPT_ENUM, XR_FIELD(s, f, unsigned int), \
	  .arg = a, .help = h, .choices = c }
#define XR_ENDPOINT(n, s, f, h, fl)					\
	{ .name = n, .type = XR_OPT_ENDPOINT,				\
	  XR_FIELD(s, f, struct xdprelay_endpoint), .arg = "ADDR:PORT",	\
	  .help = h, .flags = fl }
#define XR_ENDPOINTS(n, s, f, h, fl)					\
	{ .name = n, .type = XR_OPT_ENDPOINTS,				\
	  XR_FIELD(s, f, struct xr_endpoints), .arg = "ADDR:PORT",	\
	  .help = h, .flags = fl }
#define XR_PREFIX(n, s, f, h)						\
	{ .name = n, .type = XR_OPT_PREFIX,				\
	  XR_FIELD(s, f, struct xr_prefix), .arg = "PREFIX", .help = h }
#define XR_OPT_END	{ .name = NULL }

/*
 * Parses argv against the command tree under @root, runs the command and
 * returns the exit code.  -v/--verbose and -h/--help are understood by
 * every command, --version by the root.
 */
int xr_cmd_main(const struct xr_cmd *root, int argc, char **argv);

/*
 * Sets the option of @opts named @name (no dashes; positionals are not
 * looked at) from @val, as the command line would: for files that use an
 * option table's names as keywords.  Returns 0, -ENOENT for no such
 * option, or -EINVAL with a sentence in @err.
 */
int xr_opt_set(const struct xr_opt *opts, const char *name, const char *val,
	       void *cfg, char *err, size_t errlen);
/* The option of @opts named exactly @name, or NULL. */
const struct xr_opt *xr_opt_find(const struct xr_opt *opts, const char *name);

#endif /* XR_PARAMS_H */
