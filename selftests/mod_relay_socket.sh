#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The socket backend's end-to-end tests (relay_socket.sh) in the VM, with
# xdprelay.ko loaded: the relay registers its listen sockets with the tuner
# and reports what it receives and sends to the module, and stats reads the
# counters from /sys.  Fewer datagrams at a lower rate than on the host:
# the VM emulates its CPUs.  Its kernel has the 8021q module: the stream
# of one VLAN is tested here, through a VLAN device.

. "$(dirname "$0")/lib/mod.sh"
mod_enter_vm "$@"

cleanup()
{
	mod_loaded && wait_for 5000 rmmod xdprelay
}
trap cleanup EXIT

mod_check_vermagic
insmod "$KO" || ktap_bail "insmod $KO failed"
modprobe 8021q || ktap_bail "modprobe 8021q failed"
RELAY_SOCKET_N=4000 RELAY_SOCKET_RATE=2000 RELAY_SOCKET_VLAN=1 \
	"$top/selftests/relay_socket.sh"
