#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stream health end to end, on the host, in the lab of selftests/lib/lab.sh:
# udpsend sends MPEG-TS (-t ts) and MPEG-TS in RTP (-t rtp), leaving out
# every Nth datagram (-x N) as a lossy network would (each loss followed
# by a datagram that shows it), and the XDP program
# on the relay's ingress counts what it sees, whatever path relays it.
#
#  - bare MPEG-TS with 1 datagram in 100 lost: recognised as mpegts, every
#    TS packet checked, one continuity error per datagram lost, nothing
#    else; stats' HEALTH column, JSON and Prometheus say so
#  - RTP/MPEG-TS with 1 in 50 lost: rtp-mpegts, the RTP losses and the
#    continuity errors both equal to the datagrams lost
#  - the same on the direct path and on the socket path
#  - clean streams of both kinds over longer runs: no error at all, the
#    PAT and the PMT it names every 100 ms
#  - a stream without a PAT: flagged in stats, Prometheus and the log; one
#    whose PAT and PMT come every 0.7 s: an error each time, exactly
#  - a stream that is not MPEG-TS nor RTP: nothing recognised
#  - --kind raw checks nothing; a config file that changes the kind to
#    mpegts starts the counts again, and RTP is then out of sync
#  - the relay's log says once when a stream turns unhealthy and when it
#    is healthy again, never for a clean one; with run --silence 1, when
#    a stream falls silent and when its packets come back, and stats
#    flags it meanwhile

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

ktap_plan 39

lab_setup || ktap_bail "cannot build the lab"
ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
ktap_check "relay started" relay_start

# errors STREAM: the stream's error counters, in one line.
errors()
{
	health_stat "$1" ts_sync_errors ts_tei_packets ts_cc_errors \
		ts_pat_errors ts_pmt_errors rtp_lost rtp_reordered \
		rtp_duplicates rtp_ssrc_changes
}

# send FORMAT PORT COUNT SKIP RATE
send()
{
	in_gen "$UDPSEND" -t "$1" -c "$3" ${4:+-x "$4"} -r "$5" 10.70.1.2 "$2"
}

# A stream's packets are counted once the program has seen them all:
# the sender is done before the program's counters are read.
health_stream ts1 5000 afxdp
send ts 5000 2001 100 4000
ktap_eq "MPEG-TS, 1 in 100 lost: recognised" mpegts \
	"$(health_stat ts1 kind)"
ktap_eq "MPEG-TS: every TS packet checked" $((1981 * 7)) \
	"$(health_stat ts1 ts_packets)"
ktap_eq "MPEG-TS: a continuity error per datagram lost, nothing else" \
	"0 0 20 0 0 0 0 0 0" "$(errors ts1)"
ktap_eq "MPEG-TS: relayed through AF_XDP" 1981 \
	"$(stream_stat ts1 redirected)"
ktap_check "stats: the HEALTH column says mpegts 20 cc" \
	eval 'ctl stats ts1 | grep -q "mpegts 20 cc *$"'
ktap_check "stats --prometheus: the stream's continuity errors" \
	eval 'ctl stats --prometheus | grep -qx "xdprelay_stream_ts_cc_errors_total{stream=\"ts1\",kind=\"mpegts\"} 20"'
idle=$(health_stat ts1 idle_s)
ktap_check "stats: how long the stream has been silent ($idle s)" \
	awk -v i="$idle" 'BEGIN { exit !(i > 0 && i < 60) }'

health_stream rtp1 5001 afxdp
send rtp 5001 2001 50 4000
ktap_eq "RTP/MPEG-TS, 1 in 50 lost: recognised" rtp-mpegts \
	"$(health_stat rtp1 kind)"
ktap_eq "RTP/MPEG-TS: RTP and TS packets checked" "1961 $((1961 * 7))" \
	"$(health_stat rtp1 rtp_packets ts_packets)"
ktap_eq "RTP/MPEG-TS: RTP losses and continuity errors, each 40" \
	"0 0 40 0 0 40 0 0 0" "$(errors rtp1)"

# The same checks whatever path relays the stream.
health_stream d1 5002 direct
wait_for 5000 eval 'ctl status | grep -q "stream d1: direct path"' ||
	ktap_info "d1 is not on the direct path: $(ctl status | grep d1)"
send rtp 5002 1001 10 4000
ktap_eq "direct path: relayed by the program, 100 lost and found" \
	"901 0 0 100 0 0 100 0 0 0" "$(stream_stat d1 direct) $(errors d1)"
health_stream s1 5003 socket
wait_for 5000 eval 'ctl status | grep -q "stream s1: socket path"' ||
	ktap_info "s1 is not on the socket path: $(ctl status | grep s1)"
send ts 5003 1001 10 4000
ktap_eq "socket path: passed to the relay's socket, 100 lost and found" \
	"901 0 0 100 0 0 0 0 0 0" "$(stream_stat s1 socket) $(errors s1)"

# Clean streams over longer runs: no false alarm.
health_stream ts2 5004 afxdp
send ts 5004 40000 "" 20000
ktap_eq "clean MPEG-TS, 40000 datagrams: every TS packet, no error" \
	"$((40000 * 7)) 0 0 0 0 0 0 0 0 0" \
	"$(health_stat ts2 ts_packets) $(errors ts2)"
