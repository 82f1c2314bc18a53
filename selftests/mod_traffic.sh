#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The XDP program, attached with ip link, counts real UDP traffic through
# xdprelay.ko's kfuncs: /sys counters equal the packets sent, exactly, per
# stream.  rmmod is refused while the program is attached.  Runs in the VM.
#
#   ns xr-gen-PID                      ns xr-rly-PID
#   +--------------------+             +-----------------------------+
#   | xrg0 10.99.0.1/24  |---- veth ---| xrr0 10.99.0.2/24           |
#   |      fd99::1/64    |             |      fd99::2/64             |
#   | udpsend            |             | XDP: bpf/xdprelay.bpf.o     |
#   +--------------------+             +-----------------------------+
#
# Streams: tv1 (id 1) 10.99.0.2:5000, tv2 (id 2) 239.1.1.1:5001,
# tv6 (id 3) [fd99::2]:5002.  No AF_XDP socket: matched packets count as
# pass_no_socket and reach the relay namespace's stack.  ts1 (id 4)
# 10.99.0.2:5003 carries RTP/MPEG-TS with datagrams left out: its health
# in /sys counts them, and shows its jitter.  ts2 (id 5) 10.99.0.2:5004
# carries MPEG-TS whose PAT and PMT come late, an exact number of times.

. "$(dirname "$0")/lib/mod.sh"
mod_enter_vm "$@"

GEN=xr-gen-$$
RLY=xr-rly-$$
PIN=/sys/fs/bpf/tc/globals
PROG=$top/bpf/xdprelay.bpf.o
UDPSEND=$top/selftests/udpsend

cleanup()
{
	ip netns del $GEN 2>/dev/null
	ip netns del $RLY 2>/dev/null
	rm -f $PIN/xr_streams $PIN/xr_xsks $PIN/xr_policers
	mod_loaded && rmmod xdprelay 2>/dev/null
}
trap cleanup EXIT

