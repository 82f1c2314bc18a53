// SPDX-License-Identifier: GPL-2.0
/*
 * Messages, parsers and the JSON printer shared by every part of
 * xdprelayctl.  Parsers never print: they describe the problem in the
 * caller's buffer, so that the caller can say where the input came from
 * (an option, a config file line).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_vlan.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "util.h"

#define EXAMPLE_ENDPOINTS	"e.g. 239.1.1.1:5000 or [ff0e::1]:5000"

int xr_verbose;
bool xr_json;
static bool xr_relay_voice;

void xr_log_relay(void)
{
	xr_relay_voice = true;
}

/* The relay, a service: every line says whose it is, info is the norm. */
static void xr_log_relay_line(enum xr_log_level level, const char *msg)
{
	if (level == XR_LOG_DEBUG && xr_verbose < 1)
		return;
	fprintf(stderr, "xdprelay: %s%s\n",
		level == XR_LOG_WARN ? "warning: " : "", msg);
}

void xr_log(enum xr_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	size_t len;

	if (!xr_relay_voice &&
	    ((level == XR_LOG_INFO && xr_verbose < 1) ||
	     (level == XR_LOG_DEBUG && xr_verbose < 2)))
		return;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (xr_relay_voice) {
		xr_log_relay_line(level, msg);
		return;
	}

	switch (level) {
	case XR_LOG_ERR:
		if (xr_json) {
			jw_obj_open();
			jw_kv_str("error", msg);
			jw_obj_close();
			fflush(stdout);
		} else {
			fprintf(stderr, "xdprelayctl: %s\n", msg);
		}
		break;
	case XR_LOG_WARN:
		fprintf(stderr, "xdprelayctl: warning: %s\n", msg);
		break;
	default:
		fprintf(stderr, "%s\n", msg);
		break;
	}
}

/*
 * libbpf and libxdp report every failure they see, several lines each,
 * and some of them on paths that are expected (probing for a pin that is
 * not there, libxdp falling back to a legacy attach).  xdprelayctl says
 * what failed and how to fix it itself, so their messages only help when
 * debugging: warnings from -v, the rest from -vv.
 */
