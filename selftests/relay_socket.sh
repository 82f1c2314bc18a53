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
#  - another user cannot bind a unicast stream's endpoint to take it; a
#    socket of theirs on a group gets a copy and takes nothing away
#  - source filter and policer, with the program policing and without a
#    program (the relay's own), counted as the program counts them
#  - a stream of VLAN 100 takes that VLAN's datagrams only (in the VM)
#  - a subscriber that is a stream's listen endpoint, written into the
#    maps: not relayed to, counted as no_neigh
#  - subscribers added and removed mid-stream cost the others nothing
#  - after SIGKILL a new relay resumes from the pinned state
#  - with the program detached, run without --backend picks the socket
#    backend, says so, and counts what it receives in xr_counters
#  - a stalled relay: tx_packets + rx_dropped = what was sent
#  - with no program ever attached, init creates the maps, and the socket
#    backend relays and counts as before
#  - SIGTERM stops it cleanly and removes the status file

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

ktap_plan $((62 + ${RELAY_SOCKET_VLAN:+2} + 0))
lab_setup || ktap_bail "cannot build the lab"

ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
ktap_check "relay started with --backend socket" relay_start --backend socket -v

SIZE=1316
# mod_relay_socket.sh runs this test in the VM, slower: fewer, slower.
N=${RELAY_SOCKET_N:-20000}
RATE=${RELAY_SOCKET_RATE:-20000}

# 1:1 IPv4, and nobody else can take it.
ctl stream add one4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 \
	2> "$TMP/add.err" || ktap_bail "stream add one4 failed"
wait_for 5000 grep -q "one4: listening" "$TMP/relay.log"
thief_check "1:1 IPv4" 10.70.1.2 5000
relay_check "1:1 IPv4" 10.70.1.2 5000 10.70.2.2
ktap_eq "1:1 IPv4: tx_packets" $N "$(stream_stat one4 tx_packets)"
# Frames as the AF_XDP relay counts them: Ethernet, IP and UDP headers too.
ktap_eq "1:1 IPv4: tx_bytes" $((N * (14 + 20 + 8 + SIZE))) \
	"$(stream_stat one4 tx_bytes)"
ctl stream del one4

# 1:4 IPv4 multicast
ctl stream add fan4 --listen 239.7.7.7:5000 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --to 10.70.2.4:6000 --to 10.70.2.5:6000 \
	2>> "$TMP/add.err" || ktap_bail "stream add fan4 failed"
wait_for 5000 grep -q "fan4: listening" "$TMP/relay.log"
# Another user's socket on the group: a copy of its own, nothing taken.
chmod 711 "$TMP"
mkdir -m 1777 "$TMP/pub"
in_rly setpriv --reuid=nobody --regid=nogroup --clear-groups "$UDPRECV" \
	-d xr0 -c 1 -s $SIZE -t $RECV_IDLE_MS -r "$TMP/pub/mt.ready" \
	239.7.7.7 5000 > "$TMP/mt.out" 2>&1 &
mt_pid=$!
wait_for 5000 test -e "$TMP/pub/mt.ready"
relay_check "1:4 IPv4 multicast" 239.7.7.7 5000 10.70.2.2 10.70.2.3 \
	10.70.2.4 10.70.2.5
ktap_eq "1:4 IPv4 multicast: tx_packets" $((4 * N)) \
	"$(stream_stat fan4 tx_packets)"
# Its own copy: the first datagram of it is enough to tell.
wait $mt_pid
ktap_info "another user on the group: $(cat "$TMP/mt.out")"
ktap_check "1:4 IPv4 multicast: another user's socket on it has a copy" \
	test "$(awk '{ print $2 }' "$TMP/mt.out")" -gt 0
ctl stream del fan4

# 1:1 IPv6
ctl stream add six --listen [fd70:1::2]:5002 --to [fd70:2::2]:6000 \
	2>> "$TMP/add.err" || ktap_bail "stream add six failed"
relay_check "1:1 IPv6" fd70:1::2 5002 fd70:2::2
ktap_eq "1:1 IPv6: tx_packets" $N "$(stream_stat six tx_packets)"
ktap_eq "1:1 IPv6: tx_bytes" $((N * (14 + 40 + 8 + SIZE))) \
	"$(stream_stat six tx_bytes)"
ctl stream del six

# Source filter and policer while the program polices.
filters_check "program attached" 5010

# A stream of one VLAN, through its VLAN device: in the VM, whose kernel
# has the 8021q module (mod_relay_socket.sh sets RELAY_SOCKET_VLAN).
if [ -n "${RELAY_SOCKET_VLAN:-}" ]; then
	vlan_check "socket" 5018 xr0.100
fi

# The control plane never waited for the relay to apply a list.
ktap_eq "stream add: no wait for the relay" "" "$(cat "$TMP/add.err")"
grep -q "GSO refused" "$TMP/relay.log" &&
	ktap_info "$(grep -m1 'GSO refused' "$TMP/relay.log")"

# Subscribers changed mid-stream: the others lose nothing.
# Long enough for a starved VM to apply both changes within it.
sub_change_midstream $((4 * N))

