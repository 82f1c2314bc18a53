#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The direct path between real drivers: the VM boots sid's kernel
# (selftests/vm/run-vm) with virtio-net NICs, xr0=xg0 and xr1=xs0, in the
# lab of selftests/lib/lab.sh.  The XDP program on xr0 rewrites a direct
# stream's packets and sends them itself; receivers are ordinary UDP
# sockets, so a bad checksum shows as loss.
#
#  - virtio-net takes XDP redirects only while it has a native XDP program
#    of its own: until then a 1:1 stream goes through the TC program, and
#    status says why and what to attach
#  - with bpf/xdprelay_pass.bpf.o on xr1, and the relay's egress socket
#    zero-copy on xr1's queue (where virtio-net drops redirected frames):
#    the stream stays on the TC program, whole, and the relay says why
#  - the relay in copy mode: the XDP program redirects to xr1, every
#    datagram in order and intact; counted as direct and as sent,
#    exactly, per stream and per subscriber, none through AF_XDP, and the
#    driver transmitted each as an XDP frame
#  - fan-out (1:2) in the kernel through the TC program, counted exactly
#  - the relay stopped: the kernel carries the direct stream on its own

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/lib/ktap.sh"

if [ -z "${XDPRELAY_IN_VM:-}" ]; then
	[ -s "$top/build/kernels/sid/version" ] ||
		ktap_skip_all "sid's kernel not fetched: run scripts/deps"
	XDPRELAY_VM_KERNEL=sid XDPRELAY_VM_NICS="xr0=xg0 xr1=xs0" \
		exec "$top/selftests/vm/run-vm" "$0" "$@"
fi

. "$top/selftests/lib/relay.sh"

PASS_OBJ=$top/bpf/xdprelay_pass.bpf.o
[ -e "$PASS_OBJ" ] || ktap_skip_all "$PASS_OBJ not built: run make"

ktap_plan 27

lab_nics || ktap_bail "the VM has no NICs xr0=xg0 xr1=xs0 (XDPRELAY_VM_NICS)"
lab_setup || ktap_bail "cannot build the lab"

SIZE=1316
N=4000
RATE=2000

status_has()
{
	ctl status | grep -qF "$1"
}

status_line()
{
	ctl status | grep -qxF "$1"
}

# xdp_sent: the XDP frames xr1's driver transmitted, over its queues.
xdp_sent()
{
	in_rly ethtool -S xr1 |
		awk '$1 ~ /^tx[0-9]+_xdp_tx:$/ { n += $2 } END { print n + 0 }'
}

ktap_eq "the lab's links are virtio-net NICs" "virtio_net virtio_net" \
	"$(in_rly ethtool -i xr0 | sed -n 's/^driver: //p') $(in_rly ethtool -i xr1 | sed -n 's/^driver: //p')"
ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
ktap_check "relay started" relay_start

ctl stream add d4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 ||
	ktap_bail "stream add d4 failed"
ktap_check "no XDP program on xr1: d4 goes through the TC program, and status says why" \
	wait_for 10000 status_has "stream d4: direct path: one subscriber through the TC program, since xr1 takes no XDP redirects"
ktap_check "the relay names the program to attach" \
	grep -q "attach xdprelay_pass.bpf.o to it" "$TMP/relay.log"
relay_check "1:1 through the TC program" 10.70.1.2 5000 10.70.2.2
ktap_eq "1:1 through the TC program: direct, tx_packets, none through AF_XDP" \
	"$N $N 0" \
	"$(stream_stat d4 direct) $(stream_stat d4 tx_packets) $(stream_stat d4 redirected)"

ktap_check "xdprelay_pass.bpf.o attached to xr1 (native)" \
	in_rly ip link set dev xr1 xdpdrv obj "$PASS_OBJ" sec xdp
# The relay's egress socket holds xr1's only queue in zero-copy, where
# virtio-net would drop what is redirected to it.
ktap_check "relay in zero-copy: no redirects to xr1 still, and the relay says why" \
	wait_for 10000 grep -q "xr1 (virtio_net) drops XDP redirects to queues the relay holds in zero-copy" \
	"$TMP/relay.log"
ktap_check "status: d4 through the TC program" \
	status_has "stream d4: direct path: one subscriber through the TC program"
x0=$(xdp_sent)
relay_check "1:1 beside a zero-copy relay" 10.70.1.2 5000 10.70.2.2
ktap_eq "1:1 beside a zero-copy relay: no XDP frame sent on xr1, all counted" \
	"0 $((2 * N)) $((2 * N))" \
	"$(($(xdp_sent) - x0)) $(stream_stat d4 direct) $(stream_stat d4 tx_packets)"

ktap_check "relay stopped" relay_stop
ktap_check "relay started with --mode copy" relay_start --mode copy
ktap_check "the XDP program redirects d4 itself now" \
	wait_for 10000 status_line "  stream d4: direct path"
ktap_check "the relay said so" \
	grep -q "xr1 takes XDP redirects: the direct path is open" \
	"$TMP/relay.log"
x0=$(xdp_sent)
relay_check "direct 1:1 IPv4" 10.70.1.2 5000 10.70.2.2
ktap_eq "direct 1:1: xr1's driver sent each as an XDP frame" $N \
	$(($(xdp_sent) - x0))
ktap_eq "direct 1:1: direct, tx_packets, the subscriber's, three ways" \
	"$((3 * N)) $((3 * N)) $((3 * N))" \
	"$(stream_stat d4 direct) $(stream_stat d4 tx_packets) $(sub_stat d4 10.70.2.2:6000 tx_packets)"
ktap_eq "direct 1:1: tx_bytes, none through AF_XDP, no error" \
	"$((3 * N * (42 + SIZE))) 0 0" \
	"$(stream_stat d4 tx_bytes) $(stream_stat d4 redirected) $(stream_stat d4 tx_errors)"

ctl stream add f2 --listen 10.70.1.2:5001 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 || ktap_bail "stream add f2 failed"
ktap_check "1:2 fans out in the kernel" \
	wait_for 10000 status_has "stream f2: direct path: fan-out to 2 subscribers in the kernel (TC)"
relay_check "direct 1:2" 10.70.1.2 5001 10.70.2.2 10.70.2.3
ktap_eq "direct 1:2: direct, tx_packets, each subscriber's" \
	"$N $((2 * N)) $N $N" \
	"$(stream_stat f2 direct) $(stream_stat f2 tx_packets) $(sub_stat f2 10.70.2.2:6000 tx_packets) $(sub_stat f2 10.70.2.3:6000 tx_packets)"
ctl stream del f2

ktap_check "relay stopped" relay_stop
relay_check "no relay: the kernel carries d4" 10.70.1.2 5000 10.70.2.2
ktap_eq "no relay: direct, tx_packets" "$((4 * N)) $((4 * N))" \
	"$(stream_stat d4 direct) $(stream_stat d4 tx_packets)"
in_rly ip link set dev xr1 xdp off
ktap_finish
