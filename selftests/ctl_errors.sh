#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xdprelayctl on bad input: each case gives its message and its exit code
# (2 for a command line that cannot be right, 1 for a failure against the
# system's state).  And the good paths of attach, detach, stream add, del,
# list and apply, sub add and del, stats and status, checked in the pinned
# maps themselves.  The man page documents every option with the words of
# --help.
#
#   private mount namespace: bpffs on $MNT, XDPRELAY_PIN_DIR=$MNT/tc/globals
#   ns xr-ctl-PID
#   +----------------------------------------------------+
#   |  xc0 <------------- veth -------------> xc1         |
#   |  XDP: xdprelay_maps.bpf.o                XDP: the   |
#   |  by ip link (TC_BPF_MNT=$MNT)            same, by   |
#   |                                          xdprelayctl|
#   +----------------------------------------------------+
#
# The host's /sys/fs/bpf is never touched: the test re-executes itself in
# a mount namespace of its own, with a private bpffs over /sys/fs/bpf too.

. "$(dirname "$0")/lib/ktap.sh"
top=$(cd "$(dirname "$0")/.." && pwd)

CTL=$top/user/xdprelayctl
OBJ=$top/bpf/xdprelay_maps.bpf.o
MAN=$top/docs/xdprelayctl.8
NS=xr-ctl-$$
MNT=
TMP=

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root (network namespaces, XDP)"
for f in "$CTL" "$OBJ"; do
	[ -e "$f" ] || ktap_skip_all "$f not built: run make"
done
for t in unshare nsenter bpftool nroff setpriv flock; do
	command -v $t >/dev/null || ktap_skip_all "$t not installed"
done

if [ -z "${XR_CTL_PRIVATE_MNT:-}" ]; then
	XR_CTL_PRIVATE_MNT=1 exec unshare -m --propagation private "$0" "$@"
fi

relay_pid=
cleanup()
{
	[ -n "$relay_pid" ] && kill -KILL "$relay_pid" 2>/dev/null
	ip netns del $NS 2>/dev/null
	# The other mounts go with the mount namespace.
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	[ -n "$TMP" ] && rm -rf "$TMP"
}
trap cleanup EXIT

TMP=$(mktemp -d /tmp/xr-ctl.XXXXXX)
MNT=$TMP/bpffs
mkdir -p "$MNT" "$TMP/plain"
mount -t bpf bpf /sys/fs/bpf || ktap_bail "cannot mount bpffs on /sys/fs/bpf"
mount -t bpf bpf "$MNT" || ktap_bail "cannot mount bpffs on $MNT"
mkdir -p /run/netns /run/xdprelay
mount -t tmpfs tmpfs /run/netns || ktap_bail "cannot mount tmpfs on /run/netns"
mount -t tmpfs -o mode=0755 tmpfs /run/xdprelay ||
	ktap_bail "cannot mount tmpfs on /run/xdprelay"

PIN=$MNT/tc/globals
export XDPRELAY_PIN_DIR=$PIN
# ip link pins under $MNT/tc/globals, libxdp keeps its own pins in $MNT.
export TC_BPF_MNT=$MNT
export LIBXDP_BPFFS=$MNT

ip netns add $NS || ktap_bail "cannot create netns $NS"
ip link add xc0 netns $NS type veth peer name xc1 netns $NS ||
	ktap_bail "cannot create the veth pair"
ip -n $NS link set xc0 up
ip -n $NS link set xc1 up

# "ip netns exec" remounts /sys: enter only the network namespace.
in_ns()
{
	nsenter --net=/run/netns/$NS "$@"
}

ctl()
{
	in_ns "$CTL" "$@"
}

# expect_out NAME FRAGMENT COMMAND...: COMMAND succeeds, prints FRAGMENT.
expect_out()
{
	expect "$1" 0 "$2" "${@:3}"
}

