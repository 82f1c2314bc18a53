# SPDX-License-Identifier: GPL-2.0
#
# Shared by the module tests (mod_*.sh).  They load xdprelay.ko, which the
# host cannot: each test re-executes itself inside the VM that
# selftests/vm/run-vm boots, where XDPRELAY_IN_VM is set.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$top/selftests/lib/ktap.sh"

KO=${XDPRELAY_KO:-$top/kmod/xdprelay.ko}
SYSFS=/sys/kernel/xdprelay

mod_enter_vm()
{
	[ -n "${XDPRELAY_IN_VM:-}" ] && return 0
	[ -f "$KO" ] || ktap_skip_all "$KO not built: run make"
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
			"$(uname -r): rebuild with" \
			"make kmod KDIR=/usr/src/linux-headers-$(uname -r)"
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
