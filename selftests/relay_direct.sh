#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The direct path end to end, on the host, in the lab of selftests/lib/lab.sh
# (generator -> relay -> sink over veth).  The XDP program on the ingress
# rewrites and redirects a direct stream's packets itself; receivers are
# ordinary UDP sockets, so a bad checksum shows as loss.
#
#  - the egress takes redirects only once its peer in the sink has GRO on:
#    before, a 1:1 stream goes through the TC program, and status says
#    why; after, the XDP program redirects it
#  - 1:1 IPv4 and IPv6 on the direct path: every datagram, in order,
#    intact; counted as direct, and as sent, exactly, none through AF_XDP
#  - --path afxdp keeps a stream on AF_XDP
#  - fan-out in the kernel: the relay puts the TC program on the ingress;
#    1:4 IPv4 and 1:2 IPv6 arrive whole at every receiver, counted
#    exactly; subscribers added and removed mid-stream cost the others
#    nothing; the TC program taken off is put back; a veth egress that
#    would reorder them is named in status
#  - an entry removed behind the relay's back is written again
#  - the next hop's MAC changes mid-stream: the stream follows; its
#    neighbour entry deleted mid-stream costs nothing
#  - SIGKILL of the relay mid-stream, restart a second later: nothing lost
#    or repeated, 1:1 and fan-out; a stopped relay leaves direct streams
#    flowing, and stream list says when a fan-out cannot flow for want of
#    the TC program
#  - streams on AF_XDP (--path afxdp, 1:1 and 1:2) with the kernel standing
#    by: across the SIGKILL and restart, nothing repeated or reordered,
#    and no more lost than went to the dying relay's sockets (at most
#    50 ms of the second it was away); the kernel carried them meanwhile
#  - stream del ends a direct stream: its entries leave xr_direct and
#    xr_fanout
#  - maps pinned anew: the relay replaces the TC program holding the old
#    ones; detach takes the TC program off with the XDP program

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

ktap_plan 91
lab_setup || ktap_bail "cannot build the lab"

SIZE=1316
N=20000
RATE=20000

status_has()
{
	ctl status | grep -qF "$1"
}

status_line()
{
	ctl status | grep -qxF "$1"
}

list_has()
{
	ctl stream list | grep -q "$1"
}

map_entries()
{
	in_rly bpftool -j map dump pinned "$XDPRELAY_PIN_DIR/$1" |
		grep -o '"key":\[' | wc -l
}

direct_entries()
{
	map_entries xr_direct
}

fanout_entries()
{
	map_entries xr_fanout
}

# failover_check NAME COUNT: receiver NAME got COUNT datagrams in order,
# none repeated, but for what went to the killed relay's sockets until
# the kernel closed them (its exit takes a few milliseconds): at most
# 50 ms of the stream, of the second that the relay was away.
failover_check()
{
	local got gaps reord bad

	recv_result "$1"
	[ "$reord" = 0 ] && [ "$bad" = 0 ] && [ "$gaps" = $(($2 - got)) ] &&
		[ $(($2 - got)) -le $((RATE3 / 20)) ]
}

# fanout_kill_check NAME NAME COUNT: the two receivers of stream kf got
# COUNT datagrams each in order, none repeated, but for what kf's
# tx_errors counts.
fanout_kill_check()
{
	local n=$3 lost=0 got gaps reord bad r ok=1

	for r in $1 $2; do
		recv_result "$r"
		[ "$reord" = 0 ] && [ "$bad" = 0 ] &&
			[ "$gaps" = $((n - got)) ] || ok=0
		lost=$((lost + n - got))
	done
	ktap_info "kf: $lost lost, $(stream_stat kf tx_errors) counted as TX errors, $(stream_stat kf tx_no_neigh) as no_neigh; the XDP program took $(($(stream_stat kf direct) - kf_base)) of $n"
	[ $ok = 1 ] && [ "$lost" = "$(stream_stat kf tx_errors)" ] && return 0
	ktap_info "the relay's neighbours: $(in_rly ip neigh show dev xr1 | tr '\n' ';')"
	ktap_info "$(grep -i "10.70.2.[34]" "$TMP/relay.log" | tail -n 4 | tr '\n' ';')"
	return 1
}