# stream_add ID NAME FAMILY ADDR PORT: the module and the program's map.
stream_add()
{
	local id=$1 name=$2 family=$3 addr=$4 port=$5
	local key val fam

	if [ "$family" = 4 ]; then
		fam="02 00"
		key=$(printf '%02x ' ${addr//./ })"00 00 00 00 00 00 00 00 00 00 00 00"
	else
		fam="0a 00"
		key=$(v6_hex "$addr")
	fi
	# struct xdprelay_key: the endpoint, then VLAN 0 (any) and padding.
	key="$fam $(printf '%02x %02x' $((port >> 8)) $((port & 255))) $key"
	key="$key 00 00 00 00"
	val="$(printf '%02x %02x 00 00' $((id & 255)) $((id >> 8))) 00 00 00 00"
	val="$val $(printf '00 %.0s' {1..48})"
	echo "$id $name" > $SYSFS/new_stream &&
		bpftool map update pinned $PIN/xr_streams key hex $key \
			value hex $val
}

# The 16 bytes of an IPv6 address, as hex pairs separated by spaces.
v6_hex()
{
	local full

	full=$(v6_expand "$1")
	echo "$full" | sed 's/../& /g'
}

# Expands an IPv6 address to 32 hex digits (no '::' left).
v6_expand()
{
	local a=$1 head tail groups=() n i out=

	if [[ $a == *::* ]]; then
		head=${a%%::*}
		tail=${a##*::}
		IFS=: read -ra h <<< "$head"
		IFS=: read -ra t <<< "$tail"
		n=$((8 - ${#h[@]} - ${#t[@]}))
		groups=("${h[@]}")
		for ((i = 0; i < n; i++)); do
			groups+=(0)
		done
		groups+=("${t[@]}")
	else
		IFS=: read -ra groups <<< "$a"
	fi
	for i in "${groups[@]}"; do
		out="$out$(printf '%04x' $((16#${i:-0})))"
	done
	echo "$out"
}

# "ip -n" and "ip netns exec" remount /sys in a mount namespace of their
# own, which hides bpffs and the pins: enter only the network namespace.
in_rly()
{
	nsenter --net=/run/netns/$RLY "$@"
}

counter()
{
	cat "$SYSFS/$1"
}

ktap_plan 29
mod_check_vermagic
[ -x "$UDPSEND" ] || ktap_bail "$UDPSEND not built: run make tests"
insmod "$KO" || ktap_bail "insmod $KO failed"
modprobe veth || ktap_bail "modprobe veth failed"

ip netns add $GEN && ip netns add $RLY || ktap_bail "cannot create netns"
ip link add xrg0 netns $GEN type veth peer name xrr0 netns $RLY ||
	ktap_bail "cannot create veth pair"
ip -n $GEN addr add 10.99.0.1/24 dev xrg0
ip -n $GEN addr add fd99::1/64 dev xrg0 nodad
ip -n $RLY addr add 10.99.0.2/24 dev xrr0
ip -n $RLY addr add fd99::2/64 dev xrr0 nodad
ip -n $GEN link set xrg0 up
ip -n $RLY link set xrr0 up
ip -n $GEN link set lo up
ip -n $RLY link set lo up
ip -n $GEN route add 224.0.0.0/4 dev xrg0

ktap_check "ip link set dev xrr0 xdp obj xdprelay.bpf.o sec xdp" \
	in_rly ip link set dev xrr0 xdp obj "$PROG" sec xdp
ktap_check "maps pinned by ip link" test -e $PIN/xr_streams -a \
	-e $PIN/xr_xsks -a -e $PIN/xr_policers
ktap_check "kfunc object has no counter map" test ! -e $PIN/xr_counters

ktap_check "stream tv1 added" stream_add 1 tv1 4 10.99.0.2 5000
ktap_check "stream tv2 added" stream_add 2 tv2 4 239.1.1.1 5001
ktap_check "stream tv6 added" stream_add 3 tv6 6 fd99::2 5002

g_rx0=$(counter stats/rx_packets)
g_pns0=$(counter stats/pass_no_socket)
g_unm0=$(counter stats/unmatched)

N1=1000 N2=700 N3=500 N4=300 SIZE=1316
ip netns exec $GEN "$UDPSEND" -c $N1 -s $SIZE -r 20000 10.99.0.2 5000 &&
ip netns exec $GEN "$UDPSEND" -c $N2 -s $SIZE -r 20000 239.1.1.1 5001 &&
ip netns exec $GEN "$UDPSEND" -c $N3 -s $SIZE -r 20000 fd99::2 5002 &&
ip netns exec $GEN "$UDPSEND" -c $N4 -s 100 -r 20000 10.99.0.2 6000 ||
	ktap_bail "udpsend failed"

# veth delivers synchronously, but let the last packets land.
counter_reaches()
{
	[ "$(counter "$1")" -ge "$2" ]
}
wait_for 2000 counter_reaches streams/tv6/rx_packets $N3

L4=$((14 + 20 + 8 + SIZE))
L6=$((14 + 40 + 8 + SIZE))
ktap_eq "tv1 rx_packets" $N1 "$(counter streams/tv1/rx_packets)"
ktap_eq "tv1 rx_bytes" $((N1 * L4)) "$(counter streams/tv1/rx_bytes)"
ktap_eq "tv1 pass_no_socket" $N1 "$(counter streams/tv1/pass_no_socket)"
ktap_eq "tv2 (multicast) rx_packets" $N2 "$(counter streams/tv2/rx_packets)"
ktap_eq "tv2 rx_bytes" $((N2 * L4)) "$(counter streams/tv2/rx_bytes)"
ktap_eq "tv6 rx_packets" $N3 "$(counter streams/tv6/rx_packets)"
ktap_eq "tv6 rx_bytes" $((N3 * L6)) "$(counter streams/tv6/rx_bytes)"
ktap_eq "tv6 redirected (no socket)" 0 "$(counter streams/tv6/redirected)"
ktap_eq "global pass_no_socket" $((g_pns0 + N1 + N2 + N3)) \
	"$(counter stats/pass_no_socket)"
unm=$(( $(counter stats/unmatched) - g_unm0 ))
ktap_check "global unmatched counts port 6000 ($unm >= $N4)" \
	test $unm -ge $N4

# The files are read one by one while background packets (IPv6 neighbour
# discovery, MLD) still arrive: take a snapshot that reads the same twice.
outcomes()
{
	local f sum=0

	for f in redirected pass_no_socket pass_no_meta policed src_refused \
		 malformed fragments unmatched direct; do
		sum=$((sum + $(counter stats/$f)))
	done
	echo "$(counter stats/rx_packets) $sum"
}
for ((i = 0; i < 20; i++)); do
	snap=$(outcomes)
	[ "$snap" = "$(outcomes)" ] && break
done
ktap_eq "global rx_packets = sum of outcomes" "${snap% *}" "${snap#* }"

# Health, through the kfuncs: RTP/MPEG-TS with every 10th datagram left
# out on the way.
ktap_check "stream ts1 added" stream_add 4 ts1 4 10.99.0.2 5003
ip netns exec $GEN "$UDPSEND" -t rtp -c 1001 -x 10 -r 20000 10.99.0.2 5003 ||
	ktap_bail "udpsend failed"
wait_for 2000 counter_reaches streams/ts1/health/rtp_packets 901
ktap_eq "ts1 health: kind, RTP and TS packets" "rtp-mpegts 901 $((901 * 7))" \
	"$(counter streams/ts1/health/kind) $(counter streams/ts1/health/rtp_packets) $(counter streams/ts1/health/ts_packets)"
ktap_eq "ts1 health: 100 lost, 100 continuity errors, nothing else" \
	"100 100 0 0 0 0 0 0 0" \
	"$(cd $SYSFS/streams/ts1/health && cat rtp_lost ts_cc_errors ts_sync_errors ts_tei_packets rtp_reordered rtp_duplicates rtp_ssrc_changes ts_pat_errors ts_pmt_errors | xargs)"
# udpsend's RTP timestamps step 3000 ticks (33.3 ms) a datagram, sent
# 50 us apart: |D| is 33.3 ms less 50 us, and twice that after a loss.
# J, their running mean, lies between.
jitter=$(counter streams/ts1/health/rtp_jitter_us)
ktap_check "ts1 health: RTP jitter $jitter us, of what was sent" \
	test "$jitter" -gt 30000 -a "$jitter" -lt 66667
# Its PAT and PMT in datagrams 0, 500, 1000, 1500 of 1600, sent 500 a
# second: a second apart, each one late but the first.
ktap_check "stream ts2 added" stream_add 5 ts2 4 10.99.0.2 5004
ip netns exec $GEN "$UDPSEND" -t ts -i 500 -c 1600 -r 500 10.99.0.2 5004 ||
	ktap_bail "udpsend failed"
wait_for 2000 counter_reaches streams/ts2/health/ts_packets $((1600 * 7))
ktap_eq "ts2 health: mpegts, 3 PATs and 3 PMTs late, nothing else" \
	"mpegts 3 3 0 0" \
	"$(cd $SYSFS/streams/ts2/health && cat kind ts_pat_errors ts_pmt_errors ts_cc_errors ts_sync_errors | xargs)"
ktap_eq "tv1 health: neither MPEG-TS nor RTP" "unknown 0 0" \
	"$(counter streams/tv1/health/kind) $(counter streams/tv1/health/ts_packets) $(counter streams/tv1/health/rtp_packets)"

ktap_check "rmmod refused while the program is attached" \
	eval '! rmmod xdprelay 2>/dev/null'
ktap_check "module still loaded" mod_loaded
ktap_check "counters still there" test -e $SYSFS/streams/tv1/rx_packets

in_rly ip link set dev xrr0 xdp off
rm -f $PIN/xr_streams $PIN/xr_xsks $PIN/xr_policers
# The program is freed after an RCU grace period.
ktap_check "rmmod succeeds after detach" \
	wait_for 5000 rmmod xdprelay 2>/dev/null
ktap_check "module gone" eval '! mod_loaded'

ktap_finish
