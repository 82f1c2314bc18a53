#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# /dev/xdprelay: the node and its mode, the transmit report ioctl (every
# case in mod_tx_report.c, whose output is shown as diagnostics), and rmmod
# refused while the device is open.  Runs in the VM.

. "$(dirname "$0")/lib/mod.sh"

PROG=$top/selftests/mod_tx_report
DEV=/dev/xdprelay

[ -x "$PROG" ] || ktap_skip_all "$PROG not built: run make tests"
mod_enter_vm "$@"

ktap_plan 9
mod_check_vermagic
insmod "$KO" || ktap_bail "insmod $KO failed"

ktap_eq "$DEV: character device, root only" "crw------- root root" \
	"$(stat -c '%A %U %G' $DEV 2>&1)"
ktap_eq "$DEV: a misc device (major 10)" "10" \
	"$(( 0x$(stat -c %t $DEV 2>/dev/null || echo 0) ))"
ktap_eq "$DEV: the node of /sys/class/misc/xdprelay" \
	"$(cat /sys/class/misc/xdprelay/dev 2>&1)" \
	"$(( 0x$(stat -c %t $DEV) )):$(( 0x$(stat -c %T $DEV) ))"

"$PROG" 2>&1 | sed 's/^/# /'
ktap_eq "mod_tx_report: every ioctl case passes" 0 "${PIPESTATUS[0]}"

exec 3<>$DEV
ktap_check "rmmod refused while $DEV is open" eval '! rmmod xdprelay 2>/dev/null'
exec 3>&-
ktap_check "module still loaded" mod_loaded

ktap_check "rmmod once $DEV is closed" rmmod xdprelay
ktap_check "$DEV gone after rmmod" test ! -e $DEV
ktap_check "misc device gone after rmmod" test ! -e /sys/class/misc/xdprelay

ktap_finish