attached_again()
{
	[ "$(grep -c "fan-out program attached to xr0" "$TMP/relay.log")" -ge 2 ]
}

XDPRELAY_PIN_DIR=${XDPRELAY_PIN_DIR:-/sys/fs/bpf/tc/globals}

ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
in_sink ethtool -K xs0 gro off >/dev/null
ktap_check "relay started" relay_start

ctl stream add d4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 ||
	ktap_bail "stream add d4 failed"
ktap_check "no GRO on the egress's peer: d4 goes through the TC program, and status says why" \
	wait_for 5000 status_has "stream d4: direct path: one subscriber through the TC program, since xr1 takes no XDP redirects"
# Without GRO the sink's veth takes the TC program's skbs through the
# backlog of the CPU that sent them (status warns of it): a sender that
# moves between CPUs could see them reordered, which one on a NIC queue
# would not.
SEND_CPU=0 relay_check "1:1 through the TC program" 10.70.1.2 5000 10.70.2.2
ktap_eq "1:1 through the TC program: tx_packets" $N \
	"$(stream_stat d4 tx_packets)"
in_sink ethtool -K xs0 gro on >/dev/null
ktap_check "GRO on: the XDP program redirects d4 itself" \
	wait_for 5000 status_line "  stream d4: direct path"
ktap_check "the relay said so" \
	grep -q "xr1 takes XDP redirects: the direct path is open" \
	"$TMP/relay.log"
ktap_check "stream list says so" list_has 'stream d4 .* # runs direct$'

relay_check "direct 1:1 IPv4" 10.70.1.2 5000 10.70.2.2
ktap_eq "direct 1:1 IPv4: counted as direct, both ways" $((2 * N)) \
	"$(stream_stat d4 direct)"
ktap_eq "direct 1:1 IPv4: none through AF_XDP" 0 \
	"$(stream_stat d4 redirected)"
ktap_eq "direct 1:1 IPv4: tx_packets" $((2 * N)) \
	"$(stream_stat d4 tx_packets)"
# Ethernet and IPv4 headers, UDP header and payload: 14 + 20 + 8 + SIZE.
ktap_eq "direct 1:1 IPv4: tx_bytes, both ways" $((2 * N * (42 + SIZE))) \
	"$(stream_stat d4 tx_bytes)"
ktap_eq "direct 1:1 IPv4: the subscriber's tx_packets, both ways" \
	$((2 * N)) "$(sub_stat d4 10.70.2.2:6000 tx_packets)"
ktap_eq "direct 1:1 IPv4: the subscriber's tx_bytes, both ways" \
	$((2 * N * (42 + SIZE))) "$(sub_stat d4 10.70.2.2:6000 tx_bytes)"

ctl stream add d6 --listen '[fd70:1::2]:5001' --to '[fd70:2::2]:6000' ||
	ktap_bail "stream add d6 failed"
wait_for 5000 status_has "stream d6: direct path"
relay_check "direct 1:1 IPv6" fd70:1::2 5001 fd70:2::2
ktap_eq "direct 1:1 IPv6: counted as direct" $N "$(stream_stat d6 direct)"
ktap_eq "direct 1:1 IPv6: tx_packets" $N "$(stream_stat d6 tx_packets)"
ktap_eq "direct 1:1 IPv6: the subscriber's tx_packets" $N \
	"$(sub_stat d6 '[fd70:2::2]:6000' tx_packets)"

ctl stream add a4 --listen 10.70.1.2:5002 --to 10.70.2.3:6000 \
	--path afxdp || ktap_bail "stream add a4 failed"
ktap_check "--path afxdp: a4 runs AF_XDP" \
	wait_for 5000 status_has "stream a4: afxdp path: path afxdp asked for"
relay_check "--path afxdp" 10.70.1.2 5002 10.70.2.3
ktap_eq "--path afxdp: redirected to AF_XDP" $N \
	"$(stream_stat a4 redirected)"
ktap_eq "--path afxdp: nothing direct" 0 "$(stream_stat a4 direct)"
ktap_eq "--path afxdp: the subscriber's tx_packets" $N \
	"$(sub_stat a4 10.70.2.3:6000 tx_packets)"
ctl stream del a4

