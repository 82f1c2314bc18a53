#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The operator's story with the module, in the VM: insmod, ip link ... xdp
# obj, xdprelayctl stream add, run, traffic, and the stream's rx_packets and
# tx_packets in /sys, and each subscriber's, equal to what the receivers
# saw, IPv4 and IPv6.  Then the socket backend on the maps alone
# (xdprelayctl init, no program): it registers its listen socket with the
# tuner and reports rx and tx counts, per stream and per subscriber, that
# equal what was sent and received.  Lab: see selftests/lib/lab.sh.

. "$(dirname "$0")/lib/mod.sh"
mod_enter_vm "$@"
. "$top/selftests/lib/lab.sh"

CTL=$top/user/xdprelayctl
S=$SYSFS/streams/tv1
TMP=$(mktemp -d)
relay_pid=

cleanup()
{
	[ -n "$relay_pid" ] && kill -KILL "$relay_pid" 2>/dev/null
	wait 2>/dev/null
	in_rly ip link set dev xr0 xdp off 2>/dev/null
	rm -f /sys/fs/bpf/tc/globals/xr_*
	lab_cleanup
	mod_loaded && wait_for 5000 rmmod xdprelay
	rm -rf "$TMP"
}
trap cleanup EXIT

ktap_plan 32
mod_check_vermagic
[ -x "$CTL" ] || ktap_bail "$CTL not built: run make"
insmod "$KO" || ktap_bail "insmod $KO failed"
lab_setup || ktap_bail "cannot build the lab"

ktap_check "ip link set dev xr0 xdp obj bpf/xdprelay.bpf.o sec xdp" \
	in_rly ip link set dev xr0 xdp obj "$top/bpf/xdprelay.bpf.o" sec xdp
ktap_check "xdprelayctl stream add tv1 (two receivers)" \
	in_rly "$CTL" stream add tv1 --listen 239.1.1.1:5000 \
		--to 10.70.2.2:6000 --to 10.70.2.3:6000 --path afxdp
ktap_eq "stream registered with the module" 1 "$(cat $S/id 2>/dev/null)"

# nsenter execs the relay: $! is the relay itself.
nsenter --net=/run/netns/$LAB_RLY "$CTL" run --ingress xr0 --egress xr1 \
	> "$TMP/relay.log" 2>&1 &
relay_pid=$!
wait_for 30000 grep -q '^queue.0.mode=' /run/xdprelay/status 2>/dev/null ||
	ktap_bail "relay did not start: $(cat "$TMP/relay.log")"

N=3000

# traffic ADDR PORT [RECV_PREFIX]: N datagrams to two receivers,
# RECV_PREFIX2 and 3 (default 10.70.2.); sets $got.
traffic()
{
	local i r pfx=${3:-10.70.2.}

	for i in 2 3; do
		rm -f "$TMP/r$i.ready"
		in_sink "$top/selftests/udprecv" -c $N -s 1316 -t 5000 \
			-r "$TMP/r$i.ready" $pfx$i 6000 \
			> "$TMP/r$i.out" 2>&1 &
		recv_pid[$i]=$!
	done
	wait_for 10000 test -e "$TMP/r2.ready" -a -e "$TMP/r3.ready"
	in_gen "$top/selftests/udpsend" -c $N -s 1316 -r 1000 "$1" "$2"
	got=0
	for i in 2 3; do
		wait "${recv_pid[$i]}"
		ktap_info "receiver $i: $(cat "$TMP/r$i.out")"
		r=$(awk '{ print $2 }' "$TMP/r$i.out")
		got=$((got + r))
	done
}

# sys_counters LABEL DIR SENT RECEIVED IPHDR: the stream's counters in
# /sys: what was sent in, what the receivers got out, bytes of frames
# with an IP header of IPHDR bytes and 1316 of payload.
sys_counters()
{
	local frame=$((14 + $5 + 8 + 1316))

	ktap_eq "$1: /sys rx_packets = datagrams sent" $3 "$(cat $2/rx_packets)"
	ktap_eq "$1: /sys rx_bytes" $(($3 * frame)) "$(cat $2/rx_bytes)"
	ktap_eq "$1: /sys tx_packets = datagrams received" $4 \
		"$(cat $2/tx_packets)"
	ktap_eq "$1: /sys tx_bytes" $(($4 * frame)) "$(cat $2/tx_bytes)"
}

