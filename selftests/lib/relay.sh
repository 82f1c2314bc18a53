# SPDX-License-Identifier: GPL-2.0
#
# Shared by the relay's end-to-end tests on the host: their checks, the
# private bpffs they run in, the lab (selftests/lib/lab.sh), the relay and
# the receivers, and cleanup.  Source it after ktap.sh, with "$@".  The
# streams its helpers add get $AFXDP as well (--path afxdp, for a test of
# the AF_XDP path).

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
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
# Ready when the status file is this relay's and reports its queues (one
# left by a killed relay names another pid).
relay_start()
{
	nsenter --net=/run/netns/$LAB_RLY "$CTL" run --ingress xr0 \
		--egress xr1 "$@" > "$TMP/relay.log" 2>&1 &
	relay_pid=$!
	wait_for 10000 relay_ready
}

# AF_XDP sockets open in the relay's namespace (/proc/net/protocols).
xsk_count()
{
	in_rly awk '$1 == "XDP" { print $3 }' /proc/net/protocols
}

relay_ready()
{
	grep -qx "pid=$relay_pid" /run/xdprelay/status 2>/dev/null &&
		grep -q "^queue.0.mode=" /run/xdprelay/status
}

# relay_check LABEL DST PORT ADDR...: a receiver on port 6000 of each ADDR
# in the sink, $N datagrams of $SIZE bytes at $RATE/s to DST:PORT, and a
# case per receiver: it got all of them, in order and intact.  With
# SEND_CPU set, the sender stays on that CPU, as a flow stays on one
# queue of a NIC.
relay_check()
{
	local label=$1 dst=$2 port=$3 a i=0

	shift 3
	for a; do
		recv_start rc$((i += 1)) "$a" $N
	done
	in_gen ${SEND_CPU:+taskset -c "$SEND_CPU"} "$UDPSEND" -c $N -s $SIZE \
		-r $RATE "$dst" "$port"
	i=0
	for a; do
		ktap_check "$label: $a got $N in order and intact" \
			recv_check rc$((i += 1))
	done
}

# stat_above STREAM FIELD N: the stream's FIELD (stats --json) exceeds N.
stat_above()
{
	[ "$(stream_stat "$1" "$2")" -gt "$3" ] 2>/dev/null
}

# sub_change_midstream COUNT [ARGS]: the stream "live" (stream add ARGS),
# 10.70.1.2:5003 to two
# receivers, carries COUNT datagrams ($SIZE bytes at $RATE/s) while a third
# subscriber, with a receiver of its own, is added and removed.  Cases:
# both changes succeed; receivers 2 and 3 lose nothing; the third gets an
# unbroken run; tx_packets is exactly what the three were sent.
sub_change_midstream()
{
	local n=$1 send_pid got tx

	shift
	ctl stream add live --listen 10.70.1.2:5003 --to 10.70.2.2:6000 \
		--to 10.70.2.3:6000 "$@" || ktap_bail "stream add live failed"
	recv_start l2 10.70.2.2 $n
	recv_start l3 10.70.2.3 $n
	# It hears nothing until it is added: wait out the whole stream.
	rm -f "$TMP/l4.ready" "$TMP/l4.first"
	in_sink "$UDPRECV" -t $((3000 + 1000 * n / RATE)) -s $SIZE \
		-r "$TMP/l4.ready" -f "$TMP/l4.first" 10.70.2.4 6000 \
		> "$TMP/l4.out" 2>&1 &
	local l4_pid=$!
	wait_for 5000 test -e "$TMP/l4.ready"
	in_gen "$UDPSEND" -c $n -s $SIZE -r $RATE 10.70.1.2 5003 &
	send_pid=$!
	wait_for 10000 stat_above live tx_packets $((n / 2)) ||
		ktap_bail "stream live carries nothing"
	ktap_check "sub add mid-stream" ctl sub add live --to 10.70.2.4:6000
	# Removed once it had its first datagram, however slow the host.
	wait_for $((1000 * n / RATE + 5000)) test -e "$TMP/l4.first" ||
		ktap_bail "the added subscriber got nothing"
	ktap_check "sub del mid-stream" ctl sub del live --to 10.70.2.4:6000
	wait $send_pid
	ktap_check "sub add/del mid-stream: receiver 2 lost nothing" \
		recv_check l2
	ktap_check "sub add/del mid-stream: receiver 3 lost nothing" \
		recv_check l3
	wait $l4_pid
	local rc=$?
	got=$(awk '{ print $2 }' "$TMP/l4.out")
	ktap_check "sub add/del mid-stream: the added one got an unbroken run" \
		test $rc = 0 -a "${got:-0}" -gt 0
	wait_for 2000 stat_above live tx_packets $((2 * n + ${got:-0} - 1))
	tx=$(stream_stat live tx_packets)
	ktap_info "sub add/del mid-stream: the added subscriber got ${got:-0} of $n"
	ktap_eq "sub add/del mid-stream: tx_packets = what the three got" \
		$((2 * n + ${got:-0})) "$tx"
	ktap_eq "sub add/del mid-stream: stats per subscriber: 10.70.2.2 was sent $n" \
		$n "$(sub_stat live 10.70.2.2:6000 tx_packets)"
	ktap_eq "sub add/del mid-stream: stats per subscriber: 10.70.2.3 was sent $n" \
		$n "$(sub_stat live 10.70.2.3:6000 tx_packets)"
	ktap_eq "sub add/del mid-stream: the removed subscriber has left stats" \
		"" "$(sub_stat live 10.70.2.4:6000 tx_packets)"
}

