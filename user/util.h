/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by xdprelayctl and the relay: messages, the parsers of
 * endpoints, prefixes, numbers and stream names, and a small JSON printer.
 */
#ifndef XR_UTIL_H
#define XR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>
#include <linux/bpf.h>	/* struct bpf_spin_lock, for xdprelay.h */

#include "xdprelay.h"

#ifndef XDPRELAY_VERSION
#define XDPRELAY_VERSION	"unknown"
#endif

#define XR_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define XR_DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))

/* Where control-plane writers serialise (the relay's status is there too). */
#define XR_RUN_DIR		"/run/xdprelay"

/* Long enough for any message a parser writes. */
#define XR_ERR_LEN		256
/* "[ffff:...:ffff]:65535" and "ffff:...:ffff/128", with the NUL. */
#define XR_ENDPOINT_STRLEN	(INET6_ADDRSTRLEN + 8)

/*
 * Messages: errors and warnings always, info from -v, debug from -vv (in
 * the relay's voice, see xr_log_relay(), info always and debug from -v).
 */
enum xr_log_level {
	XR_LOG_ERR,
	XR_LOG_WARN,
	XR_LOG_INFO,
	XR_LOG_DEBUG,
};

extern int xr_verbose;		/* number of -v */
extern bool xr_json;		/* errors as JSON objects on stdout */

void xr_log(enum xr_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * From now on, the relay's voice: every line starts "xdprelay: ", info
 * lines are printed without -v and debug lines from -v.
 */
void xr_log_relay(void);

#define pr_err(...)	xr_log(XR_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	xr_log(XR_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	xr_log(XR_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	xr_log(XR_LOG_DEBUG, __VA_ARGS__)

/*
 * The directory the maps are pinned in: $XDPRELAY_PIN_DIR, else
 * XDPRELAY_PIN_DIR (where ip link pins them).
 */
const char *xr_pin_dir(void);
/*
 * Checks that @dir is, or would be created, on a BPF filesystem; unless
 * @quiet, prints what is wrong and how to fix it.  Returns 0 or -errno
 * (-ENODEV: no bpffs).
 */
int xr_pin_dir_check(const char *dir, bool quiet);

/* Routes libbpf's and libxdp's messages through xr_log(). */
void xr_libbpf_quiet(void);

/*
 * Parsers.  Each returns 0, or -EINVAL (-ERANGE for a number out of range)
 * with a sentence in @err that says what is wrong and what would be right.
 */
int xr_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
		 char *err, size_t errlen);
/*
 * A CPU list as the kernel writes them ("0-3,8"), CPUs below @max, into
 * @set.  Returns 0, or -EINVAL with a sentence in @err.
 */
int xr_parse_cpulist(const char *s, bool *set, unsigned int max,
		     char *err, size_t errlen);
int xr_parse_port(const char *s, uint16_t *port, char *err, size_t errlen);
/* "239.1.1.1:5000", "[ff0e::1]:5000"; the port in network order. */
int xr_parse_endpoint(const char *s, struct xdprelay_endpoint *ep,
		      char *err, size_t errlen);

/* Repeated endpoints: the subscribers of a stream. */
struct xr_endpoints {
	uint32_t nr;
	struct xdprelay_endpoint ep[XDPRELAY_MAX_SUBS];
};

/* An address prefix: the source filter of a stream. */
struct xr_prefix {
	uint16_t family;	/* 0: none */
	uint8_t len;
	uint8_t addr[16];	/* host bits zero */
};

/* "10.0.0.0/8", "fd00::/8"; a bare address is a host prefix. */
int xr_parse_prefix(const char *s, struct xr_prefix *p, char *err,
		    size_t errlen);
void xr_prefix_mask(const struct xr_prefix *p, uint8_t mask[16]);

/* 1 to 31 characters of [A-Za-z0-9_.-], not starting with '.'. */
bool xr_name_valid(const char *name);
int xr_check_name(const char *name, char *err, size_t errlen);

/* Formatting: @buf holds at least XR_ENDPOINT_STRLEN bytes. */
const char *xr_endpoint_str(const struct xdprelay_endpoint *ep, char *buf);
const char *xr_prefix_str(const struct xr_prefix *p, char *buf);
const char *xr_family_str(uint16_t family);
bool xr_endpoint_eq(const struct xdprelay_endpoint *a,
		    const struct xdprelay_endpoint *b);

/* An IPv4 (first 4 bytes of @addr) or IPv6 multicast address. */
static inline bool xr_addr_is_multicast(int family, const uint8_t *addr)
{
	if (family == AF_INET)
		return (addr[0] & 0xf0) == 0xe0;
	return family == AF_INET6 && addr[0] == 0xff;
}

static inline bool xr_is_multicast(const struct xdprelay_endpoint *ep)
{
	return xr_addr_is_multicast(ep->family, ep->addr);
}

/*
 * The VLAN device of id @vid on top of @real: its ifindex, with its name
 * in @name (IF_NAMESIZE bytes), or -ENODEV.
 */
int xr_vlan_dev(const char *real, unsigned int vid, char *name);

struct ifreq;
/* An interface ioctl (SIOCGIFMTU, SIOCGIFFLAGS...) on @ifname: 0 or -errno. */
int xr_if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr);
/* Joins @group (AF_INET or AF_INET6) on @ifindex with socket @fd. */
int xr_join_group(int fd, int ifindex, int family, const uint8_t *group);

/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(), in nanoseconds. */
static inline uint64_t xr_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * XDPRELAY_NSEC_PER_SEC + ts.tv_nsec;
}

#ifndef XDPRELAY_LIBDIR
#define XDPRELAY_LIBDIR		"/usr/local/lib/xdprelay"
#endif

/*
 * The BPF object @name: beside the binary in a build tree (../bpf), else
 * installed in XDPRELAY_LIBDIR.  Says where it looked when it is in
 * neither; returns 0 or -ENOENT.
 */
int xr_find_object(const char *name, char *path, size_t len);

/*
 * Whether program @prog_id uses the map of @map_fd: 1, 0, or -errno; its
 * name into @name.  A program loaded before the maps were pinned anew
 * holds the old ones.
 */
int xr_prog_uses_map(uint32_t prog_id, int map_fd, char *name, size_t len);

/* mkdir -p: 0 or -errno. */
int xr_mkdir_p(const char *dir, unsigned int mode);

/* sysfs-style files: one value, one line. */
int xr_read_file(const char *path, char *buf, size_t len);
int xr_read_u64(const char *path, uint64_t *val);
int xr_write_file(const char *path, const char *s);

/*
 * JSON printer on stdout: containers nest, commas are placed for the
 * caller, a newline ends every top-level value.
 */
void jw_obj_open(void);
void jw_obj_close(void);
void jw_arr_open(void);
void jw_arr_close(void);
void jw_key(const char *key);
void jw_str(const char *s);
void jw_u64(uint64_t v);
void jw_double(double v);
void jw_bool(bool v);
void jw_null(void);
void jw_kv_str(const char *key, const char *s);
void jw_kv_u64(const char *key, uint64_t v);
void jw_kv_bool(const char *key, bool v);

#endif /* XR_UTIL_H */
