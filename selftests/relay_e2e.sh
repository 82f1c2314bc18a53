#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The AF_XDP relay end to end, on the host, in the lab of selftests/lib/lab.sh
# (generator -> relay -> sink over veth; see the drawing there).  Receivers
# are ordinary UDP sockets in the sink namespace: a datagram with a bad
# checksum is dropped there, so exact counts prove the rewrite.
#
#  - 1:1 and 1:4, IPv4 (1:4 to a multicast group) and IPv6: every datagram, in order, intact
#  - 1:1 makes no payload copy, nor does 1:4 in copy mode (veth)
#  - source filter and policer: refused sources counted and not relayed,
#    the policed rate held
#  - a stream of VLAN 100 takes that VLAN's datagrams only
#  - unmatched traffic on the ingress still reaches the relay's own stack
#  - a subscriber added and one removed mid-stream: no loss on the others
#  - relay killed with SIGKILL: the kernel carries the stream, which it
#    stood by for; a restarted relay resumes from the pinned state
#  - the next hop's MAC changes mid-stream: under 20 ms of loss
#  - a second relay with its own state and run directory runs beside it
#  - streams on the socket path beside AF_XDP (--path socket), 1:2 IPv4
#    and 1:1 IPv6: the program passes them to the stack, the relay's UDP
#    sockets carry every datagram, counted as such, per stream and per
#    subscriber; a config file moves one to AF_XDP while the relay runs
#  - a stream on a group: the membership on the ingress comes and goes
#    with it, and the relay's descriptors are as before
#  - frames: all accounted for after a run of 1e6 packets; no AF_XDP
#    socket left after the stop, as many BPF maps as before the start

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

ktap_plan 66

# Its streams run AF_XDP, which this test is about.
AFXDP="--path afxdp"
lab_setup || ktap_bail "cannot build the lab"

map_count()
{
	bpftool map list | grep -c '^[0-9]*:'
}

ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
maps0=$(map_count)
ktap_check "relay started" relay_start
ktap_eq "it holds two AF_XDP sockets, ingress and egress, for its queue" 2 \
	"$(xsk_count)"
grep -q "mode" "$TMP/relay.log" && ktap_info "$(grep -m1 mode "$TMP/relay.log")"

SIZE=1316
N=20000
RATE=20000

# 1:1 IPv4
ctl stream add one4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 $AFXDP ||
	ktap_bail "stream add one4 failed"
relay_check "1:1 IPv4" 10.70.1.2 5000 10.70.2.2
ktap_eq "1:1 IPv4: no payload copy" 0 "$(stream_stat one4 tx_copies)"
ctl stream del one4

# 1:4 IPv4 multicast
ctl stream add fan4 --listen 239.7.7.7:5000 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --to 10.70.2.4:6000 --to 10.70.2.5:6000 \
	--path afxdp ||
	ktap_bail "stream add fan4 failed"
relay_check "1:4 IPv4 multicast" 239.7.7.7 5000 10.70.2.2 10.70.2.3 \
	10.70.2.4 10.70.2.5
# veth's AF_XDP is copy mode: the kernel copies what it sends, so one
# frame goes out to each subscriber in turn, and no payload is copied.
ktap_eq "1:4 in copy mode: no payload copy" 0 "$(stream_stat fan4 tx_copies)"
ktap_eq "1:4: tx_packets" $((4 * N)) "$(stream_stat fan4 tx_packets)"
ctl stream del fan4

# 1:1 and 1:4 IPv6
ctl stream add six --listen [fd70:1::2]:5002 --to [fd70:2::2]:6000 $AFXDP ||
	ktap_bail "stream add six failed"
relay_check "1:1 IPv6" fd70:1::2 5002 fd70:2::2
ctl sub add six --to [fd70:2::3]:6000 --to [fd70:2::4]:6000 \
	--to [fd70:2::5]:6000
relay_check "1:4 IPv6" fd70:1::2 5002 fd70:2::2 fd70:2::3 fd70:2::4 \
	fd70:2::5
ctl stream del six

