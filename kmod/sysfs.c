// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/xdprelay/: version, global counters in stats/, one directory
 * per registered stream in streams/, and the new_stream and del_stream
 * control files that register and remove streams.
 */
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>

#include "xdprelay_internal.h"

/* Longest stream name plus its NUL. */
#define XDPRELAY_NAME_LEN	32

struct xdprelay_stream {
	struct kobject kobj;	/* streams/<name>/ */
	u32 id;
};

static struct kobject *xdprelay_kobj;
static struct kobject *xdprelay_streams_kobj;

/* Serialises stream registration; the xarray maps stream id to stream. */
static DEFINE_MUTEX(xdprelay_streams_lock);
static DEFINE_XARRAY(xdprelay_streams);

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

static const struct attribute_group *xdprelay_stream_groups[] = {
	&xdprelay_stream_group,
	&xdprelay_stream_counter_group,
	NULL
};

static const struct kobj_type xdprelay_stream_ktype = {
	.release	= xdprelay_stream_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= xdprelay_stream_groups,
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

	err = kobject_init_and_add(&stream->kobj, &xdprelay_stream_ktype,
				   xdprelay_streams_kobj, "%s", name);
	if (err)
		goto put;

	err = xa_insert(&xdprelay_streams, id, stream, GFP_KERNEL);
	if (err)
		goto put;

	mutex_unlock(&xdprelay_streams_lock);
	return 0;

put:
	kobject_put(&stream->kobj);
unlock:
	mutex_unlock(&xdprelay_streams_lock);
	return err;
}

static void xdprelay_stream_remove(struct xdprelay_stream *stream)
{
	lockdep_assert_held(&xdprelay_streams_lock);

	xa_erase(&xdprelay_streams, stream->id);
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

static struct kobj_attribute xdprelay_attr_version = __ATTR_RO(version);
static struct kobj_attribute xdprelay_attr_new_stream = __ATTR_WO(new_stream);
static struct kobj_attribute xdprelay_attr_del_stream = __ATTR_WO(del_stream);

static struct attribute *xdprelay_top_attrs[] = {
	&xdprelay_attr_version.attr,
	&xdprelay_attr_new_stream.attr,
	&xdprelay_attr_del_stream.attr,
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
