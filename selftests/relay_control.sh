#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The relay's control plane, on the host, in the lab of selftests/lib/lab.sh
# (generator -> relay -> sink over veth; see the drawing there), with the
# AF_XDP backend unless a case says otherwise:
#
#  - run --config FILE starts with the file's streams; SIGHUP applies the
#    file again while the relay goes on (a stream added, one changed, one
#    removed), without the relay waiting on itself; a file with an error
#    changes nothing and the relay runs on
#  - SIGTERM while the relay still sets up stops it cleanly
#  - status, text and JSON, while it runs and after
#  - subscribers without a neighbour or a route count as tx_no_neigh
#  - route churn elsewhere costs the relay no route or neighbour lookup; a
#    route that concerns a subscriber is followed
#  - an egress that is down: what cannot leave counts as tx_errors, on
#    both backends

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

command -v strace > /dev/null || ktap_skip_all "strace not installed"

ktap_plan 37
lab_setup || ktap_bail "cannot build the lab"
in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp ||
	ktap_bail "cannot attach the program"

SIZE=1316
N=4000
RATE=20000
CONF=$TMP/streams.conf

# --config: the file's streams, relayed.
cat > "$CONF" <<EOF
stream a listen 10.70.1.2:5000 to 10.70.2.2:6000
stream b listen 10.70.1.2:5001 to 10.70.2.3:6000
EOF
ktap_check "run --config starts" relay_start -v --config "$CONF"
expect "run --config: the file's streams" 0 \
	"stream b listen 10.70.1.2:5001 to 10.70.2.3:6000" ctl stream list
relay_check "run --config: stream a" 10.70.1.2 5000 10.70.2.2

# SIGHUP: a added to, b removed, c added, all while the relay runs.
cat > "$CONF" <<EOF
stream a listen 10.70.1.2:5000 to 10.70.2.2:6000 to 10.70.2.4:6000
stream c listen 10.70.1.2:5002 to 10.70.2.5:6000
EOF
kill -HUP $relay_pid
ktap_check "SIGHUP: the file applied" \
	wait_for 10000 grep -q "streams.conf applied: 1 stream added, 1 changed, 1 removed" \
	"$TMP/relay.log"
ktap_eq "SIGHUP: the streams are the file's" \
	"$(cat "$CONF")" "$(ctl stream list | sed 's/ # runs .*//')"
ktap_eq "SIGHUP: the relay never waited on itself" "" \
	"$(grep "has not resolved" "$TMP/relay.log")"
relay_check "SIGHUP: stream a, its new subscriber too" 10.70.1.2 5000 \
	10.70.2.2 10.70.2.4
relay_check "SIGHUP: stream c" 10.70.1.2 5002 10.70.2.5

# A file with an error: nothing changes, the relay runs on.
before=$(ctl stream list)
cat > "$CONF" <<EOF
stream a listen 10.70.1.2:5000 to 10.70.2.2:6000
stream d listen 10.70.1.2:70000
EOF
kill -HUP $relay_pid
ktap_check "SIGHUP with a bad file: said so" \
	wait_for 10000 grep -q "streams.conf not applied" "$TMP/relay.log"
ktap_eq "SIGHUP with a bad file: nothing changed" "$before" \
	"$(ctl stream list)"
relay_check "SIGHUP with a bad file: the relay runs on" 10.70.1.2 5002 \
	10.70.2.5

# Status while it runs.
expect "status: the relay, its interfaces" 0 \
	"Relay: running, pid $relay_pid, ingress xr0, egress xr1, busy poll off" \
	ctl status
expect "status: the mode of its queue" 0 "  queue 0: copy" ctl status
expect "status --json: the relay" 0 \
	"\"relay\":{\"running\":true,\"pid\":$relay_pid,\"ingress\":\"xr0\",\"egress\":\"xr1\",\"busy_poll\":false,\"queues\":[{\"queue\":0,\"mode\":\"copy\",\"rx_packets\":" \
	ctl status --json

# Subscribers the relay cannot reach: one whose neighbour never answers,
# one without a route.  Every datagram counts for each of them.
ctl stream add lost --listen 10.70.1.2:5003 --to 10.70.2.2:6000 \
	--to 10.70.2.99:6000 --to 10.99.9.9:6000 ||
	ktap_bail "stream add lost failed"
relay_check "unreachable subscribers: the reachable one gets all" \
	10.70.1.2 5003 10.70.2.2
ktap_eq "unreachable subscribers: tx_no_neigh counts both" $((2 * N)) \
	"$(stream_stat lost tx_no_neigh)"
ktap_eq "unreachable subscribers: tx_packets counts the reachable one" $N \
	"$(stream_stat lost tx_packets)"
ktap_eq "unreachable subscribers, per subscriber: sent, no_neigh" \
	"$N 0 0 $N 0 $N" \
	"$(for a in 10.70.2.2 10.70.2.99 10.99.9.9; do
		printf '%s %s ' "$(sub_stat lost $a:6000 tx_packets)" \
			"$(sub_stat lost $a:6000 tx_no_neigh)"
	   done | sed 's/ $//')"
ktap_check "no route: the relay says so" \
	grep -q "subscriber 10.99.9.9: no route to it" "$TMP/relay.log"
ctl stream del lost

# Route churn on prefixes no subscriber is in: no lookup at all, beyond
# the periodic refresh (every second, two requests per subscriber and
# stream a's two, c's one).  Counted in the relay's main thread, which
# alone talks rtnetlink, with strace.
for ((i = 0; i < 250; i++)); do
	echo "route add 198.18.$i.0/24 dev xr1"
	echo "route del 198.18.$i.0/24 dev xr1"
