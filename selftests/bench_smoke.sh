#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark harness still works: bench/run --smoke measures every
# backend (XDP_DROP ceiling, xdprelay AF_XDP with and without busy
# polling, xdprelay's direct path with and without --direct-cpus,
# xdprelay socket backend, socat, nginx, nftables DNAT, DPDK testpmd) in every scenario for one second, in its own lab (see
# bench/run).  One case per backend: it delivered packets in each
# scenario it ran, and the sink found none of them damaged.  No figure is
# judged: a shared CI machine's numbers mean nothing.

. "$(dirname "$0")/lib/ktap.sh"

top=$(cd "$(dirname "$0")/.." && pwd)
BACKENDS="ceiling xdp xdpbusy direct cpumap socket socat nginx nft testpmd"

[ "$(id -u)" = 0 ] || ktap_skip_all "needs root (network namespaces, XDP)"

ktap_plan $(echo $BACKENDS | wc -w)

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# A bound of its own, beyond bench/run's per-case bounds.
timeout -k 10 300 "$top/bench/run" --smoke > "$out" 2>&1
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

ktap_finish
