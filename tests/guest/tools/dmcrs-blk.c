// SPDX-License-Identifier: GPL-2.0
/*
 * dmcrs-blk: block I/O with self-describing contents, for the robustness tests.
 *
 * Every 512-byte unit written holds its own block number, unit index and generation, and a
 * filler derived from them, so a read-back unit is either one that was written there or it is
 * corrupt -- there is no third case. The state file keeps, per block, the last generation
 * whose write succeeded ("acked") and the last one attempted: a unit read back must be
 * within [acked, attempted] (a failed write may have reached the device in part).
 *
 *   dmcrs-blk init   DEV BLOCKS BS STATE          write generation 1 everywhere (no errors allowed)
 *   dmcrs-blk run    DEV BLOCKS BS STATE OPS SEED random writes and checked reads
 *   dmcrs-blk verify DEV BLOCKS BS STATE          read everything back and check it
 *   dmcrs-blk scan   DEV BS read|write SEED       one character per block: . ok, E EIO, X other
 *                                                 error; then the CRC-32 of the data read
 *
 * I/O is O_DIRECT. init/run/verify print "writes W (errors E) reads R (errors E) corrupt C"
 * and exit 1 if any unit was corrupt (or, for init and verify, on any error). With
 * DMCRS_BLK_FAULTS=1 in the environment, run marks its own task for fault injection
 * (/proc/thread-self/make-it-fail) during the I/O loop only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNIT 512
#define MAGIC 0x4b43444dU /* "DMCK" */

struct blk_state {
	uint32_t acked;
	uint32_t attempted;
};

static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_unit(uint8_t *p, uint32_t block, uint32_t unit, uint32_t gen)
{
	uint32_t *w = (uint32_t *)p;
	uint64_t x = ((uint64_t)block << 32 | (uint64_t)unit << 20 | gen) * 0x9e3779b97f4a7c15ULL | 1;

	w[0] = MAGIC;
	w[1] = block;
	w[2] = unit;
	w[3] = gen;
	for (int i = 4; i < UNIT / 4; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = (uint32_t)x;
	}
}