# The JSON value of a pinned map's entry, BTF-formatted by bpftool.
map_get()
{
	in_ns bpftool -j map lookup pinned "$PIN/$1" key ${2//,/ } 2>/dev/null
}

# Entries of a pinned hash map: their raw keys ("formatted" has the rest).
map_count()
{
	in_ns bpftool -j map dump pinned "$PIN/$1" | grep -o '"key":\[' | wc -l
}

# Options of a command's --help, one per line: "FLAGS DESCRIPTION".
help_entries()
{
	"$CTL" "$@" --help | awk '
		/^(Arguments|Options):$/ { on = 1; next }
		!on || /^$/ { next }
		/^  [^ ]/ {
			if (e != "")
				print e
			e = $0
			sub(/^ +/, "", e)
			gsub(/ +/, " ", e)
			next
		}
		{ sub(/^ +/, ""); e = e " " $0 }
		END { if (e != "") print e }'
}

ktap_plan 150

# Command lines that cannot be right: exit 2.
expect "no command" 2 "missing command" "$CTL"
expect "unknown command" 2 "unknown command 'frob'" "$CTL" frob
expect "ambiguous prefix" 2 "'st' is ambiguous: stream, stats, status" \
	"$CTL" st
expect "unknown option" 2 "unknown option '--frob'" "$CTL" stream list --frob
expect "missing stream name" 2 "missing NAME" "$CTL" stream add
expect "missing --listen" 2 "missing option --listen ADDR:PORT" \
	"$CTL" stream add tv1
expect "option without its value" 2 "option --listen needs a value" \
	"$CTL" stream add tv1 --listen
expect "IPv4 address that does not parse" 2 \
	"'239.1.1' is not an IPv4 address" \
	"$CTL" stream add tv1 --listen 239.1.1:5000
expect "address without a port" 2 "has no port: write ADDR:PORT" \
	"$CTL" stream add tv1 --listen 239.1.1.1
expect "port out of range" 2 "port 70000 is out of range: use 1 to 65535" \
	"$CTL" stream add tv1 --listen 239.1.1.1:70000
expect "port 0" 2 "port 0 is out of range: use 1 to 65535" \
	"$CTL" stream add tv1 --listen 239.1.1.1:0
expect "port that is not a number" 2 "port '50x' is not a number" \
	"$CTL" stream add tv1 --listen 239.1.1.1:50x
expect "IPv6 without brackets" 2 "an IPv6 address goes in brackets" \
	"$CTL" stream add tv1 --listen ff0e::1:5000
expect "IPv6 address that does not parse" 2 "'ff0e::g' is not an IPv6 address" \
	"$CTL" stream add tv1 --listen '[ff0e::g]:5000'
expect "unspecified address" 2 "is the unspecified address" \
	"$CTL" stream add tv1 --listen 0.0.0.0:5000
expect "invalid stream name" 2 "stream name '.tv' is invalid" \
	"$CTL" stream add .tv --listen 239.1.1.1:5000
expect "stream name too long" 2 "is longer than 31 characters" \
	"$CTL" stream add abcdefghijklmnopqrstuvwxyz0123456 \
	--listen 239.1.1.1:5000
expect "subscriber of the other family" 2 \
	"subscriber [fd00::2]:6000 is IPv6 but the stream listens on IPv4" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --to '[fd00::2]:6000'
expect "source of the other family" 2 "source fd00::/8 is IPv6" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --source fd00::/8
many=()
for i in $(seq 1 257); do
	many+=(--to 10.0.$((i / 200)).$((i % 200 + 1)):6000)
done
expect "257 subscribers" 2 "a stream has at most 256 subscribers" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 "${many[@]}"
expect "subscriber twice" 2 "subscriber 10.0.0.2:6000 is given twice" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --to 10.0.0.2:6000 \
	--to 10.0.0.2:6000
expect "subscriber that is the listen endpoint" 2 "it would loop" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --to 239.1.1.1:5000
expect "burst without rate" 2 "give a rate too" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --burst 10
expect "prefix with host bits" 2 "has bits set beyond /16: write 10.1.0.0/16" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --source 10.1.2.3/16
expect "prefix length out of range" 2 "use 0 to 32 for IPv4" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --source 10.0.0.0/33
expect "rate 0" 2 "0 is out of range: use 1 to 1000000000" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --rate 0
expect "negative rate" 2 "'-5' is not a number" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --rate=-5
expect "stream add --kind not a kind" 2 \
	"'h264' is not one of auto, mpegts, rtp, raw" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --kind h264
expect "option given twice" 2 "option --listen given twice" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --listen 239.1.1.2:5000
expect "flag with a value" 2 "option --busy-poll takes no value" \
	"$CTL" run --ingress xc0 --egress xc1 --busy-poll=1
expect "run without --egress" 2 "missing option --egress DEV" \
	"$CTL" run --ingress xc0
expect "run --mode not a mode" 2 "'fast' is not one of auto, zerocopy, copy" \
	"$CTL" run --ingress xc0 --egress xc1 --mode fast
expect "run --queues out of range" 2 "65 is out of range: use 1 to 64" \
	"$CTL" run --ingress xc0 --egress xc1 --queues 65
expect "run --frames out of range" 2 \
	"option --frames: 100 is out of range: use 512 to 1048576" \
	"$CTL" run --ingress xc0 --egress xc1 --frames 100
expect "attach --mode not a mode" 2 "'hw' is not one of native, skb" \
	"$CTL" attach xc0 --mode hw
expect "stats --count without --watch" 2 "--count needs --watch SEC" \
	"$CTL" stats --count 2
expect "stats --json with --prometheus" 2 "exclude each other" \
	"$CTL" stats --json --prometheus
expect "extra argument" 2 "unexpected argument 'tv2'" \
	"$CTL" stream del tv1 tv2
expect "tune --interval-ms not a number" 2 \
	"option --interval-ms: 'abc' is not a number" \
	"$CTL" tune --interval-ms abc
expect "usage error as JSON" 2 '{"error":"stream list: unknown option' \
	"$CTL" stream list --json --frob

# Failures against the system's state: exit 1.
expect "no bpffs" 1 "no BPF filesystem mounted at $TMP/plain/pins" \
	env XDPRELAY_PIN_DIR=$TMP/plain/pins "$CTL" stream list
expect "no bpffs: how to mount it" 1 "mount -t bpf bpf" \
	env XDPRELAY_PIN_DIR=$TMP/plain/pins "$CTL" stream list
expect "not attached" 1 "the xdprelay XDP program is not attached" \
	"$CTL" stream list
expect "not attached: how to attach" 1 \
	"ip link set dev DEV xdp obj bpf/xdprelay.bpf.o sec xdp' or 'xdprelayctl attach DEV'" \
	"$CTL" stats
expect "not attached, as JSON" 1 '{"error":"the xdprelay XDP program' \
	"$CTL" stream list --json
expect "attach to an interface that does not exist" 1 \
	"no interface named 'nosuch0'" ctl attach nosuch0
expect "run on an interface that does not exist" 1 \
	"no interface named 'nosuch0'" ctl run --ingress nosuch0 --egress xc1
expect "detach where nothing is attached" 1 \
	"xdprelay's program is not attached to xc1" ctl detach xc1
expect "attach an object that does not exist" 1 \
	"cannot read the XDP object $TMP/none.o" \
	ctl attach xc1 --object $TMP/none.o

# init: the maps without a program, for the socket backend.
INIT_PIN=$MNT/init/tc/globals
expect "init without bpffs" 1 "no BPF filesystem mounted at $TMP/plain/pins" \
	env XDPRELAY_PIN_DIR=$TMP/plain/pins "$CTL" init
expect "init with an object that does not exist" 1 \
	"cannot read the XDP object $TMP/none.o" \
	env XDPRELAY_PIN_DIR=$INIT_PIN "$CTL" init --object $TMP/none.o
expect_out "init pins the maps, attaches nothing" "no program attached" \
	env XDPRELAY_PIN_DIR=$INIT_PIN "$CTL" -v init
ktap_check "init: every map pinned" test -e $INIT_PIN/xr_streams -a \
	-e $INIT_PIN/xr_subs -a -e $INIT_PIN/xr_info -a \
	-e $INIT_PIN/xr_tx -a -e $INIT_PIN/xr_counters
expect_out "init: stream add works on its maps" "" \
	env XDPRELAY_PIN_DIR=$INIT_PIN "$CTL" stream add i1 \
	--listen 10.9.9.9:5000 --to 10.9.9.10:6000
expect_out "init twice: nothing to do, the stream stays" "nothing to do" \
	env XDPRELAY_PIN_DIR=$INIT_PIN "$CTL" -v init
expect_out "init twice: stream i1 still there" "stream i1 listen" \
	env XDPRELAY_PIN_DIR=$INIT_PIN "$CTL" stream list

# Attached by ip link and by xdprelayctl: the same pinned maps.
ktap_check "ip link set dev xc0 xdp obj xdprelay_maps.bpf.o sec xdp" \
	in_ns ip link set dev xc0 xdp obj "$OBJ" sec xdp
ktap_check "ip link pinned the maps in XDPRELAY_PIN_DIR" \
	test -e $PIN/xr_streams -a -e $PIN/xr_subs -a -e $PIN/xr_info
ktap_check "xdprelayctl attach xc1" ctl attach xc1
expect_out "status: xc0 runs xdprelay_rx on the pinned maps" \
	"xc0: xdprelay_rx (prog id" ctl status
expect_out "status: xc1 too" "uses the maps pinned in $PIN" ctl status
n=$(ctl status | grep -c "xdprelay_rx.*uses the maps pinned in $PIN")
ktap_eq "status: both programs use the pinned maps" 2 "$n"
expect "attach twice" 1 "xdprelay's program is attached to xc1 already" \
	ctl attach xc1
expect "status --json" 0 '"xdprelay":true' ctl status --json

expect "not root" 1 "run as root (xdprelayctl needs CAP_BPF and CAP_NET_ADMIN)" \
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$CTL" stream list

# Streams.
ktap_check "stream add tv1 (IPv4, two subscribers, source, rate)" \
	"$CTL" stream add tv1 --listen 239.1.1.1:5000 --to 10.0.0.2:6000 \
	--to 10.0.0.3:6000 --source 10.1.0.0/16 --rate 20000 --burst 100
ktap_check "stream add tv6 (IPv6)" \
	"$CTL" stream add tv6 --listen '[ff0e::1]:5000' \
	--to '[fd00::2]:6000' --source-port 7000
expect "duplicate stream name" 1 "a stream named 'tv1' exists already" \
	"$CTL" stream add tv1 --listen 239.1.1.9:5000
expect "duplicate listen endpoint" 1 \
	"239.1.1.1:5000 is already the listen endpoint of stream 'tv1'" \
	"$CTL" stream add tv9 --listen 239.1.1.1:5000
ktap_eq "xr_streams has two entries" 2 "$(map_count xr_streams)"
v=$(map_get xr_info 1,0,0,0)
ktap_check "xr_info[1] is tv1" grep -q '"name":"tv1"' <<< "$v"
# 239.1.1.1:5000: family 2, port 5000 in network order, the address.
v=$(map_get xr_streams "2,0,0x13,0x88,239,1,1,1$(printf ',0%.0s' {1..12}),0,0,0,0")
ktap_check "xr_streams[239.1.1.1:5000] is id 1" grep -q '"id":1,' <<< "$v"
ktap_check "xr_streams: rate 20000, burst 100" \
	grep -q '"rate_pps":20000,"burst":100' <<< "$v"
ktap_check "xr_streams: source filter 10.1.0.0/16" \
	grep -q '"flags":1,"src_addr":\[10,1,0,0,' <<< "$v"
v=$(map_get xr_subs 1,0,0,0)
ktap_check "xr_subs[1]: two subscribers, seq even" \
	grep -qE '"seq":[0-9]*[02468],"nr":2,' <<< "$v"
seq1=$(grep -oE '"seq":[0-9]+' <<< "$v")
expect_out "stream list" \
	"stream tv1 listen 239.1.1.1:5000 to 10.0.0.2:6000 to 10.0.0.3:6000 source 10.1.0.0/16 rate 20000 burst 100" \
	"$CTL" stream list
expect_out "stream list: IPv6" \
	"stream tv6 listen [ff0e::1]:5000 to [fd00::2]:6000 source-port 7000" \
	"$CTL" stream list
expect_out "stream list --json" \
	'{"id":2,"name":"tv6","listen":"[ff0e::1]:5000","to":["[fd00::2]:6000"],"source":null,"rate":0,"burst":0,"source_port":7000,"vlan":0,"live":true,"path":"auto","kind":"auto","runs":"none","why":"no relay running"}' \
	"$CTL" stream list --json

# A stream of one VLAN: its own key in xr_streams, beside one of any VLAN.
expect "vlan out of range" 2 "option --vlan: 4095 is out of range: use 1 to 4094" \
	"$CTL" stream add tv9 --listen 239.1.1.1:5000 --vlan 4095
expect "vlan 0" 2 "option --vlan: 0 is out of range: use 1 to 4094" \
	"$CTL" stream add tv9 --listen 239.1.1.1:5000 --vlan 0
ktap_check "stream add: the endpoint of tv1, in VLAN 100" \
	"$CTL" stream add tv100 --listen 239.1.1.1:5000 --vlan 100 \
	--to 10.0.0.7:6000
expect "duplicate endpoint in the same VLAN" 1 \
	"239.1.1.1:5000 on VLAN 100 is already the listen endpoint of stream 'tv100'" \
	"$CTL" stream add tv101 --listen 239.1.1.1:5000 --vlan 100
expect_out "stream list: vlan" \
	"stream tv100 listen 239.1.1.1:5000 to 10.0.0.7:6000 vlan 100" \
	"$CTL" stream list
expect_out "stream list --json: vlan" '"name":"tv100",' "$CTL" stream list --json
ktap_eq "stream list --json: vlan 100" 1 \
	"$("$CTL" stream list --json | grep -c '"name":"tv100".*"vlan":100,')"
# 239.1.1.1:5000 in VLAN 100 (0x64): the key's last four bytes.
v=$(map_get xr_streams "2,0,0x13,0x88,239,1,1,1$(printf ',0%.0s' {1..12}),0x64,0,0,0")
ktap_check "xr_streams[239.1.1.1:5000, VLAN 100] is its own entry" \
	grep -q '"id":' <<< "$v"
ktap_check "stream del tv100" "$CTL" stream del tv100
ktap_eq "xr_streams back to two entries" 2 "$(map_count xr_streams)"

# Subscribers, live.
ktap_check "sub add tv1 --to 10.0.0.4:6000" \
	"$CTL" sub add tv1 --to 10.0.0.4:6000
v=$(map_get xr_subs 1,0,0,0)
ktap_check "xr_subs[1]: three subscribers" grep -q '"nr":3,' <<< "$v"
ktap_check "xr_subs[1]: seq moved on, even" \
	test "$(grep -oE '"seq":[0-9]+' <<< "$v")" != "$seq1" -a \
	$(( $(grep -oE '"seq":[0-9]+' <<< "$v" | cut -d: -f2) % 2 )) = 0
expect "sub add: already a subscriber" 1 \
	"10.0.0.4:6000 is a subscriber of 'tv1' already" \
	"$CTL" sub add tv1 --to 10.0.0.4:6000
expect "sub add: other family" 1 "a stream is relayed within one family" \
	"$CTL" sub add tv1 --to '[fd00::9]:6000'
expect "sub add: no such stream" 1 "no stream named 'tv7'" \
	"$CTL" sub add tv7 --to 10.0.0.4:6000
ktap_check "sub del tv1 --to 10.0.0.2:6000" \
	"$CTL" sub del tv1 --to 10.0.0.2:6000
expect_out "sub del keeps the others in order" \
	"stream tv1 listen 239.1.1.1:5000 to 10.0.0.3:6000 to 10.0.0.4:6000 source" \
	"$CTL" stream list
expect "sub del: not a subscriber" 1 "10.0.0.2:6000 is not a subscriber of 'tv1'" \
	"$CTL" sub del tv1 --to 10.0.0.2:6000
many=()
for i in $(seq 1 254); do
	many+=(--to 10.1.$((i / 200)).$((i % 200 + 1)):6000)
done
ktap_check "sub add up to 256 subscribers" "$CTL" sub add tv1 "${many[@]}"
expect "sub add: a 257th" 1 "has 256 subscribers, the most it can have" \
	"$CTL" sub add tv1 --to 10.0.0.99:6000
expect "sub add: nothing changes on error" 0 '"nr":256,' map_get xr_subs 1,0,0,0

# Counters.
expect_out "stats: a row per stream" "tv1      1" "$CTL" stats
expect_out "stats: a total" "total    -" "$CTL" stats
expect_out "stats NAME" "tv6" "$CTL" stats tv6
expect "stats: no such stream" 1 "no stream named 'tv7'" "$CTL" stats tv7
expect_out "stats --json" '"streams":[{"name":"tv1","id":1,"path":"none","rx_packets":0,' \
	"$CTL" stats --json
expect_out "stats --prometheus: HELP" \
	"# HELP xdprelay_stream_rx_packets_total Packets the XDP program saw" \
	"$CTL" stats --prometheus
expect_out "stats --prometheus: labels" \
	'xdprelay_stream_tx_packets_total{stream="tv6"} 0' "$CTL" stats --prometheus
n=$("$CTL" stats --watch 1 --count 2 | grep -c '^STREAM')
ktap_eq "stats --watch 1 --count 2 draws twice" 2 "$n"

# Config files: checked whole, nothing changes on error.

# conf_streams FILE: the stream lines of FILE, as stream list prints them.
conf_streams()
{
	grep -v '^#' "$1" | sed 's/ *#.*//'
}

# expect_conf NAME FILE LINE: MESSAGE: stream apply FILE fails, citing
# FILE:LINE with MESSAGE.
expect_conf()
{
	expect "$1" 1 "$2:$3" "$CTL" stream apply "$2"
}

before=$("$CTL" stream list)
cat > $TMP/bad.conf <<EOF
# two errors and a good line
stream tv1 listen 239.1.1.1:5000 to 10.0.0.2:6000
stream tv2 listen 239.1.1.2:70000
stream tv3 lisen 239.1.1.3:5000
EOF
expect_conf "config: bad port cites file:line" $TMP/bad.conf \
	"3: listen: port 70000 is out of range"
expect_conf "config: every error at once" $TMP/bad.conf \
	"4: unknown keyword 'lisen'"
ktap_eq "config with errors changes nothing" "$before" "$("$CTL" stream list)"
expect "run --config with errors does not start" 1 "nothing applied" \
	ctl run --ingress xc0 --egress xc1 --config $TMP/bad.conf
expect "config: file that does not exist" 1 "cannot read config file" \
	"$CTL" stream apply $TMP/none.conf

"$CTL" stream list > $TMP/saved.conf
ktap_check "stream list output applies back" \
	"$CTL" stream apply $TMP/saved.conf
ktap_eq "and changes nothing" "$before" "$("$CTL" stream list)"
cat > $TMP/good.conf <<EOF
# tv1 changes subscribers, tv6 goes, tv2 comes
stream tv1 listen 239.1.1.1:5000 to 10.0.0.5:6000 source 10.1.0.0/16 rate 20000 burst 100
stream tv2 listen 239.1.1.2:5000 to 10.0.0.2:6002   # a comment
EOF
ktap_check "stream apply" "$CTL" stream apply $TMP/good.conf
ktap_eq "streams as the file says" \
	"$(conf_streams $TMP/good.conf)" "$("$CTL" stream list)"
ktap_eq "tv1 kept its id" 1 \
	"$("$CTL" stream list --json | grep -oE '"id":[0-9]+,"name":"tv1"' |
	  cut -d, -f1 | cut -d: -f2)"
