// SPDX-License-Identifier: GPL-2.0
/*
 * tune_hold: register a UDP socket with xdprelay.ko's tuner, print its
 * registration id and hold the socket until killed, for the selftests.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xdprelay_uapi.h"

int main(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct xdprelay_sock_reg reg = {};
	int dev, fd;

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
	printf("%u\n", reg.id);
	fflush(stdout);
	for (;;)
		pause();
}