done > "$TMP/churn.batch"
# The subscribers of stream lost leave the table at the next periodic
# refresh, a second at most.
sleep 1.5
t0=$(now_ms)
strace -qq -c -e trace=sendto -p $relay_pid -o "$TMP/strace.out" &
strace_pid=$!
traced()
{
	grep -Eq '^TracerPid:[[:space:]]*[1-9]' /proc/$relay_pid/status
}
wait_for 5000 traced || ktap_bail "strace did not attach to the relay"
for ((i = 0; i < 4; i++)); do
	in_rly ip -batch "$TMP/churn.batch"
done
# A window that holds a periodic refresh at least, so that strace has
# something to count: a count of nothing would prove nothing.
while [ $(($(now_ms) - t0)) -lt 1200 ]; do
	sleep 0.05
done
kill -INT $strace_pid
wait $strace_pid
t1=$(now_ms)
sends=$(awk '$NF == "sendto" { print $4 }' "$TMP/strace.out")
ktap_check "route churn: strace counted the periodic lookups" \
	test "${sends:-0}" -gt 0
# Per periodic refresh: a route and a neighbour for each of the three
# subscribers, and one resolution each may trigger.
lim=$((9 * ((t1 - t0) / 1000 + 1)))
ktap_info "route churn: 2000 route changes in $((t1 - t0)) ms, ${sends:-0} requests to rtnetlink (at most $lim)"
ktap_check "route churn elsewhere: no more lookups than the periodic ones" \
	test "${sends:-0}" -le $lim
# A route that does concern a subscriber: followed at once.
in_rly ip route add 10.70.2.5/32 dev xr0
ktap_check "a route that moves a subscriber: followed" \
	wait_for 5000 grep -q "subscriber 10.70.2.5: the route to it leaves through xr0" \
	"$TMP/relay.log"
in_rly ip route del 10.70.2.5/32 dev xr0
ktap_check "and back" wait_for 5000 grep -q \
	"subscriber 10.70.2.5: next hop resolved, relaying" "$TMP/relay.log"

# The egress loses its carrier (its veth peer goes down, as a cable
# pulled).  The kernel forgets the neighbours behind it, so unicast
# subscribers count as tx_no_neigh; a group's MAC needs no neighbour, and
# veth would take its frames and drop them without a word.  The relay
# says the egress is down, counts them as tx_errors, and relays again
# once it is back.
egress_down_check()
{
	local label=$1 e0

	ctl stream add grp --listen 10.70.1.2:5005 --to 239.70.7.7:6000 ||
		ktap_bail "stream add grp failed"
	e0=$(stream_stat grp tx_errors)
	ip -n $LAB_SINK link set xs0 down
	ktap_check "$label: the relay says the egress is down" \
		wait_for 5000 grep -q "egress xr1 is down or has no carrier" \
		"$TMP/relay.log"
	in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5005
	wait_for 5000 stat_above grp tx_errors $((e0 + N - 1))
	ktap_eq "$label: egress down: every datagram to a group a tx_error" \
		$N $(($(stream_stat grp tx_errors) - e0))
	ip -n $LAB_SINK link set xs0 up
	wait_for 5000 grep -q "egress xr1 is up again" "$TMP/relay.log"
	rm -f "$TMP/g.ready"
	in_sink "$UDPRECV" -d xs0 -c $N -s $SIZE -t $RECV_IDLE_MS \
		-r "$TMP/g.ready" 239.70.7.7 6000 > "$TMP/g.out" 2>&1 &
	local g_pid=$!
	wait_for 5000 test -e "$TMP/g.ready"
	in_gen "$UDPSEND" -c $N -s $SIZE -r $RATE 10.70.1.2 5005
	ktap_check "$label: egress up again: the group gets every datagram" \
		wait $g_pid
	ctl stream del grp
}
egress_down_check "AF_XDP"

ktap_check "relay stops cleanly on SIGTERM" relay_stop
expect "status: the relay gone" 0 "Relay: not running" ctl status

# SIGTERM while the relay still resolves its subscribers' next hops
# (10.70.2.98 never answers: up to 500 ms): it stops as it would later.
ctl stream add slow --listen 10.70.1.2:5004 --to 10.70.2.98:6000 ||
	ktap_bail "stream add slow failed"
# The last relay's log holds the line waited for: gone before this one
# starts, or the signal could reach it before it is even exec'd.
rm -f "$TMP/relay.log"
nsenter --net=/run/netns/$LAB_RLY "$CTL" run -v --ingress xr0 --egress xr1 \
	> "$TMP/relay.log" 2>&1 &
relay_pid=$!
wait_for 10000 grep -q "resolving its next hop" "$TMP/relay.log"
kill -TERM $relay_pid
wait $relay_pid
ktap_eq "SIGTERM during set-up: a clean stop" 0 $?
relay_pid=
ktap_check "SIGTERM during set-up: said so" \
	grep -q "Terminated: stopping" "$TMP/relay.log"
ktap_check "SIGTERM during set-up: no status file left" \
	test ! -e /run/xdprelay/status
ctl stream del slow

# The socket backend: the same egress failure.
ktap_check "socket backend started" relay_start --backend socket
egress_down_check "socket"
ktap_check "socket backend stops cleanly" relay_stop

ktap_finish
