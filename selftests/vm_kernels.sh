#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM harness's kernels: Debian 12's 6.1 and 6.12 and sid's current one
# (selftests/vm/kernel-fetch caches the first and the last, scripts/deps
# runs it).  Each boots under selftests/vm/run-vm, says which kernel ran,
# loads a module from its own tree, and runs the XDP program's suite
# (selftests/xdp_prog_test), every case of it passing on that kernel.  On
# a virtio-net NIC of its own (XDPRELAY_VM_NICS), the relay run with
# --mode zerocopy binds zero-copy on sid's kernel, and on 6.1 and 6.12,
# whose virtio-net has none, fails with a message that says what to do.
# A kernel name run-vm does not know is refused.

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/ktap.sh"

RUNVM=$top/selftests/vm/run-vm
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The release each kernel name boots.
release()
{
	case $1 in
	6.12) "$top/selftests/vm/kver" ;;
	*) cat "$top/build/kernels/$1/version" 2>/dev/null ;;
	esac
}

KERNELS="6.1 6.12 sid"
for k in $KERNELS; do
	[ -n "$(release "$k")" ] ||
		ktap_skip_all "kernel $k not there: run scripts/deps"
done
ktap_plan $((5 * 3 + 1))

# On the guest's NIC xr0: the XDP program, then a relay that insists on
# zero-copy, stopped once it runs; its exit status and log follow.
zc_probe='
ip link set dev xr0 up &&
	ip link set dev xr0 xdp obj bpf/xdprelay_maps.bpf.o sec xdp || exit 1
timeout 60 user/xdprelayctl run --ingress xr0 --egress xr0 \
	--mode zerocopy >/tmp/zc.log 2>&1 &
pid=$!
for i in $(seq 300); do
	grep -qs "^queue.0.mode=" /run/xdprelay/status && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
grep -s "^queue.0.mode=" /run/xdprelay/status && kill -TERM $pid
wait $pid
echo "zc-exit $?"
sed "s/^/zc-log /" /tmp/zc.log'

for k in $KERNELS; do
	rel=$(release "$k")
	XDPRELAY_VM_KERNEL=$k XDPRELAY_VM_NICS=xr0=xg0 "$RUNVM" bash -c '
		uname -r
		modprobe veth && ip link add vka type veth peer name vkb &&
			echo veth-loaded
		selftests/xdp_prog_test
		'"$zc_probe" > "$TMP/$k.out" 2>&1
	rc=$?
	ktap_eq "$k: the guest ran $rel" "$rel" "$(head -n 1 "$TMP/$k.out")"
	ktap_check "$k: run-vm says which kernel ran" \
		grep -q "^# run-vm: $rel " "$TMP/$k.out"
	ktap_check "$k: a module of its own tree loads (veth)" \
		grep -qx veth-loaded "$TMP/$k.out"
	if [ $rc -eq 0 ] &&
	   grep -q '^# Totals: pass:[1-9][0-9]* fail:0 xfail:0 xpass:0 skip:0 error:0' \
		"$TMP/$k.out"; then
		ktap_ok "$k: the XDP program's suite passes"
	else
		grep -E '^not ok|^# run-vm|Totals' "$TMP/$k.out" |
			while read -r l; do ktap_info "$k: $l"; done
		ktap_fail "$k: the XDP program's suite passes"
	fi
	if [ $k = sid ]; then
		ktap_check "$k: --mode zerocopy binds zero-copy on virtio-net" \
			grep -qx "queue.0.mode=zerocopy" "$TMP/$k.out"
	else
		ktap_check "$k: --mode zerocopy on virtio-net fails, and says what to do" \
			eval "grep -qx 'zc-exit 1' '$TMP/$k.out' &&
			      grep -q 'does not support zero-copy AF_XDP: use --mode auto or --mode copy' '$TMP/$k.out'"
	fi
	grep '^zc-' "$TMP/$k.out" | head -n 5 |
		while read -r l; do ktap_info "$k: $l"; done
done

expect "an unknown kernel is refused" 2 \
	"XDPRELAY_VM_KERNEL=5.10: want 6.12, 6.1 or sid" \
	env XDPRELAY_VM_KERNEL=5.10 "$RUNVM" true

ktap_finish