# mac_change STREAM PORT ADDR COUNT MAC: COUNT datagrams ($SIZE bytes at
# $RATE/s) to 10.70.1.2:PORT, which STREAM relays to ADDR:6000 in the
# sink; a quarter of the way through, as at a failover, the sink's xs0
# takes MAC and the relay's neighbour entry of ADDR says so.  Sets
# mac_got (what the receiver got) and mac_ms (what the two commands
# took); mac_restore ADDR puts the old MAC back.
mac_change()
{
	local stream=$1 port=$2 addr=$3 n=$4 mac=$5 base send_pid m_pid t0

	# nsenter keeps the host's /sys: ask ip, in the sink's namespace.
	mac_old=$(in_sink ip -o link show xs0 |
		  grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$mac_old" ] || ktap_bail "cannot read the MAC address of xs0"
	base=$(stream_stat "$stream" tx_packets)
	rm -f "$TMP/m.ready"
	in_sink "$UDPRECV" -t 2000 -s $SIZE -r "$TMP/m.ready" "$addr" 6000 \
		> "$TMP/m.out" 2>&1 &
	m_pid=$!
	wait_for 5000 test -e "$TMP/m.ready"
	in_gen "$UDPSEND" -c "$n" -s $SIZE -r $RATE 10.70.1.2 "$port" &
	send_pid=$!
	wait_for 10000 stat_above "$stream" tx_packets $((${base:-0} + n / 4)) ||
		ktap_bail "stream $stream carries nothing: $(cat "$TMP/relay.log")"
	t0=$(now_ms)
	in_sink ip link set dev xs0 address "$mac"
	in_rly ip neigh replace "$addr" lladdr "$mac" dev xr1 nud reachable
	mac_ms=$(($(now_ms) - t0))
	wait $send_pid
	wait $m_pid
	mac_got=$(awk '{ print $2 }' "$TMP/m.out")
	mac_got=${mac_got:-0}
}

mac_restore()
{
	in_sink ip link set dev xs0 address "$mac_old"
	in_rly ip neigh replace "$1" lladdr "$mac_old" dev xr1 nud reachable
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

# How long a receiver waits for a datagram before it gives up: it ends as
# soon as it has its COUNT, so only a failing case waits this out; in a
# VM beside a busy CPU, starting the other receivers alone takes seconds.
RECV_IDLE_MS=10000

# recv_start NAME ADDR COUNT [PORT]: a receiver in the sink namespace, on
# PORT (default 6000).
recv_start()
{
	rm -f "$TMP/$1.ready"
	in_sink "$UDPRECV" -c "$3" -s $SIZE -t $RECV_IDLE_MS \
		-r "$TMP/$1.ready" "$2" "${4:-6000}" > "$TMP/$1.out" 2>&1 &
	eval "recv_pid_$1=$!"
	wait_for 10000 test -e "$TMP/$1.ready" ||
		ktap_bail "receiver $1 did not start: $(cat "$TMP/$1.out")"
}

# recv_check NAME: passes when the receiver got its COUNT, in order, intact.
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

# recv_result NAME: waits for receiver NAME, says what it got, and sets
# got, gaps, reord and bad from its line (declare them local).
recv_result()
{
	local pid

	eval "pid=\$recv_pid_$1"
	wait "$pid"
	read -r _ got _ _ _ _ _ gaps _ reord _ bad < "$TMP/$1.out"
	ktap_info "$1: $(cat "$TMP/$1.out")"
}

# stream_stat STREAM FIELD: one counter of a stream from stats --json (the
# stream's object, not the total that follows it).
stream_stat()
{
	ctl stats "$1" --json | tr -d '\n' | sed 's/"total".*//' |
		grep -o "\"$2\": *[0-9]*" | head -n 1 | grep -o '[0-9]*$'
}

# health_stat STREAM FIELD...: fields of the stream's health object in
# stats --json, on one line, from one reading (each a count, a word, or a
# list of one, such as [4096]).
health_stat()
{
	local name=$1 obj f out=

	shift
	obj=$(ctl stats "$name" --json | tr -d ' \n' | sed 's/"total".*//' |
		sed -n 's/.*"health":{\([^}]*\)}.*/\1/p' | tr ',' '\n')
	for f; do
		out="$out $(sed -n "s/^\"$f\":\"*\([^\"]*\)\"*\$/\1/p" \
			<<< "$obj")"
	done
	echo $out
}

# health_stream NAME PORT PATH [OPTION...]: stream NAME from the lab's
# 10.70.1.2:PORT to 10.70.2.2:6000 on PATH, for the health tests.
health_stream()
{
	local name=$1 port=$2 path=$3

	shift 3
	ctl stream add "$name" --listen 10.70.1.2:"$port" \
		--to 10.70.2.2:6000 --path "$path" "$@" ||
		ktap_bail "stream add $name failed"
}

# sub_stat STREAM SUBSCRIBER FIELD: one counter of a stream's subscriber
# (ADDR:PORT, or [ADDR]:PORT for IPv6) from stats --json.
sub_stat()
{
	ctl stats "$1" --json | tr -d ' \n' |
		awk -v s="{\"subscriber\":\"$2\"" -v f="\"$3\":" '{
			i = index($0, s)
			if (!i)
				exit
			r = substr($0, i)
			r = substr(r, 1, index(r, "}"))
			j = index(r, f)
			if (!j)
				exit
			r = substr(r, j + length(f))
			sub(/[^0-9].*/, "", r)
			print r
		}'
}

