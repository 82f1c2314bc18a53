#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdprelay.ko on the VM's other kernels, Debian 12's 6.1 and sid's: the
# module built for each against its own headers (scripts/kmod-kernels:
# build/kmod/<release>/xdprelay.ko) runs part of the module suite there,
# each mod_* test re-run with XDPRELAY_VM_KERNEL set, so that it boots
# that kernel and loads its module (selftests/lib/mod.sh): on both, the
# tests that cover each interface the module has with the kernel, its
# sysfs tree and every bad write (mod_sysfs), the kfuncs called by the
# XDP program that ip link loads, and rmmod refused while it runs
# (mod_traffic), the relay's reports through /dev/xdprelay
# (mod_tx_report) and the tuning knobs through xdprelayctl
# (mod_tune_ctl); on 6.1 also UDP socket tuning (mod_tune), loads and
# unloads without a leak (mod_load_loop) and the relay end to end
# (mod_relay); on sid also the TC program's kfuncs on the direct path
# (mod_direct), whose 1:1 case takes another way on 6.1 (README,
# "Tests").  mod_tune passes on sid but skips its UDP-Lite case: sid's
# kernel has no UDP-Lite, and nothing may skip in CI.  About five
# minutes under TCG in all.  The whole suite runs on 6.12.
#
# Each case is one test on one kernel: it passes when the test exits 0
# with every one of its cases passed; its output follows, as comments.

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/ktap.sh"

TESTS_6_1="mod_sysfs.sh mod_traffic.sh mod_tx_report.sh mod_tune.sh
	mod_load_loop.sh mod_tune_ctl.sh mod_relay.sh"
TESTS_sid="mod_sysfs.sh mod_traffic.sh mod_tx_report.sh mod_tune_ctl.sh
	mod_direct.sh"
KERNELS="6.1 sid"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

tests_of()
{
	local v=TESTS_${1//./_}

	echo "${!v}"
}

n=0
for k in $KERNELS; do
	rel=$(cat "$top/build/kernels/$k/version" 2>/dev/null) ||
		ktap_skip_all "kernel $k not fetched: run scripts/deps"
	[ -f "$top/build/kmod/$rel/xdprelay.ko" ] ||
		ktap_skip_all "no xdprelay.ko for $k ($rel): run make tests" \
			"(scripts/kmod-kernels)"
	set -- $(tests_of "$k")
	n=$((n + $#))
done
ktap_plan $n

for k in $KERNELS; do
	rel=$(cat "$top/build/kernels/$k/version")
	for t in $(tests_of "$k"); do
		XDPRELAY_VM_KERNEL=$k XDPRELAY_KO= "$top/selftests/$t" \
			> "$TMP/out" 2>&1
		rc=$?
		sed 's/^/# /' "$TMP/out"
		totals=$(grep -E '^# totals: ' "$TMP/out" | tail -n 1)
		if [ $rc -eq 0 ] &&
		   [[ $totals =~ ^\#\ totals:\ pass:[1-9][0-9]*\ fail:0\ skip:0$ ]] &&
		   grep -q "^# run-vm: $rel " "$TMP/out"; then
			ktap_ok "$k ($rel): $t, ${totals#\# totals: }"
		else
			ktap_info "$k: $t exited $rc${totals:+, $totals}"
			ktap_fail "$k ($rel): $t"
		fi
	done
done
ktap_finish
