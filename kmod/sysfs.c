// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/xdprelay/: version, global counters in stats/, one directory
 * per registered stream in streams/, with its health in its health/ and
 * one directory per registered subscriber in its subscribers/, and the
 * new_stream, del_stream, new_sub and del_sub control files that register
 * and remove them.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>

#include "xdprelay_internal.h"

/* Longest stream name plus its NUL. */
#define XDPRELAY_NAME_LEN	32

/* Longest subscriber name ("[IPv6]:port") plus its NUL. */
#define XDPRELAY_SUB_NAME_LEN	56

struct xdprelay_stream {
	struct kobject kobj;		/* streams/<name>/ */
	struct kobject *subs_kobj;	/* streams/<name>/subscribers/ */
	u32 id;
};

struct xdprelay_sub {
	struct kobject kobj;	/* subscribers/<addr:port>/ */
	u32 row;
	u32 stream;
};

static struct kobject *xdprelay_kobj;
static struct kobject *xdprelay_streams_kobj;

/*
 * Serialises registration of streams and subscribers; the xarrays map
 * stream id to stream and row to subscriber.
 */
static DEFINE_MUTEX(xdprelay_streams_lock);
static DEFINE_XARRAY(xdprelay_streams);
static DEFINE_XARRAY(xdprelay_subs);

static struct xdprelay_stream *to_xdprelay_stream(struct kobject *kobj)
{
	return container_of(kobj, struct xdprelay_stream, kobj);
}

static void xdprelay_stream_release(struct kobject *kobj)
{
	kfree(to_xdprelay_stream(kobj));
}

static const struct kobj_type xdprelay_stream_ktype;

/* Counter files: the global row in stats/, the stream's row in its dir. */
struct xdprelay_counter_attribute {
	struct kobj_attribute attr;
	enum xdprelay_counter counter;
};

static ssize_t xdprelay_counter_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	const struct xdprelay_counter_attribute *ca =
		container_of(attr, struct xdprelay_counter_attribute, attr);
	u32 row = 0;

	if (kobj->ktype == &xdprelay_stream_ktype)
		row = to_xdprelay_stream(kobj)->id;

	return sysfs_emit(buf, "%llu\n", xdprelay_counter_read(row, ca->counter));
}

#define XDPRELAY_COUNTER_ATTR(_name, _counter)				\
	struct xdprelay_counter_attribute xdprelay_attr_##_name = {	\
		.attr = __ATTR(_name, 0444, xdprelay_counter_show, NULL), \
		.counter = _counter,					\
	}

static XDPRELAY_COUNTER_ATTR(rx_packets, XDPRELAY_RX_PACKETS);
static XDPRELAY_COUNTER_ATTR(rx_bytes, XDPRELAY_RX_BYTES);
static XDPRELAY_COUNTER_ATTR(redirected, XDPRELAY_REDIRECTED);
static XDPRELAY_COUNTER_ATTR(pass_no_socket, XDPRELAY_PASS_NO_SOCKET);
static XDPRELAY_COUNTER_ATTR(pass_no_meta, XDPRELAY_PASS_NO_META);
static XDPRELAY_COUNTER_ATTR(policed, XDPRELAY_POLICED);
static XDPRELAY_COUNTER_ATTR(src_refused, XDPRELAY_SRC_REFUSED);
static XDPRELAY_COUNTER_ATTR(malformed, XDPRELAY_MALFORMED);
static XDPRELAY_COUNTER_ATTR(fragments, XDPRELAY_FRAGMENTS);
static XDPRELAY_COUNTER_ATTR(unmatched, XDPRELAY_UNMATCHED);
static XDPRELAY_COUNTER_ATTR(direct, XDPRELAY_DIRECT);
static XDPRELAY_COUNTER_ATTR(socket, XDPRELAY_SOCKET);
static XDPRELAY_COUNTER_ATTR(tx_packets, XDPRELAY_TX_PACKETS);
static XDPRELAY_COUNTER_ATTR(tx_bytes, XDPRELAY_TX_BYTES);

