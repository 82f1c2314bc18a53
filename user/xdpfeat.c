// SPDX-License-Identifier: GPL-2.0
/*
 * What the "netdev" generic netlink family says of a device (xdpfeat.h):
 * its xdp-features, and its transmit queues.  Every reply is read as
 * untrusted.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "xdpfeat.h"

/* linux/netdev.h, version 1 of the family. */
#define XR_NETDEV_FAMILY		"netdev"
#define XR_NETDEV_VERSION		1
#define XR_NETDEV_CMD_DEV_GET		1
#define XR_NETDEV_A_DEV_IFINDEX		1
#define XR_NETDEV_A_DEV_XDP_FEATURES	3
#define XR_NETDEV_CMD_QUEUE_GET		10
#define XR_NETDEV_A_QUEUE_IFINDEX	2
#define XR_NETDEV_A_QUEUE_TYPE		3
#define XR_NETDEV_QUEUE_TYPE_TX		1

#define XR_GENL_BUF			4096

struct genl_req {
	struct nlmsghdr nh;
	struct genlmsghdr g;
	char attrs[64];
};

/* An empty request of @type for @cmd, version @version. */
static void req_init(struct genl_req *req, uint16_t type, uint32_t seq,
		     uint8_t cmd, uint8_t version)
{
	memset(req, 0, sizeof(*req));
	req->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req->nh.nlmsg_type = type;
	req->nh.nlmsg_flags = NLM_F_REQUEST;
	req->nh.nlmsg_seq = seq;
	req->g.cmd = cmd;
	req->g.version = version;
}

static void put_attr(struct genl_req *req, uint16_t type, const void *data,
		     uint16_t len)
{
	struct nlattr *a = (void *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) +
			    NLA_ALIGN(a->nla_len);
}

/*
 * Sends @req and finds attribute @want in the answer: copies its payload
 * (@len bytes exactly) into @out.  Returns 0, or -errno (-ENOENT when the
 * answer lacks it).
 */
static int genl_ask(int fd, struct genl_req *req, uint16_t want, void *out,
		    int len)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[XR_GENL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh;
	struct nlattr *a;
	int n, rest, alen;

	if (sendto(fd, req, req->nh.nlmsg_len, 0,
		   (const struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (nh = (void *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_seq != req->nh.nlmsg_seq)
			continue;
		if (nh->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *e = NLMSG_DATA(nh);

			if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : -ENOENT;
		}
		if (nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
			return -EBADMSG;
		rest = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		a = (void *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
		while (rest >= (int)NLA_HDRLEN) {
			alen = a->nla_len;
			if (alen < (int)NLA_HDRLEN || alen > rest)
				return -EBADMSG;
			if ((a->nla_type & NLA_TYPE_MASK) == want) {
				if (alen - (int)NLA_HDRLEN != len)
					return -EBADMSG;
				memcpy(out, (char *)a + NLA_HDRLEN, len);
				return 0;
			}
			rest -= NLA_ALIGN(alen);
			a = (void *)((char *)a + NLA_ALIGN(alen));
		}
		return -ENOENT;
	}
	return -EBADMSG;
}

/*
 * A generic netlink socket and the netdev family's id: 0, -EOPNOTSUPP
 * when the kernel has no such family, or -errno.
 */
static int netdev_open(int *fd, uint16_t *family)
{
	struct timeval tv = { .tv_sec = 1 };
	struct genl_req req;
	int err;

	*fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (*fd < 0)
		return -errno;
	setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	req_init(&req, GENL_ID_CTRL, 1, CTRL_CMD_GETFAMILY, 1);
	put_attr(&req, CTRL_ATTR_FAMILY_NAME, XR_NETDEV_FAMILY,
		 sizeof(XR_NETDEV_FAMILY));
	err = genl_ask(*fd, &req, CTRL_ATTR_FAMILY_ID, family,
		       sizeof(*family));
	if (err == -ENOENT)
		err = -EOPNOTSUPP;
	if (err)
		close(*fd);
	return err;
}

int xr_xdp_features(int ifindex, uint64_t *features)
{
	struct genl_req req;
	uint32_t idx = ifindex;
	uint16_t family;
	int fd, err;

	err = netdev_open(&fd, &family);
	if (err)
		return err;
	req_init(&req, family, 2, XR_NETDEV_CMD_DEV_GET, XR_NETDEV_VERSION);
	put_attr(&req, XR_NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	err = genl_ask(fd, &req, XR_NETDEV_A_DEV_XDP_FEATURES, features,
		       sizeof(*features));
	close(fd);
	return err;
}

/* Whether the queue that message @nh describes is a transmit queue. */
static int queue_is_tx(const struct nlmsghdr *nh)
{
	const struct nlattr *a;
	int rest, alen;
	uint32_t type;

	if (nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EBADMSG;
	rest = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	a = (const void *)((const char *)NLMSG_DATA(nh) + GENL_HDRLEN);
	while (rest >= (int)NLA_HDRLEN) {
		alen = a->nla_len;
		if (alen < (int)NLA_HDRLEN || alen > rest)
			return -EBADMSG;
		if ((a->nla_type & NLA_TYPE_MASK) == XR_NETDEV_A_QUEUE_TYPE) {
			if (alen - (int)NLA_HDRLEN != sizeof(type))
				return -EBADMSG;
			memcpy(&type, (const char *)a + NLA_HDRLEN,
			       sizeof(type));
			return type == XR_NETDEV_QUEUE_TYPE_TX;
		}
		rest -= NLA_ALIGN(alen);
		a = (const void *)((const char *)a + NLA_ALIGN(alen));
	}
	return -EBADMSG;
}

int xr_stack_tx_queues(int ifindex, unsigned int *ntx)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[XR_GENL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct genl_req req;
	uint32_t idx = ifindex;
	struct nlmsghdr *nh;
	uint16_t family;
	int fd, err, n, tx;
	unsigned int cnt = 0;

	err = netdev_open(&fd, &family);
	if (err)
		return err;
	req_init(&req, family, 3, XR_NETDEV_CMD_QUEUE_GET, XR_NETDEV_VERSION);
	req.nh.nlmsg_flags |= NLM_F_DUMP;
	put_attr(&req, XR_NETDEV_A_QUEUE_IFINDEX, &idx, sizeof(idx));
	if (sendto(fd, &req, req.nh.nlmsg_len, 0,
		   (const struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			err = -errno;
			goto out;
		}
		for (nh = (void *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_seq != req.nh.nlmsg_seq)
				continue;
			if (nh->nlmsg_type == NLMSG_DONE) {
				*ntx = cnt;
				goto out;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				err = nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ?
				      -EBADMSG : e->error;
				if (!err)
					*ntx = cnt;
				goto out;
			}
			tx = queue_is_tx(nh);
			if (tx < 0) {
				err = tx;
				goto out;
			}
			cnt += tx;
		}
	}
out:
	close(fd);
	return err;
}
