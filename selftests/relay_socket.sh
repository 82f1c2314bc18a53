#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The socket backend (xdprelayctl run --backend socket) end to end, on the
# host, in the lab of selftests/lib/lab.sh, as relay_e2e.sh tests the AF_XDP
# one.  The maps variant is attached with ip link so that the pinned state
# exists; with no AF_XDP socket its redirects fall back to the stack, where
# the relay's UDP sockets read them.
#
#  - 1:1 IPv4, 1:4 IPv4 multicast, 1:1 IPv6: every datagram, in order, intact
#  - stats --json tx_packets equals what the receivers got
#  - with the program detached, run without --backend picks the socket
#    backend, says so, and counts what it receives in xr_counters
#  - SIGTERM stops it cleanly and removes the status file

. "$(dirname "$0")/lib/ktap.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/lab.sh"

CTL=$top/user/xdprelayctl
UDPSEND=$top/selftests/udpsend
UDPRECV=$top/selftests/udprecv
OBJ=$top/bpf/xdprelay_maps.bpf.o
TMP=

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root (network namespaces, XDP)"
for f in "$CTL" "$UDPSEND" "$UDPRECV" "$OBJ"; do
	[ -e "$f" ] || ktap_skip_all "$f not built: run make tests"
done
lab_private_bpffs "$@" || ktap_bail "cannot mount a private bpffs"

relay_pid=
cleanup()
{
	[ -n "$relay_pid" ] && kill -KILL "$relay_pid" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	lab_cleanup
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT
TMP=$(mktemp -d)

ctl()
{
	in_rly "$CTL" "$@"
}

# relay_start [ARGS]: nsenter execs the relay, so $! is the relay itself.
relay_start()
{
	nsenter --net=/run/netns/$LAB_RLY "$CTL" run --ingress xr0 \
		--egress xr1 "$@" > "$TMP/relay.log" 2>&1 &
	relay_pid=$!
	wait_for 10000 grep -q "^queue.0.mode=socket" /run/xdprelay/status \
		2>/dev/null
}

relay_stop()
{
	local rc

	kill -TERM "$relay_pid"
	wait "$relay_pid"
	rc=$?
	relay_pid=
	[ $rc = 0 ] && [ ! -e /run/xdprelay/status ]
}

# recv_start NAME ADDR COUNT: a receiver in the sink namespace.
recv_start()
{
	rm -f "$TMP/$1.ready"
	in_sink "$UDPRECV" -c "$3" -s $SIZE -t 3000 -r "$TMP/$1.ready" \
		"$2" 6000 > "$TMP/$1.out" 2>&1 &
	eval "recv_pid_$1=$!"
	wait_for 5000 test -e "$TMP/$1.ready"
}

recv_check()
{
	local pid

	eval "pid=\$recv_pid_$1"
	if wait "$pid"; then
		return 0
	fi
	ktap_info "$1: $(cat "$TMP/$1.out")"
	return 1
}

# stat STREAM FIELD: one counter of a stream from stats --json (the
# stream's object, not the total that follows it).
stat()
{
	ctl stats "$1" --json | tr -d '\n' | sed 's/"total".*//' |
		grep -o "\"$2\": *[0-9]*" | head -n 1 | grep -o '[0-9]*$'
}

ktap_plan 18
lab_setup || ktap_bail "cannot build the lab"

ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
ktap_check "relay started with --backend socket" relay_start --backend socket -v

SIZE=1316
N=20000
RATE=20000

# 1:1 IPv4
ctl stream add one4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 \
	2> "$TMP/add.err" || ktap_bail "stream add one4 failed"
recv_start r1 10.70.2.2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5000
ktap_check "1:1 IPv4: $N datagrams in order and intact" recv_check r1
ktap_eq "1:1 IPv4: tx_packets" $N "$(stat one4 tx_packets)"
# Frames as the AF_XDP relay counts them: Ethernet, IP and UDP headers too.
ktap_eq "1:1 IPv4: tx_bytes" $((N * (14 + 20 + 8 + SIZE))) \
	"$(stat one4 tx_bytes)"
ctl stream del one4

# 1:4 IPv4 multicast
ctl stream add fan4 --listen 239.7.7.7:5000 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --to 10.70.2.4:6000 --to 10.70.2.5:6000 \
	2>> "$TMP/add.err" || ktap_bail "stream add fan4 failed"
for i in 2 3 4 5; do
	recv_start f$i 10.70.2.$i $N
done
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 239.7.7.7 5000
for i in 2 3 4 5; do
	ktap_check "1:4 IPv4 multicast: receiver $i got $N" recv_check f$i
done
ktap_eq "1:4 IPv4 multicast: tx_packets" $((4 * N)) \
	"$(stat fan4 tx_packets)"
ctl stream del fan4

# 1:1 IPv6
ctl stream add six --listen [fd70:1::2]:5002 --to [fd70:2::2]:6000 \
	2>> "$TMP/add.err" || ktap_bail "stream add six failed"
recv_start s2 fd70:2::2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE fd70:1::2 5002
ktap_check "1:1 IPv6: $N datagrams in order and intact" recv_check s2
ktap_eq "1:1 IPv6: tx_packets" $N "$(stat six tx_packets)"
ktap_eq "1:1 IPv6: tx_bytes" $((N * (14 + 40 + 8 + SIZE))) \
	"$(stat six tx_bytes)"
ctl stream del six

# The control plane never waited for the relay to apply a list.
ktap_eq "stream add: no wait for the relay" "" "$(cat "$TMP/add.err")"
grep -q "GSO refused" "$TMP/relay.log" &&
	ktap_info "$(grep -m1 'GSO refused' "$TMP/relay.log")"
ktap_check "relay stops cleanly on SIGTERM" relay_stop

# No program: run picks the socket backend itself and counts what arrives.
in_rly ip link set dev xr0 xdp off
ktap_check "without a program run picks the socket backend" \
	relay_start
ktap_info "$(grep -m1 'socket backend' "$TMP/relay.log")"
ctl stream add auto4 --listen 10.70.1.2:5004 --to 10.70.2.2:6000 ||
	ktap_bail "stream add auto4 failed"
recv_start a1 10.70.2.2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5004
recv_check a1
sleep 0.3	# the received counters reach xr_counters once per tick
ktap_eq "auto: rx_packets counted by the relay" $N "$(stat auto4 rx_packets)"
ktap_check "relay stops cleanly on SIGTERM again" relay_stop

ktap_finish
