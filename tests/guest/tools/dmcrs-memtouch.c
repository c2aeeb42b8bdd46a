// SPDX-License-Identifier: GPL-2.0
/*
 * dmcrs-memtouch: memory pressure with checked contents, for the swap test.
 *
 *   dmcrs-memtouch MIB PASSES [FREE_MIB]
 *
 * With FREE_MIB, first locks (mlock) as much memory as leaves only FREE_MIB of MemAvailable,
 * so that the machine behaves as one with little memory. Then touches MIB of anonymous memory
 * PASSES times: every pass checks every page's contents from the pass before and writes new
 * ones, so pages that went to swap and came back are verified. Prints the mismatches and
 * the most swap in use after a pass, and exits 1 if there was any mismatch.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

static long meminfo_mib(const char *field)
{
	char line[256], name[64];
	long kib = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld kB", name, &v) == 2 && !strcmp(name, field))
			kib = v;
	if (f)
		fclose(f);
	return kib / 1024;
}

static inline uint64_t word(uint64_t page, uint64_t pass, uint64_t i)
{
	return ((page << 24) ^ (pass << 16) ^ i) * 0x9e3779b97f4a7c15ULL;
}

int main(int argc, char **argv)
{
	long mib, passes, bad = 0, swapped = 0;
	uint64_t *mem;
	size_t pages;

	if (argc < 3) {
		fprintf(stderr, "usage: dmcrs-memtouch MIB PASSES [FREE_MIB]\n");
		return 2;
	}
	mib = atol(argv[1]);
	passes = atol(argv[2]);
	if (argc > 3) {
		long lock = meminfo_mib("MemAvailable") - atol(argv[3]);

		if (lock > 0) {
			void *ballast = mmap(NULL, lock << 20, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

			if (ballast == MAP_FAILED || mlock(ballast, lock << 20)) {
				perror("ballast");
				return 2;
			}
		}
		printf("locked %ld MiB, %ld MiB available\n", lock > 0 ? lock : 0,
		       meminfo_mib("MemAvailable"));
	}
	pages = (size_t)mib << 20 >> 12;
	mem = mmap(NULL, (size_t)mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	for (long pass = 0; pass < passes; pass++) {
		for (size_t p = 0; p < pages; p++) {
			uint64_t *w = mem + p * (PAGE / 8);

			if (pass > 0) {
				for (size_t i = 0; i < PAGE / 8; i++) {
					if (w[i] != word(p, pass - 1, i)) {
						if (bad++ < 10)
							printf("mismatch: pass %ld page %zu word %zu\n",
							       pass, p, i);
						break;
					}
				}
			}
			for (size_t i = 0; i < PAGE / 8; i++)
				w[i] = word(p, pass, i);
		}
		if (meminfo_mib("SwapTotal") - meminfo_mib("SwapFree") > swapped)
			swapped = meminfo_mib("SwapTotal") - meminfo_mib("SwapFree");
	}
	printf("touched %ld MiB %ld times, %ld bad pages, at most %ld MiB in swap\n", mib, passes,
	       bad, swapped);
	return bad != 0;
}