# flows_send FLOWS COUNT RATE DST PORT: FLOWS senders of COUNT datagrams
# of $SIZE bytes at RATE/s each, a socket apiece, so that their flows
# hash apart; returns once all are done.
flows_send()
{
	local i pids=

	for i in $(seq "$1"); do
		in_gen "$UDPSEND" -c "$2" -s $SIZE -r "$3" "$4" "$5" &
		pids="$pids $!"
	done
	wait $pids
}

# queue_stat Q FIELD: one figure of the relay's receive queue Q from stats
# --json; false when the relay serves no queue Q.
queue_stat()
{
	ctl stats --json | tr -d ' \n' | grep -o "{\"queue\":$1,[^}]*}" |
		grep -o "\"$2\":[0-9]*" | grep -o '[0-9]*$'
}

# stat_settles STREAM FIELD...: true once the sum of the FIELDs reaches $want.
stat_sum()
{
	local stream=$1 f sum=0 v

	shift
	for f; do
		v=$(stream_stat "$stream" "$f")
		sum=$((sum + ${v:-0}))
	done
	echo $sum
}

stat_sum_reaches()
{
	local want=$1

	shift
	[ "$(stat_sum "$@")" -ge "$want" ]
}

now_ms()
{
	echo $((${EPOCHREALTIME/./} / 1000))
}