static int xr_lib_print(int level, const char *fmt, va_list ap)
{
	if (xr_verbose < 1 || (level > LIBBPF_WARN && xr_verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int xr_libbpf_print(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	return xr_lib_print(level, fmt, ap);
}

static int xr_libxdp_print(enum libxdp_print_level level, const char *fmt,
			   va_list ap)
{
	return xr_lib_print(level, fmt, ap);
}

void xr_libbpf_quiet(void)
{
	libbpf_set_print(xr_libbpf_print);
	libxdp_set_print(xr_libxdp_print);
}

/* Pinned state */

const char *xr_pin_dir(void)
{
	const char *dir = getenv("XDPRELAY_PIN_DIR");

	return dir && *dir ? dir : XDPRELAY_PIN_DIR;
}

/* Where to mount bpffs so that @dir is on it. */
static const char *bpffs_mount_point(const char *dir)
{
	static const char def[] = "/sys/fs/bpf";

	if (!strncmp(dir, def, sizeof(def) - 1) &&
	    (dir[sizeof(def) - 1] == '/' || !dir[sizeof(def) - 1]))
		return def;
	return dir;
}

int xr_pin_dir_check(const char *dir, bool quiet)
{
	char path[4096], *slash;
	struct statfs sfs;
	int ret;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* The pin directory may not exist yet: look at what holds it. */
	while (statfs(path, &sfs)) {
		ret = -errno;
		if (quiet && ret != -ENOENT)
			return ret;
		if (ret == -EACCES || ret == -EPERM) {
			pr_err("permission denied looking at %s: run as root (xdprelayctl needs CAP_BPF and CAP_NET_ADMIN)",
			       path);
			return ret;
		}
		slash = strrchr(path, '/');
		if (ret != -ENOENT || !slash || slash == path) {
			if (!quiet)
				pr_err("cannot look at %s: %s", path,
				       strerror(-ret));
			return ret;
		}
		*slash = '\0';
	}
	if (sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (quiet)
		return -ENODEV;
	pr_err("no BPF filesystem mounted at %s (the maps are pinned in %s): mount it with 'mount -t bpf bpf %s'",
	       bpffs_mount_point(dir), dir, bpffs_mount_point(dir));
	return -ENODEV;
}

/* Parsers */

int xr_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
		 char *err, size_t errlen)
{
	unsigned long long v;
	char *end;

	/* strtoull takes signs and blanks: a number is digits only. */
	if (!isdigit((unsigned char)*s)) {
		snprintf(err, errlen, "'%s' is not a number", s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end) {
		snprintf(err, errlen, "'%s' is not a number", s);
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(err, errlen, "%s is out of range: use %u to %u",
			 s, min, max);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int xr_parse_cpulist(const char *s, bool *set, unsigned int max,
		     char *err, size_t errlen)
{
	char item[32], *dash;
	uint32_t lo, hi, c;
	const char *p = s;
	size_t n;

	memset(set, 0, max * sizeof(*set));
	do {
		n = strcspn(p, ",");
		if (!n || n >= sizeof(item)) {
			snprintf(err, errlen,
				 "'%s' is not a CPU list: give CPU numbers and ranges, such as 1 or 2,3 or 2-5",
				 s);
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		dash = strchr(item, '-');
		if (dash)
			*dash = '\0';
		if (xr_parse_u32(item, 0, max - 1, &lo, err, errlen) ||
		    (dash && xr_parse_u32(dash + 1, 0, max - 1, &hi, err,
					  errlen))) {
			snprintf(err + strlen(err), errlen - strlen(err),
				 " in CPU list '%s'", s);
			return -EINVAL;
		}
		if (!dash)
			hi = lo;
		if (hi < lo) {
			snprintf(err, errlen,
				 "range %u-%u in CPU list '%s' runs backwards",
				 lo, hi, s);
			return -EINVAL;
		}
		for (c = lo; c <= hi; c++)
			set[c] = true;
		p += n;
	} while (*p++ == ',');
	return 0;
}

int xr_parse_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
	uint32_t v;
	int ret;

	ret = xr_parse_u32(s, 1, 65535, &v, err, errlen);
	if (ret == -ERANGE)
		snprintf(err, errlen, "port %s is out of range: use 1 to 65535",
			 s);
	else if (ret)
		snprintf(err, errlen, "port '%s' is not a number", s);
	if (ret)
		return ret;
	*port = htons(v);
	return 0;
}

static bool addr_is_zero(const uint8_t *addr, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (addr[i])
			return false;
	return true;
}

/* Splits @s, which it copies into @buf, into an address and a port. */
static int endpoint_split(const char *s, char *buf, size_t len, char **addr,
			  char **port, bool *v6, char *err, size_t errlen)
{
	char *p;

	if (snprintf(buf, len, "%s", s) >= (int)len) {
		snprintf(err, errlen, "'%.40s...' is too long for an address",
			 s);
		return -EINVAL;
	}
	if (buf[0] == '[') {
		p = strchr(buf, ']');
		if (!p) {
			snprintf(err, errlen,
				 "'%s' has no ']': write [IPv6]:PORT, %s",
				 s, EXAMPLE_ENDPOINTS);
			return -EINVAL;
		}
		*p++ = '\0';
		if (*p != ':' || !p[1]) {
			snprintf(err, errlen,
				 "'%s' has no port after ']': write [IPv6]:PORT, %s",
				 s, EXAMPLE_ENDPOINTS);
			return -EINVAL;
		}
		*addr = buf + 1;
		*port = p + 1;
		*v6 = true;
		return 0;
	}
	p = strrchr(buf, ':');
	if (!p || !p[1]) {
		snprintf(err, errlen, "'%s' has no port: write ADDR:PORT, %s",
			 s, EXAMPLE_ENDPOINTS);
		return -EINVAL;
	}
	if (strchr(buf, ':') != p) {
		snprintf(err, errlen,
			 "'%s': an IPv6 address goes in brackets: [ADDR]:PORT, e.g. [ff0e::1]:5000",
			 s);
		return -EINVAL;
	}
	*p = '\0';
	*addr = buf;
	*port = p + 1;
	*v6 = false;
	return 0;
}

int xr_parse_endpoint(const char *s, struct xdprelay_endpoint *ep,
		      char *err, size_t errlen)
{
	char buf[128], *addr, *port;
	struct xdprelay_endpoint e = {};
	bool v6;
	int ret;

	ret = endpoint_split(s, buf, sizeof(buf), &addr, &port, &v6, err,
			     errlen);
	if (ret)
		return ret;

	e.family = v6 ? AF_INET6 : AF_INET;
	if (inet_pton(e.family, addr, e.addr) != 1) {
		if (v6)
			snprintf(err, errlen, "'%s' is not an IPv6 address",
				 addr);
		else
			snprintf(err, errlen,
				 "'%s' is not an IPv4 address (a.b.c.d; IPv6 as [ADDR]:PORT)",
				 addr);
		return -EINVAL;
	}
	if (addr_is_zero(e.addr, sizeof(e.addr))) {
		snprintf(err, errlen,
			 "'%s' is the unspecified address: give a unicast or multicast one",
			 addr);
		return -EINVAL;
	}
	ret = xr_parse_port(port, &e.port, err, errlen);
	if (ret)
		return ret;
	*ep = e;
	return 0;
}

void xr_prefix_mask(const struct xr_prefix *p, uint8_t mask[16])
{
	unsigned int i, bits = p->len;

	memset(mask, 0, 16);
	for (i = 0; i < 16 && bits; i++) {
		if (bits >= 8) {
			mask[i] = 0xff;
			bits -= 8;
		} else {
			mask[i] = 0xff << (8 - bits);
			bits = 0;
		}
	}
}

int xr_parse_prefix(const char *s, struct xr_prefix *p, char *err,
		    size_t errlen)
{
	char buf[128], *slash, out[XR_ENDPOINT_STRLEN];
	struct xr_prefix r = {};
	uint8_t mask[16];
	unsigned int i, max;
	uint32_t len;
	bool host = false;
	int ret;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "'%.40s...' is too long for a prefix", s);
		return -EINVAL;
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';

	r.family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(r.family, buf, r.addr) != 1) {
		snprintf(err, errlen,
			 "'%s' is not an IPv4 or IPv6 address: write a prefix such as 10.1.0.0/16 or fd00::/8",
			 buf);
		return -EINVAL;
	}
	max = r.family == AF_INET ? 32 : 128;
	len = max;
	if (slash) {
		ret = xr_parse_u32(slash, 0, max, &len, err, errlen);
		if (ret) {
			snprintf(err, errlen,
				 "prefix length '%s' is invalid: use 0 to %u for %s",
				 slash, max, xr_family_str(r.family));
			return ret;
		}
	}
	r.len = len;

	xr_prefix_mask(&r, mask);
	for (i = 0; i < 16; i++) {
		if (r.addr[i] & ~mask[i])
			host = true;
		r.addr[i] &= mask[i];
	}
	if (host) {
		snprintf(err, errlen, "'%s' has bits set beyond /%u: write %s",
			 s, r.len, xr_prefix_str(&r, out));
		return -EINVAL;
	}
	*p = r;
	return 0;
}

bool xr_name_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (!len || len >= XDPRELAY_NAME_LEN || name[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = name[i];

		if (!(isascii(c) && isalnum(c)) && c != '_' && c != '.' &&
		    c != '-')
			return false;
	}
	return true;
}

int xr_check_name(const char *name, char *err, size_t errlen)
{
	if (xr_name_valid(name))
		return 0;
	if (strlen(name) >= XDPRELAY_NAME_LEN)
		snprintf(err, errlen,
			 "stream name '%.40s' is longer than %d characters",
			 name, XDPRELAY_NAME_LEN - 1);
	else
		snprintf(err, errlen,
			 "stream name '%s' is invalid: use 1 to %d letters, digits, '_', '.' or '-', not starting with '.'",
			 name, XDPRELAY_NAME_LEN - 1);
	return -EINVAL;
}

/* Formatting */

const char *xr_family_str(uint16_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

const char *xr_endpoint_str(const struct xdprelay_endpoint *ep, char *buf)
{
	char addr[INET6_ADDRSTRLEN];

	if ((ep->family != AF_INET && ep->family != AF_INET6) ||
	    !inet_ntop(ep->family, ep->addr, addr, sizeof(addr))) {
		snprintf(buf, XR_ENDPOINT_STRLEN, "(family %u)", ep->family);
		return buf;
	}
	snprintf(buf, XR_ENDPOINT_STRLEN, ep->family == AF_INET6 ?
		 "[%s]:%u" : "%s:%u", addr, ntohs(ep->port));
	return buf;
}

const char *xr_prefix_str(const struct xr_prefix *p, char *buf)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(p->family, p->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, XR_ENDPOINT_STRLEN, "%s/%u", addr, p->len);
	return buf;
}

bool xr_endpoint_eq(const struct xdprelay_endpoint *a,
		    const struct xdprelay_endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Interfaces */

int xr_vlan_dev(const char *real, unsigned int vid, char *name)
{
	struct if_nameindex *ifs, *i;
	int fd, ifindex = -ENODEV;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ifs = if_nameindex();
	if (!ifs) {
		ifindex = -errno;
		close(fd);
		return ifindex;
	}
	for (i = ifs; i->if_index; i++) {
		struct vlan_ioctl_args a = { .cmd = GET_VLAN_REALDEV_NAME_CMD };

		snprintf(a.device1, sizeof(a.device1), "%s", i->if_name);
		if (ioctl(fd, SIOCGIFVLAN, &a) ||
		    strncmp(a.u.device2, real, sizeof(a.u.device2)))
			continue;
		a.cmd = GET_VLAN_VID_CMD;
		if (ioctl(fd, SIOCGIFVLAN, &a) || (unsigned int)a.u.VID != vid)
			continue;
		snprintf(name, IF_NAMESIZE, "%s", i->if_name);
		ifindex = i->if_index;
		break;
	}
	if_freenameindex(ifs);
	close(fd);
	return ifindex;
}

int xr_if_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

int xr_join_group(int fd, int ifindex, int family, const uint8_t *group)
{
	if (family == AF_INET) {
		struct ip_mreqn mr = { .imr_ifindex = ifindex };

		memcpy(&mr.imr_multiaddr, group, 4);
		return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
				  sizeof(mr)) ? -errno : 0;
	}
	struct ipv6_mreq mr = { .ipv6mr_interface = ifindex };

	memcpy(&mr.ipv6mr_multiaddr, group, 16);
	return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
			  sizeof(mr)) ? -errno : 0;
}

/* Files */

int xr_find_object(const char *name, char *path, size_t len)
{
	char exe[PATH_MAX], tried[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(path, len, "%s/../bpf/%s", dirname(exe), name);
		if (!access(path, R_OK))
			return 0;
	}
	snprintf(tried, sizeof(tried), "%s", n > 0 ? path : "");
	snprintf(path, len, "%s/%s", XDPRELAY_LIBDIR, name);
	if (!access(path, R_OK))
		return 0;
	pr_err("cannot find the BPF object %s (looked for %s%s%s): build it with 'make', or install it with 'make install'",
	       name, tried, tried[0] ? " and " : "", path);
	return -ENOENT;
}

int xr_prog_uses_map(uint32_t prog_id, int map_fd, char *name, size_t len)
{
	struct bpf_prog_info pi = {};
	struct bpf_map_info mi = {};
	uint32_t ids[64], ilen, i;
	int fd, ret;

	ilen = sizeof(mi);
	if (bpf_obj_get_info_by_fd(map_fd, &mi, &ilen))
		return -errno;
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	pi.nr_map_ids = XR_ARRAY_SIZE(ids);
	pi.map_ids = (uint64_t)(unsigned long)ids;
	ilen = sizeof(pi);
	ret = bpf_obj_get_info_by_fd(fd, &pi, &ilen) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	snprintf(name, len, "%s", pi.name);
	for (i = 0; i < pi.nr_map_ids && i < XR_ARRAY_SIZE(ids); i++)
		if (ids[i] == mi.id)
			return 1;
	return 0;
}

int xr_mkdir_p(const char *dir, unsigned int mode)
{
	char path[4096], *p = path, c;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	do {
		p++;
		while (*p && *p != '/')
			p++;
		c = *p;
		*p = '\0';
		if (mkdir(path, mode) && errno != EEXIST)
			return -errno;
		*p = c;
	} while (c);
	return 0;
}

int xr_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int xr_read_u64(const char *path, uint64_t *val)
{
	char buf[32], *end;
	int ret;

	ret = xr_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

int xr_write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/* JSON */

#define JW_MAX_DEPTH	16

static struct {
	int depth;
	bool after_key;
	bool first[JW_MAX_DEPTH + 1];
} jw;

static void jw_sep(void)
{
	if (jw.after_key) {
		jw.after_key = false;
		return;
	}
	if (jw.depth && !jw.first[jw.depth])
		putchar(',');
	jw.first[jw.depth] = false;
}

static void jw_value_done(void)
{
	if (!jw.depth)
		putchar('\n');
}

static void jw_open(char c)
{
	jw_sep();
	putchar(c);
	if (jw.depth < JW_MAX_DEPTH)
		jw.depth++;
	jw.first[jw.depth] = true;
}

static void jw_close(char c)
{
	putchar(c);
	if (jw.depth)
		jw.depth--;
	jw_value_done();
}

void jw_obj_open(void)
{
	jw_open('{');
}

void jw_obj_close(void)
{
	jw_close('}');
}

void jw_arr_open(void)
{
	jw_open('[');
}

void jw_arr_close(void)
{
	jw_close(']');
}

static void jw_quoted(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void jw_key(const char *key)
{
	jw_sep();
	jw_quoted(key);
	putchar(':');
	jw.after_key = true;
}

void jw_str(const char *s)
{
	jw_sep();
	jw_quoted(s);
	jw_value_done();
}

void jw_u64(uint64_t v)
{
	jw_sep();
	printf("%llu", (unsigned long long)v);
	jw_value_done();
}

void jw_double(double v)
{
	jw_sep();
	printf("%.3f", v);
	jw_value_done();
}

void jw_bool(bool v)
{
	jw_sep();
	fputs(v ? "true" : "false", stdout);
	jw_value_done();
}

void jw_null(void)
{
	jw_sep();
	fputs("null", stdout);
	jw_value_done();
}

void jw_kv_str(const char *key, const char *s)
{
	jw_key(key);
	jw_str(s);
}

void jw_kv_u64(const char *key, uint64_t v)
{
	jw_key(key);
	jw_u64(v);
}

void jw_kv_bool(const char *key, bool v)
{
	jw_key(key);
	jw_bool(v);
}