static struct attribute *xdprelay_counter_attrs[] = {
	&xdprelay_attr_rx_packets.attr.attr,
	&xdprelay_attr_rx_bytes.attr.attr,
	&xdprelay_attr_redirected.attr.attr,
	&xdprelay_attr_pass_no_socket.attr.attr,
	&xdprelay_attr_pass_no_meta.attr.attr,
	&xdprelay_attr_policed.attr.attr,
	&xdprelay_attr_src_refused.attr.attr,
	&xdprelay_attr_malformed.attr.attr,
	&xdprelay_attr_fragments.attr.attr,
	&xdprelay_attr_unmatched.attr.attr,
	&xdprelay_attr_direct.attr.attr,
	&xdprelay_attr_socket.attr.attr,
	&xdprelay_attr_tx_packets.attr.attr,
	&xdprelay_attr_tx_bytes.attr.attr,
	NULL
};

static const struct attribute_group xdprelay_stats_group = {
	.name	= "stats",
	.attrs	= xdprelay_counter_attrs,
};

/*
 * The XDP program cannot tell which stream a fragment or an unmatched
 * packet would belong to, so those two counters are global only.
 */
static umode_t xdprelay_stream_counter_visible(struct kobject *kobj,
					       struct attribute *attr, int n)
{
	const struct xdprelay_counter_attribute *ca =
		container_of(attr, struct xdprelay_counter_attribute, attr.attr);

	switch (ca->counter) {
	case XDPRELAY_FRAGMENTS:
	case XDPRELAY_UNMATCHED:
		return 0;
	default:
		return attr->mode;
	}
}

static const struct attribute_group xdprelay_stream_counter_group = {
	.attrs		= xdprelay_counter_attrs,
	.is_visible	= xdprelay_stream_counter_visible,
};

/* streams/<name>/id */
static ssize_t id_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%u\n", to_xdprelay_stream(kobj)->id);
}

static struct kobj_attribute xdprelay_attr_id = __ATTR_RO(id);

static struct attribute *xdprelay_stream_attrs[] = {
	&xdprelay_attr_id.attr,
	NULL
};

static const struct attribute_group xdprelay_stream_group = {
	.attrs	= xdprelay_stream_attrs,
};

/* streams/<name>/health/: what the stream carries and what is wrong. */
struct xdprelay_health_attribute {
	struct kobj_attribute attr;
	enum xdprelay_health_counter counter;
};

static ssize_t xdprelay_health_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	const struct xdprelay_health_attribute *ha =
		container_of(attr, struct xdprelay_health_attribute, attr);
	u32 id = to_xdprelay_stream(kobj)->id;

	return sysfs_emit(buf, "%llu\n",
			  xdprelay_health_counter_read(id, ha->counter));
}

#define XDPRELAY_HEALTH_ATTR(_name, _counter)				\
	struct xdprelay_health_attribute xdprelay_attr_h_##_name = {	\
		.attr = __ATTR(_name, 0444, xdprelay_health_show, NULL), \
		.counter = _counter,					\
	}

static XDPRELAY_HEALTH_ATTR(ts_packets, XDPRELAY_H_TS_PACKETS);
static XDPRELAY_HEALTH_ATTR(ts_sync_errors, XDPRELAY_H_SYNC_ERRORS);
static XDPRELAY_HEALTH_ATTR(ts_tei_packets, XDPRELAY_H_TEI_PACKETS);
static XDPRELAY_HEALTH_ATTR(ts_cc_errors, XDPRELAY_H_CC_ERRORS);
static XDPRELAY_HEALTH_ATTR(ts_pids_unchecked, XDPRELAY_H_PIDS_UNCHECKED);
static XDPRELAY_HEALTH_ATTR(rtp_packets, XDPRELAY_H_RTP_PACKETS);
static XDPRELAY_HEALTH_ATTR(rtp_lost, XDPRELAY_H_RTP_LOST);
static XDPRELAY_HEALTH_ATTR(rtp_reordered, XDPRELAY_H_RTP_REORDERED);
static XDPRELAY_HEALTH_ATTR(rtp_duplicates, XDPRELAY_H_RTP_DUPLICATES);
static XDPRELAY_HEALTH_ATTR(rtp_ssrc_changes, XDPRELAY_H_SSRC_CHANGES);
static XDPRELAY_HEALTH_ATTR(ts_pat_errors, XDPRELAY_H_PAT_ERRORS);
static XDPRELAY_HEALTH_ATTR(ts_pmt_errors, XDPRELAY_H_PMT_ERRORS);

