/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Streams as the operator describes them, on the command line or in a
 * config file, and the operations that make the pinned state say so.
 */
#ifndef XR_CONFIG_H
#define XR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "params.h"
#include "state.h"
#include "util.h"

/* Policer depth when only a rate is given: a tenth of a second. */
#define XR_DEFAULT_BURST_DIV	10

struct xr_stream_spec {
	const char *name;
	struct xdprelay_endpoint listen;
	struct xr_endpoints to;
	struct xr_prefix source;	/* family 0: any source */
	uint32_t rate;			/* packets/s; 0: no policer */
	uint32_t burst;			/* packets; 0: the default */
	uint16_t source_port;		/* network order; 0: listen's */
	uint32_t vlan;			/* 1 .. 4094; 0: any VLAN */
	unsigned int path;		/* enum xdprelay_path */
	unsigned int kind;		/* enum xdprelay_check */
	/* Storage for name, when the spec does not point into argv. */
	char name_buf[XDPRELAY_NAME_LEN];
};

/*
 * The options of "stream add", bound to struct xr_stream_spec; the config
 * file uses the same names as keywords.
 */
extern const struct xr_opt xr_stream_opts[];

/* The names of enum xdprelay_path, as --path takes them. */
extern const struct xr_choice xr_paths[];
const char *xr_path_str(unsigned int path);

/* The names of enum xdprelay_check, as --kind takes them. */
extern const struct xr_choice xr_kinds[];
const char *xr_kind_str(unsigned int kind);

/*
 * Checks what the parser cannot see option by option (families agree, no
 * subscriber twice, --burst only with --rate) and fills in defaults.
 * Returns 0 or -EINVAL with a sentence in @err.
 */
int xr_spec_finish(struct xr_stream_spec *s, char *err, size_t errlen);

/*
 * Changes to the pinned state.  The caller holds xr_state_lock().  Each
 * returns 0 or -errno and has said what failed and how to fix it.
 */
int xr_stream_add(struct xr_state *st, const struct xr_stream_spec *s);
int xr_stream_del(struct xr_state *st, const char *name);
/* Reads stream @id back into @s (name in s->name_buf); -ENOENT if free. */
int xr_stream_get(struct xr_state *st, uint32_t id,
		  struct xr_stream_spec *s, bool *live);
/*
 * Refuses (-ELOOP, said) a stream @id (0: a new one) on @listen with
 * subscribers @to when one of them is another stream's listen endpoint,
 * or @listen is another stream's subscriber: relayed packets would come
 * back to a stream forever.
 */
int xr_loop_check(struct xr_state *st, uint32_t id,
		  const struct xdprelay_endpoint *listen,
		  const struct xr_endpoints *to);
/* Sets the subscribers of stream @id, live. */
int xr_stream_set_subs(struct xr_state *st, uint32_t id,
		       const struct xr_endpoints *to);

/* A config file: the streams it lists, in file order. */
struct xr_config {
	char *path;
	struct xr_stream_spec *streams;
	unsigned int nr;
};

/*
 * Reads and validates the whole file; errors cite FILE:LINE.  Returns 0,
 * -EINVAL for a bad file, or -errno when it cannot be read.
 */
int xr_config_load(const char *path, struct xr_config *cfg);
void xr_config_free(struct xr_config *cfg);
/*
 * Makes the pinned state equal to @cfg: adds the streams it lacks, changes
 * the ones that differ (subscribers live, without touching the others),
 * deletes the streams the file does not list.  Takes xr_state_lock().
 */
int xr_config_apply(struct xr_state *st, const struct xr_config *cfg);

#endif /* XR_CONFIG_H */