ktap_eq "xr_streams has the two" 2 "$(map_count xr_streams)"

# Loops: a subscriber that is a stream's listen endpoint here.
expect "stream add: a subscriber that another stream listens on" 1 \
	"subscriber 239.1.1.2:5000 is the listen endpoint of stream 'tv2'" \
	"$CTL" stream add loop1 --listen 10.5.5.1:5000 --to 239.1.1.2:5000
expect "stream add: listening where another stream sends" 1 \
	"10.0.0.2:6002 is a subscriber of stream 'tv2'" \
	"$CTL" stream add loop2 --listen 10.0.0.2:6002
expect "sub add: a subscriber that another stream listens on" 1 \
	"subscriber 239.1.1.1:5000 is the listen endpoint of stream 'tv1'" \
	"$CTL" sub add tv2 --to 239.1.1.1:5000
ktap_eq "loops refused: the streams are as they were" \
	"$(conf_streams $TMP/good.conf)" "$("$CTL" stream list)"
cat > $TMP/loop.conf <<EOF
stream a listen 10.5.5.1:5000 to 10.5.5.2:5000
stream b listen 10.5.5.2:5000 to 10.0.0.9:6000
EOF
expect_conf "config: a loop between two streams cites both lines" \
	$TMP/loop.conf \
	"1: subscriber 10.5.5.2:5000 is the listen endpoint of stream 'b' (line 2)"