/* RFC 3550's J, kept times 16 in 90 kHz units, in microseconds. */
static ssize_t rtp_jitter_us_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	u32 id = to_xdprelay_stream(kobj)->id;
	s64 j = xdprelay_health_counter_read(id, XDPRELAY_H_RTP_JITTER);

	/* Changes added on several CPUs sum to the value, never below 0. */
	if (j < 0)
		j = 0;
	return sysfs_emit(buf, "%llu\n",
			  div_u64(j * USEC_PER_SEC, 16 * XDPRELAY_RTP_HZ));
}

static struct kobj_attribute xdprelay_attr_rtp_jitter_us =
	__ATTR_RO(rtp_jitter_us);

static const char * const xdprelay_kind_names[XDPRELAY_NR_KINDS] = {
	[XDPRELAY_KIND_UNKNOWN]	= "unknown",
	[XDPRELAY_KIND_MPEGTS]	= "mpegts",
	[XDPRELAY_KIND_RTP_TS]	= "rtp-mpegts",
	[XDPRELAY_KIND_RTP]	= "rtp",
};

static ssize_t kind_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	u32 id = to_xdprelay_stream(kobj)->id;
	u8 kind = READ_ONCE(xdprelay_health_kinds[id]);

	if (kind >= XDPRELAY_NR_KINDS)
		kind = XDPRELAY_KIND_UNKNOWN;
	return sysfs_emit(buf, "%s\n", xdprelay_kind_names[kind]);
}

static struct kobj_attribute xdprelay_attr_kind = __ATTR_RO(kind);

static struct attribute *xdprelay_health_attrs[] = {
	&xdprelay_attr_kind.attr,
	&xdprelay_attr_h_ts_packets.attr.attr,
	&xdprelay_attr_h_ts_sync_errors.attr.attr,
	&xdprelay_attr_h_ts_tei_packets.attr.attr,
	&xdprelay_attr_h_ts_cc_errors.attr.attr,
	&xdprelay_attr_h_ts_pids_unchecked.attr.attr,
	&xdprelay_attr_h_rtp_packets.attr.attr,
	&xdprelay_attr_h_rtp_lost.attr.attr,
	&xdprelay_attr_h_rtp_reordered.attr.attr,
	&xdprelay_attr_h_rtp_duplicates.attr.attr,
	&xdprelay_attr_h_rtp_ssrc_changes.attr.attr,
	&xdprelay_attr_h_ts_pat_errors.attr.attr,
	&xdprelay_attr_h_ts_pmt_errors.attr.attr,
	&xdprelay_attr_rtp_jitter_us.attr,
	NULL
};

static const struct attribute_group xdprelay_health_group = {
	.name	= "health",
	.attrs	= xdprelay_health_attrs,
};

static const struct attribute_group *xdprelay_stream_groups[] = {
	&xdprelay_stream_group,
	&xdprelay_stream_counter_group,
	&xdprelay_health_group,
	NULL
};

static const struct kobj_type xdprelay_stream_ktype = {
	.release	= xdprelay_stream_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= xdprelay_stream_groups,
};

/* A subscriber's directory: its row and its counters. */
static struct xdprelay_sub *to_xdprelay_sub(struct kobject *kobj)
{
	return container_of(kobj, struct xdprelay_sub, kobj);
}

static void xdprelay_sub_release(struct kobject *kobj)
{
	kfree(to_xdprelay_sub(kobj));
}

struct xdprelay_sub_attribute {
	struct kobj_attribute attr;
	enum xdprelay_sub_counter counter;
};

static ssize_t xdprelay_sub_counter_show(struct kobject *kobj,
					 struct kobj_attribute *attr,
					 char *buf)
{
	const struct xdprelay_sub_attribute *sa =
		container_of(attr, struct xdprelay_sub_attribute, attr);

	return sysfs_emit(buf, "%llu\n",
			  xdprelay_sub_counter_read(to_xdprelay_sub(kobj)->row,
						    sa->counter));
}

#define XDPRELAY_SUB_ATTR(_name, _counter)				\
	struct xdprelay_sub_attribute xdprelay_sub_attr_##_name = {	\
		.attr = __ATTR(_name, 0444, xdprelay_sub_counter_show,	\
			       NULL),					\
		.counter = _counter,					\
	}

