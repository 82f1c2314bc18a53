#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Several receive queues on the host: the lab of selftests/lib/lab.sh with
# veth pairs of two queues each (LAB_QUEUES=2), so that a flow arrives on
# the receive queue of the transmit queue its sender's socket hashed to.
#
#  - the relay serves both queues: a worker and two AF_XDP sockets each,
#    status and the status file name both
#  - 16 flows of one stream: every datagram in order and intact, both
#    queues carry some, and each queue's figures (stats --json, --queues,
#    --prometheus, status) equal what the kernel redirected to it
#    (ethtool -S rx_queue_N_xdp_redirect), 1:1 and 1:2
#  - a relay started again starts its queues' figures from zero
#  - --queues 1 serves queue 0 only: the kernel relays queue 1's packets
#    itself (the stream's standby entry, for a queue without a socket),
#    the stream still arrives whole, and the figures show queue 0 alone
#  - with no relay, stats --queues says there is none

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

ktap_plan 33

LAB_QUEUES=2
lab_setup || ktap_bail "cannot build the lab"
ktap_eq "ingress veth with two receive queues" "2 2" \
	"$(in_rly ethtool -l xr0 | awk '$1 == "RX:" { print $2 }' | tr '\n' ' ' | sed 's/ $//')"

ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
ktap_check "relay started" relay_start
ktap_eq "status file: queues 0 and 1" "queues=2 queue.0.mode=copy queue.1.mode=copy" \
	"$(grep -E '^queues=|^queue\.[0-9]+\.mode=' /run/xdprelay/status | tr '\n' ' ' | sed 's/ $//')"
ktap_eq "four AF_XDP sockets, ingress and egress for each queue" 4 \
	"$(xsk_count)"
ktap_eq "each queue's figures start at zero" "0 0 0 0" \
	"$(queue_stat 0 rx_packets) $(queue_stat 1 rx_packets) $(queue_stat 0 tx_packets) $(queue_stat 1 tx_packets)"

SIZE=1316
FLOWS=16
PER=500
N=$((FLOWS * PER))

# xr0_stat Q NAME: receive queue Q's rx_queue_Q_NAME of xr0 (ethtool -S).
xr0_stat()
{
	in_rly ethtool -S xr0 |
		awk -v q="rx_queue_$1_$2:" '$1 == q { print $2 }'
}

# flows_check LABEL PORT ADDR...: $FLOWS senders of $PER datagrams each,
# one socket apiece, to 10.70.1.2:PORT; a receiver per ADDR gets them
# all, intact (the flows interleave: order is not theirs to keep).  q0
# and q1 say what the program redirected from each receive queue, p0 and
# p1 what it saw there.
flows_check()
{
	local label=$1 port=$2 a i=0 r0 r1 s0 s1 got bad

	shift 2
	for a; do
		recv_start fc$((i += 1)) "$a" $N
	done
	r0=$(xr0_stat 0 xdp_redirect)
	r1=$(xr0_stat 1 xdp_redirect)
	s0=$(xr0_stat 0 xdp_packets)
	s1=$(xr0_stat 1 xdp_packets)
	flows_send $FLOWS $PER 1000 10.70.1.2 "$port"
	i=0
	for a; do
		recv_result fc$((i += 1))
		ktap_eq "$label: $a got all $N, intact" "$N 0" "$got $bad"
	done
	q0=$(($(xr0_stat 0 xdp_redirect) - r0))
	q1=$(($(xr0_stat 1 xdp_redirect) - r1))
	p0=$(($(xr0_stat 0 xdp_packets) - s0))
	p1=$(($(xr0_stat 1 xdp_packets) - s1))
	ktap_info "$label: queue 0 saw $p0 and redirected $q0, queue 1 saw $p1 and redirected $q1"
}

ctl stream add mq --listen 10.70.1.2:5000 --to 10.70.2.2:6000 \
	--path afxdp || ktap_bail "stream add mq failed"
flows_check "1:1, $FLOWS flows" 5000 10.70.2.2
ktap_eq "1:1: both queues together took the stream" $N $((q0 + q1))
ktap_check "1:1: each queue carried traffic" test $q0 -gt 0 -a $q1 -gt 0
ktap_eq "1:1: each queue's worker took what its queue redirected" \
	"$q0 $q1" "$(queue_stat 0 rx_packets) $(queue_stat 1 rx_packets)"
ktap_eq "1:1: each sent as many, with bytes to match, no copy" \
	"$q0 $q1 $((q0 * (42 + SIZE))) $((q1 * (42 + SIZE))) 0 0" \
	"$(queue_stat 0 tx_packets) $(queue_stat 1 tx_packets) $(queue_stat 0 tx_bytes) $(queue_stat 1 tx_bytes) $(queue_stat 0 tx_copies) $(queue_stat 1 tx_copies)"
