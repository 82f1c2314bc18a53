#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The direct path handed to other CPUs (run --direct-cpus), end to end on
# the host in the lab of selftests/lib/lab.sh.  The XDP program matches a
# direct stream's packet on the receiving CPU and hands it through the
# cpumap xr_cpus to the CPU given; the cpumap's program rewrites and sends
# it there.  Receivers are ordinary UDP sockets.
#
#  - a CPU list out of range, backwards, or naming an offline CPU is
#    refused, with what is wrong
#  - status says where the direct path runs; xr_cpus has an entry for the
#    CPU given and for no other, and one removed behind the relay's back
#    is written again
#  - 1:1 IPv4 and IPv6, a VLAN-tagged stream and a 1:4 fan-out: every
#    datagram, in order, intact, counted exactly; the cpumap's thread on
#    that CPU did the work
#  - a stream on AF_XDP with the kernel standing by: with no relay, the
#    kernel carries it through that CPU
#  - a burst that overflows the queue to the other CPU: every copy is
#    sent or counted, in HANDOFF_DROP or TX_ERRORS
#  - SIGKILL of the relay mid-stream, restart a second later: the new
#    relay keeps the CPU's entry and its thread; nothing lost, repeated
#    or reordered
#  - the relay restarted without --direct-cpus mid-stream: the stream
#    moves back to the receiving CPU, nothing lost or repeated, and
#    xr_cpus is empty
#  - a hand-off entry the XDP program finds no CPU entry for is sent on
#    the receiving CPU: nothing lost

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

ktap_plan 51
lab_setup || ktap_bail "cannot build the lab"

SIZE=1316
N=20000
RATE=20000
# The last CPU: on the 2-CPU machines of CI, not the one udpsend starts on
# as often as not; either way the hand-off goes through the cpumap.
CPU=$(($(nproc) - 1))
XDPRELAY_PIN_DIR=${XDPRELAY_PIN_DIR:-/sys/fs/bpf/tc/globals}

status_has()
{
	ctl status | grep -qF "$1"
}

# cpus_entries: the CPUs that xr_cpus has an entry for, one per line (a
# key without one dumps as an error); CPUs are below 256, the key's first
# byte.
cpus_entries()
{
	local b

	for b in $(in_rly bpftool -j map dump pinned \
			"$XDPRELAY_PIN_DIR/xr_cpus" | tr -d ' \n' |
		   grep -o '"key":\["0x[0-9a-f]*"[^]]*\],"value":\[' |
		   grep -o '^"key":\["0x[0-9a-f]*' | grep -o '0x.*'); do
		echo $((b))
	done
}

# kthread_ns: nanoseconds on CPU of the cpumap threads of CPU $CPU.
kthread_ns()
{
	local p sum=0 ns

	for p in $(pgrep "^cpumap/$CPU/map"); do
		read -r ns _ < /proc/$p/schedstat
		sum=$((sum + ns))
	done
	echo $sum
}

# run_refused RC TEXT ARGS...: run ARGS exits RC and says TEXT.
run_refused()
{
	local rc=$1 text=$2

	shift 2
	ctl run --ingress xr0 --egress xr1 "$@" > "$TMP/refused" 2>&1
	[ $? = "$rc" ] && grep -qF -- "$text" "$TMP/refused" && return 0
	ktap_info "$(cat "$TMP/refused")"
	return 1
}

# switch_check NAME COUNT: receiver NAME got COUNT datagrams, none lost,
# none repeated, none damaged.  The frames in flight in a cpumap queue
# when a stream moves to another CPU can arrive after later ones: that
# is allowed, and said.
switch_check()
{
	local got gaps reord bad

	recv_result "$1"
	[ "$got" = "$2" ] && [ "$bad" = 0 ]
}

ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
in_sink ethtool -K xs0 gro on >/dev/null

ktap_check "--direct-cpus 300: refused as a usage error, with the range" \
	run_refused 2 "300 is out of range: use 0 to 255 in CPU list '300'" \
	--direct-cpus 300
ktap_check "--direct-cpus 1-0: refused, the range runs backwards" \
	run_refused 2 "range 1-0 in CPU list '1-0' runs backwards" \
	--direct-cpus 1-0
ktap_check "--direct-cpus 0,: refused, not a CPU list" \
	run_refused 2 "'0,' is not a CPU list" --direct-cpus 0,
ktap_check "--direct-cpus 255: refused, CPU 255 is not online" \
	run_refused 1 "CPU 255 is not online (online: $(cat /sys/devices/system/cpu/online))" \
	--direct-cpus 255
ktap_eq "the refused relays left xr_cpus empty" "" "$(cpus_entries)"

