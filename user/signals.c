// SPDX-License-Identifier: GPL-2.0
/*
 * The relay's dealings with the process and the system: signals, SIGHUP
 * reloads, the status file, the egress's link and the program on the
 * ingress (see control.h).
 *
 * relay_run() blocks SIGINT, SIGTERM and SIGHUP first, so that a signal
 * that comes while the relay sets up waits for it instead of killing it
 * half-way (sockets in xr_xsks, groups joined, the status file written);
 * the main thread reads them from a signalfd.  A SIGHUP reload runs beside
 * the main thread (struct relay_reload).  The status file is written
 * without following links, and replaced whole.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "control.h"
#include "state.h"
#include "util.h"

static void signals_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

/* Threads inherit the mask: only the main thread hears them. */
int relay_signals_block(int *sfd, sigset_t *oldmask)
{
	sigset_t set;
	int err;

	signals_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, oldmask);
	*sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (*sfd < 0) {
		err = -errno;
		pr_err("signalfd: %s", strerror(-err));
		pthread_sigmask(SIG_SETMASK, oldmask, NULL);
		return err;
	}
	return 0;
}

void relay_signals_unblock(int sfd, const sigset_t *oldmask)
{
	struct signalfd_siginfo si;

	/* Consumed here, they must not kill us on unblocking. */
	while (read(sfd, &si, sizeof(si)) == sizeof(si))
		;
	close(sfd);
	pthread_sigmask(SIG_SETMASK, oldmask, NULL);
}

bool relay_stop_pending(void)
{
	sigset_t set;

	if (sigpending(&set))
		return false;
	return sigismember(&set, SIGINT) == 1 ||
	       sigismember(&set, SIGTERM) == 1;
}

/* ---- status file -------------------------------------------------- */

static bool same_program(pid_t pid)
{
	char path[64], mine[64] = "", theirs[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(theirs, sizeof(theirs), f))
		theirs[0] = 0;
	fclose(f);
	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (!fgets(mine, sizeof(mine), f))
			mine[0] = 0;
		fclose(f);
	}
	return !strcmp(mine, theirs);
}

int relay_status_check_owner(void)
{
	int pid = xr_relay_pid();

	if (!pid || pid == getpid() || !same_program(pid))
		return 0;
	pr_err("another relay (pid %d) is running, see %s: stop it first, or give this one a run directory of its own (XDPRELAY_RUN_DIR)",
	       pid, xr_status_file());
	return -EBUSY;
}

int relay_status_write(const struct relay *r)
{
	const char *path = xr_status_file();
	unsigned int q, nq = r->be->queues(r);
	char tmp[PATH_MAX];
	uint32_t id;
	int fd, ret;
	FILE *f;

	ret = xr_run_dir_make();
	if (ret)
		goto fail;
	/*
	 * Created exclusively, so that nothing planted there is followed;
	 * one name, so that a relay killed before the rename leaves one
	 * stale file, which the next write removes.
	 */
	snprintf(tmp, sizeof(tmp), "%s/.status.new", xr_run_dir());
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0644);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	f = fdopen(fd, "w");
	if (!f || fchmod(fd, 0644)) {
		ret = -errno;
		if (f)
			fclose(f);
		else
			close(fd);
		unlink(tmp);
		goto fail;
	}
	fprintf(f, "pid=%d\ningress=%s\negress=%s\nqueues=%u\n", getpid(),
		r->cfg->ingress, r->cfg->egress, nq);
	for (q = 0; q < nq; q++)
		fprintf(f, "queue.%u.mode=%s\n", q, r->be->queue_mode(r, q));
	fprintf(f, "busy_poll=%d\n", r->cfg->busy_poll ? 1 : 0);
	fprintf(f, "silence=%u\n", r->cfg->silence_s);
	if (r->direct.ncpus)
		fprintf(f, "direct_cpus=%s\n", r->cfg->direct_cpus);
	if (r->direct.tc_ok)
		fprintf(f, "fanout=in the kernel: TC program %u on %s (clsact ingress)%s%s\n",
			r->direct.tc_prog, r->cfg->ingress,
			r->direct.tc_note[0] ? "; " : "", r->direct.tc_note);
	else if (r->direct.tc_why[0])
		fprintf(f, "fanout=through the relay: %s\n", r->direct.tc_why);
	for (id = 1; r->direct.s && id < XDPRELAY_MAX_STREAMS; id++) {
		const struct relay_direct_stream *ds = &r->direct.s[id];

		if (ds->runs == RELAY_RUNS_NONE)
			continue;
		fprintf(f, "stream.%u.name=%s\n", id, r->info[id].name);
		fprintf(f, "stream.%u.path=%s\n", id, relay_runs_str(ds->runs));
		if (ds->why[0])
			fprintf(f, "stream.%u.why=%s\n", id, ds->why);
	}
	ret = ferror(f) ? -EIO : 0;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		goto fail;
	}
	return 0;