# SIGKILL, then a new relay resumes from the pinned state.
kill -KILL $relay_pid
wait $relay_pid 2>/dev/null
ktap_check "relay restarted after SIGKILL" relay_start --backend socket
recv_start k2 10.70.2.2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5003
ktap_check "restarted relay resumes the pinned stream" recv_check k2
ctl stream del live
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
ktap_check "auto: $N datagrams in order and intact" recv_check a1
# The relay counts what it received once per tick.
wait_for 2000 stat_above auto4 rx_packets $((N - 1))
ktap_eq "auto: rx_packets counted by the relay" $N "$(stream_stat auto4 rx_packets)"

# No program: the relay's own source filter and policer.
filters_check "no program" 5012

# A loop written into the pinned maps behind the CLI's back (which
# refuses it): a subscriber that is another stream's listen endpoint.
# The relay leaves it out, says so, and counts its datagrams as no_neigh.
ctl stream add lp --listen 10.70.1.2:5014 --to 10.70.2.2:6000 ||
	ktap_bail "stream add lp failed"
ctl stream add lq --listen 10.70.1.2:5016 --to 10.70.2.3:6000 ||
	ktap_bail "stream add lq failed"
lp_id=$(ctl stream list --json | grep -oE '"id":[0-9]+,"name":"lp"' |
	cut -d, -f1 | cut -d: -f2)
subs_poke "$lp_id" 10.70.2.2:6000 10.70.1.2:5016
ktap_check "a loop in the maps: the relay says so" \
	wait_for 5000 grep -q "lp: subscriber 10.70.1.2:5016 is the listen endpoint" \
	"$TMP/relay.log"
recv_start l2 10.70.2.2 $N
rm -f "$TMP/lq.ready"
in_sink "$UDPRECV" -t 1000 -s $SIZE -r "$TMP/lq.ready" 10.70.2.3 6000 \
	> "$TMP/lq.out" 2>&1 &
lq_pid=$!
wait_for 5000 test -e "$TMP/lq.ready"
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5014
ktap_check "a loop in the maps: the other subscriber gets every datagram" \
	recv_check l2
wait $lq_pid
ktap_eq "a loop in the maps: nothing reaches the looped stream" 0 \
	"$(awk '{ print $2 }' "$TMP/lq.out")"
ktap_eq "a loop in the maps: the looped stream relayed nothing" 0 \
	"$(stream_stat lq tx_packets)"
wait_for 2000 stat_above lp tx_no_neigh $((N - 1))
ktap_eq "a loop in the maps: no_neigh counts it" $N \
	"$(stream_stat lp tx_no_neigh)"
ctl stream del lp
ctl stream del lq

# A stalled relay: what its full listen socket drops is counted, exactly.
# At least 10000 datagrams: more than its 8 MiB buffer holds.
S=$((N > 10000 ? N : 10000))
stall_counted()
{
	local t d

	t=$(stream_stat drop4 tx_packets)
	d=$(stream_stat drop4 rx_dropped)
	[ $((${t:-0} + ${d:-0})) -ge $S ]
}
ctl stream add drop4 --listen 10.70.1.2:5006 --to 10.70.2.3:6000 ||
	ktap_bail "stream add drop4 failed"
in_sink "$UDPRECV" -t $((2000 + 1000 * S / RATE)) -s $SIZE 10.70.2.3 6000 \
	> "$TMP/d.out" 2>&1 &
kill -STOP $relay_pid
in_gen "$UDPSEND" -c $S -s $SIZE -r $RATE 10.70.1.2 5006
kill -CONT $relay_pid
wait $!
wait_for 2000 stall_counted
sent=$(stream_stat drop4 tx_packets)
dropped=$(stream_stat drop4 rx_dropped)
ktap_info "stalled: sent $sent, dropped $dropped; receiver: $(cat "$TMP/d.out")"
ktap_check "stalled: rx_dropped counts the listen socket's drops" \
	test "${dropped:-0}" -gt 0
ktap_eq "stalled: tx_packets + rx_dropped = datagrams sent" $S \
	$((${sent:-0} + ${dropped:-0}))
ktap_check "relay stops cleanly on SIGTERM again" relay_stop

# A host where no program was ever attached: init creates the maps.
rm -rf /sys/fs/bpf/tc /sys/fs/bpf/xdp /sys/fs/bpf/ip
ktap_check "init creates the maps without a program" ctl init
ctl stream add init4 --listen 10.70.1.2:5008 --to 10.70.2.2:6000 ||
	ktap_bail "stream add init4 failed"
ktap_check "init: run picks the socket backend" relay_start
recv_start i1 10.70.2.2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5008
ktap_check "init: $N datagrams in order and intact" recv_check i1
wait_for 2000 stat_above init4 rx_packets $((N - 1))
ktap_eq "init: rx_packets counted by the relay" $N \
	"$(stream_stat init4 rx_packets)"
ktap_eq "init: tx_packets" $N "$(stream_stat init4 tx_packets)"
ktap_check "relay stops cleanly on SIGTERM, last" relay_stop

ktap_finish
