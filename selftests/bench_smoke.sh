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

for be in $BACKENDS; do
	line=$(grep "^smoke: [a-zA-Z]* $be " "$out")
	if [[ $line == "smoke: ok "* ]]; then
		ktap_ok "$be: ${line#smoke: ok $be }"
	else
		ktap_info "${line:-$be: no verdict from bench/run}"
		grep "^# .*$be" "$out" | head -n 10 | sed 's/^/# /'
		ktap_fail "$be delivered intact packets"
	fi
done

for row in $TS_ROWS; do
	line=$(grep "^smoke: [a-zA-Z]* ts:$row " "$out")
	if [[ $line == "smoke: ok "* ]]; then
		ktap_ok "ts $row: ${line#smoke: ok ts:$row }"
	else
		ktap_info "${line:-ts $row: no verdict from bench/run}"
		grep "^# .*$row" "$out" | head -n 10 | sed 's/^/# /'
		ktap_fail "ts $row: intact MPEG-TS, the relay's checks as asked"
	fi
done

ktap_finish