fail:
	pr_warn("cannot write %s: %s ('xdprelayctl status' will not show the relay)",
		path, strerror(-ret));
	return ret;
}

/* ---- SIGHUP ------------------------------------------------------- */

static void *reload_main(void *arg)
{
	struct relay_reload *rl = arg;
	const struct relay_config *cfg = rl->cfg;

	rl->ret = cfg->reload(cfg->reload_arg);
	__atomic_store_n(&rl->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void reload_start(struct relay_reload *rl)
{
	int err;

	rl->again = false;
	rl->done = 0;
	err = pthread_create(&rl->thread, NULL, reload_main, rl);
	if (err) {
		pr_warn("SIGHUP: cannot start the reload: %s; the streams stay as they are",
			strerror(err));
		return;
	}
	rl->running = true;
}

void relay_reload_request(struct relay_reload *rl)
{
	if (!rl->cfg->reload) {
		pr_info("SIGHUP: no --config to apply; reading the streams again");
		rl->rescan = true;
		return;
	}
	if (rl->running) {
		pr_info("SIGHUP: a reload is under way; another follows it");
		rl->again = true;
		return;
	}
	pr_info("SIGHUP: reloading");
	reload_start(rl);
}

bool relay_reload_poll(struct relay_reload *rl)
{
	bool ended = rl->rescan;

	rl->rescan = false;
	if (!rl->running || !__atomic_load_n(&rl->done, __ATOMIC_ACQUIRE))
		return ended;
	pthread_join(rl->thread, NULL);
	rl->running = false;
	if (rl->ret)
		pr_warn("reload failed: running on with the state as it is");
	if (rl->again) {
		pr_info("reloading again, for the SIGHUP that came meanwhile");
		reload_start(rl);
	}
	return true;
}

void relay_reload_stop(struct relay_reload *rl)
{
	if (!rl->running)
		return;
	/* The main thread no longer resolves next hops: nobody to wait for. */
	xr_subs_wait_cancel();
	pthread_join(rl->thread, NULL);
	rl->running = false;
}

/* ---- the egress --------------------------------------------------- */

bool relay_egress_check(struct relay_egress *e, const char *ifname)
{
	struct ifreq ifr = {};
	bool up;

	up = !xr_if_ioctl(ifname, SIOCGIFFLAGS, &ifr) &&
	     (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
	if (up != __atomic_load_n(&e->up, __ATOMIC_RELAXED) || !e->known) {
		if (!up)
			pr_warn("egress %s is down or has no carrier: what the relay would send counts as tx_errors until it is back",
				ifname);
		else if (e->known)
			pr_info("egress %s is up again: relaying", ifname);
		e->known = true;
		__atomic_store_n(&e->up, up, __ATOMIC_RELAXED);
	}
	return up;
}

int relay_program_check(const char *ingress, char *why, size_t len,
			bool *skb_mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char path[PATH_MAX], name[BPF_OBJ_NAME_LEN];
	int ifindex, xfd, err, uses;

	if (skb_mode)
		*skb_mode = false;
	snprintf(path, sizeof(path), "%s/%s", xr_pin_dir(),
		 XDPRELAY_MAP_XSKS);
	xfd = bpf_obj_get(path);
	if (xfd < 0) {
		err = -errno;
		snprintf(why, len, "%s is not pinned (%s)", path,
			 strerror(-err));
		return err;
	}
	ifindex = if_nametoindex(ingress);
	err = ifindex ? bpf_xdp_query(ifindex, 0, &q) : -ENODEV;
	if (err || !q.prog_id) {
		snprintf(why, len, "no XDP program is attached to %s", ingress);
		err = -ENOENT;
		goto out;
	}
	if (skb_mode)
		*skb_mode = q.attach_mode == XDP_ATTACHED_SKB;
	uses = xr_prog_uses_map(q.prog_id, xfd, name, sizeof(name));
	/* It does, or it cannot be looked inside: trust the pins. */
	if (uses) {
		err = 0;
		goto out;
	}
	/* libxdp's dispatcher: the relay's program sits behind it. */
	if (!strncmp(name, "xdp_dispatcher", strlen("xdp_dispatcher")))
		goto out;
	snprintf(why, len,
		 "the XDP program on %s (id %u, %s) does not use %s: it is not xdprelay's, or it was loaded before the maps were pinned again",
		 ingress, q.prog_id, name, path);
	err = -ENOENT;
out:
	close(xfd);
	return err;
}
