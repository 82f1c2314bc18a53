# SPDX-License-Identifier: GPL-2.0
#
# Shared by the module tests (mod_*.sh).  They load xdprelay.ko, which the
# host cannot: each test re-executes itself inside the VM that
# selftests/vm/run-vm boots, where XDPRELAY_IN_VM is set.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/selftests/lib/ktap.sh"

# The release of the kernel the module runs in: the guest's own, or on the
# host the one selftests/vm/run-vm boots for XDPRELAY_VM_KERNEL.
mod_release()
{
	if [ -n "${XDPRELAY_IN_VM:-}" ]; then
		uname -r
		return
	fi
	case ${XDPRELAY_VM_KERNEL:-6.12} in
	6.12) "$top/selftests/vm/kver" 2>/dev/null ;;
	*) cat "$top/build/kernels/$XDPRELAY_VM_KERNEL/version" 2>/dev/null ;;
	esac
}

# The module: XDPRELAY_KO when set; else the one scripts/kmod-kernels
# built for that release, build/kmod/RELEASE/xdprelay.ko; else
# kmod/xdprelay.ko, built against KDIR (the 6.12 headers).
mod_ko()
{
	local rel

	if [ -n "${XDPRELAY_KO:-}" ]; then
		echo "$XDPRELAY_KO"
		return
	fi
	rel=$(mod_release)
	if [ -n "$rel" ] && [ -f "$top/build/kmod/$rel/xdprelay.ko" ]; then
		echo "$top/build/kmod/$rel/xdprelay.ko"
	else
		echo "$top/kmod/xdprelay.ko"
	fi
}

KO=$(mod_ko)
SYSFS=/sys/kernel/xdprelay

mod_enter_vm()
{
	[ -n "${XDPRELAY_IN_VM:-}" ] && return 0
	case ${XDPRELAY_VM_KERNEL:-6.12} in
	6.12) [ -f "$KO" ] || ktap_skip_all "$KO not built: run make" ;;
	*)
		[ -f "$KO" ] && [ "$KO" != "$top/kmod/xdprelay.ko" ] ||
			ktap_skip_all "no xdprelay.ko for kernel" \
				"$XDPRELAY_VM_KERNEL ($(mod_release)):" \
				"run scripts/kmod-kernels $XDPRELAY_VM_KERNEL"
		;;
	esac
	exec "$top/selftests/vm/run-vm" "$0" "$@"
}

# Fails the whole test unless the module was built for the running kernel.
mod_check_vermagic()
{
	local vermagic

	vermagic=$(modinfo -F vermagic "$KO" 2>/dev/null) ||
		ktap_bail "modinfo cannot read $KO"
	if [ "${vermagic%% *}" != "$(uname -r)" ]; then
		ktap_bail "$KO is built for ${vermagic%% *}, the VM runs" \
			"$(uname -r): rebuild with make kmod (6.12) or" \
			"scripts/kmod-kernels (6.1, sid), or set XDPRELAY_KO"
	fi
}

mod_loaded()
{
	grep -q '^xdprelay ' /proc/modules
}

# sysfs_write FILE VALUE: prints the error text of a failed write, if any.
sysfs_write()
{
	local err

	err=$( { printf '%s' "$2" > "$1"; } 2>&1 ) && return 0
	echo "${err##*: }"
	return 1
}

# sysfs_write_err NAME FILE VALUE EXPECTED_ERROR: one case that passes when
# the write fails with EXPECTED_ERROR (strerror text).
sysfs_write_err()
{
	local out

	if out=$(sysfs_write "$2" "$3"); then
		ktap_info "$1: write of '$3' to $2 succeeded"
		ktap_fail "$1"
	else
		ktap_eq "$1" "$4" "$out"
	fi
}
