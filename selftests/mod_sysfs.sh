#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdprelay.ko's sysfs tree: every file there and readable with the right
# value and mode, stream and subscriber registration, every bad write
# refused with its own errno and the state unchanged.  Runs in the VM.

. "$(dirname "$0")/lib/mod.sh"
mod_enter_vm "$@"

COUNTERS="rx_packets rx_bytes redirected pass_no_socket pass_no_meta
	  policed src_refused malformed direct socket tx_packets tx_bytes"
GLOBAL_COUNTERS="$COUNTERS fragments unmatched"

# The state a bad write must leave alone: every stream and its id.
state()
{
	local d

	for d in "$SYSFS"/streams/*/; do
		[ -d "$d" ] && echo "$(basename "$d")=$(cat "$d/id")"
	done
}

# The same for subscribers: each one's directory and row.
sub_state()
{
	local d

	for d in "$SYSFS"/streams/*/subscribers/*/; do
		[ -d "$d" ] && echo "${d#"$SYSFS"/streams/}=$(cat "$d/row")"
	done
}

ktap_plan 84
mod_check_vermagic
insmod "$KO" || ktap_bail "insmod $KO failed"

ktap_eq "version" "$(modinfo -F version "$KO")" "$(cat $SYSFS/version)"

bad=
for f in $GLOBAL_COUNTERS; do
	v=$(cat "$SYSFS/stats/$f" 2>/dev/null) || v=unreadable
	[ "$v" = 0 ] || bad="$bad $f=$v"
done
ktap_eq "stats: every global counter present and 0" "" "$bad"

ktap_eq "stats: no other file" \
	"$(echo $GLOBAL_COUNTERS | tr ' ' '\n' | sort)" \
	"$(ls "$SYSFS/stats" | sort)"

ktap_eq "nothing world-writable" "" \
	"$(find $SYSFS -perm -o=w ! -type l 2>/dev/null)"
ktap_eq "control files write-only by root" \
	"--w------- --w------- --w------- --w-------" \
	"$(stat -c %A $SYSFS/new_stream $SYSFS/del_stream $SYSFS/new_sub \
		$SYSFS/del_sub | xargs)"
ktap_eq "counters read-only" "-r--r--r--" \
	"$(stat -c %A $SYSFS/stats/* $SYSFS/version | sort -u)"

before=$(state)
ktap_eq "no stream at load" "" "$before"

ktap_check "new_stream '1 tv1'" sysfs_write $SYSFS/new_stream "1 tv1"
ktap_check "new_stream with newline '1023 feed.B-2_x'" \
	sysfs_write $SYSFS/new_stream $'1023 feed.B-2_x\n'
ktap_eq "stream ids" "1" "$(cat $SYSFS/streams/tv1/id)"
ktap_eq "stream ids (last id)" "1023" "$(cat $SYSFS/streams/feed.B-2_x/id)"

bad=
for f in $COUNTERS; do
	v=$(cat "$SYSFS/streams/tv1/$f" 2>/dev/null) || v=unreadable
	[ "$v" = 0 ] || bad="$bad $f=$v"
done
ktap_eq "stream: every counter present and 0" "" "$bad"
ktap_eq "stream: no other file" \
	"$(echo id subscribers health $COUNTERS | tr ' ' '\n' | sort)" \
	"$(ls "$SYSFS/streams/tv1" | sort)"
HEALTH="kind ts_packets ts_sync_errors ts_tei_packets ts_cc_errors
	ts_pids_unchecked ts_pat_errors ts_pmt_errors rtp_packets rtp_lost
	rtp_reordered rtp_duplicates rtp_ssrc_changes rtp_jitter_us"
ktap_eq "stream: its health files, nothing seen yet" \
	"$(echo unknown $(printf '0 %.0s' {1..13}))" \
	"$(cd "$SYSFS/streams/tv1/health" && cat $HEALTH | xargs)"
ktap_eq "stream: health, no other file, read-only" \
	"$(echo $HEALTH | tr ' ' '\n' | sort | xargs) -r--r--r--" \
	"$(ls "$SYSFS/streams/tv1/health" | sort | xargs) $(find $SYSFS/streams/tv1/health -type f -exec stat -c %A {} + | sort -u)"
ktap_eq "stream: read-only" "-r--r--r--" \
	"$(find $SYSFS/streams/tv1 -maxdepth 1 -type f -exec stat -c %A {} + |
	   sort -u)"
ktap_eq "stream: no subscriber yet" "" "$(ls $SYSFS/streams/tv1/subscribers)"

before=$(state)
W=$SYSFS/new_stream
sysfs_write_err "id 0 refused" $W "0 s0" "Numerical result out of range"
sysfs_write_err "id 1024 refused" $W "1024 s0" "Numerical result out of range"
sysfs_write_err "id beyond u32 refused" $W "99999999999 s0" \
	"Numerical result out of range"
sysfs_write_err "negative id refused" $W "-1 s0" "Invalid argument"
sysfs_write_err "id not a number" $W "abc s0" "Invalid argument"
sysfs_write_err "id with junk" $W "5x s0" "Invalid argument"
sysfs_write_err "no name" $W "5" "Invalid argument"
sysfs_write_err "no name, trailing space" $W "5 " "Invalid argument"
sysfs_write_err "newline only" $W $'\n' "Invalid argument"
sysfs_write_err "name with slash" $W "5 a/b" "Invalid argument"
sysfs_write_err "name with space" $W "5 a b" "Invalid argument"
sysfs_write_err "name starting with dot" $W "5 .x" "Invalid argument"
sysfs_write_err "name '..'" $W "5 .." "Invalid argument"
sysfs_write_err "name of 32 characters" $W "5 $(printf 'n%.0s' {1..32})" \
	"Invalid argument"
sysfs_write_err "duplicate name" $W "5 tv1" "File exists"
sysfs_write_err "duplicate id" $W "1 other" "File exists"
sysfs_write_err "del of unknown stream" $SYSFS/del_stream "nosuch" \
	"No such file or directory"
sysfs_write_err "del with newline only" $SYSFS/del_stream $'\n' \
	"Invalid argument"
sysfs_write_err "write to a counter" $SYSFS/stats/rx_packets "5" \
	"Permission denied"
sysfs_write_err "write to version" $SYSFS/version "9" "Permission denied"
ktap_eq "state unchanged after bad writes" "$before" "$(state)"

# Subscribers of tv1 (id 1).
SW=$SYSFS/new_sub
D=$SYSFS/streams/tv1/subscribers
ktap_check "new_sub '5 1 10.0.0.2:6000'" sysfs_write $SW "5 1 10.0.0.2:6000"
ktap_check "new_sub of an IPv6 subscriber, last row, newline" \
	sysfs_write $SW $'8191 1 [fd00::2]:6000\n'
ktap_eq "subscriber: its row, every counter 0" "5 0 0 0 0" \
	"$(cat $D/10.0.0.2:6000/{row,tx_packets,tx_bytes,tx_errors,tx_no_neigh} |
	   xargs)"
ktap_eq "subscriber: no other file" \
	"row tx_bytes tx_errors tx_no_neigh tx_packets" \
	"$(ls $D/10.0.0.2:6000 | xargs)"
ktap_eq "subscriber: read-only" "-r--r--r--" \
	"$(stat -c %A $D/*/* | sort -u)"