# Fan-out in the kernel.  Each packet the ingress's NAPI takes becomes a
# copy per subscriber in the sink veth's 256-slot ring, which xr1 (no
# qdisc) fills without backpressure: at a rate that keeps the ingress's
# polls short, every copy arrives; what the ring refuses is counted as a
# TX error (the SIGKILL case below checks that).
RATE=5000
N=10000
ktap_check "the relay put the fan-out program on xr0" \
	status_has "fan-out: in the kernel: TC program"
ctl stream add f4 --listen 10.70.1.2:5004 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --to 10.70.2.4:6000 --to 10.70.2.5:6000 ||
	ktap_bail "stream add f4 failed"
ktap_check "1:4: direct, and status says how" \
	wait_for 5000 status_has "stream f4: direct path: fan-out to 4 subscribers in the kernel (TC)"
ktap_check "stats says so: plain, JSON and Prometheus" \
	eval 'ctl stats f4 | grep -q "^f4 .* direct " &&
	      ctl stats f4 --json | grep -q "\"path\": *\"direct\"" &&
	      ctl stats --prometheus |
	      grep -qx "xdprelay_stream_path{stream=\"f4\",path=\"direct\"} 1"'
relay_check "direct 1:4 IPv4" 10.70.1.2 5004 10.70.2.2 10.70.2.3 \
	10.70.2.4 10.70.2.5
ktap_eq "direct 1:4: counted as direct" $N "$(stream_stat f4 direct)"
ktap_eq "direct 1:4: none through AF_XDP" 0 "$(stream_stat f4 redirected)"
ktap_eq "direct 1:4: tx_packets" $((4 * N)) "$(stream_stat f4 tx_packets)"
ktap_eq "direct 1:4: tx_bytes" $((4 * N * (42 + SIZE))) \
	"$(stream_stat f4 tx_bytes)"
for a in 2 3 4 5; do
	ktap_eq "direct 1:4: 10.70.2.$a's tx_packets and tx_bytes" \
		"$N $((N * (42 + SIZE))) 0 0" \
		"$(sub_stat f4 10.70.2.$a:6000 tx_packets) $(sub_stat f4 10.70.2.$a:6000 tx_bytes) $(sub_stat f4 10.70.2.$a:6000 tx_errors) $(sub_stat f4 10.70.2.$a:6000 tx_no_neigh)"
done
ktap_check "per subscriber in the plain view and in Prometheus" \
	eval 'ctl stats f4 --subscribers |
	      grep -qE "^f4 +10\.70\.2\.5:6000 +$N +$((N * (42 + SIZE))) +0 +0\$" &&
	      ctl stats --prometheus | grep -qx "xdprelay_subscriber_tx_packets_total{stream=\"f4\",subscriber=\"10.70.2.5:6000\"} $N"'
ctl stream del f4
ktap_eq "stream del f4: its subscribers leave xr_fanout" 0 \
	"$(fanout_entries)"

ctl stream add f6 --listen '[fd70:1::2]:5004' --to '[fd70:2::2]:6000' \
	--to '[fd70:2::3]:6000' || ktap_bail "stream add f6 failed"
ktap_check "1:2 IPv6: direct" \
	wait_for 5000 status_has "stream f6: direct path: fan-out"
relay_check "direct 1:2 IPv6" fd70:1::2 5004 fd70:2::2 fd70:2::3
ktap_eq "direct 1:2 IPv6: tx_packets" $((2 * N)) \
	"$(stream_stat f6 tx_packets)"
ctl stream del f6

# Subscribers come and go while the kernel fans out.
sub_change_midstream 40000
ktap_check "the stream of the changes ran direct" \
	status_has "stream live: direct path: fan-out to 2 subscribers"
ctl stream del live

RATE=20000
N=20000

# Someone removes a stream's entries behind the relay's back: the relay
# writes them again.
d4_entry()
{
	in_rly bpftool map lookup pinned "$XDPRELAY_PIN_DIR/xr_direct" \
		key 1 0 0 0 >/dev/null 2>&1
}
ktap_check "an entry removed behind the relay is written again" \
	eval 'in_rly bpftool map delete pinned "$XDPRELAY_PIN_DIR/xr_direct" \
		key 1 0 0 0 && wait_for 3000 d4_entry'

