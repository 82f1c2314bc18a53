/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What xdprelay.ko takes from kernels newer than the oldest one it builds
 * for, Debian 12's 6.1, in one place.  Each fallback is keyed on the name
 * it stands in for where there is one to test, so it drops out by itself
 * on every kernel that has the real one.
 */
#ifndef _XDPRELAY_COMPAT_H
#define _XDPRELAY_COMPAT_H

#include <linux/atomic.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/compiler.h>
#include <net/sock.h>

/*
 * 6.3 marks kfuncs __bpf_kfunc.  A kfunc is called only through BTF: it
 * must stay a function of its own, as 6.1's own kfuncs do with noinline.
 * Ours are global, so neither dropped nor changed in their signature.
 */
#ifndef __bpf_kfunc
#define __bpf_kfunc noinline
#endif

/*
 * 6.8 brackets kfunc definitions so that W=1 does not ask for their
 * prototypes; xdprelay_kfunc.h declares ours, so without the brackets
 * nothing is asked for.
 */
#ifndef __bpf_kfunc_start_defs
#define __bpf_kfunc_start_defs()
#define __bpf_kfunc_end_defs()
#endif

/*
 * 6.9 flags a set of kfuncs as such (BTF_SET8_KFUNCS), so that the
 * verifier can tell them from other BTF id sets; before, a kfunc set is a
 * plain sorted set of ids with flags.
 */
#ifndef BTF_KFUNCS_START
#define BTF_KFUNCS_START(name) BTF_SET8_START(name)
#define BTF_KFUNCS_END(name) BTF_SET8_END(name)
#endif

/*
 * 6.18 counts the drops of a UDP socket per NUMA node, outside
 * sk->sk_drops, which stays 0 for it, and has sk_drops_read() add up
 * whichever a socket uses; before, sk->sk_drops holds them all.  It is a
 * static inline, which the preprocessor cannot see: kmod/Kbuild looks
 * for it in the kernel's net/sock.h.
 */
#ifndef XDPRELAY_HAVE_SK_DROPS_READ
static inline int sk_drops_read(const struct sock *sk)
{
	return atomic_read(&sk->sk_drops);
}
#endif

#endif /* _XDPRELAY_COMPAT_H */