# filters_check LABEL PORT: the stream's source filter and policer, as the
# relay under test applies them (its own, or the XDP program's):
#  - a --source that refuses the generator: nothing relayed, every
#    datagram counted as src_refused
#  - a --source that admits it: every datagram relayed
#  - --rate 1000 --burst 100: what is relayed plus what is policed is
#    what was sent, and no more is relayed than the burst and the rate
#    allow over the time it took (the policer is exact)
filters_check()
{
	local label=$1 port=$2 n=2000 got t0 t1 tx pol lim

	ctl stream add refuse --listen 10.70.1.2:$port --to 10.70.2.2:6000 \
		--source 10.99.0.0/16 ${AFXDP:-} ||
		ktap_bail "stream add refuse failed"
	rm -f "$TMP/f.ready"
	in_sink "$UDPRECV" -t 1000 -s $SIZE -r "$TMP/f.ready" 10.70.2.2 6000 \
		> "$TMP/f.out" 2>&1 &
	local f_pid=$!
	wait_for 5000 test -e "$TMP/f.ready"
	in_gen "$UDPSEND" -c $n -s $SIZE -r $RATE 10.70.1.2 $port
	ktap_check "$label: refused source counted" \
		wait_for 5000 stat_sum_reaches $n refuse src_refused
	wait $f_pid
	ktap_eq "$label: refused source: src_refused" $n \
		"$(stream_stat refuse src_refused)"
	ktap_eq "$label: refused source: nothing relayed" \
		"0 0" "$(awk '{ print $2 }' "$TMP/f.out") $(stream_stat refuse tx_packets)"
	ctl stream del refuse

	ctl stream add admit --listen 10.70.1.2:$port --to 10.70.2.2:6000 \
		--source 10.70.1.0/24 ${AFXDP:-} ||
		ktap_bail "stream add admit failed"
	recv_start fa 10.70.2.2 $n
	in_gen "$UDPSEND" -c $n -s $SIZE -r $RATE 10.70.1.2 $port
	ktap_check "$label: admitted source: $n relayed" recv_check fa
	ktap_eq "$label: admitted source: src_refused" 0 \
		"$(stream_stat admit src_refused)"
	ctl stream del admit

	ctl stream add police --listen 10.70.1.2:$port --to 10.70.2.2:6000 \
		--rate 1000 --burst 100 ${AFXDP:-} ||
		ktap_bail "stream add police failed"
	rm -f "$TMP/p.ready"
	in_sink "$UDPRECV" -t 1000 -s $SIZE -r "$TMP/p.ready" 10.70.2.2 6000 \
		> "$TMP/p.out" 2>&1 &
	local p_pid=$!
	wait_for 5000 test -e "$TMP/p.ready"
	t0=$(now_ms)
	in_gen "$UDPSEND" -c $n -s $SIZE -r $RATE 10.70.1.2 $port
	wait_for 5000 stat_sum_reaches $n police tx_packets policed
	t1=$(now_ms)
	wait $p_pid
	tx=$(stream_stat police tx_packets)
	pol=$(stream_stat police policed)
	got=$(awk '{ print $2 }' "$TMP/p.out")
	# 100 at once, then 1 per ms, from the first datagram to the last
	# count; one more for the credit below a packet's worth.
	lim=$((100 + (t1 - t0) + 1))
	ktap_info "$label: policed to 1000/s: $tx relayed, $pol policed of $n in $((t1 - t0)) ms"
	ktap_eq "$label: policer: relayed + policed = sent" $n $((tx + pol))
	ktap_eq "$label: policer: the receiver got what was relayed" "$tx" "$got"
	ktap_check "$label: policer: at least the burst, at most $lim" \
		test "$tx" -ge 100 -a "$tx" -le $lim
	ctl stream del police
}

