#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The direct path's counters in /sys, in the VM, with the module and the
# kfunc objects: a 1:1 stream the XDP program redirects and a 1:2 stream
# the TC program fans out, relayed with a relay running, again with none,
# and again with the work handed to the other CPU (run --direct-cpus),
# where the cpumap's program sends.  Every datagram reaches every
# receiver, and the streams' rx, direct, tx_packets and tx_bytes in /sys
# are exactly what was sent and received, whichever way, and so are each
# subscriber's tx counters: the programs count what they send through
# the module's kfuncs.  Lab: see selftests/lib/lab.sh.

. "$(dirname "$0")/lib/mod.sh"
mod_enter_vm "$@"
. "$top/selftests/lib/lab.sh"

CTL=$top/user/xdprelayctl
UDPSEND=$top/selftests/udpsend
UDPRECV=$top/selftests/udprecv
TMP=$(mktemp -d)
relay_pid=

cleanup()
{
	[ -n "$relay_pid" ] && kill -KILL "$relay_pid" 2>/dev/null
	wait 2>/dev/null
	in_rly ip link set dev xr0 xdp off 2>/dev/null
	in_rly tc qdisc del dev xr0 clsact 2>/dev/null
	rm -f /sys/fs/bpf/tc/globals/xr_*
	lab_cleanup
	mod_loaded && wait_for 5000 rmmod xdprelay
	rm -rf "$TMP"
}
trap cleanup EXIT

ktap_plan 30
mod_check_vermagic
[ -x "$CTL" ] || ktap_bail "$CTL not built: run make"
insmod "$KO" || ktap_bail "insmod $KO failed"
lab_setup || ktap_bail "cannot build the lab"
# The egress takes redirects once its peer has GRO on.
in_sink ethtool -K xs0 gro on >/dev/null

ktap_check "ip link set dev xr0 xdp obj bpf/xdprelay.bpf.o sec xdp" \
	in_rly ip link set dev xr0 xdp obj "$top/bpf/xdprelay.bpf.o" sec xdp
in_rly "$CTL" stream add d1 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 ||
	ktap_bail "stream add d1 failed"
in_rly "$CTL" stream add f2 --listen 10.70.1.2:5001 --to 10.70.2.3:6000 \
	--to 10.70.2.4:6000 || ktap_bail "stream add f2 failed"

relay_start()
{
	nsenter --net=/run/netns/$LAB_RLY "$CTL" run --ingress xr0 \
		--egress xr1 "$@" > "$TMP/relay.log" 2>&1 &
	relay_pid=$!
	wait_for 30000 grep -q '^queue.0.mode=' /run/xdprelay/status \
		2>/dev/null
}

status_has()
{
	in_rly "$CTL" status | grep -qF "$1"
}

N=3000
SIZE=1316

# traffic LABEL: N datagrams to each stream; a case per receiver.
traffic()
{
	local r a

	for r in 2 3 4; do
		rm -f "$TMP/r$r.ready"
		in_sink "$UDPRECV" -c $N -s $SIZE -t 10000 \
			-r "$TMP/r$r.ready" 10.70.2.$r 6000 \
			> "$TMP/r$r.out" 2>&1 &
		eval "recv_$r=$!"
	done
	for r in 2 3 4; do
		wait_for 10000 test -e "$TMP/r$r.ready" ||
			ktap_bail "receiver $r did not start"
	done
	in_gen "$UDPSEND" -c $N -s $SIZE -r 2000 10.70.1.2 5000 &
	a=$!
	in_gen "$UDPSEND" -c $N -s $SIZE -r 2000 10.70.1.2 5001
	wait $a
	for r in 2 3 4; do
		eval "a=\$recv_$r"
		wait $a
		ktap_eq "$1: receiver $r got every datagram, in order" \
			"received $N first 0 last $((N - 1)) gaps 0 reordered 0 bad 0" \
			"$(cat "$TMP/r$r.out")"
	done
}

ktap_check "relay started" relay_start
ktap_check "d1 runs direct" wait_for 10000 status_has "stream d1: direct path"
if wait_for 10000 status_has "stream f2: direct path: fan-out to 2"; then
	ktap_ok "f2 runs direct, fanned out by the TC program"
else
	ktap_fail "f2 runs direct, fanned out by the TC program"
	ktap_info "$(cat "$TMP/relay.log")"
fi
traffic "relay running"
kill -TERM $relay_pid
wait $relay_pid
ktap_eq "relay stopped cleanly" 0 $?
relay_pid=
traffic "no relay"

ktap_check "relay started with --direct-cpus 1" relay_start --direct-cpus 1
ktap_check "d1 runs direct, on CPU 1" \
	wait_for 10000 status_has "stream d1: direct path: rewritten and sent on CPU 1"
traffic "handed to CPU 1"
kill -TERM $relay_pid
wait $relay_pid
ktap_eq "relay stopped cleanly" 0 $?
relay_pid=

# Frames: Ethernet, IPv4 and UDP headers and the payload.
F=$((14 + 20 + 8 + SIZE))
S=$SYSFS/streams
ktap_eq "d1: /sys rx_packets" $((3 * N)) "$(cat $S/d1/rx_packets)"
ktap_eq "d1: /sys direct" $((3 * N)) "$(cat $S/d1/direct)"
ktap_eq "d1: /sys tx_packets, whichever way" $((3 * N)) \
	"$(cat $S/d1/tx_packets)"
ktap_eq "d1: /sys tx_bytes" $((3 * N * F)) "$(cat $S/d1/tx_bytes)"
ktap_eq "f2: /sys rx_packets" $((3 * N)) "$(cat $S/f2/rx_packets)"
ktap_eq "f2: /sys direct" $((3 * N)) "$(cat $S/f2/direct)"
ktap_eq "f2: /sys tx_packets, one per subscriber, whichever way" \
	$((6 * N)) "$(cat $S/f2/tx_packets)"
ktap_eq "f2: /sys tx_bytes" $((6 * N * F)) "$(cat $S/f2/tx_bytes)"
for a in 10.70.2.2:6000/d1 10.70.2.3:6000/f2 10.70.2.4:6000/f2; do
	d=$S/${a#*/}/subscribers/${a%/*}
	ktap_eq "${a#*/}: /sys per subscriber, ${a%/*}: tx_packets, tx_bytes, tx_errors, tx_no_neigh" \
		"$((3 * N)) $((3 * N * F)) 0 0" \
		"$(cat $d/tx_packets $d/tx_bytes $d/tx_errors $d/tx_no_neigh | xargs)"
done
ktap_eq "stats/tx_packets: both streams" $((9 * N)) \
	"$(cat $SYSFS/stats/tx_packets)"
ktap_eq "xdprelayctl stats agrees: f2 tx_packets" $((6 * N)) \
	"$(in_rly "$CTL" stats f2 --json | tr -d '\n' | sed 's/"total".*//' |
	   grep -o '"tx_packets": *[0-9]*' | head -n 1 | grep -o '[0-9]*$')"

ktap_finish