static XDPRELAY_SUB_ATTR(tx_packets, XDPRELAY_SUB_TX_PACKETS);
static XDPRELAY_SUB_ATTR(tx_bytes, XDPRELAY_SUB_TX_BYTES);
static XDPRELAY_SUB_ATTR(tx_errors, XDPRELAY_SUB_TX_ERRORS);
static XDPRELAY_SUB_ATTR(tx_no_neigh, XDPRELAY_SUB_TX_NO_NEIGH);

static ssize_t row_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%u\n", to_xdprelay_sub(kobj)->row);
}

static struct kobj_attribute xdprelay_attr_row = __ATTR_RO(row);

static struct attribute *xdprelay_sub_attrs[] = {
	&xdprelay_attr_row.attr,
	&xdprelay_sub_attr_tx_packets.attr.attr,
	&xdprelay_sub_attr_tx_bytes.attr.attr,
	&xdprelay_sub_attr_tx_errors.attr.attr,
	&xdprelay_sub_attr_tx_no_neigh.attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(xdprelay_sub);

static const struct kobj_type xdprelay_sub_ktype = {
	.release	= xdprelay_sub_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= xdprelay_sub_groups,
};

/* Stream registry */

/* 1 to XDPRELAY_NAME_LEN - 1 of [A-Za-z0-9_.-], not starting with '.'. */
static bool xdprelay_name_valid(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	if (!len || len >= XDPRELAY_NAME_LEN || name[0] == '.')
		return false;

	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(isascii(c) && isalnum(c)) &&
		    c != '_' && c != '.' && c != '-')
			return false;
	}

	return true;
}

static struct xdprelay_stream *xdprelay_stream_find(const char *name)
{
	struct xdprelay_stream *stream;
	unsigned long id;

	lockdep_assert_held(&xdprelay_streams_lock);

	xa_for_each(&xdprelay_streams, id, stream)
		if (!strcmp(kobject_name(&stream->kobj), name))
			return stream;

	return NULL;
}

static int xdprelay_stream_add(u32 id, const char *name)
{
	struct xdprelay_stream *stream;
	int err;

	mutex_lock(&xdprelay_streams_lock);

	if (xa_load(&xdprelay_streams, id) || xdprelay_stream_find(name)) {
		err = -EEXIST;
		goto unlock;
	}

	stream = kzalloc(sizeof(*stream), GFP_KERNEL);
	if (!stream) {
		err = -ENOMEM;
		goto unlock;
	}
	stream->id = id;

	/*
	 * The XDP program counts whatever id it finds in its stream table,
	 * so the row may hold packets from before the stream was registered.
	 */
	xdprelay_counters_reset(id);
	xdprelay_health_reset(id);

	err = kobject_init_and_add(&stream->kobj, &xdprelay_stream_ktype,
				   xdprelay_streams_kobj, "%s", name);
	if (err)
		goto put;

	stream->subs_kobj = kobject_create_and_add("subscribers",
						   &stream->kobj);
	if (!stream->subs_kobj) {
		err = -ENOMEM;
		goto put;
	}

	err = xa_insert(&xdprelay_streams, id, stream, GFP_KERNEL);
	if (err)
		goto put_subs;

	mutex_unlock(&xdprelay_streams_lock);
	return 0;

put_subs:
	kobject_put(stream->subs_kobj);
put:
	kobject_put(&stream->kobj);
unlock:
	mutex_unlock(&xdprelay_streams_lock);
	return err;
}

static void xdprelay_sub_remove(struct xdprelay_sub *sub)
{
	lockdep_assert_held(&xdprelay_streams_lock);

	xa_erase(&xdprelay_subs, sub->row);
	kobject_del(&sub->kobj);
	kobject_put(&sub->kobj);
}

static void xdprelay_stream_remove(struct xdprelay_stream *stream)
{
	struct xdprelay_sub *sub;
	unsigned long row;

	lockdep_assert_held(&xdprelay_streams_lock);

	xa_for_each(&xdprelay_subs, row, sub)
		if (sub->stream == stream->id)
			xdprelay_sub_remove(sub);
	xa_erase(&xdprelay_streams, stream->id);
	kobject_put(stream->subs_kobj);
	kobject_del(&stream->kobj);
	kobject_put(&stream->kobj);
}