/* 0: a unit of generation gen in [lo, hi]; 1: corrupt. */
static int check_unit(const uint8_t *p, uint32_t block, uint32_t unit, uint32_t lo, uint32_t hi,
		      uint32_t *gen_out)
{
	static uint8_t want[UNIT];
	const uint32_t *w = (const uint32_t *)p;

	if (w[0] != MAGIC || w[1] != block || w[2] != unit || w[3] < lo || w[3] > hi)
		return 1;
	fill_unit(want, block, unit, w[3]);
	*gen_out = w[3];
	return memcmp(want, p, UNIT) != 0;
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

static long num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (*s == 0 || *end != 0 || v < 0) {
		fprintf(stderr, "dmcrs-blk: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static long writes, write_errors, reads, read_errors, corrupt;

/*
 * Marks the task for fault injection or clears the mark. The file stays open between the
 * two: opening it allocates, and once the task is marked that allocation may be failed.
 * The write itself allocates nothing.
 */
static void make_it_fail(const char *on)
{
	static int fd = -1;

	if (fd < 0)
		fd = open("/proc/thread-self/make-it-fail", O_WRONLY);
	if (fd < 0 || pwrite(fd, on, 1, 0) != 1)
		die("make-it-fail");
}

static int write_block(int fd, uint8_t *buf, long bs, uint32_t block, uint32_t gen)
{
	for (long u = 0; u < bs / UNIT; u++)
		fill_unit(buf + u * UNIT, block, u, gen);
	writes++;
	if (pwrite(fd, buf, bs, (off_t)block * bs) != bs) {
		write_errors++;
		return -1;
	}
	return 0;
}

static void read_block(int fd, uint8_t *buf, long bs, uint32_t block, struct blk_state *st)
{
	uint32_t gen;

	reads++;
	if (pread(fd, buf, bs, (off_t)block * bs) != bs) {
		read_errors++;
		return;
	}
	for (long u = 0; u < bs / UNIT; u++) {
		if (check_unit(buf + u * UNIT, block, u, st->acked, st->attempted, &gen)) {
			const uint32_t *w = (const uint32_t *)(buf + u * UNIT);

			if (corrupt++ < 10)
				printf("corrupt: block %u unit %ld (want generation %u..%u; "
				       "header %08x %u %u %u)\n", block, u, st->acked, st->attempted,
				       w[0], w[1], w[2], w[3]);
		}
	}
}

static void report(void)
{
	printf("writes %ld (errors %ld) reads %ld (errors %ld) corrupt %ld\n", writes, write_errors,
	       reads, read_errors, corrupt);
}

static void save(const char *path, struct blk_state *st, long blocks)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(st, sizeof(*st), blocks, f) != (size_t)blocks || fclose(f))
		die(path);
}

static void load(const char *path, struct blk_state *st, long blocks)
{
	FILE *f = fopen(path, "r");

	if (!f || fread(st, sizeof(*st), blocks, f) != (size_t)blocks)
		die(path);
	fclose(f);
}

static int scan(int fd, long bs, int do_write, uint64_t seed)
{
	uint8_t *buf;
	uint32_t crc = 0;
	off_t size = lseek(fd, 0, SEEK_END);

	if (size < 0 || posix_memalign((void **)&buf, 4096, bs))
		die("scan");
	for (off_t off = 0; off + bs <= size; off += bs) {
		ssize_t n;

		if (do_write) {
			rng = seed ^ (uint64_t)(off / bs + 1) * 0x9e3779b97f4a7c15ULL;
			for (long i = 0; i < bs / 8; i++)
				((uint64_t *)buf)[i] = next_rand();
			n = pwrite(fd, buf, bs, off);
		} else {
			n = pread(fd, buf, bs, off);
		}
		if (n == bs) {
			putchar('.');
			if (!do_write)
				crc = crc32(crc, buf, bs);
		} else {
			putchar(n < 0 && errno == EIO ? 'E' : 'X');
		}
	}
	printf("\ncrc %08x\n", crc);
	return 0;
}

int main(int argc, char **argv)
{
	struct blk_state *st;
	uint8_t *buf;
	long blocks, bs;
	int fd;

	if (argc >= 6 && !strcmp(argv[1], "scan")) {
		bs = num(argv[3]);
		fd = open(argv[2], (strcmp(argv[4], "write") ? O_RDONLY : O_WRONLY) | O_DIRECT);
		if (fd < 0)
			die(argv[2]);
		return scan(fd, bs, !strcmp(argv[4], "write"), num(argv[5]) + 1);
	}
	if (argc < 6) {
		fprintf(stderr, "usage: see the head of dmcrs-blk.c\n");
		return 2;
	}
	blocks = num(argv[3]);
	bs = num(argv[4]);
	if (bs % UNIT || bs == 0 || blocks == 0)
		return 2;
	fd = open(argv[2], O_RDWR | O_DIRECT);
	if (fd < 0)
		die(argv[2]);
	st = calloc(blocks, sizeof(*st));
	if (!st || posix_memalign((void **)&buf, 4096, bs))
		die("memory");

	if (!strcmp(argv[1], "init")) {
		for (long b = 0; b < blocks; b++) {
			st[b].acked = st[b].attempted = 1;
			if (write_block(fd, buf, bs, b, 1))
				st[b].acked = 0;
		}
		if (fsync(fd))
			write_errors++;
		save(argv[5], st, blocks);
		report();
		return write_errors || corrupt;
	}
	load(argv[5], st, blocks);
	if (!strcmp(argv[1], "run") && argc >= 8) {
		long ops = num(argv[6]);

		const char *faults = getenv("DMCRS_BLK_FAULTS");

		rng = num(argv[7]) * 0x9e3779b97f4a7c15ULL + 1;
		if (faults && *faults == '1')
			make_it_fail("1");
		for (long i = 0; i < ops; i++) {
			uint32_t b = next_rand() % blocks;

			if (next_rand() % 3) {
				uint32_t gen = st[b].attempted + 1;

				st[b].attempted = gen;
				if (write_block(fd, buf, bs, b, gen) == 0)
					st[b].acked = gen;
			} else {
				read_block(fd, buf, bs, b, &st[b]);
			}
		}
		if (faults && *faults == '1')
			make_it_fail("0");
		save(argv[5], st, blocks);
		report();
		return corrupt != 0;
	}
	if (!strcmp(argv[1], "verify")) {
		for (long b = 0; b < blocks; b++)
			read_block(fd, buf, bs, b, &st[b]);
		report();
		return read_errors || corrupt;
	}
	fprintf(stderr, "usage: see the head of dmcrs-blk.c\n");
	return 2;
}
