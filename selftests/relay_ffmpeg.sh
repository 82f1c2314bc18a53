#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stream health against a real encoder and decoder, on the host, in the lab
# of selftests/lib/lab.sh: Debian's ffmpeg encodes a test pattern with a
# tone as MPEG-TS (MPEG-2 video, MP2 audio), bare or in RTP, and sends it
# to udpfwd in the generator's namespace, which forwards it to the relay
# but for every 50th datagram, a known set; a second ffmpeg decodes what
# the relay sends on, in the sink's namespace.
#
#  - bare MPEG-TS: the relay's continuity errors equal the decoder's own
#    complaints ("Continuity check failed"), and the decoder decodes
#  - RTP/MPEG-TS: the RTP losses equal the datagrams left out and the
#    decoder's "RTP: missed" count; at least a continuity error per loss,
#    and no more than the decoder's complaints, which count the TS
#    packets its depacketizer drops after a gap as well
#  - the same stream, nothing left out: no error anywhere
#  - both: the encoder's PAT and PMT (every 0.1 s) found, never late,
#    with the losses too

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/relay.sh"

UDPFWD=$top/selftests/udpfwd
command -v ffmpeg >/dev/null || ktap_skip_all "ffmpeg not installed: run scripts/deps"
[ -x "$UDPFWD" ] || ktap_skip_all "$UDPFWD not built: run make tests"

ktap_plan 18

lab_setup || ktap_bail "cannot build the lab"
ktap_check "program attached with ip link" \
	in_rly ip link set dev xr0 xdp obj "$OBJ" sec xdp
ktap_check "relay started" relay_start

SECS=6
SKIP=50

# psi STREAM: its PAT and PMT errors, whether each is missing, PMT PIDs.
psi()
{
	health_stat "$1" ts_pat_errors ts_pmt_errors pat_missing \
		pmt_missing pmt_pids
}

udp_bound()
{
	"$@" ss -Huln | grep -q ":$PORT_BOUND "
}

# ffmpeg_run STREAM PORT FORMAT SKIP: the encoder sends $SECS seconds of
# FORMAT (mpegts or rtp_mpegts) through udpfwd -x SKIP (none: "") to
# 10.70.1.2:PORT, the decoder takes it from 10.70.2.2:6000 and ends 3 s
# after the last datagram.  Sets skipped and leaves the decoder's log in
# $TMP/STREAM.rx.
ffmpeg_run()
{
	local name=$1 port=$2 fmt=$3 skip=$4 rx fwd proto=udp size=1316

	if [ "$fmt" = rtp_mpegts ]; then
		proto=rtp
		size=1328
	fi
	in_sink timeout 60 ffmpeg -hide_banner -nostats -loglevel debug \
		-i "$proto://10.70.2.2:6000?timeout=3000000" -f null - \
		> "$TMP/$name.rx" 2>&1 &
	rx=$!
	PORT_BOUND=6000 wait_for 10000 udp_bound in_sink ||
		ktap_bail "the decoder did not start: $(tail -3 "$TMP/$name.rx")"
	in_gen "$UDPFWD" ${skip:+-x "$skip"} 127.0.0.1 7000 10.70.1.2 "$port" \
		> "$TMP/$name.fwd" &
	fwd=$!
	PORT_BOUND=7000 wait_for 10000 udp_bound in_gen ||
		ktap_bail "udpfwd did not start"
	in_gen timeout 60 ffmpeg -hide_banner -nostats -loglevel error -re \
		-f lavfi -i testsrc=size=320x240:rate=25 \
		-f lavfi -i sine=frequency=1000 -t $SECS \
		-c:v mpeg2video -b:v 1M -c:a mp2 \
		-f "$fmt" "$proto://127.0.0.1:7000?pkt_size=$size" ||
		ktap_bail "the encoder failed"
	wait $fwd
	wait $rx
	ktap_info "$name: $(cat "$TMP/$name.fwd")"
	skipped=$(awk '{ print $6 }' "$TMP/$name.fwd")
}

