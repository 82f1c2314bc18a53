// SPDX-License-Identifier: GPL-2.0
/*
 * tune_hold: register a UDP socket with xdprelay.ko's tuner, print its
 * registration id and hold the socket until killed, for the selftests.
 *
 *   tune_hold [-c]
 *
 * With -c, /dev/xdprelay is closed once the socket is registered: the
 * registration stays, and the module may be removed under it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xdprelay_uapi.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct xdprelay_sock_reg reg = {};
	int close_dev = 0, dev, fd;

	if (argc == 2 && !strcmp(argv[1], "-c")) {
		close_dev = 1;
	} else if (argc != 1) {
		fprintf(stderr, "usage: tune_hold [-c]\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("tune_hold: socket");
		return 1;
	}
	dev = open(XDPRELAY_DEVICE, O_RDWR);
	if (dev < 0) {
		perror("tune_hold: " XDPRELAY_DEVICE);
		return 1;
	}
	reg.fd = fd;
	if (ioctl(dev, XDPRELAY_IOC_SOCK_REGISTER, &reg)) {
		perror("tune_hold: XDPRELAY_IOC_SOCK_REGISTER");
		return 1;
	}
	if (close_dev)
		close(dev);
	printf("%u\n", reg.id);
	fflush(stdout);
	for (;;)
		pause();
}
