/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a subscriber's frames go: the kernel's route to the subscriber
 * (which must leave through the egress interface), the source address it
 * selects, and the next hop's MAC address from the neighbour table, over
 * rtnetlink.
 *
 * The main thread owns the table: it says which addresses it wants, and
 * refreshes them periodically and when the kernel says that a neighbour
 * or a route changed, never per packet.  Workers look entries up
 * without a lock or a syscall (a sequence lock per entry) when they build
 * their per-stream caches, and rebuild those when the generation moves.
 */
#ifndef XR_NEIGH_H
#define XR_NEIGH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum xr_nh_state {
	XR_NH_NONE,		/* not looked up yet */
	XR_NH_OK,		/* route through egress, MAC known */
	XR_NH_UNRESOLVED,	/* route through egress, neighbour resolving */
	XR_NH_OTHER_DEV,	/* the route leaves through another interface */
	XR_NH_NO_ROUTE,		/* no route, or not a unicast/multicast one */
};

struct xr_nh {
	uint8_t state;		/* enum xr_nh_state */
	uint8_t mac[6];		/* next hop's MAC, when XR_NH_OK */
	uint8_t pad;
	int oif;		/* route's interface */
	uint8_t src[16];	/* source address the kernel selects */
};

struct xr_neigh;
struct nlmsghdr;

/* A route as RTM_GETROUTE answers it. */
struct xr_route {
	uint8_t type;		/* RTN_* */
	int oif;
	int gw_family;		/* 0: on link */
	uint8_t gw[16];
	bool has_src;
	uint8_t src[16];
};

/* Called by xr_neigh_refresh() for each entry whose state changed. */
typedef void (*xr_neigh_cb)(void *arg, int family, const uint8_t *addr,
			    const struct xr_nh *old, const struct xr_nh *now);

/* Returns NULL with errno set. */
struct xr_neigh *xr_neigh_open(int egress_ifindex);
void xr_neigh_close(struct xr_neigh *n);

/*
 * The set of addresses to keep resolved: xr_neigh_want() adds one (and
 * marks it wanted); between xr_neigh_sweep_begin() and _end() every
 * address still in use is wanted again, and the others are dropped.
 * Returns 0, or -ENOSPC when the table is full.
 */
int xr_neigh_want(struct xr_neigh *n, int family, const uint8_t *addr);
void xr_neigh_sweep_begin(struct xr_neigh *n);
void xr_neigh_sweep_end(struct xr_neigh *n);

/*
 * Look up routes and neighbours again: every entry when @all, else those
 * a notification concerned and those still resolving (XR_NH_NONE,
 * XR_NH_UNRESOLVED; these at most every 100 ms).  Triggers resolution of
 * next hops that are missing, failed or stale, at most once a second
 * each.  Returns the number of
 * entries still resolving, or -errno when rtnetlink fails.
 */
int xr_neigh_refresh(struct xr_neigh *n, bool all, xr_neigh_cb cb,
		     void *arg);

/*
 * A descriptor that turns readable when the kernel's neighbours or routes
 * change, for the owner's poll(); -1 when notifications are not to be had.
 * xr_neigh_events() reads what is there and marks the entries it concerns
 * (a neighbour of the egress that is their next hop, a route whose prefix
 * holds their address; all of them when notifications were lost); it
 * returns how many it marked, for the caller's next xr_neigh_refresh().
 */
int xr_neigh_event_fd(const struct xr_neigh *n);
int xr_neigh_events(struct xr_neigh *n);
/* The messages in @len bytes at @buf, as xr_neigh_events() reads them. */
int xr_neigh_feed(struct xr_neigh *n, const void *buf, ssize_t len);

/*
 * The answers to RTM_GETROUTE and RTM_GETNEIGH, checked against their
 * nlmsg_len: 0, or -EPROTO for a message too short (or, for a route, of
 * another family than @family).
 */
int xr_nl_route_parse(const struct nlmsghdr *h, int family,
		      struct xr_route *rt);
int xr_nl_neigh_parse(const struct nlmsghdr *h, uint16_t *state,
		      uint8_t *mac, bool *has_mac);

/* Any thread: bumped whenever an entry changes. */
uint32_t xr_neigh_gen(const struct xr_neigh *n);

/* Any thread.  Returns false when @addr is not in the table. */
bool xr_neigh_lookup(const struct xr_neigh *n, int family,
		     const uint8_t *addr, struct xr_nh *out);

#endif /* XR_NEIGH_H */