ktap_check "relay started with --direct-cpus $CPU" \
	relay_start --direct-cpus $CPU
ktap_check "status says where the direct path runs" \
	status_has "direct path: rewrites and sends on CPU $CPU, handed over from the receiving CPU"
ktap_check "status --json says so" \
	eval 'ctl status --json | grep -q "\"direct_cpus\": *\"$CPU\""'
ktap_eq "xr_cpus has an entry for CPU $CPU and no other" "$CPU" \
	"$(cpus_entries)"
in_rly bpftool map delete pinned "$XDPRELAY_PIN_DIR/xr_cpus" key $CPU 0 0 0
ktap_check "an entry removed behind the relay is written again" \
	wait_for 3000 eval '[ "$(cpus_entries)" = "$CPU" ]'
ktap_check "the relay said so" \
	grep -q "xr_cpus changed behind the relay (the entry of CPU $CPU)" \
	"$TMP/relay.log"

ctl stream add d4 --listen 10.70.1.2:5000 --to 10.70.2.2:6000 ||
	ktap_bail "stream add d4 failed"
ktap_check "d4: direct path, rewritten and sent on CPU $CPU" \
	wait_for 5000 status_has "stream d4: direct path: rewritten and sent on CPU $CPU"
ns0=$(kthread_ns)
relay_check "1:1 IPv4 through CPU $CPU" 10.70.1.2 5000 10.70.2.2
ns1=$(kthread_ns)
ktap_info "the cpumap thread of CPU $CPU ran $(((ns1 - ns0) / 1000)) us"
ktap_check "the cpumap thread of CPU $CPU did the work" test $ns1 -gt $ns0
ktap_eq "1:1 IPv4: counted as direct" $N "$(stream_stat d4 direct)"
ktap_eq "1:1 IPv4: tx_packets" $N "$(stream_stat d4 tx_packets)"
ktap_eq "1:1 IPv4: tx_bytes" $((N * (42 + SIZE))) \
	"$(stream_stat d4 tx_bytes)"
ktap_eq "1:1 IPv4: no TX errors" 0 "$(stream_stat d4 tx_errors)"
ktap_eq "1:1 IPv4: none dropped in the hand-off" 0 \
	"$(stream_stat d4 handoff_dropped)"

ctl stream add d6 --listen '[fd70:1::2]:5001' --to '[fd70:2::2]:6000' ||
	ktap_bail "stream add d6 failed"
wait_for 5000 status_has "stream d6: direct path: rewritten and sent on CPU"
relay_check "1:1 IPv6 through CPU $CPU" fd70:1::2 5001 fd70:2::2
ktap_eq "1:1 IPv6: tx_packets" $N "$(stream_stat d6 tx_packets)"
ctl stream del d6

# A tagged frame: the cpumap's program strips the tag the XDP program
# found, from the offsets it was handed.
vlan_check "through CPU $CPU" 5012

# A stream on AF_XDP with the kernel standing by: while no relay runs,
# the kernel carries it, on CPU $CPU too.
ctl stream add sb --listen 10.70.1.2:5007 --to 10.70.2.3:6000 \
	--path afxdp || ktap_bail "stream add sb failed"
ktap_check "--path afxdp: AF_XDP, the kernel standing by" \
	wait_for 5000 status_has "stream sb: afxdp path: path afxdp asked for; the kernel carries it while no relay does"
ktap_check "relay stopped" relay_stop
ns0=$(kthread_ns)
relay_check "no relay: the kernel carries sb" 10.70.1.2 5007 10.70.2.3
ns1=$(kthread_ns)
ktap_check "no relay: sb went through CPU $CPU" test $ns1 -gt $ns0
ktap_eq "no relay: sb counted as direct" $N "$(stream_stat sb direct)"
ctl stream del sb
ktap_check "relay started again with --direct-cpus $CPU" \
	relay_start --direct-cpus $CPU

# The fan-out at the rate of relay_direct.sh's: the copies of one poll
# fill the sink veth's ring.
RATE=5000
N=10000
ctl stream add f4 --listen 10.70.1.2:5004 --to 10.70.2.2:6000 \
	--to 10.70.2.3:6000 --to 10.70.2.4:6000 --to 10.70.2.5:6000 ||
	ktap_bail "stream add f4 failed"
ktap_check "1:4: fan-out in the kernel, on CPU $CPU" \
	wait_for 5000 status_has "stream f4: direct path: fan-out to 4 subscribers in the kernel (TC); rewritten and sent on CPU $CPU"