# More bad config files: each error cites its line, nothing changes.
{
	echo "stream d1 listen 239.3.3.1:5000"
	echo "stream d1 listen 239.3.3.2:5000"
	echo "stream d2 listen 239.3.3.1:5000"
	printf 'stream long listen 239.3.3.3:5000 %17000s\n' "# padding"
	echo "stream d3 listen 239.3.3.4:5000 lisen"
} > $TMP/dup.conf
expect_conf "config: a name twice" $TMP/dup.conf \
	"2: stream 'd1' is already defined on line 1"
expect_conf "config: an endpoint twice" $TMP/dup.conf \
	"3: 239.3.3.1:5000 is already the listen endpoint of stream 'd1' (line 1)"
expect_conf "config: a line too long" $TMP/dup.conf \
	"4: line longer than 16382 characters"
expect_conf "config: the line after a long one is counted right" \
	$TMP/dup.conf \
	"5: unknown keyword 'lisen'"
ktap_eq "bad config files change nothing" \
	"$(conf_streams $TMP/good.conf)" "$("$CTL" stream list)"

# The run directory: the writers' lock and the relay's status file.
mkdir -m 0777 $TMP/rd-open
expect "a run directory others can write is refused" 1 \
	"$TMP/rd-open can be written by others (mode 777): 'chmod go-w $TMP/rd-open'" \
	env XDPRELAY_RUN_DIR=$TMP/rd-open "$CTL" sub add tv1 --to 10.0.0.6:6000
