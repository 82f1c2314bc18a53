#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# AF_XDP zero-copy end to end, on real drivers: the VM boots sid's kernel
# (selftests/vm/run-vm) with two wires of virtio-net NICs, xr0=xg0 (three
# queue pairs, two in use) and xr1=xs0 (two), and the lab of
# selftests/lib/lab.sh puts them in its namespaces:
# generator xg0 -> xr0 relay xr1 -> xs0 receivers, ordinary UDP sockets.
#
#  - the relay binds zero-copy on both NICs (--mode zerocopy), one UMEM
#    shared across the two devices, the egress socket with fill and
#    completion rings of its own: status says zerocopy for the queue
#  - the egress queue still receives (its fill ring has frames): the
#    subscribers' next hops resolve
#  - 1:1 and 1:4 IPv4 (1:4 to a multicast group), 1:1 and 1:2 IPv6:
#    every datagram, in order, intact; 1:1 copies no payload; counters
#    per stream and per subscriber exact
#  - a fan-out in zero-copy copies the payload for all subscribers but
#    one: each TX descriptor is a whole frame
#  - two queues: 16 flows spread over both of the ingress's RX queues,
#    each queue's worker bound zero-copy and relaying, its figures
#    (stats --json) equal to what the driver redirected to its queue
#  - at stop every frame of the UMEM is accounted for
#  - one queue pair of three in use: virtio-net enables the others for
#    XDP transmit with the program, and ethtool -l counts them; the relay
#    binds the stack's queue alone, and the stream still arrives whole
#  - --mode zerocopy on veth (no zero-copy there) fails with a message
#    that says what to do, and loses nothing: the stream runs on in copy
#    mode once asked for

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/ktap.sh"

if [ -z "${XDPRELAY_IN_VM:-}" ]; then
	[ -s "$top/build/kernels/sid/version" ] ||
		ktap_skip_all "sid's kernel not fetched: run scripts/deps"
	XDPRELAY_VM_KERNEL=sid XDPRELAY_VM_NICS="xr0=xg0:3 xr1=xs0:2" \
		exec "$top/selftests/vm/run-vm" "$0" "$@"
fi

. "$top/selftests/lib/relay.sh"

ktap_plan 42

lab_nics || ktap_bail "the VM has no NICs xr0=xg0 xr1=xs0 (XDPRELAY_VM_NICS)"
lab_setup || ktap_bail "cannot build the lab"
ktap_eq "the lab's links are virtio-net NICs" "virtio_net virtio_net" \
	"$(in_rly ethtool -i xr0 | sed -n 's/^driver: //p') $(in_rly ethtool -i xr1 | sed -n 's/^driver: //p')"
# Two of xr0's three queue pairs in use: too few to spare one per CPU
# for XDP transmit (below, one in use leaves room).
in_rly ethtool -L xr0 combined 2 || ktap_bail "ethtool -L xr0 combined 2 failed"
ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
ktap_check "relay started with --mode zerocopy" relay_start --mode zerocopy
ktap_info "$(grep -m1 'queue 0' "$TMP/relay.log")"
ktap_eq "status file: queues 0 and 1 zerocopy" \
	"queue.0.mode=zerocopy queue.1.mode=zerocopy" \
	"$(grep '^queue.[0-9]*.mode=' /run/xdprelay/status | tr '\n' ' ' | sed 's/ $//')"
ktap_check "xdprelayctl status says zerocopy" \
	eval 'ctl status | grep -q "zerocopy"'
ktap_eq "four AF_XDP sockets, ingress and egress for each queue" 4 \
	"$(xsk_count)"

SIZE=1316
RATE=2000

# 1:1 IPv4: the egress queue answers ARP, so the next hop resolves.
N=4000
ctl stream add one4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 \
	--path afxdp || ktap_bail "stream add one4 failed"
relay_check "zero-copy 1:1 IPv4" 10.70.1.2 5000 10.70.2.2
ktap_eq "1:1 IPv4: redirected, sent, per subscriber" "$N $N $N" \
	"$(stream_stat one4 redirected) $(stream_stat one4 tx_packets) $(sub_stat one4 10.70.2.2:6000 tx_packets)"
ktap_eq "1:1 IPv4: bytes sent, no payload copy, no error, no no_neigh" \
	"$((N * (42 + SIZE))) 0 0 0" \
	"$(stream_stat one4 tx_bytes) $(stream_stat one4 tx_copies) $(stream_stat one4 tx_errors) $(stream_stat one4 tx_no_neigh)"