relay_check "1:4 through CPU $CPU" 10.70.1.2 5004 10.70.2.2 10.70.2.3 \
	10.70.2.4 10.70.2.5
ktap_eq "1:4: counted as direct" $N "$(stream_stat f4 direct)"
ktap_eq "1:4: tx_packets" $((4 * N)) "$(stream_stat f4 tx_packets)"

# A burst at the generator's full speed to 64 subscribers outruns the
# fan-out on the other CPU: the queue to it overflows, and every copy is
# accounted for, sent or counted as a packet dropped in the hand-off (64
# copies each) or a TX error.  No socket listens: the copies are counted
# where they leave.
B=20000
subs=
for ((p = 7000; p < 7064; p++)); do
	subs="$subs --to 10.70.2.2:$p"
done
ctl stream add bu --listen 10.70.1.2:5008 $subs ||
	ktap_bail "stream add bu failed"
wait_for 5000 status_has "stream bu: direct path: fan-out to 64"
in_gen taskset -c 0 "$UDPSEND" -c $B -s 64 10.70.1.2 5008
wait_for 5000 eval '[ "$(stat_sum bu tx_packets tx_errors)" -ge \
	$((64 * (B - $(stream_stat bu handoff_dropped)))) ]'
hd=$(stream_stat bu handoff_dropped)
ktap_info "burst: $hd of $B packets dropped in the hand-off, $(stream_stat bu tx_errors) copies counted as TX errors"
ktap_eq "burst: the XDP program took every packet" $B \
	"$(stream_stat bu direct)"
ktap_check "burst: the hand-off queue overflowed" test "$hd" -gt 0
ktap_eq "burst: every copy accounted for (TX_PKTS + TX_ERRORS + 64 x HANDOFF_DROP)" \
	$((64 * B)) $(($(stat_sum bu tx_packets tx_errors) + 64 * hd))
ctl stream del bu

# d4_midway RECEIVER: a receiver of N2 datagrams of d4, sent at RATE in
# the background (send_pid), a quarter of them relayed already.
d4_midway()
{
	local base

	base=$(stream_stat d4 tx_packets)
	recv_start "$1" 10.70.2.2 $N2
	in_gen "$UDPSEND" -c $N2 -s $SIZE -r $RATE 10.70.1.2 5000 &
	send_pid=$!
	wait_for 10000 stat_above d4 tx_packets $((base + N2 / 4)) ||
		ktap_bail "stream d4 carries nothing"
}

# SIGKILL mid-stream, the same relay again a second later.
RATE=20000
N2=40000
d4_midway k4
kthreads=$(pgrep "^cpumap/$CPU/map" | sort | xargs)
kill -KILL "$relay_pid"
wait "$relay_pid" 2>/dev/null
relay_pid=
sleep 1
ktap_check "relay restarted with --direct-cpus $CPU" \
	relay_start --direct-cpus $CPU
# A new entry would start a new thread, and what the old one still held
# could leave after the new one's first frames.
ktap_eq "the restarted relay kept CPU $CPU's entry, and its thread" \
	"$kthreads" "$(pgrep "^cpumap/$CPU/map" | sort | xargs)"
wait $send_pid
ktap_check "SIGKILL and restart mid-stream: $N2 in order, none lost or repeated" \
	recv_check k4

# The relay again without --direct-cpus, while the stream flows.
d4_midway s4
ktap_check "relay stopped" relay_stop
ktap_check "relay started without --direct-cpus" relay_start
wait $send_pid
ktap_check "back to the receiving CPU mid-stream: $N2 arrived, none lost, repeated or damaged" \
	switch_check s4 $N2
ktap_eq "xr_cpus is empty" "" "$(cpus_entries)"
ktap_check "d4: direct path on the receiving CPU" \
	wait_for 5000 eval 'ctl status | grep -qx "  stream d4: direct path"'

# A head that hands off to a CPU without an entry: sent where it arrived.
# The relay writes the heads as asked and then stops; the entry goes.
ktap_check "relay stopped" relay_stop
relay_start --direct-cpus $CPU || ktap_bail "relay did not start"
wait_for 5000 status_has "stream d4: direct path: rewritten and sent on CPU"
relay_stop || ktap_bail "relay did not stop"
in_rly bpftool map delete pinned "$XDPRELAY_PIN_DIR/xr_cpus" key $CPU 0 0 0
base=$(stream_stat d4 tx_packets)
relay_check "no entry for CPU $CPU: sent on the receiving CPU" \
	10.70.1.2 5000 10.70.2.2
ktap_eq "no entry for CPU $CPU: tx_packets" $((base + N)) \
	"$(stream_stat d4 tx_packets)"

ktap_finish