ktap_check "stats: the HEALTH column says mpegts ok" \
	eval 'ctl stats ts2 | grep -q "mpegts ok *$"'
ktap_eq "clean MPEG-TS: its PAT and PMT on time, the PMT's PID known" \
	"false false [4096]" "$(health_stat ts2 pat_missing pmt_missing pmt_pids)"
health_stream rtp2 5005 afxdp
send rtp 5005 40000 "" 20000
ktap_eq "clean RTP/MPEG-TS, 40000 datagrams: no error" \
	"40000 0 0 0 0 0 0 0 0 0" \
	"$(health_stat rtp2 rtp_packets) $(errors rtp2)"

# Program specific information: a stream without it, and one with it late.
health_stream psi1 5008 afxdp
in_gen "$UDPSEND" -t ts -i 0 -c 4000 -r 4000 10.70.1.2 5008
ktap_eq "MPEG-TS without a PAT, 1 s of it: flagged, not counted" \
	"true 0 0" "$(health_stat psi1 pat_missing ts_pat_errors ts_cc_errors)"
ktap_check "stats: the HEALTH column says mpegts no PAT" \
	eval 'ctl stats psi1 | grep -q "mpegts no PAT *$"'
ktap_check "stats --prometheus: its PAT missing" \
	eval 'ctl stats --prometheus | grep -qx "xdprelay_stream_psi_missing{stream=\"psi1\",table=\"pat\"} 1"'
ktap_check "the relay said psi1 is unhealthy: no PAT" \
	wait_for 5000 grep -q "stream 'psi1' is unhealthy: no PAT" \
	"$TMP/relay.log"
health_stream psi2 5009 afxdp
# The tables in datagrams 0, 700, ... 2800, at 1000 a second: 4 late.
in_gen "$UDPSEND" -t ts -i 700 -c 3000 -r 1000 10.70.1.2 5009
ktap_eq "PAT and PMT every 0.7 s: 4 errors each, none missing at the end" \
	"4 4 false false 0" "$(health_stat psi2 ts_pat_errors ts_pmt_errors \
		pat_missing pmt_missing ts_cc_errors)"

# Neither: the numbered payloads of udpsend's usual datagrams.
health_stream raw1 5006 afxdp
in_gen "$UDPSEND" -c 100 -s 1316 -r 4000 10.70.1.2 5006
ktap_eq "neither MPEG-TS nor RTP: nothing recognised, nothing counted" \
	"unknown 0 0" \
	"$(health_stat raw1 kind ts_packets rtp_packets)"
ktap_check "stats: the HEALTH column has nothing to say" \
	eval 'ctl stats raw1 | grep -q "  - *$"'

# What the operator says the stream is.
health_stream k1 5007 afxdp --kind raw
send ts 5007 101 10 4000
ktap_eq "--kind raw: nothing checked" "unknown 0 0" \
	"$(health_stat k1 kind ts_packets ts_cc_errors)"
ktap_check "stream list says kind raw" \
	eval 'ctl stream list | grep -q "^stream k1 .* kind raw"'
# The file gives it another kind: its health starts again from zero.
ctl stream list | grep -v '^stream k1 ' > "$TMP/streams.conf"
echo "stream k1 listen 10.70.1.2:5007 to 10.70.2.2:6000 path afxdp kind mpegts" \
	>> "$TMP/streams.conf"
ktap_check "stream apply: k1 becomes kind mpegts" \
	ctl stream apply "$TMP/streams.conf"
send rtp 5007 100 "" 4000
ktap_eq "--kind mpegts on RTP: checked as bare MPEG-TS, nothing in sync" \
	"mpegts 700 700" \
	"$(health_stat k1 kind ts_packets ts_sync_errors)"

# What the relay says of it: once each time the state changes.
ktap_check "the relay said ts1 turned unhealthy, with its continuity errors" \
	grep -q "stream 'ts1' is unhealthy: [0-9]* cc in the last second" \
	"$TMP/relay.log"
ktap_check "and that it is healthy again, 10 s on" \
	wait_for 15000 grep -q "stream 'ts1' is healthy again: no error for 10 s" \
	"$TMP/relay.log"
ktap_eq "ts2 and rtp2, clean, were never said to be unhealthy" 0 \
	"$(grep -c "stream '\(ts2\|rtp2\)' is unhealthy" "$TMP/relay.log")"

ktap_check "relay stops cleanly" relay_stop

# Silence: a second without a packet, with run --silence 1.
ktap_check "relay started with --silence 1" relay_start --silence 1
in_gen "$UDPSEND" -c 10 -s 1316 -r 1000 10.70.1.2 5006
ktap_check "the relay says raw1 is silent" \
	wait_for 5000 grep -q "stream 'raw1' is silent: no packet for 1 s" \
	"$TMP/relay.log"
ktap_eq "stats: raw1 silent in the JSON" true "$(health_stat raw1 silent)"
ktap_check "stats: the HEALTH column says silent" \
	eval 'ctl stats raw1 | grep -q "  silent [0-9]* s"'
in_gen "$UDPSEND" -c 10 -s 1316 -r 1000 10.70.1.2 5006
ktap_check "the relay says raw1 has packets again" \
	wait_for 5000 grep -q "stream 'raw1' has packets again" "$TMP/relay.log"
ktap_check "relay stops cleanly, again" relay_stop
ktap_finish