# thief_check LABEL ADDR PORT: another user's socket on the stream's
# endpoint, on the ingress, with SO_REUSEADDR and then SO_REUSEPORT too:
# a unicast endpoint cannot be bound at all.
thief_check()
{
	local label=$1 addr=$2 port=$3 p

	for p in "" -P; do
		expect "$label: another user cannot bind the endpoint${p:+ with SO_REUSEPORT}" \
			1 "Address already in use" \
			in_rly setpriv --reuid=nobody --regid=nogroup \
			--clear-groups "$UDPRECV" -d xr0 $p -t 200 "$addr" \
			"$port"
	done
}

# endpoint_hex ADDR:PORT: a struct xdprelay_endpoint (IPv4) as bpftool's
# hex bytes.
endpoint_hex()
{
	local addr=${1%:*} port=${1##*:} a b c d i

	IFS=. read -r a b c d <<< "$addr"
	printf '02 00 %02x %02x %02x %02x %02x %02x' $((port >> 8)) \
		$((port & 255)) "$a" "$b" "$c" "$d"
	for ((i = 0; i < 12; i++)); do
		printf ' 00'
	done
}

# subs_poke ID ENDPOINT...: writes stream ID's xr_subs entry with bpftool,
# as another writer of the pinned maps could, with a new even seq.
subs_poke()
{
	local id=$1 seq hex i

	shift
	seq=$(in_rly bpftool -j map lookup pinned \
		/sys/fs/bpf/tc/globals/xr_subs key $id 0 0 0 |
		grep -oE '"seq":[0-9]+' | cut -d: -f2)
	seq=$(((${seq:-0} | 1) + 1))
	hex=$(printf '%02x %02x %02x %02x ' $((seq & 255)) \
		$(((seq >> 8) & 255)) $(((seq >> 16) & 255)) $((seq >> 24)))
	hex+=$(printf '%02x 00 00 00 ' $#)
	hex+="00 00 00 00 00 00 00 00"
	for i; do
		hex+=" $(endpoint_hex "$i")"
	done
	for ((i = $#; i < 256; i++)); do
		hex+=" $(endpoint_hex 0.0.0.0:0)"
	done
	# No rows of counters: such subscribers are counted with the stream.
	for ((i = 0; i < 256; i++)); do
		hex+=" 00 00"
	done
	in_rly bpftool map update pinned /sys/fs/bpf/tc/globals/xr_subs \
		key $id 0 0 0 value hex $hex
}

# vlan_check LABEL PORT [RELAY_DEV]: a stream of VLAN 100 on 10.70.1.2:PORT
# takes what the generator sends tagged with 100, and neither what it
# sends tagged with 200 nor untagged.  The generator builds the tagged
# frames itself, as a switch's trunk delivers them; RELAY_DEV, if given,
# is the relay's VLAN device for the socket backend, which receives
# through the stack (VLAN devices need the 8021q module: the VM has it).
vlan_check()
{
	local label=$1 port=$2 n=2000 mac v

	mac=$(in_rly ip -o link show xr0 | grep -o 'link/ether [0-9a-f:]*' |
	      cut -d' ' -f2)
	if [ -n "${3:-}" ]; then
		in_rly ip link add link xr0 name "$3" type vlan id 100 ||
			ktap_bail "cannot create VLAN device $3"
		in_rly ip link set "$3" up
	fi
	ctl stream add vl --listen 10.70.1.2:$port --vlan 100 \
		--to 10.70.2.2:6000 ${AFXDP:-} || ktap_bail "stream add vl failed"
	recv_start v1 10.70.2.2 $n
	for v in 100 200; do
		in_gen "$UDPSEND" -d xg0 -V $v -M "$mac" -b 10.70.1.1 -c $n \
			-s $SIZE -r $RATE 10.70.1.2 $port
	done
	in_gen "$UDPSEND" -c $n -s $SIZE -r $RATE 10.70.1.2 $port
	ktap_check "$label: VLAN 100 stream: every datagram of VLAN 100" \
		recv_check v1
	ktap_eq "$label: VLAN 100 stream: nothing of VLAN 200 or untagged" \
		"$n" "$(stream_stat vl tx_packets)"
	ctl stream del vl
	[ -n "${3:-}" ] && in_rly ip link del "$3"
}