ktap_eq "IPv6 subscriber: its row" 8191 "$(cat "$D/[fd00::2]:6000/row")"

before=$(sub_state)
sysfs_write_err "sub: row 0 refused" $SW "0 1 10.0.0.3:6000" \
	"Numerical result out of range"
sysfs_write_err "sub: row 8192 refused" $SW "8192 1 10.0.0.3:6000" \
	"Numerical result out of range"
sysfs_write_err "sub: stream id 0 refused" $SW "6 0 10.0.0.3:6000" \
	"Numerical result out of range"
sysfs_write_err "sub: stream id 1024 refused" $SW "6 1024 10.0.0.3:6000" \
	"Numerical result out of range"
sysfs_write_err "sub: row not a number" $SW "x 1 10.0.0.3:6000" \
	"Invalid argument"
sysfs_write_err "sub: stream not registered" $SW "6 2 10.0.0.3:6000" \
	"No such file or directory"
sysfs_write_err "sub: row taken" $SW "5 1 10.0.0.3:6000" "File exists"
sysfs_write_err "sub: endpoint taken in the stream" $SW "6 1 10.0.0.2:6000" \
	"File exists"
sysfs_write_err "sub: no endpoint" $SW "6 1" "Invalid argument"
sysfs_write_err "sub: no port" $SW "6 1 10.0.0.3" "Invalid argument"
sysfs_write_err "sub: port not a number" $SW "6 1 10.0.0.3:6e3" \
	"Invalid argument"
