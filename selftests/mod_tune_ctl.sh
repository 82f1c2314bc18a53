#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdprelayctl tune against xdprelay.ko: the knobs at load, a value set and
# seen in tuning/, a value out of range refused by the module with exit 1
# and the knob unchanged, a registered socket in the table and the JSON,
# and without the module exit 1 and how to load it.  Runs in the VM.

. "$(dirname "$0")/lib/mod.sh"
mod_enter_vm "$@"

CTL=$top/user/xdprelayctl
T=$SYSFS/tuning
HOLDER=

cleanup()
{
	[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
	mod_loaded && rmmod xdprelay
}
trap cleanup EXIT

# Registers a UDP socket with the module, prints its id, holds it until
# killed.
hold_socket()
{
	exec "$top/selftests/tune_hold"
}

[ -x "$CTL" ] || ktap_bail "$CTL not built: run make"

ktap_plan 15
mod_check_vermagic
insmod "$KO" || ktap_bail "insmod $KO failed"

out=$("$CTL" tune)
ktap_eq "tune: exit 0" 0 $?
ktap_check "tune: interval_ms 100 at load" \
	grep -qE '^interval_ms +100$' <<< "$out"
ktap_check "tune: quiet_ms 5000 at load" \
	grep -qE '^quiet_ms +5000$' <<< "$out"
ktap_check "tune: rcvbuf_max 67108864 at load" \
	grep -qE '^rcvbuf_max +67108864$' <<< "$out"
ktap_check "tune: no socket registered" \
	grep -q 'No socket registered' <<< "$out"

ktap_check "tune --interval-ms 50" "$CTL" tune --interval-ms 50
ktap_eq "tuning/interval_ms is 50" 50 "$(cat $T/interval_ms)"

expect "tune --interval-ms 5: refused with the range" 1 \
	"--interval-ms 5 refused by xdprelay.ko: out of range, use 10 to 10000" \
	"$CTL" tune --interval-ms 5
ktap_eq "tuning/interval_ms still 50" 50 "$(cat $T/interval_ms)"

# A refusal puts back the knobs written before it.
expect "tune --quiet-ms 2000 --rcvbuf-max 1: refused" 1 \
	"--rcvbuf-max 1 refused by xdprelay.ko" \
	"$CTL" tune --quiet-ms 2000 --rcvbuf-max 1
ktap_eq "tuning/quiet_ms still 5000" 5000 "$(cat $T/quiet_ms)"

coproc HOLD { hold_socket; }
HOLDER=$HOLD_PID
read -r -t 10 id <&"${HOLD[0]}"
out=$("$CTL" tune)
ktap_check "tune: the registered socket's row (id $id, pid $HOLDER)" \
	grep -qE "^$id +$HOLDER +[0-9]+ +0 +0 +0$" <<< "$out"
expect "tune --json: the socket" 0 \
	"\"sockets\":[{\"id\":$id,\"pid\":$HOLDER,\"rcvbuf\":" \
	"$CTL" tune --json
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
HOLDER=

expect "tune --json: the knobs" 0 \
	'"tuning":{"interval_ms":50,"quiet_ms":5000,"rcvbuf_max":67108864}' \
	"$CTL" tune --json

rmmod xdprelay || ktap_bail "rmmod xdprelay failed"
expect "tune without the module: exit 1, how to load it" 1 \
	"xdprelay.ko is not loaded: load it with 'insmod kmod/xdprelay.ko'" \
	"$CTL" tune

ktap_finish