static int xdprelay_stream_del(const char *name)
{
	struct xdprelay_stream *stream;
	int err = -ENOENT;

	mutex_lock(&xdprelay_streams_lock);
	stream = xdprelay_stream_find(name);
	if (stream) {
		xdprelay_stream_remove(stream);
		err = 0;
	}
	mutex_unlock(&xdprelay_streams_lock);

	return err;
}

/* Subscriber registry */

/*
 * "ADDR:PORT" or "[ADDR]:PORT", as the control plane writes an endpoint:
 * hex digits, dots, colons and brackets, with a port after the last
 * colon.  The module only names a directory after it.
 */
static bool xdprelay_sub_name_valid(const char *name)
{
	size_t len = strlen(name);
	const char *port = strrchr(name, ':');
	size_t i;

	if (!len || len >= XDPRELAY_SUB_NAME_LEN || name[0] == '.' ||
	    !port || !port[1])
		return false;

	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!(isascii(c) && isxdigit(c)) && c != '.' && c != ':' &&
		    c != '[' && c != ']')
			return false;
	}
	for (port++; *port; port++)
		if (!isdigit(*port))
			return false;

	return true;
}

static int xdprelay_sub_add(u32 row, u32 id, const char *name)
{
	struct xdprelay_stream *stream;
	struct xdprelay_sub *sub;
	unsigned long r;
	int err;

	mutex_lock(&xdprelay_streams_lock);

	stream = xa_load(&xdprelay_streams, id);
	if (!stream) {
		err = -ENOENT;
		goto unlock;
	}
	if (xa_load(&xdprelay_subs, row)) {
		err = -EEXIST;
		goto unlock;
	}
	xa_for_each(&xdprelay_subs, r, sub) {
		if (sub->stream != id || strcmp(kobject_name(&sub->kobj), name))
			continue;
		err = -EEXIST;
		goto unlock;
	}

	sub = kzalloc(sizeof(*sub), GFP_KERNEL);
	if (!sub) {
		err = -ENOMEM;
		goto unlock;
	}
	sub->row = row;
	sub->stream = id;

	/* The programs count whatever row their entries name. */
	xdprelay_sub_counters_reset(row);

	err = kobject_init_and_add(&sub->kobj, &xdprelay_sub_ktype,
				   stream->subs_kobj, "%s", name);
	if (err)
		goto put;

	err = xa_insert(&xdprelay_subs, row, sub, GFP_KERNEL);
	if (err)
		goto put;

	mutex_unlock(&xdprelay_streams_lock);
	return 0;

put:
	kobject_put(&sub->kobj);
unlock:
	mutex_unlock(&xdprelay_streams_lock);
	return err;
}

static int xdprelay_sub_del(u32 row)
{
	struct xdprelay_sub *sub;
	int err = -ENOENT;

	mutex_lock(&xdprelay_streams_lock);
	sub = xa_load(&xdprelay_subs, row);
	if (sub) {
		xdprelay_sub_remove(sub);
		err = 0;
	}
	mutex_unlock(&xdprelay_streams_lock);

	return err;
}

/* Top-level files */

/*
 * Copy a line written to a control file into @dst as a string, without
 * its trailing newline.  Refuses embedded NULs and lines that do not fit.
 */
static int xdprelay_copy_line(char *dst, size_t size, const char *buf,
			      size_t count)
{
	if (count && buf[count - 1] == '\n')
		count--;
	if (count >= size || strnlen(buf, count) != count)
		return -EINVAL;

	memcpy(dst, buf, count);
	dst[count] = '\0';
	return 0;
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", XDPRELAY_VERSION);
}

/* "ID NAME": register stream NAME under id ID. */
static ssize_t new_stream_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	char line[sizeof("4294967295 ") + XDPRELAY_NAME_LEN];
	char *name = line;
	char *id_str;
	u32 id;
	int err;

	err = xdprelay_copy_line(line, sizeof(line), buf, count);
	if (err)
		return err;

	id_str = strsep(&name, " ");
	if (!name || !xdprelay_name_valid(name))
		return -EINVAL;

	err = kstrtou32(id_str, 10, &id);
	if (err)
		return err;
	if (!id || id >= XDPRELAY_MAX_STREAMS)
		return -ERANGE;

	err = xdprelay_stream_add(id, name);
	return err ?: count;
}

