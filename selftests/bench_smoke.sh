#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark harness still works: bench/run --smoke measures every
# backend (XDP_DROP ceiling, xdprelay AF_XDP with and without busy
# polling, xdprelay's direct path with and without --direct-cpus,
# xdprelay socket backend, socat, nginx, nftables DNAT, DPDK testpmd) in
# every scenario for one second, in its own lab (see bench/run).  One
# case per backend: it delivered packets in each scenario it ran, the sink
# found none of them damaged, and where the relay checked the stream's
# health it found what the stream was added for.  Then one case per row
# of scenario ts (MPEG-TS; the xdprelay backends with health checks off
# and on): the sink checked some of its datagrams and found them intact,
# and with checks on the relay counted TS packets and no error, with
# checks off none.  No figure is judged: a shared CI machine's numbers
# mean nothing.

. "$(dirname "$0")/lib/ktap.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
BACKENDS="ceiling xdp xdpbusy direct cpumap socket socat nginx nft testpmd"
TS_ROWS="ceiling"
for be in xdp xdpbusy direct cpumap; do
	TS_ROWS="$TS_ROWS $be-raw $be-mpegts"
done

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root (network namespaces, XDP)"

ktap_plan $(($(echo $BACKENDS | wc -w) + $(echo $TS_ROWS | wc -w)))

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# A bound of its own, beyond bench/run's per-case bounds.
timeout -k 10 420 "$top/bench/run" --smoke > "$out" 2>&1
rc=$?
ktap_info "bench/run --smoke exited $rc"
[ $rc -le 1 ] || sed 's/^/# /' "$out" | tail -n 40

# verdict KEY NAME WHAT: one case from bench/run's "smoke: ok|FAIL KEY ..."
# line; NAME its name in the output, WHAT what a failure failed at.
verdict()
{
	local key=$1 name=$2 what=$3 line

	line=$(grep "^smoke: [a-zA-Z]* $key " "$out")
	if [[ $line == "smoke: ok "* ]]; then
		ktap_ok "$name: ${line#smoke: ok $key }"
	else
		ktap_info "${line:-$name: no verdict from bench/run}"
		grep "^# .*${key#ts:}" "$out" | head -n 10 | sed 's/^/# /'
		ktap_fail "$name: $what"
	fi
}

for be in $BACKENDS; do
	verdict "$be" "$be" "delivered intact packets"
done
for row in $TS_ROWS; do
	verdict "ts:$row" "ts $row" "intact MPEG-TS, the relay's checks as asked"
done

ktap_finish