# Source filter and policer, in the program.
filters_check "AF_XDP" 5010

# A stream of one VLAN.
vlan_check "AF_XDP" 5012

# Unmatched traffic goes to the relay namespace's own stack.
rm -f "$TMP/local.ready"
in_rly "$UDPRECV" -c 500 -t 3000 -r "$TMP/local.ready" 10.70.1.2 7000 \
	> "$TMP/local.out" 2>&1 &
local_pid=$!
wait_for 5000 test -e "$TMP/local.ready"
in_gen "$UDPSEND" -c 500 -s 100 -r $RATE 10.70.1.2 7000
wait $local_pid
ktap_eq "unmatched port reaches the relay host's stack" \
	"received 500 first 0 last 499 gaps 0 reordered 0 bad 0" \
	"$(cat "$TMP/local.out")"

# The next hop's MAC changes, as at a failover: the relay follows the
# kernel's neighbour notification at once, not its next periodic refresh
# (a second later).  Frames to the old MAC are lost at the sink from the
# moment it changes its MAC until the relay follows: the time the two
# commands take, which the test measures, and the relay's part, which
# must be far below the second a periodic refresh would take.
ctl stream add mac --listen 10.70.1.2:5004 --to 10.70.2.3:6000 $AFXDP ||
	ktap_bail "stream add mac failed"
M=20000
mac_change mac 5004 10.70.2.3 $M 02:70:00:00:00:99
lost=$((M - mac_got))
ktap_info "MAC change: received $mac_got of $M at $RATE/s; the commands took $mac_ms ms, $((lost * 1000 / RATE)) ms of datagrams lost"
ktap_check "MAC change: lost within the commands' time and 100 ms" \
	test $lost -le $(((mac_ms + 100) * RATE / 1000))
# Back to the old MAC, and every neighbour of the egress learnt again.
mac_restore 10.70.2.3
in_rly ip neigh flush dev xr1
ctl stream del mac

# Subscribers changed mid-stream: the others lose nothing.
sub_change_midstream 40000 --path afxdp

# A second relay beside the first, with a state and run directory of its
# own: the socket backend, on what the first one's program passes.
R2="env XDPRELAY_PIN_DIR=/sys/fs/bpf/second XDPRELAY_RUN_DIR=/run/xdprelay/second"
ktap_check "second relay: init its own maps" in_rly $R2 "$CTL" init
in_rly $R2 "$CTL" stream add two --listen 10.70.1.2:5020 \
	--to 10.70.2.4:6000 || ktap_bail "stream add two failed"
nsenter --net=/run/netns/$LAB_RLY $R2 "$CTL" run --ingress xr0 --egress xr1 \
	> "$TMP/relay2.log" 2>&1 &
relay2_pid=$!
ktap_check "second relay runs, in its own run directory" \
	wait_for 10000 grep -qx "pid=$relay2_pid" /run/xdprelay/second/status
ktap_check "the first one runs on, its status its own" \
	eval "kill -0 $relay_pid && grep -qx pid=$relay_pid /run/xdprelay/status"
N=10000
recv_start t4 10.70.2.4 $N
recv_start t2 10.70.2.2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5020 &
send_pid=$!
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5003
wait $send_pid
ktap_check "second relay: its stream, every datagram" recv_check t4
ktap_check "first relay: its stream at the same time" recv_check t2
kill -TERM $relay2_pid
wait $relay2_pid
ktap_eq "second relay stops cleanly" 0 $?
# Its maps go with their pins: no program holds them.
rm -rf /sys/fs/bpf/second

# SIGKILL: the kernel carries the stream, which it stood by for; a new
# relay takes it back.
kill -KILL $relay_pid
wait $relay_pid 2>/dev/null
relay_pid=
base=$(stream_stat live direct)
N=1000
recv_start fb2 10.70.2.2 $N
recv_start fb3 10.70.2.3 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5003
ktap_check "after SIGKILL the kernel carries the stream: receiver 2" \
	recv_check fb2