# Someone takes the TC program off: the relay puts it back.
ctl stream add kf --listen 10.70.1.2:5005 --to 10.70.2.3:6000 \
	--to 10.70.2.4:6000 || ktap_bail "stream add kf failed"
in_rly tc qdisc del dev xr0 clsact
ktap_check "clsact deleted: the relay attaches the fan-out program again" \
	wait_for 5000 attached_again
wait_for 5000 status_has "stream kf: direct path: fan-out"
# A veth egress with TSO on sends skbs through the peer's per-CPU backlog.
in_rly ethtool -K xr1 tso on >/dev/null
ktap_check "TSO on the veth egress: status warns of reordering" \
	wait_for 5000 status_has "xr1 is a veth: its peer takes fanned-out packets through the per-CPU backlog"
in_rly ethtool -K xr1 tso off >/dev/null
ktap_check "TSO off: the warning is gone" \
	wait_for 5000 eval '! status_has "xr1 is a veth"'

# The next hop's MAC changes mid-stream, as at a failover: what was sent
# before and during the change may be lost at the sink, and the rest of
# the stream arrives.
mac_change d4 5000 10.70.2.2 $N 02:70:00:00:00:98
ktap_info "MAC change: received $mac_got of $N"
ktap_check "MAC change: the direct stream follows (over half arrives)" \
	test $mac_got -gt $((N / 2))
relay_check "after the MAC change" 10.70.1.2 5000 10.70.2.2
mac_restore 10.70.2.2

# The kernel drops the next hop's neighbour entry mid-stream, as its
# garbage collector takes stale entries that the direct path never
# refreshes: the relay keeps the last MAC while the kernel resolves it
# again, and nothing is lost.
nn_base=$(sub_stat d4 10.70.2.2:6000 tx_no_neigh)
recv_start nd 10.70.2.2 $N
in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5000 &
send_pid=$!
for i in 1 2 3 4 5; do
	sleep 0.15
	in_rly ip neigh del 10.70.2.2 dev xr1 2>/dev/null
done
wait $send_pid
ktap_check "neighbour entry deleted mid-stream, five times: every datagram arrives" \
	recv_check nd
ktap_eq "neighbour entry deleted mid-stream: nothing counted as no_neigh" \
	"$nn_base" "$(sub_stat d4 10.70.2.2:6000 tx_no_neigh)"

# SIGKILL mid-stream, a restart a second later: the program relays on.
N2=40000
base=$(stream_stat d4 tx_packets)
kf_base=$(stream_stat kf direct)
recv_start k4 10.70.2.2 $N2
recv_start kf3 10.70.2.3 $N2
recv_start kf4 10.70.2.4 $N2
in_gen "$UDPSEND" -c $N2 -s $SIZE -r $RATE 10.70.1.2 5005 &
fan_pid=$!
in_gen "$UDPSEND" -c $N2 -s $SIZE -r $RATE 10.70.1.2 5000 &
send_pid=$!
wait_for 10000 stat_above d4 tx_packets $((base + N2 / 4)) ||
	ktap_bail "stream d4 carries nothing"
kill -KILL "$relay_pid"
wait "$relay_pid" 2>/dev/null
relay_pid=
sleep 1
ktap_check "relay restarted" relay_start
wait $send_pid
wait $fan_pid
ktap_check "SIGKILL and restart mid-stream: $N2 in order, none lost or repeated" \
	recv_check k4
# The fan-out doubles what the sink's veth ring takes: on a busy host it
# can refuse some, which the TC program counts as TX errors.
ktap_check "SIGKILL and restart mid-stream: fan-out, in order, none repeated, none lost but what the egress refused" \
	fanout_kill_check kf3 kf4 $N2
ktap_check "the restarted relay runs d4 direct" \
	wait_for 5000 status_has "stream d4: direct path"

# Streams on AF_XDP, 1:2 and 1:1, with the kernel standing by: SIGKILL
# mid-stream, a restart a second later.
N3=20000
RATE3=10000
ctl stream add sa --listen 10.70.1.2:5006 --to 10.70.2.5:6000 \
	--to 10.70.2.5:6001 --path afxdp || ktap_bail "stream add sa failed"
