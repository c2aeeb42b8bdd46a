// SPDX-License-Identifier: GPL-2.0
/*
 * dmcrs-failnth: a table load whose N-th fault-injection point fails, for every N.
 *
 *   dmcrs-failnth [--fresh] TARGET SECTORS "PARAMS" [MAX]
 *
 * Creates device "dmcrs-failnth" and loads the one-line table "0 SECTORS TARGET PARAMS" into
 * it once without a fault, which sets up the device's queue; clears it again. Then, for
 * N = 1, 2, ...: arms /proc/thread-self/fail-nth with N and loads the table again (the
 * target's constructor runs in this thread); a loaded table is cleared again (its destructor
 * runs). It stops when a load no longer reaches its N-th point (every point of the
 * constructor was failed once) or after MAX loads (default 2000), and removes the device. A
 * failed constructor must undo everything it did -- kmemleak and KASAN watch that.
 *
 * One device for all loads, set up by a load that succeeded: in Linux 7.3 removing a device
 * that never had a table races (__dm_destroy starts a drain of a queue that was never added,
 * nobody waits for it, and the queue can be freed before the drain's RCU callback runs: a
 * WARNING in percpu_ref_exit, then a crash in rcu_core; with the C target alone too). The
 * test kernels carry the fix (scripts/kernel-patches/fixes/); this keeps the test off that
 * path anyway, and dm core's own first-load points are not what it is after. --fresh takes
 * that path on purpose: a new device for every load, removed after it
 * (testbed_dm_destroy.sh checks the fix with it).
 * Prints "points N: refused R (errno histogram), accepted A" and exits 1 if the loads never
 * got to the end of the constructor.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define NAME "dmcrs-failnth"

static int control;

static int dm(unsigned long cmd, const char *target, unsigned long long sectors,
	      const char *params)
{
	static union {
		struct dm_ioctl io;
		char buf[16384];
	} u;
	struct dm_target_spec *spec = (void *)(u.buf + sizeof(struct dm_ioctl));

	memset(&u, 0, sizeof(u));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.version[1] = 0;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(struct dm_ioctl);
	strcpy(u.io.name, NAME);
	if (target) {
		u.io.target_count = 1;
		spec->sector_start = 0;
		spec->length = sectors;
		snprintf(spec->target_type, sizeof(spec->target_type), "%s", target);
		snprintf((char *)(spec + 1), sizeof(u.buf) - sizeof(u.io) - sizeof(*spec) - 8, "%s",
			 params);
		spec->next = 0;
	}
	return ioctl(control, cmd, &u) ? errno : 0;
}

/* Opened once: while armed, opening a file could itself hit the N-th point. */
static int fail_nth_fd;

static int fail_nth(int n)
{
	char buf[32];
	ssize_t len;

	if (n >= 0) {
		len = snprintf(buf, sizeof(buf), "%d", n);
		if (pwrite(fail_nth_fd, buf, len, 0) != len) {
			perror("fail-nth");
			exit(2);
		}
		return n;
	}
	len = pread(fail_nth_fd, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = 0;
	return atoi(buf);
}

int main(int argc, char **argv)
{
	int fresh = argc > 1 && !strcmp(argv[1], "--fresh");
	int max, refused = 0, accepted = 0, n;
	int errs[256] = { 0 };

	argc -= fresh;
	argv += fresh;
	if (argc < 4) {
		fprintf(stderr, "usage: dmcrs-failnth [--fresh] TARGET SECTORS \"PARAMS\" [MAX]\n");
		return 2;
	}
	max = argc > 4 ? atoi(argv[4]) : 2000;
	control = open("/dev/mapper/control", O_RDWR);
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (control < 0 || fail_nth_fd < 0) {
		perror("/dev/mapper/control or /proc/thread-self/fail-nth");
		return 2;
	}
	if (dm(DM_DEV_CREATE, NULL, 0, NULL)) {
		perror("DM_DEV_CREATE");
		return 2;
	}
	n = dm(DM_TABLE_LOAD, argv[1], strtoull(argv[2], NULL, 0), argv[3]);
	if (n) {
		fprintf(stderr, "the load without a fault failed: %s\n", strerror(n));
		dm(DM_DEV_REMOVE, NULL, 0, NULL);
		return 1;
	}
	if (dm(DM_TABLE_CLEAR, NULL, 0, NULL)) {
		perror("DM_TABLE_CLEAR");
		return 2;
	}
	for (n = 1; n <= max; n++) {
		int err, left;

		if (fresh && (dm(DM_DEV_REMOVE, NULL, 0, NULL) || dm(DM_DEV_CREATE, NULL, 0, NULL))) {
			perror("DM_DEV_REMOVE, DM_DEV_CREATE");
			return 2;
		}
		fail_nth(n);
		err = dm(DM_TABLE_LOAD, argv[1], strtoull(argv[2], NULL, 0), argv[3]);
		left = fail_nth(-1);
		fail_nth(0);
		if (err == 0) {
			accepted++;
			if (dm(DM_TABLE_CLEAR, NULL, 0, NULL)) {
				perror("DM_TABLE_CLEAR");
				return 2;
			}
		} else {
			refused++;
			errs[err & 255]++;
		}
		if (left) {
			/* This load did not get to its N-th point: all were tried. */
			if (err) {
				fprintf(stderr, "the load without a fault failed: %s\n", strerror(err));
				dm(DM_DEV_REMOVE, NULL, 0, NULL);
				return 1;
			}
			break;
		}
	}
	if (dm(DM_DEV_REMOVE, NULL, 0, NULL)) {
		perror("DM_DEV_REMOVE");
		return 2;
	}
	printf("points %d: refused %d (", n - 1, refused);
	for (int e = 0; e < 256; e++)
		if (errs[e])
			printf(" %s: %d;", strerrorname_np(e) ? strerrorname_np(e) : "?", errs[e]);
	printf(" ), accepted %d\n", accepted);
	return n > max;
}