ktap_check "after SIGKILL the kernel carries the stream: receiver 3" \
	recv_check fb3
ktap_eq "after SIGKILL: counted as direct" $((base + N)) \
	"$(stream_stat live direct)"
ktap_check "relay restarted" relay_start
N=10000
recv_start k2 10.70.2.2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5003
ktap_check "restarted relay resumes the pinned stream" recv_check k2

# Streams on the socket path, beside AF_XDP.
status_says()
{
	ctl status | grep -qF -- "$1"
}

ctl stream add so4 --listen 10.70.1.2:5020 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --path socket || ktap_bail "stream add so4 failed"
ktap_check "--path socket: so4 runs the socket path, and status says why" \
	wait_for 5000 status_says "stream so4: socket path: path socket asked for"
relay_check "socket path 1:2 IPv4" 10.70.1.2 5020 10.70.2.2 10.70.2.3
ktap_eq "socket path: passed to the stack, none to AF_XDP or direct" \
	"$N 0 0" "$(stream_stat so4 socket) $(stream_stat so4 redirected) $(stream_stat so4 direct)"
wait_for 2000 stat_above so4 tx_packets $((2 * N - 1))
ktap_eq "socket path: tx_packets and per subscriber" "$((2 * N)) $N $N" \
	"$(stream_stat so4 tx_packets) $(sub_stat so4 10.70.2.2:6000 tx_packets) $(sub_stat so4 10.70.2.3:6000 tx_packets)"
ctl stream add so6 --listen [fd70:1::2]:5021 --to [fd70:2::2]:6000 \
	--path socket || ktap_bail "stream add so6 failed"
wait_for 5000 status_says "stream so6: socket path"
relay_check "socket path 1:1 IPv6" fd70:1::2 5021 fd70:2::2
ktap_eq "IPv6 socket path: passed to the stack" $N "$(stream_stat so6 socket)"
ctl stream del so6

# The config file moves so4 to AF_XDP while the relay runs.
ctl stream list | sed '/^stream so4 /s/ path socket/ path afxdp/' \
	> "$TMP/streams.conf"
ktap_check "stream apply: so4 to path afxdp" \
	ctl stream apply "$TMP/streams.conf"
ktap_check "so4 runs AF_XDP now" \
	wait_for 5000 status_says "stream so4: afxdp path"
relay_check "so4 on AF_XDP" 10.70.1.2 5020 10.70.2.2 10.70.2.3
ktap_eq "so4 on AF_XDP: redirected, no more to the stack" "$N $N" \
	"$(stream_stat so4 redirected) $(stream_stat so4 socket)"
ctl stream del so4

# A stream on a group: the relay holds a membership on the ingress while
# the stream lives, and gives it back with the stream, and no descriptor.
group_joined()
{
	in_rly ip maddr show dev xr0 | grep -qE "inet +$1\$"
}

fds0=$(ls /proc/$relay_pid/fd | wc -l)
ctl stream add grp --listen 239.9.9.9:5000 --to 10.70.2.2:6000 $AFXDP ||
	ktap_bail "stream add grp failed"
ktap_check "the relay joins the stream's group on the ingress" \
	wait_for 5000 group_joined 239.9.9.9
ctl stream del grp
ktap_check "and leaves it when the stream goes" \
	wait_for 5000 eval '! group_joined 239.9.9.9'
ktap_eq "the relay's descriptors are as before" "$fds0" \
	"$(ls /proc/$relay_pid/fd | wc -l)"

# A long run: every frame comes home (else the relay fails its stop), and
# nothing of it stays: no AF_XDP socket, as many BPF maps as before.
N=1000000
in_gen "$UDPSEND" -c $N -s 64 10.70.1.2 5003
ktap_check "relay stops cleanly on SIGTERM: every frame accounted for" \
	relay_stop
ktap_info "$(grep -m1 'frames' "$TMP/relay.log")"
ktap_eq "no AF_XDP socket left" 0 "$(xsk_count)"
ktap_eq "as many BPF maps as before the relay" "$maps0" "$(map_count)"

ktap_finish
