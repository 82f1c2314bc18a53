# SPDX-License-Identifier: GPL-2.0
#
# The relay lab shared by the end-to-end tests and make demo: three network
# namespaces joined by veth pairs, the relay in the middle.
#
#   $LAB_GEN                 $LAB_RLY                           $LAB_SINK
#   +---------------+        +------------------------------+   +----------------+
#   | xg0 10.70.1.1 |--veth--| xr0 10.70.1.2   xr1 10.70.2.1 |---| xs0 10.70.2.2-5 |
#   |   fd70:1::1   |        |   fd70:1::2 XDP   fd70:2::1   |   |  fd70:2::2-5    |
#   +---------------+        +------------------------------+   +----------------+
#     generator               ingress xr0 -> relay -> egress xr1   receivers
#
# The generator's veth sends with tx checksum offload off, as a wire would
# deliver: a datagram sent from a local socket over veth otherwise carries
# only a partial UDP checksum.  Names carry the caller's PID, so labs of
# concurrent runs do not collide; lab_cleanup removes everything.
#
# In a VM booted with XDPRELAY_VM_NICS="xr0=xg0 xr1=xs0" (selftests/vm/run-vm)
# the links are the VM's virtio NICs instead of veth pairs: lab_setup moves
# them into the namespaces and lab_cleanup moves them back.
#
# LAB_QUEUES=N gives every veth N receive and N transmit queues: a flow
# leaves the generator on the transmit queue its socket's hash picks and
# arrives on the receive queue of the same number.

LAB_ID=${LAB_ID:-$$}
LAB_QUEUES=${LAB_QUEUES:-1}
LAB_GEN=xr-gen-$LAB_ID
LAB_RLY=xr-rly-$LAB_ID
LAB_SINK=xr-sink-$LAB_ID

# Run a command in a namespace without "ip netns exec", which remounts
# /sys and so hides bpffs and the pinned maps.
in_gen()  { nsenter --net=/run/netns/$LAB_GEN "$@"; }
in_rly()  { nsenter --net=/run/netns/$LAB_RLY "$@"; }
in_sink() { nsenter --net=/run/netns/$LAB_SINK "$@"; }

lab_setup()
{
	local i mac q

	# Loaded by hand: the VM's kernel does not load modules on demand.
	# clsact and cls_bpf carry the relay's fan-out program.
	modprobe -q -a veth sch_ingress cls_bpf 2>/dev/null
	ip netns add $LAB_GEN && ip netns add $LAB_RLY &&
		ip netns add $LAB_SINK || return 1
	if lab_nics; then
		ip link set dev xg0 netns $LAB_GEN &&
			ip link set dev xr0 netns $LAB_RLY &&
			ip link set dev xr1 netns $LAB_RLY &&
			ip link set dev xs0 netns $LAB_SINK || return 1
	else
		q="numtxqueues $LAB_QUEUES numrxqueues $LAB_QUEUES"
		ip link add xg0 netns $LAB_GEN $q type veth peer name xr0 \
			netns $LAB_RLY $q || return 1
		ip link add xr1 netns $LAB_RLY $q type veth peer name xs0 \
			netns $LAB_SINK $q || return 1
	fi

	ip -n $LAB_GEN addr add 10.70.1.1/24 dev xg0
	ip -n $LAB_GEN addr add fd70:1::1/64 dev xg0 nodad
	ip -n $LAB_RLY addr add 10.70.1.2/24 dev xr0
	ip -n $LAB_RLY addr add fd70:1::2/64 dev xr0 nodad
	ip -n $LAB_RLY addr add 10.70.2.1/24 dev xr1
	ip -n $LAB_RLY addr add fd70:2::1/64 dev xr1 nodad
	for i in 2 3 4 5; do
		ip -n $LAB_SINK addr add 10.70.2.$i/24 dev xs0
		ip -n $LAB_SINK addr add fd70:2::$i/64 dev xs0 nodad
	done
	for ns in $LAB_GEN $LAB_RLY $LAB_SINK; do
		ip -n $ns link set lo up
	done
	ip -n $LAB_GEN link set xg0 up
	ip -n $LAB_RLY link set xr0 up
	ip -n $LAB_RLY link set xr1 up
	ip -n $LAB_SINK link set xs0 up
	ip -n $LAB_GEN route add 224.0.0.0/4 dev xg0
	# The generator knows the relay's addresses from the start: while
	# ARP resolves, its datagrams wait in the neighbour's queue, and one
	# sent as the answer comes can overtake them, which would read as
	# the relay reordering the first packets of a stream.
	mac=$(ip -n $LAB_RLY -o link show xr0 |
	      grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	ip -n $LAB_GEN neigh replace 10.70.1.2 lladdr "$mac" dev xg0 \
		nud permanent
	ip -n $LAB_GEN neigh replace fd70:1::2 lladdr "$mac" dev xg0 \
		nud permanent
	in_gen ethtool -K xg0 tx off >/dev/null
	# The kernel's fan-out sends skbs; with TSO off, xr1 hands them to
	# the sink's NAPI (when it has one), in order, not to a CPU's backlog.
	in_rly ethtool -K xr1 tso off >/dev/null
	# A veth takes an skb without a checksum state as verified, unless
	# it has no RX checksumming: the receivers check every checksum.  A
	# virtio NIC verifies what its device did not (which here is all).
	lab_nics || in_sink ethtool -K xs0 rx off >/dev/null
}

# The lab's links are the VM's NICs (see above).
lab_nics()
{
	local w=" ${XDPRELAY_VM_NICS:-} "

	[[ $w == *" xr0=xg0"[:\ ]* && $w == *" xr1=xs0"[:\ ]* ]]
}

lab_cleanup()
{
	local ns

	# Deleting a namespace hands its NICs back later, from a work queue:
	# move them now, so that the next lab finds them.
	if lab_nics; then
		for ns in $LAB_GEN:xg0 $LAB_RLY:xr0 $LAB_RLY:xr1 $LAB_SINK:xs0; do
			ip -n ${ns%:*} link set dev ${ns#*:} xdp off 2>/dev/null
			ip -n ${ns%:*} link set dev ${ns#*:} netns 1 2>/dev/null
		done
	fi
	ip netns del $LAB_GEN 2>/dev/null
	ip netns del $LAB_RLY 2>/dev/null
	ip netns del $LAB_SINK 2>/dev/null
	return 0
}

# Gives the caller a private mount namespace with its own bpffs and its
# own /run/xdprelay, so that the pinned maps and the relay's status file
# of a test never meet the host's or another test's.  Re-executes the
# calling script.
lab_private_bpffs()
{
	if [ -z "${XDPRELAY_PRIVATE_MNT:-}" ]; then
		XDPRELAY_PRIVATE_MNT=1 exec unshare -m --propagation private \
			"$0" "$@"
	fi
	mount -t bpf bpf /sys/fs/bpf || return 1
	mkdir -p /run/netns /run/xdprelay
	mount -t tmpfs tmpfs /run/netns &&
		mount -t tmpfs -o mode=0755 tmpfs /run/xdprelay
}