ctl stream del one4

# 1:4 IPv4 to a multicast group.
ctl stream add fan4 --listen 239.7.7.7:5000 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --to 10.70.2.4:6000 --to 10.70.2.5:6000 \
	--path afxdp || ktap_bail "stream add fan4 failed"
relay_check "zero-copy 1:4 IPv4 multicast" 239.7.7.7 5000 10.70.2.2 \
	10.70.2.3 10.70.2.4 10.70.2.5
ktap_eq "1:4: tx_packets, and each subscriber's" "$((4 * N)) $N $N $N $N" \
	"$(stream_stat fan4 tx_packets) $(sub_stat fan4 10.70.2.2:6000 tx_packets) $(sub_stat fan4 10.70.2.3:6000 tx_packets) $(sub_stat fan4 10.70.2.4:6000 tx_packets) $(sub_stat fan4 10.70.2.5:6000 tx_packets)"
# Each descriptor on the TX ring is a whole frame: every subscriber but
# the last gets a copy.
ktap_eq "1:4: three payload copies a packet" $((3 * N)) \
	"$(stream_stat fan4 tx_copies)"
# The zero-copy egress queue receives into its own fill ring's frames.
ktap_check "the egress queue received the subscribers' ARP answers" \
	eval 'in_rly ip neigh show dev xr1 | grep -Eq "^10.70.2.5 .*(REACHABLE|STALE|DELAY|PROBE)"'
ctl stream del fan4

# IPv6, 1:1 and then 1:2.
ctl stream add six --listen [fd70:1::2]:5002 --to [fd70:2::2]:6000 \
	--path afxdp || ktap_bail "stream add six failed"
relay_check "zero-copy 1:1 IPv6" fd70:1::2 5002 fd70:2::2
ktap_eq "1:1 IPv6: sent, bytes, no copy" "$N $((N * (62 + SIZE))) 0" \
	"$(stream_stat six tx_packets) $(stream_stat six tx_bytes) $(stream_stat six tx_copies)"
ctl sub add six --to [fd70:2::3]:6000
relay_check "zero-copy 1:2 IPv6" fd70:1::2 5002 fd70:2::2 fd70:2::3
ktap_eq "1:2 IPv6: each subscriber's count" "$((2 * N)) $N" \
	"$(sub_stat six [fd70:2::2]:6000 tx_packets) $(sub_stat six [fd70:2::3]:6000 tx_packets)"
ctl stream del six

# Two queues: flows land on the RX queue the device's hash picks, and the
# worker of each queue relays its own.  16 flows leave both queues empty
# with a chance of 2 in 65536.
redirects()
{
	in_rly ethtool -S xr0 | awk -v q="rx$1_xdp_redirects:" '$1 == q { print $2 }'
}
ctl stream add mq --listen 10.70.1.2:5006 --to 10.70.2.3:6000 \
	--path afxdp || ktap_bail "stream add mq failed"
q0=$(redirects 0)
q1=$(redirects 1)
for q in 0 1; do
	for f in rx_packets tx_packets tx_copies; do
		eval "${f}_$q=\$(queue_stat $q $f)"
	done
done
recv_start mq 10.70.2.3 $((16 * 500))
flows_send 16 500 500 10.70.1.2 5006
recv_result mq
ktap_eq "two queues, 16 flows: every datagram relayed, intact" "8000 0" \
	"$got $bad"
q0=$(($(redirects 0) - q0))
q1=$(($(redirects 1) - q1))
ktap_info "queue 0 took $q0 of them, queue 1 $q1"
ktap_eq "two queues: what both received is the stream" 8000 $((q0 + q1))
ktap_check "two queues: each carried traffic" test $q0 -gt 0 -a $q1 -gt 0
ktap_eq "two queues: each worker took what its queue redirected, sent as many, copied nothing" \
	"$q0 $q1 $q0 $q1 0 0" \
	"$(($(queue_stat 0 rx_packets) - rx_packets_0)) $(($(queue_stat 1 rx_packets) - rx_packets_1)) $(($(queue_stat 0 tx_packets) - tx_packets_0)) $(($(queue_stat 1 tx_packets) - tx_packets_1)) $(($(queue_stat 0 tx_copies) - tx_copies_0)) $(($(queue_stat 1 tx_copies) - tx_copies_1))"
