#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# UDP receive buffer autotuning: the tuning/ knobs and their defaults, every
# case in mod_tune.c (bad ioctls and knob writes, a bursty receiver that
# stops dropping once registered, shrink after the burst, close and rmmod
# with sockets registered), whose output is shown as diagnostics.  Runs in
# the VM.
#
#   sender --(20 bursts of 2000 x 1000 B, 127.0.0.1)--> receiver
#                                                       SO_RCVBUF 4 KiB,
#                                                       reads between bursts

. "$(dirname "$0")/lib/mod.sh"

PROG=$top/selftests/mod_tune
TUNING=$SYSFS/tuning

[ -x "$PROG" ] || ktap_skip_all "$PROG not built: gcc ... -o $PROG"
mod_enter_vm "$@"

ktap_plan 8
mod_check_vermagic
insmod "$KO" || ktap_bail "insmod $KO failed"

ktap_eq "tuning/ defaults" "interval_ms=100 quiet_ms=5000 rcvbuf_max=67108864" \
	"$(for f in interval_ms quiet_ms rcvbuf_max; do
		echo -n "$f=$(cat $TUNING/$f 2>&1) "; done | xargs)"
ktap_eq "tuning/: no other file" "interval_ms quiet_ms rcvbuf_max" \
	"$(ls $TUNING | xargs)"
ktap_eq "tuning/ root-writable" "-rw-r--r--" \
	"$(stat -c %A $TUNING/* | sort -u)"
ktap_eq "sockets/ empty at load" "" "$(ls $SYSFS/sockets 2>&1)"

# In a network namespace of its own, with only lo, up.  The last case
# unloads the module and loads it again from MOD_TUNE_KO.
MOD_TUNE_KO=$KO unshare -n sh -c 'ip link set lo up && exec "$0"' "$PROG" \
	2>&1 | sed 's/^/# /'
ktap_eq "mod_tune: every case passes" 0 "${PIPESTATUS[0]}"

ktap_check "module loaded again" mod_loaded
ktap_eq "sockets/ empty at the end" "" "$(ls $SYSFS/sockets 2>&1)"
ktap_check "rmmod" rmmod xdprelay

ktap_finish
