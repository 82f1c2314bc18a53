/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and writing one sysfs value, for the module's C selftests.
 */
#ifndef XR_SELFTEST_SYSFS_H
#define XR_SELFTEST_SYSFS_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

/* Writes @val to @path in one write(); returns 0 or -errno. */
static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t len = strlen(val);
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		err = -errno;
	close(fd);
	return err;
}

/* Reads one decimal value ending in a newline; returns 0 or -errno. */
static inline int sysfs_read_u64(const char *path, __u64 *val)
{
	char buf[32], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	*val = strtoull(buf, &end, 10);
	if (errno || end == buf || *end != '\n')
		return -EINVAL;
	return 0;
}

#endif /* XR_SELFTEST_SYSFS_H */