expect "run refuses it too, before it starts" 1 \
	"$TMP/rd-open can be written by others" \
	in_ns env XDPRELAY_RUN_DIR=$TMP/rd-open "$CTL" run --ingress xc0 \
	--egress xc1 --backend socket
mkdir -m 0755 $TMP/rd-nobody
chown nobody $TMP/rd-nobody
expect "a run directory of another user is refused" 1 \
	"$TMP/rd-nobody belongs to uid 65534" \
	env XDPRELAY_RUN_DIR=$TMP/rd-nobody "$CTL" sub add tv1 --to 10.0.0.6:6000
ln -s $TMP/rd-nobody $TMP/rd-link
expect "a run directory that is a link is refused" 1 \
	"$TMP/rd-link is not a directory but a symbolic link" \
	env XDPRELAY_RUN_DIR=$TMP/rd-link "$CTL" sub add tv1 --to 10.0.0.6:6000
mkdir -m 0755 $TMP/rd
ln -s $TMP/victim $TMP/rd/lock
expect "a lock that is a link is refused" 1 "$TMP/rd/lock is a symbolic link" \
	env XDPRELAY_RUN_DIR=$TMP/rd "$CTL" sub add tv1 --to 10.0.0.6:6000
ktap_check "and what it points to is not created" test ! -e $TMP/victim
rm $TMP/rd/lock
echo "not the relay's" > $TMP/victim
ln -s $TMP/victim $TMP/rd/status
# nsenter and env exec: $! is the relay itself.
nsenter --net=/run/netns/$NS env XDPRELAY_RUN_DIR=$TMP/rd "$CTL" run \
	--ingress xc0 --egress xc1 --backend socket > $TMP/relay.log 2>&1 &