/* "NAME": remove stream NAME. */
static ssize_t del_stream_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	char name[XDPRELAY_NAME_LEN];
	int err;

	err = xdprelay_copy_line(name, sizeof(name), buf, count);
	if (err)
		return err;
	if (!xdprelay_name_valid(name))
		return -EINVAL;

	err = xdprelay_stream_del(name);
	return err ?: count;
}

/* "ROW ID ADDR:PORT": register subscriber ADDR:PORT of stream ID at ROW. */
static ssize_t new_sub_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	char line[2 * sizeof("4294967295 ") + XDPRELAY_SUB_NAME_LEN];
	char *name = line, *row_str, *id_str;
	u32 row, id;
	int err;

	err = xdprelay_copy_line(line, sizeof(line), buf, count);
	if (err)
		return err;

	row_str = strsep(&name, " ");
	id_str = name ? strsep(&name, " ") : NULL;
	if (!id_str || !name || !xdprelay_sub_name_valid(name))
		return -EINVAL;

	err = kstrtou32(row_str, 10, &row);
	if (err)
		return err;
	err = kstrtou32(id_str, 10, &id);
	if (err)
		return err;
	if (!row || row >= XDPRELAY_SLOTS || !id ||
	    id >= XDPRELAY_MAX_STREAMS)
		return -ERANGE;

	err = xdprelay_sub_add(row, id, name);
	return err ?: count;
}

/* "ROW": remove the subscriber registered at ROW. */
static ssize_t del_sub_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	char line[sizeof("4294967295")];
	u32 row;
	int err;

	err = xdprelay_copy_line(line, sizeof(line), buf, count);
	if (err)
		return err;
	err = kstrtou32(line, 10, &row);
	if (err)
		return err;
	if (!row || row >= XDPRELAY_SLOTS)
		return -ERANGE;

	err = xdprelay_sub_del(row);
	return err ?: count;
}

static struct kobj_attribute xdprelay_attr_version = __ATTR_RO(version);
static struct kobj_attribute xdprelay_attr_new_stream = __ATTR_WO(new_stream);
static struct kobj_attribute xdprelay_attr_del_stream = __ATTR_WO(del_stream);
static struct kobj_attribute xdprelay_attr_new_sub = __ATTR_WO(new_sub);
static struct kobj_attribute xdprelay_attr_del_sub = __ATTR_WO(del_sub);

static struct attribute *xdprelay_top_attrs[] = {
	&xdprelay_attr_version.attr,
	&xdprelay_attr_new_stream.attr,
	&xdprelay_attr_del_stream.attr,
	&xdprelay_attr_new_sub.attr,
	&xdprelay_attr_del_sub.attr,
	NULL
};

static const struct attribute_group xdprelay_top_group = {
	.attrs	= xdprelay_top_attrs,
};

static const struct attribute_group *xdprelay_groups[] = {
	&xdprelay_stats_group,
	&xdprelay_top_group,
	NULL
};

int xdprelay_sysfs_init(void)
{
	int err;

	xdprelay_kobj = kobject_create_and_add("xdprelay", kernel_kobj);
	if (!xdprelay_kobj)
		return -ENOMEM;

	/* Before new_stream appears: stream directories go in here. */
	xdprelay_streams_kobj = kobject_create_and_add("streams",
						       xdprelay_kobj);
	if (!xdprelay_streams_kobj) {
		err = -ENOMEM;
		goto err_put;
	}

	err = sysfs_create_groups(xdprelay_kobj, xdprelay_groups);
	if (err)
		goto err_put_streams;

	return 0;

err_put_streams:
	kobject_put(xdprelay_streams_kobj);
err_put:
	kobject_put(xdprelay_kobj);
	return err;
}

/* /sys/kernel/xdprelay/, for the directories of tune.c. */
struct kobject *xdprelay_sysfs_root(void)
{
	return xdprelay_kobj;
}

void xdprelay_sysfs_exit(void)
{
	struct xdprelay_stream *stream;
	unsigned long id;

	/* Waits for writers: no stream can be added or removed after this. */
	sysfs_remove_groups(xdprelay_kobj, xdprelay_groups);

	mutex_lock(&xdprelay_streams_lock);
	xa_for_each(&xdprelay_streams, id, stream)
		xdprelay_stream_remove(stream);
	mutex_unlock(&xdprelay_streams_lock);

	kobject_put(xdprelay_streams_kobj);
	kobject_put(xdprelay_kobj);
}
