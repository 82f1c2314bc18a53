#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The direct path end to end, on the host, in the lab of selftests/lib/lab.sh
# (generator -> relay -> sink over veth).  The XDP program on the ingress
# rewrites and redirects a direct stream's packets itself; receivers are
# ordinary UDP sockets, so a bad checksum shows as loss.
#
#  - the egress takes redirects only once its peer in the sink has GRO on:
#    before, a stream runs AF_XDP and status says why; after, direct
#  - 1:1 IPv4 and IPv6 on the direct path: every datagram, in order,
#    intact; counted as direct, and as sent, exactly, none through AF_XDP
#  - --path afxdp keeps a stream on AF_XDP; two subscribers do too
#  - the next hop's MAC changes mid-stream: the stream follows
#  - SIGKILL of the relay mid-stream, restart a second later: nothing lost
#    or repeated; a stopped relay leaves direct streams flowing
#  - stream del ends a direct stream: its entry leaves xr_direct

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

ktap_plan 31
lab_setup || ktap_bail "cannot build the lab"

SIZE=1316
N=20000
RATE=20000

status_has()
{
	ctl status | grep -qF "$1"
}

list_has()
{
	ctl stream list | grep -q "$1"
}

direct_entries()
{
	in_rly bpftool -j map dump pinned "$XDPRELAY_PIN_DIR/xr_direct" |
		grep -o '"key":\[' | wc -l
}

XDPRELAY_PIN_DIR=${XDPRELAY_PIN_DIR:-/sys/fs/bpf/tc/globals}

ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
in_sink ethtool -K xs0 gro off >/dev/null
ktap_check "relay started" relay_start

ctl stream add d4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 ||
	ktap_bail "stream add d4 failed"
ktap_check "no GRO on the egress's peer: d4 runs AF_XDP, and status says why" \
	wait_for 5000 status_has "stream d4: afxdp path: xr1 does not take XDP redirects"
in_sink ethtool -K xs0 gro on >/dev/null
ktap_check "GRO on: d4 runs direct" \
	wait_for 5000 status_has "stream d4: direct path"
ktap_check "the relay said so" \
	grep -q "xr1 takes XDP redirects: the direct path is open" \
	"$TMP/relay.log"
ktap_check "stream list says so" list_has 'stream d4 .* # runs direct$'

relay_check "direct 1:1 IPv4" 10.70.1.2 5000 10.70.2.2
ktap_eq "direct 1:1 IPv4: counted as direct" $N "$(stream_stat d4 direct)"
ktap_eq "direct 1:1 IPv4: none through AF_XDP" 0 \
	"$(stream_stat d4 redirected)"
ktap_eq "direct 1:1 IPv4: tx_packets" $N "$(stream_stat d4 tx_packets)"
# Ethernet and IPv4 headers, UDP header and payload: 14 + 20 + 8 + SIZE.
ktap_eq "direct 1:1 IPv4: tx_bytes" $((N * (42 + SIZE))) \
	"$(stream_stat d4 tx_bytes)"

ctl stream add d6 --listen '[fd70:1::2]:5001' --to '[fd70:2::2]:6000' ||
	ktap_bail "stream add d6 failed"
wait_for 5000 status_has "stream d6: direct path"
relay_check "direct 1:1 IPv6" fd70:1::2 5001 fd70:2::2
ktap_eq "direct 1:1 IPv6: counted as direct" $N "$(stream_stat d6 direct)"
ktap_eq "direct 1:1 IPv6: tx_packets" $N "$(stream_stat d6 tx_packets)"

ctl stream add a4 --listen 10.70.1.2:5002 --to 10.70.2.3:6000 \
	--path afxdp || ktap_bail "stream add a4 failed"
ktap_check "--path afxdp: a4 runs AF_XDP" \
	wait_for 5000 status_has "stream a4: afxdp path: path afxdp asked for"
relay_check "--path afxdp" 10.70.1.2 5002 10.70.2.3
ktap_eq "--path afxdp: redirected to AF_XDP" $N \
	"$(stream_stat a4 redirected)"
ktap_eq "--path afxdp: nothing direct" 0 "$(stream_stat a4 direct)"
ctl stream add two --listen 10.70.1.2:5003 --to 10.70.2.4:6000 \
	--to 10.70.2.5:6000 || ktap_bail "stream add two failed"
ktap_check "two subscribers: AF_XDP" \
	wait_for 5000 status_has "stream two: afxdp path: 2 subscribers"

# The next hop's MAC changes mid-stream, as at a failover: what was sent
# before and during the change may be lost at the sink, and the rest of
# the stream arrives.
mac_change d4 5000 10.70.2.2 $N 02:70:00:00:00:98
ktap_info "MAC change: received $mac_got of $N"
ktap_check "MAC change: the direct stream follows (over half arrives)" \
	test $mac_got -gt $((N / 2))
relay_check "after the MAC change" 10.70.1.2 5000 10.70.2.2
mac_restore 10.70.2.2

# SIGKILL mid-stream, a restart a second later: the program relays on.
N2=40000
base=$(stream_stat d4 tx_packets)
recv_start k4 10.70.2.2 $N2
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
ktap_check "SIGKILL and restart mid-stream: $N2 in order, none lost or repeated" \
	recv_check k4
ktap_check "the restarted relay runs d4 direct" \
	wait_for 5000 status_has "stream d4: direct path"

ktap_check "relay stopped" relay_stop
ktap_check "stream list: d4 runs direct with no relay" \
	list_has 'stream d4 .* # runs direct: no relay running'
relay_check "no relay running: d4 still flows" 10.70.1.2 5000 10.70.2.2

ktap_eq "xr_direct holds d4 and d6" 2 "$(direct_entries)"
ktap_check "stream del d4" ctl stream del d4
ktap_check "stream del d6" ctl stream del d6
ktap_eq "xr_direct is empty" 0 "$(direct_entries)"

ktap_finish