relay_pid=$!
status_is_relays()
{
	[ ! -L $TMP/rd/status ] && grep -qx "pid=$relay_pid" $TMP/rd/status
}
ktap_check "the relay replaces a status link with a file of its own" \
	wait_for 10000 status_is_relays
ktap_eq "and writes nothing where the link pointed" "not the relay's" \
	"$(cat $TMP/victim)"
kill -TERM $relay_pid
wait $relay_pid
ktap_eq "the relay stops cleanly" 0 $?
relay_pid=
flock $TMP/rd/lock sh -c "touch $TMP/held; sleep 3" &
lock_pid=$!
wait_for 2000 test -e $TMP/held
expect "a held lock: the change waits, and says so" 124 \
	"another xdprelayctl holds $TMP/rd/lock: waiting up to 30 s" \
	timeout 1 env XDPRELAY_RUN_DIR=$TMP/rd "$CTL" sub add tv1 \
	--to 10.0.0.6:6000
wait $lock_pid

# Removal.
ktap_check "stream del tv2" "$CTL" stream del tv2
expect "stream del: no such stream" 1 "no stream named 'tv2'" \
	"$CTL" stream del tv2
ktap_eq "xr_streams has one" 1 "$(map_count xr_streams)"
expect "xr_info[2] is free" 0 '"name":"",' map_get xr_info 2,0,0,0
expect "xr_subs[2] is empty" 0 '"nr":0,' map_get xr_subs 2,0,0,0

# Detach: the pins, and so the streams, stay.
ktap_check "xdprelayctl detach xc1" ctl detach xc1
expect "detach twice" 1 "xdprelay's program is not attached to xc1" \
	ctl detach xc1
ktap_check "xdprelayctl detach xc0 (attached by ip link)" ctl detach xc0
expect_out "status: nothing attached" "none attached" ctl status
expect_out "streams survive the detach" "stream tv1 listen 239.1.1.1:5000" \
	"$CTL" stream list

# The man page documents every option of --help in the same words.
man_text=$(LC_ALL=C.UTF-8 nroff -man -Tutf8 -rLL=2000n "$MAN" 2>/dev/null |
	   sed 's/.\x08//g' | tr -s ' \n' '  ')
missing=0
for cmd in attach init detach "stream add" "stream del" "stream list" \
	   "stream apply" "sub add" "sub del" run stats status tune; do
	while read -r entry; do
		[[ $man_text == *"$entry"* ]] && continue
		ktap_info "man page lacks, for $cmd: $entry"
		missing=$((missing + 1))
	done < <(help_entries $cmd)
done
ktap_eq "man page matches --help" 0 $missing

ktap_finish