ctl stream add sb --listen 10.70.1.2:5007 --to 10.70.2.2:6001 \
	--path afxdp || ktap_bail "stream add sb failed"
ktap_check "--path afxdp: AF_XDP, the kernel standing by" \
	wait_for 5000 status_has "stream sa: afxdp path: path afxdp asked for; the kernel carries it while no relay does"
wait_for 5000 status_has "stream sb: afxdp path: path afxdp asked for; the kernel"
recv_start sa0 10.70.2.5 $N3
recv_start sa1 10.70.2.5 $N3 6001
recv_start sb 10.70.2.2 $N3 6001
in_gen "$UDPSEND" -c $N3 -s $SIZE -r $RATE3 10.70.1.2 5006 &
sa_pid=$!
in_gen "$UDPSEND" -c $N3 -s $SIZE -r $RATE3 10.70.1.2 5007 &
sb_pid=$!
wait_for 10000 stat_above sa redirected $((N3 / 4)) ||
	ktap_bail "stream sa carries nothing"
kill -KILL "$relay_pid"
wait "$relay_pid" 2>/dev/null
relay_pid=
sleep 1
relay_start || ktap_bail "relay did not restart"
wait $sa_pid
wait $sb_pid
for r in sa0 sa1 sb; do
	ktap_check "SIGKILL and restart, AF_XDP with the kernel standing by: $r in order, none repeated, at most 50 ms lost" \
		failover_check $r $N3
done
ktap_check "the kernel carried sa while no relay did" \
	stat_above sa direct 0
ctl stream del sa
ctl stream del sb

ktap_check "relay stopped" relay_stop
ktap_check "stream list: d4 runs direct with no relay" \
	list_has 'stream d4 .* # runs direct: no relay running'
relay_check "no relay running: d4 still flows" 10.70.1.2 5000 10.70.2.2
relay_check "no relay running: kf still fans out" 10.70.1.2 5005 \
	10.70.2.3 10.70.2.4

# With no relay, nobody puts the fan-out program back: stream list and
# stats say what that costs.
in_rly tc qdisc del dev xr0 clsact
ktap_check "no relay, no TC program: stream list says kf is not relayed, and why" \
	list_has 'stream kf .* # runs none: no relay running, and the fan-out TC program is on no interface'
ktap_check "stats says so too" eval 'ctl stats kf | grep -q "^kf .* none "'
ktap_check "d4, redirected by the XDP program, still runs direct" \
	list_has 'stream d4 .* # runs direct: no relay running'
relay_start || ktap_bail "relay did not start"
wait_for 5000 status_has "fan-out: in the kernel: TC program" ||
	ktap_bail "the relay did not put the fan-out program back"
relay_stop || ktap_bail "relay did not stop"
ktap_check "the next relay put it back: kf runs direct again" \
	list_has 'stream kf .* # runs direct: no relay running'

ktap_eq "xr_direct holds d4, d6 and kf" 3 "$(direct_entries)"
ktap_check "stream del d4" ctl stream del d4
ktap_check "stream del d6" ctl stream del d6
ktap_check "stream del kf" ctl stream del kf
ktap_eq "xr_direct is empty" 0 "$(direct_entries)"
ktap_eq "xr_fanout is empty" 0 "$(fanout_entries)"

# The maps pinned anew under the TC program, which holds the old ones.
in_rly ip link set dev xr0 xdp off
rm -f "$XDPRELAY_PIN_DIR"/xr_*
in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp ||
	ktap_bail "cannot attach the program again"
ctl stream add f2 --listen 10.70.1.2:5004 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 || ktap_bail "stream add f2 failed"
relay_start || ktap_bail "the relay did not start on the new maps"
ktap_check "maps pinned anew: the relay replaces the fan-out program" \
	grep -q "uses maps no longer pinned: replacing it" "$TMP/relay.log"
wait_for 5000 status_has "stream f2: direct path: fan-out"
relay_check "fan-out on the new maps" 10.70.1.2 5004 10.70.2.2 10.70.2.3
relay_stop || ktap_bail "relay did not stop"
ktap_check "detach takes the fan-out program off too" \
	eval 'ctl detach xr0 && [ -z "$(in_rly tc filter show dev xr0 ingress)" ]'

ktap_finish
