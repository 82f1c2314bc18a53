#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# insmod/rmmod of xdprelay.ko 50 times, with streams registered each time:
# every load builds the tree, every unload removes it and gives back its
# memory.  Then 50 more, each unload with a socket registered for tuning
# (its worker running) while a writer stores tuning/interval_ms in a loop,
# which reschedules that worker: no store may queue it into a module on
# its way out.  The VM harness fails the run on any kernel warning.  Runs
# in the VM.

. "$(dirname "$0")/lib/mod.sh"
mod_enter_vm "$@"

LOOPS=50

percpu_kb()
{
	awk '/^Percpu:/ { print $2 }' /proc/meminfo
}

HOLD=$top/selftests/tune_hold

ktap_plan 8
mod_check_vermagic

# One load first so that the module's and the tree's one-time costs
# (module text, BTF, kernfs nodes cached) are in the baseline.
insmod "$KO" && rmmod xdprelay || ktap_bail "first insmod/rmmod failed"
percpu0=$(percpu_kb)
mods0=$(wc -l < /proc/modules)

fails=0
for ((i = 1; i <= LOOPS; i++)); do
	if ! insmod "$KO"; then
		ktap_info "insmod $i failed"
		fails=$((fails + 1))
		continue
	fi
	for id in 1 2 3; do
		echo "$id s$id" > $SYSFS/new_stream ||
			fails=$((fails + 1))
	done
	echo s2 > $SYSFS/del_stream || fails=$((fails + 1))
	[ "$(cat $SYSFS/streams/s3/id)" = 3 ] || fails=$((fails + 1))
	if ! rmmod xdprelay; then
		ktap_info "rmmod $i failed"
		fails=$((fails + 1))
	fi
	[ -e $SYSFS ] && fails=$((fails + 1))
done
ktap_eq "$LOOPS insmod/new_stream/rmmod cycles without an error" 0 $fails
ktap_check "module unloaded" eval '! mod_loaded'
ktap_eq "module list back to baseline" "$mods0" "$(wc -l < /proc/modules)"

# Per-CPU memory is what the module allocates most of (its counters); a
# leak of one load shows as tens of kB.  Allow 8 kB of unrelated churn.
percpu1=$(percpu_kb)
ktap_info "Percpu: ${percpu0} kB before, ${percpu1} kB after"
ktap_check "per-CPU memory back to baseline (+-8 kB)" \
	test $((percpu1 - percpu0)) -le 8 -a $((percpu0 - percpu1)) -le 8
ktap_eq "no tree left" "" "$(ls -d $SYSFS 2>/dev/null)"

# store_loop: interval_ms written as fast as the shell can, until the
# file is gone with the module.
# Counts the writes that succeeded; /tmp/storing says the first one did.
store_loop()
{
	local v=10 n=0

	while [ -e $SYSFS/tuning ]; do
		if printf '%s' $v 2>/dev/null > $SYSFS/tuning/interval_ms; then
			n=$((n + 1))
			[ $n = 1 ] && : > /tmp/storing
		fi
		v=$((v == 10 ? 11 : 10))
	done
	echo $n >> /tmp/stores
}

[ -x "$HOLD" ] || ktap_bail "$HOLD not built: run make tests"
fails=0
rm -f /tmp/stores
for ((i = 1; i <= LOOPS; i++)); do
	insmod "$KO" || { fails=$((fails + 1)); continue; }
	"$HOLD" -c > /tmp/hold.id &
	hold_pid=$!
	wait_for 5000 test -s /tmp/hold.id || fails=$((fails + 1))
	rm -f /tmp/storing
	store_loop &
	store_pid=$!
	# Stores run against the worker before the module goes.
	wait_for 5000 test -e /tmp/storing || fails=$((fails + 1))
	test -e $SYSFS/sockets/"$(cat /tmp/hold.id)" || fails=$((fails + 1))
	if ! rmmod xdprelay; then
		ktap_info "rmmod $i under stores failed"
		fails=$((fails + 1))
	fi
	wait $store_pid
	kill $hold_pid
	wait $hold_pid 2>/dev/null
	rm -f /tmp/hold.id
done
stores=$(awk '{ n += $1 } END { print n + 0 }' /tmp/stores)
ktap_info "$stores stores on interval_ms in all"
ktap_eq "$LOOPS rmmods with a socket tuned and stores on interval_ms" 0 $fails
ktap_check "the stores reached the module" test "$stores" -ge $LOOPS
ktap_check "module unloaded after the stores" eval '! mod_loaded'

ktap_finish
