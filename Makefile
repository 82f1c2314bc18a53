# SPDX-License-Identifier: GPL-2.0
#
# xdprelay: the one entry point.
#
#   make		BPF objects, user-space programs and the kernel module
#   make check	every test, host and VM (installs what it needs first)
#   make demo	the relay on a built-in lab
#   make bench	xdprelay against other relays, side by side (bench/run)
#   make install	install into $(DESTDIR)$(PREFIX)
#   make clean	back to the tree as checked out
#
# KDIR selects the kernel the module is built for: the running kernel's
# build directory when it has one, else the Debian 6.12 headers of the
# kernel that the VM tests boot.  `make kmod-kernels` builds it for the
# VM's other kernels too, Debian 12's 6.1 and sid's, against their cached
# headers, into build/kmod/<release>/ (scripts/kmod-kernels).

VERSION		:= 0.1.0

CC		?= cc
CLANG		?= clang
PREFIX		?= /usr/local
DESTDIR		?=

VM_KVER		:= $(shell selftests/vm/kver 2>/dev/null)
RUN_KDIR	:= $(wildcard /lib/modules/$(shell uname -r)/build)
KDIR		?= $(if $(RUN_KDIR),$(RUN_KDIR),/usr/src/linux-headers-$(VM_KVER))

# CI builds turn every warning into an error.
ifneq ($(CI),)
WERROR		:= -Werror
endif

ARCH_INC	:= -I/usr/include/$(shell $(CC) -dumpmachine)
BPF_CFLAGS	:= -O2 -g -Wall $(WERROR) -target bpf $(ARCH_INC) -Ibpf -Ikmod
USER_CFLAGS	:= -O2 -g -Wall -Wextra $(WERROR) -Ibpf -Ikmod -Iuser \
		   -DXDPRELAY_VERSION='"$(VERSION)"' \
		   -DXDPRELAY_LIBDIR='"$(PREFIX)/lib/xdprelay"' $(CFLAGS)
USER_LIBS	:= -lxdp -lbpf -lelf -lz -lpthread

BPF_OBJS	:= bpf/xdprelay.bpf.o bpf/xdprelay_maps.bpf.o \
		   bpf/xdprelay_tc.bpf.o bpf/xdprelay_tc_maps.bpf.o \
		   bpf/xdprelay_pass.bpf.o
USER_SRCS	:= $(wildcard user/*.c)
USER_HDRS	:= $(wildcard user/*.h) bpf/xdprelay.h kmod/xdprelay_kfunc.h \
		   kmod/xdprelay_uapi.h
USER_PROGS	:= user/xdprelayctl
BPF_DEPS	:= bpf/xdprelay.bpf.c bpf/xdprelay.h bpf/xdprelay_direct.bpf.h \
		   bpf/xdprelay_health.bpf.h kmod/xdprelay_kfunc.h

# The kselftest harness ships in Debian's linux-source tarball.
KSFT_DIR	:= build/kselftest
KSFT_TAR	:= $(lastword $(sort $(wildcard /usr/src/linux-source-*.tar.xz)))
KSFT_HDRS	:= $(KSFT_DIR)/kselftest.h $(KSFT_DIR)/kselftest_harness.h

TEST_GEN_PROGS	:= selftests/xdp_prog_test selftests/rewrite_test \
		   selftests/neigh_test \
		   selftests/mod_tx_report selftests/mod_tune \
		   selftests/tune_hold selftests/udpsend selftests/udprecv \
		   selftests/udpfwd

.PHONY: all bpf kmod kmod-kernels user tests check demo bench bench-progs \
	install clean deps

all: bpf user kmod

deps:
	scripts/deps

bpf: $(BPF_OBJS)

bpf/xdprelay.bpf.o: $(BPF_DEPS)
	$(CLANG) $(BPF_CFLAGS) -DXDPRELAY_KFUNC -c $< -o $@

bpf/xdprelay_maps.bpf.o: $(BPF_DEPS)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

bpf/xdprelay_tc.bpf.o: bpf/xdprelay_tc.bpf.c $(BPF_DEPS)
	$(CLANG) $(BPF_CFLAGS) -DXDPRELAY_KFUNC -c $< -o $@

bpf/xdprelay_tc_maps.bpf.o: bpf/xdprelay_tc.bpf.c $(BPF_DEPS)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

bpf/xdprelay_pass.bpf.o: bpf/xdprelay_pass.bpf.c
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

user: $(USER_PROGS)

user/xdprelayctl: $(USER_SRCS) $(USER_HDRS)
	$(CC) $(USER_CFLAGS) $(USER_SRCS) -o $@ $(USER_LIBS)

kmod:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) does not exist:" \
		"install linux-headers-6.12-amd64 (scripts/deps) or pass" \
		"KDIR=/path/to/kernel/build" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) KCFLAGS="$(WERROR)" modules

# The headers and sid's build root come from scripts/deps.
kmod-kernels:
	scripts/kmod-kernels

$(KSFT_HDRS):
	@test -n "$(KSFT_TAR)" || { echo "no /usr/src/linux-source-*.tar.xz:" \
		"install linux-source-6.12 (scripts/deps)" >&2; exit 1; }
	mkdir -p $(KSFT_DIR)
	tar -xJf $(KSFT_TAR) -C $(KSFT_DIR) --strip-components=4 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h'
	touch $(KSFT_HDRS)

selftests/xdp_prog_test: selftests/xdp_prog_test.c bpf/xdprelay.h \
		kmod/xdprelay_kfunc.h $(KSFT_HDRS)
	$(CC) $(USER_CFLAGS) -I$(KSFT_DIR) $< -o $@ $(USER_LIBS)

selftests/rewrite_test: selftests/rewrite_test.c user/rewrite.c \
		user/rewrite.h $(KSFT_HDRS)
	$(CC) $(USER_CFLAGS) -I$(KSFT_DIR) $< user/rewrite.c -o $@

# Built with AddressSanitizer: a read past a crafted message fails it.
selftests/neigh_test: selftests/neigh_test.c user/neigh.c user/neigh.h \
		user/util.h $(KSFT_HDRS)
	$(CC) $(USER_CFLAGS) -fsanitize=address,undefined \
		-fno-sanitize-recover=all -I$(KSFT_DIR) $< user/neigh.c -o $@

selftests/mod_tx_report selftests/mod_tune: %: %.c kmod/xdprelay_uapi.h \
		selftests/lib/sysfs.h \
		$(KSFT_HDRS)
	$(CC) $(USER_CFLAGS) -I$(KSFT_DIR) $< -o $@

selftests/tune_hold: selftests/tune_hold.c kmod/xdprelay_uapi.h
	$(CC) $(USER_CFLAGS) $< -o $@

selftests/udpsend selftests/udprecv selftests/udpfwd: %: %.c
	$(CC) $(USER_CFLAGS) $< -o $@

tests: all $(TEST_GEN_PROGS) bench-progs kmod-kernels

check: deps
	$(MAKE) tests
	selftests/run_tests

demo: deps
	$(MAKE) tests
	scripts/demo

bench-progs:
	$(MAKE) -C bench

bench: deps
	$(MAKE) bpf user bench-progs
	bench/run

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/xdprelay
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/xdprelay/
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(USER_PROGS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 0644 docs/xdprelayctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install

# build/ goes first: Kbuild's clean deletes every *.o, *.a and *.ko* under
# M=, and would otherwise walk the cached kernels and sid's root in it.
clean:
	rm -rf build
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(BPF_OBJS) $(USER_PROGS) $(TEST_GEN_PROGS)
	$(MAKE) -C bench clean
