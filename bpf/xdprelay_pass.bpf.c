// SPDX-License-Identifier: GPL-2.0
/*
 * Passes every packet to the stack.  Some drivers take XDP redirects only
 * while a native XDP program of their own is attached (virtio-net; a
 * veth whose peer has none): attached to such an egress, this opens the
 * direct path to it and changes nothing else.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdprelay_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
