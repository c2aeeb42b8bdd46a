// SPDX-License-Identifier: GPL-2.0
/*
 * dmcrs-icount: a fixed run of synchronous direct I/O inside an instruction-count window of
 * the icount plugin (scripts/icount-plugin.c, `make icount`).
 *
 *   dmcrs-icount DEV read|write BS COUNT SPAN_MIB
 *
 * After 64 I/Os of warm-up outside the window, the program executes the plugin's "open"
 * marker, then COUNT I/Os of BS bytes (O_DIRECT, one at a time) at pseudo-random BS-aligned
 * offsets within the first SPAN_MIB MiB of DEV, the same offsets on every run, then the
 * "close" marker. Without the plugin the markers are plain no-ops. Exits 1 on any error.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* nopl 0xd1c7000N(%rax,%rax,1): what the plugin looks for. */
#define MARK(n) __asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00; .long 0xd1c7000" #n ::: "memory")

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int run(int fd, int write, void *buf, size_t bs, uint64_t blocks, long count)
{
	for (long i = 0; i < count; i++) {
		off_t off = (off_t)(next_rand() % blocks) * (off_t)bs;
		ssize_t n = write ? pwrite(fd, buf, bs, off) : pread(fd, buf, bs, off);

		if (n != (ssize_t)bs) {
			perror(write ? "pwrite" : "pread");
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6 || (strcmp(argv[2], "read") && strcmp(argv[2], "write"))) {
		fprintf(stderr, "usage: dmcrs-icount DEV read|write BS COUNT SPAN_MIB\n");
		return 2;
	}
	int write = !strcmp(argv[2], "write");
	size_t bs = strtoul(argv[3], NULL, 0);
	long count = strtol(argv[4], NULL, 0);
	uint64_t blocks = (strtoull(argv[5], NULL, 0) << 20) / (bs ? bs : 1);
	void *buf;
	int fd = open(argv[1], (write ? O_WRONLY : O_RDONLY) | O_DIRECT);

	if (fd < 0 || !bs || !blocks || count <= 0 || posix_memalign(&buf, 4096, bs)) {
		perror(argv[1]);
		return 1;
	}
	memset(buf, 0x5a, bs);
	if (run(fd, write, buf, bs, blocks, 64))
		return 1;
	MARK(1);
	int rc = run(fd, write, buf, bs, blocks, count);

	MARK(2);
	close(fd);
	return rc ? 1 : 0;
}