# What the decoder said: continuity complaints, RTP packets missed, and
# frames decoded.
cc_complaints()
{
	grep -c "Continuity check failed" "$TMP/$1.rx"
}

rtp_missed()
{
	sed -n 's/.*RTP: missed \([0-9]*\) packets.*/\1/p' "$TMP/$1.rx" |
		awk '{ n += $1 } END { print n + 0 }'
}

decoded()
{
	sed -n 's/^\([0-9]*\) frames successfully decoded.*/\1/p' \
		"$TMP/$1.rx" | tail -n 1
}

health_stream tv 5010 afxdp
ffmpeg_run tv 5010 mpegts $SKIP
ktap_eq "MPEG-TS from ffmpeg: recognised" mpegts "$(health_stat tv kind)"
cc=$(health_stat tv ts_cc_errors)
ktap_info "tv: $cc continuity errors, $(health_stat tv ts_packets) TS packets; the decoder: $(cc_complaints tv)"
ktap_check "MPEG-TS: a continuity error or more per datagram left out" \
	test "$cc" -ge "$skipped" -a "$skipped" -gt 0
ktap_eq "MPEG-TS: continuity errors as the decoder counts them" \
	"$(cc_complaints tv)" "$cc"
ktap_eq "MPEG-TS: nothing else wrong" "0 0 0" \
	"$(health_stat tv ts_sync_errors ts_tei_packets ts_pids_unchecked)"
ktap_check "MPEG-TS: the decoder decoded it ($(decoded tv) frames)" \
	test "$(decoded tv)" -gt $((SECS * 25))
ktap_eq "MPEG-TS: its PAT and PMT (PID 0x1000) on time, losses and all" \
	"0 0 false false [4096]" "$(psi tv)"

health_stream rtv 5011 afxdp
ffmpeg_run rtv 5011 rtp_mpegts $SKIP
ktap_eq "RTP/MPEG-TS from ffmpeg: recognised" rtp-mpegts \
	"$(health_stat rtv kind)"
ktap_eq "RTP: a loss per datagram left out, as the decoder counts them" \
	"$skipped $skipped" \
	"$(health_stat rtv rtp_lost) $(rtp_missed rtv)"
ktap_eq "RTP: no other RTP error" "0 0 0" \
	"$(health_stat rtv rtp_reordered rtp_duplicates rtp_ssrc_changes)"
# ffmpeg's RTP depacketizer loses a TS packet or two more after a gap
# and complains of those as well.
cc=$(health_stat rtv ts_cc_errors)
ktap_info "rtv: $cc continuity errors; the decoder: $(cc_complaints rtv)"
ktap_check "RTP/MPEG-TS: a continuity error or more per loss, no more than the decoder's" \
	test "$cc" -ge "$skipped" -a "$cc" -le "$(cc_complaints rtv)"
ktap_check "RTP/MPEG-TS: the decoder decoded it ($(decoded rtv) frames)" \
	test "$(decoded rtv)" -gt $((SECS * 25))

# Nothing left out: a real encoder's stream raises no alarm.
health_stream clean 5012 afxdp
ffmpeg_run clean 5012 rtp_mpegts ""
ktap_eq "clean RTP/MPEG-TS: no error, and the decoder saw none" \
	"0 0 0 0 0 0 0 0" \
	"$(health_stat clean ts_sync_errors ts_tei_packets ts_cc_errors \
		rtp_lost rtp_reordered rtp_duplicates) $(cc_complaints clean) \
$(rtp_missed clean)"
ktap_check "clean: RTP and TS packets checked" \
	test "$(health_stat clean rtp_packets)" -gt 0 -a \
	"$(health_stat clean ts_packets)" -gt 0
ktap_eq "clean: its PAT and PMT on time" "0 0 false false [4096]" \
	"$(psi clean)"
jitter=$(health_stat clean jitter_ms)
ktap_info "clean: jitter $jitter ms"
ktap_check "clean: a jitter figure, below a second" \
	awk -v j="$jitter" 'BEGIN { exit !(j > 0 && j < 1000) }'

ktap_check "relay stops cleanly" relay_stop
ktap_finish