ktap_eq "two queues: the stream's counters" "8000 8000 0" \
	"$(stream_stat mq redirected) $(stream_stat mq tx_packets) $(stream_stat mq tx_copies)"

# A longer run at the rate the VM sustains, then the stop: every frame of
# the UMEM is home, some with the drivers until the sockets close.
N=40000
RATE=10000
ctl stream add long --listen 10.70.1.2:5004 --to 10.70.2.2:6000 \
	--path afxdp || ktap_bail "stream add long failed"
relay_check "zero-copy 1:1, $N datagrams at $RATE/s" 10.70.1.2 5004 \
	10.70.2.2
ktap_check "relay stops cleanly on SIGTERM: every frame accounted for" \
	relay_stop
ktap_info "$(grep -m1 'frames' "$TMP/relay.log")"
ktap_eq "no AF_XDP socket left" 0 \
	"$(xsk_count)"

# One of xr0's three queue pairs in use: virtio-net enables the other two
# for its XDP transmit (one per CPU) once the program is attached, and
# ethtool -l counts them from then on.  The relay serves the stack's
# queue pair alone; what the device steers to the others goes the
# kernel's way, and the stream arrives whole.
in_rly ip link set dev xr0 xdp off
in_rly ethtool -L xr0 combined 1 || ktap_bail "ethtool -L xr0 combined 1 failed"
in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp ||
	ktap_bail "cannot attach the program again"
ktap_eq "one queue pair in use: ethtool -l says 3 with the program attached" 3 \
	"$(in_rly ethtool -l xr0 | awk '$1 == "Combined:" { n = $2 } END { print n }')"
ktap_check "relay started with --mode zerocopy" relay_start --mode zerocopy
ktap_eq "it serves queue 0 alone, in zero-copy, with two AF_XDP sockets" \
	"queues=1 queue.0.mode=zerocopy 2" \
	"$(grep -E '^queues=|^queue\.[0-9]+\.mode=' /run/xdprelay/status | tr '\n' ' ')$(xsk_count)"
ktap_check "and says why not queue 1" \
	grep -q "queues 1-2 of xr0 are its XDP transmit queues" "$TMP/relay.log"
red=$(stream_stat mq redirected)
dir=$(stream_stat mq direct)
q0=$(redirects 0)
recv_start mq 10.70.2.3 $((16 * 500))
flows_send 16 500 500 10.70.1.2 5006
recv_result mq
ktap_eq "XDP queue pair on: 16 flows, every datagram relayed, intact" \
	"8000 0" "$got $bad"
red=$(($(stream_stat mq redirected) - red))
dir=$(($(stream_stat mq direct) - dir))
ktap_info "queue 0's socket took $red, the kernel relayed $dir"
ktap_eq "what queue 0 redirected went to its socket, the rest the kernel relayed" \
	"$(($(redirects 0) - q0)) 8000" "$red $((red + dir))"
ktap_check "relay stops cleanly: every frame accounted for" relay_stop
ctl stream del mq

# Where zero-copy cannot be had (veth, here): --mode zerocopy refuses to
# start, says what to do instead, and the stream is still there for a
# relay in copy mode.
in_rly ip link set dev xr0 xdp off
lab_cleanup
unset XDPRELAY_VM_NICS
LAB_ID=veth$$
LAB_GEN=xr-gen-$LAB_ID LAB_RLY=xr-rly-$LAB_ID LAB_SINK=xr-sink-$LAB_ID
lab_setup || ktap_bail "cannot build the veth lab"
in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp ||
	ktap_bail "cannot attach the program on veth"
expect "veth: --mode zerocopy fails, and says what to do" 1 \
	"does not support zero-copy AF_XDP: use --mode auto or --mode copy" \
	nsenter --net=/run/netns/$LAB_RLY timeout 30 "$CTL" run \
		--ingress xr0 --egress xr1 --mode zerocopy
ktap_eq "no AF_XDP socket left behind" 0 \
	"$(xsk_count)"
ktap_check "the stream is still there" eval 'ctl stream list | grep -q long'
ktap_check "relay started with --mode copy" relay_start --mode copy
N=2000
RATE=2000
relay_check "veth, copy mode: the same stream" 10.70.1.2 5004 10.70.2.2
ktap_check "relay stops cleanly" relay_stop

ktap_finish