# sub_counters LABEL DIR SUBSCRIBER RECEIVED IPHDR: the subscriber's
# counters in /sys: what its receiver got, none failed.
sub_counters()
{
	local frame=$((14 + $5 + 8 + 1316)) d="$2/subscribers/$3"

	ktap_eq "$1: /sys per subscriber, $3: tx_packets, tx_bytes, tx_errors, tx_no_neigh" \
		"$4 $(($4 * frame)) 0 0" \
		"$(cat "$d/tx_packets" "$d/tx_bytes" "$d/tx_errors" \
			"$d/tx_no_neigh" | xargs)"
}

relay_stop()
{
	kill -TERM $relay_pid
	wait $relay_pid
	rc=$?
	relay_pid=
	ktap_eq "relay stopped cleanly" 0 $rc
}

traffic 239.1.1.1 5000
ktap_eq "receivers got every datagram" $((2 * N)) $got

# IPv6 through the module, the same way.
ktap_check "xdprelayctl stream add tv6 (IPv6, two receivers)" \
	in_rly "$CTL" stream add tv6 --listen [fd70:1::2]:5006 \
		--to [fd70:2::2]:6000 --to [fd70:2::3]:6000 --path afxdp
traffic fd70:1::2 5006 fd70:2::
got6=$got
ktap_eq "IPv6: receivers got every datagram" $((2 * N)) $got6
relay_stop
ktap_info "$(grep -m1 frames "$TMP/relay.log")"

sys_counters "IPv4" $S $N $((2 * N)) 20
ktap_eq "IPv4: /sys redirected = datagrams sent" $N "$(cat $S/redirected)"
sub_counters "IPv4" $S 10.70.2.2:6000 $N 20
sub_counters "IPv4" $S 10.70.2.3:6000 $N 20
sys_counters "IPv6" $SYSFS/streams/tv6 $N $got6 40
sub_counters "IPv6" $SYSFS/streams/tv6 '[fd70:2::2]:6000' $N 40

# The socket backend, with no program: the maps from init.
in_rly ip link set dev xr0 xdp off
rm -f /sys/fs/bpf/tc/globals/xr_*
ktap_check "xdprelayctl init: the maps without a program" in_rly "$CTL" init
S=$SYSFS/streams/tv2
ktap_check "xdprelayctl stream add tv2 (two receivers)" \
	in_rly "$CTL" stream add tv2 --listen 10.70.1.2:5002 \
		--to 10.70.2.2:6000 --to 10.70.2.3:6000
nsenter --net=/run/netns/$LAB_RLY "$CTL" run --ingress xr0 --egress xr1 \
	> "$TMP/relay.log" 2>&1 &
relay_pid=$!
wait_for 30000 grep -q '^queue.0.mode=socket' /run/xdprelay/status \
	2>/dev/null || ktap_bail "relay did not start: $(cat "$TMP/relay.log")"
ktap_check "run without a program picks the socket backend" \
	grep -q "using the socket backend" "$TMP/relay.log"
# The glob is expanded at each try, as sockets/<id> come.
sock_of()
{
	grep -qx "$1" $SYSFS/sockets/*/pid 2>/dev/null
}
wait_for 5000 sock_of $relay_pid
ktap_eq "its listen socket is tuned: sockets/<id>/pid" 1 \
	"$(grep -lx $relay_pid $SYSFS/sockets/*/pid 2>/dev/null | wc -l)"

traffic 10.70.1.2 5002
ktap_eq "socket backend: receivers got every datagram" $((2 * N)) $got
spid=$relay_pid
relay_stop
ktap_eq "socket closed: its sockets/ entry is gone" 0 \
	"$(grep -lx "$spid" $SYSFS/sockets/*/pid 2>/dev/null | wc -l)"
sys_counters "socket backend" $S $N $got 20
sub_counters "socket backend" $S 10.70.2.2:6000 $N 20
sub_counters "socket backend" $S 10.70.2.3:6000 $N 20

ktap_finish