ktap_eq "1:1: each queue's rx_bytes, the frames from their MAC header" \
	"$((q0 * (42 + SIZE))) $((q1 * (42 + SIZE)))" \
	"$(queue_stat 0 rx_bytes) $(queue_stat 1 rx_bytes)"
ktap_eq "1:1: the kernel dropped nothing on the way in" "0 0" \
	"$(queue_stat 0 xsk_dropped) $(queue_stat 1 xsk_dropped)"
ktap_eq "1:1: the stream's counters" "$N $N" \
	"$(stream_stat mq redirected) $(stream_stat mq tx_packets)"

# The other views of the same figures.
ctl stats --queues > "$TMP/plain"
ktap_eq "stats --queues: a row per queue, with its mode and rx_packets" \
	"0 copy $q0|1 copy $q1|" \
	"$(awk 'f && NF { printf "%s %s %s|", $1, $2, $3 } $1 == "QUEUE" { f = 1 }' "$TMP/plain")"
ctl stats --prometheus > "$TMP/prom"
ktap_eq "stats --prometheus: each queue's rx_packets" \
	"xdprelay_queue_rx_packets_total{queue=\"0\",mode=\"copy\"} $q0|xdprelay_queue_rx_packets_total{queue=\"1\",mode=\"copy\"} $q1|" \
	"$(grep '^xdprelay_queue_rx_packets_total' "$TMP/prom" | tr '\n' '|')"
ctl status > "$TMP/status"
ktap_eq "status: each queue with its mode and figures" \
	"queue 0: copy, $q0 packets received, $q0 sent, 0 copies, 0 dropped on the way in|queue 1: copy, $q1 packets received, $q1 sent, 0 copies, 0 dropped on the way in|" \
	"$(sed -n 's/^  \(queue [0-9]*: .*\)/\1/p' "$TMP/status" | tr '\n' '|')"
ctl stats --watch 1 --count 2 --queues > "$TMP/watch"
ktap_eq "stats --watch --queues: the rate columns" 2 \
	"$(grep -c '^QUEUE  MODE  RX_PPS  TX_PPS' "$TMP/watch")"

# 1:2: each queue's worker sends both copies of what it took.
rx0=$(queue_stat 0 rx_packets)
rx1=$(queue_stat 1 rx_packets)
tx0=$(queue_stat 0 tx_packets)
tx1=$(queue_stat 1 tx_packets)
ctl stream add mq2 --listen 10.70.1.2:5001 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --path afxdp || ktap_bail "stream add mq2 failed"
flows_check "1:2, $FLOWS flows" 5001 10.70.2.2 10.70.2.3
ktap_check "1:2: each queue carried traffic" test $q0 -gt 0 -a $q1 -gt 0
ktap_eq "1:2: each queue took what it redirected and sent two of each" \
	"$q0 $q1 $((2 * q0)) $((2 * q1))" \
	"$(($(queue_stat 0 rx_packets) - rx0)) $(($(queue_stat 1 rx_packets) - rx1)) $(($(queue_stat 0 tx_packets) - tx0)) $(($(queue_stat 1 tx_packets) - tx1))"
ctl stream del mq2

# Again with one queue served: queue 1 has no socket.
ktap_check "relay stopped" relay_stop
ktap_check "relay started with --queues 1" relay_start --queues 1
ktap_check "it warns that queue 1 gets no socket" \
	grep -q "queues 1-1 of xr0 get no socket" "$TMP/relay.log"
ktap_eq "status file: queue 0 only, two AF_XDP sockets" "queues=1 2" \
	"$(grep '^queues=' /run/xdprelay/status) $(xsk_count)"
ktap_eq "the figures start again from zero" 0 "$(queue_stat 0 rx_packets)"
red=$(stream_stat mq redirected)
dir=$(stream_stat mq direct)
flows_check "--queues 1, $FLOWS flows" 5000 10.70.2.2
ktap_check "--queues 1: each queue saw traffic" test $p0 -gt 0 -a $p1 -gt 0
# What the program saw on a queue may hold a packet not of the stream (a
# neighbour's); what it redirected to queue 0's socket is the stream's.
ktap_eq "--queues 1: queue 0's redirected, queue 1's relayed by the kernel" \
	"$q0 $((N - q0))" \
	"$(($(stream_stat mq redirected) - red)) $(($(stream_stat mq direct) - dir))"
ktap_eq "--queues 1: queue 0's figures, and none of queue 1" "$q0 $q0 none" \
	"$(queue_stat 0 rx_packets) $(queue_stat 0 tx_packets) $(queue_stat 1 rx_packets || echo none)"

ktap_check "relay stopped" relay_stop
ktap_check "with no relay, stats --queues says so" \
	eval 'ctl stats --queues | grep -qx "no AF_XDP queues: no relay running"'
ktap_finish