sysfs_write_err "sub: slash" $SW "6 1 10.0.0.3/8:6000" "Invalid argument"
sysfs_write_err "sub: space" $SW "6 1 10.0.0.3 :6000" "Invalid argument"
sysfs_write_err "sub: starting with a dot" $SW "6 1 ..:6000" \
	"Invalid argument"
sysfs_write_err "sub: 56 characters" $SW \
	"6 1 [$(printf 'a%.0s' {1..49})]:6000" "Invalid argument"
sysfs_write_err "del_sub: row not registered" $SYSFS/del_sub 6 \
	"No such file or directory"
sysfs_write_err "del_sub: row 0" $SYSFS/del_sub 0 \
	"Numerical result out of range"
sysfs_write_err "del_sub: not a number" $SYSFS/del_sub x "Invalid argument"
sysfs_write_err "write to a subscriber's counter" \
	$D/10.0.0.2:6000/tx_packets 5 "Permission denied"
ktap_eq "subscribers unchanged after bad writes" "$before" "$(sub_state)"

ktap_check "sub: 55 characters accepted" sysfs_write $SW \
	"6 1 [$(printf 'a%.0s' {1..48})]:6000"
ktap_check "sub: the same endpoint in another stream" \
	sysfs_write $SW "7 1023 10.0.0.2:6000"
ktap_check "del_sub 8191" sysfs_write $SYSFS/del_sub 8191
ktap_check "its directory is gone" test ! -e "$D/[fd00::2]:6000"
ktap_check "row 8191 given again" sysfs_write $SW "8191 1 [fd00::2]:6000"

ktap_check "name of 31 characters accepted" \
	sysfs_write $W "7 $(printf 'n%.0s' {1..31})"
ktap_check "del_stream of it" sysfs_write $SYSFS/del_stream \
	"$(printf 'n%.0s' {1..31})"
ktap_check "del_stream tv1 (newline)" sysfs_write $SYSFS/del_stream \
	$'tv1\n'
ktap_check "tv1 gone" test ! -e $SYSFS/streams/tv1
ktap_eq "its subscribers went with it" "feed.B-2_x/subscribers/10.0.0.2:6000/=7" \
	"$(sub_state)"
ktap_check "their rows are free again" sysfs_write $SYSFS/new_sub \
	"5 1023 10.0.0.5:6000"
ktap_check "id 1 reusable under another name" sysfs_write $W "1 tv1b"
ktap_eq "state after del and re-add" \
	"$(printf 'feed.B-2_x=1023\ntv1b=1')" "$(state)"
ktap_check "name reusable after del" sysfs_write $SYSFS/del_stream tv1b
ktap_check "re-add of a deleted name" sysfs_write $W "2 tv1b"

ktap_check "rmmod with streams and subscribers registered" rmmod xdprelay
ktap_check "sysfs tree gone after rmmod" test ! -e $SYSFS
ktap_check "insmod again" insmod "$KO"
ktap_eq "no stream after reload" "" "$(state)"
ktap_check "rmmod again" rmmod xdprelay

ktap_finish
