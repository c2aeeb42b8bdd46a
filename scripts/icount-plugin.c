// SPDX-License-Identifier: GPL-2.0
/*
 * icount-plugin: a QEMU TCG plugin for `make icount` (scripts/icount.sh) that counts the guest
 * instructions executed between two marker instructions, per translation block.
 *
 * A guest program opens a window by executing "nopl 0xd1c70001(%rax,%rax,1)" and closes it
 * with "nopl 0xd1c70002(%rax,%rax,1)" (tests/guest/tools/dmcrs-icount.c). Each window is
 * written to the output file as
 *
 *   W N TOTAL USER          the window's number (from 1), all instructions, user-space ones
 *   ADDR COUNT LEN          kernel instructions executed in blocks starting at ADDR (hex),
 *                           LEN the length of the block (its last translation) in instructions
 *
 * for every kernel block that ran in the window. Instructions are counted when a block
 * starts (an inline add of its length), so a block left early by an exception is counted
 * whole; the plugin asks for single-threaded TCG (scripts/vm --plugin) so the counters need
 * no atomics. Counting covers all vCPUs: the work that a bio leaves to workqueues and
 * interrupts on the other CPU is in the window too, and so is whatever else the guest did
 * then (timer ticks), which is why a window should hold many I/Os.
 *
 * Arguments: out=FILE (required).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_OPEN 0xd1c70001U
#define MARK_CLOSE 0xd1c70002U
#define SLOTS (1U << 20)
#define KERNEL_BASE 0xffff800000000000ULL

/* One block start address; count is bumped by the inline op of every translation of it. */
struct slot {
	uint64_t vaddr;
	uint64_t count;
	uint64_t base;
	uint64_t len;
};

static struct slot *slots;
static unsigned int used;
static struct slot user; /* all user-space blocks together */
static uint64_t user_base;
static FILE *out;
static int window;
static int open_window;

static struct slot *lookup(uint64_t vaddr)
{
	uint64_t h = vaddr * 0x9e3779b97f4a7c15ULL;
	unsigned int i = (unsigned int)(h >> 44) & (SLOTS - 1);

	while (slots[i].vaddr && slots[i].vaddr != vaddr)
		i = (i + 1) & (SLOTS - 1);
	if (!slots[i].vaddr) {
		/* Kernel text has far fewer blocks than SLOTS; give up loudly if not. */
		if (++used > SLOTS / 2) {
			fprintf(stderr, "icount-plugin: more than %u kernel blocks\n", SLOTS / 2);
			abort();
		}
		slots[i].vaddr = vaddr;
	}
	return &slots[i];
}

static void mark(unsigned int vcpu, void *udata)
{
	unsigned int i;

	(void)vcpu;
	if ((uintptr_t)udata == MARK_OPEN) {
		for (i = 0; i < SLOTS; i++)
			slots[i].base = slots[i].count;
		user_base = user.count;
		open_window = 1;
		return;
	}
	if (!open_window)
		return;
	open_window = 0;
	uint64_t total = user.count - user_base;

	for (i = 0; i < SLOTS; i++)
		total += slots[i].count - slots[i].base;
	fprintf(out, "W %d %llu %llu\n", ++window, (unsigned long long)total,
		(unsigned long long)(user.count - user_base));
	for (i = 0; i < SLOTS; i++)
		if (slots[i].count != slots[i].base)
			fprintf(out, "%llx %llu %llu\n", (unsigned long long)slots[i].vaddr,
				(unsigned long long)(slots[i].count - slots[i].base),
				(unsigned long long)slots[i].len);
	fflush(out);
}

/* The 8-byte marker: nopl disp32(%rax,%rax,1) with the marker's value as disp32. */
static uint32_t marker(struct qemu_plugin_insn *insn)
{
	const uint8_t *d = qemu_plugin_insn_data(insn);
	uint32_t v;

	if (qemu_plugin_insn_size(insn) != 8 || d[0] != 0x0f || d[1] != 0x1f || d[2] != 0x84 ||
	    d[3] != 0x00)
		return 0;
	memcpy(&v, d + 4, 4);
	return v == MARK_OPEN || v == MARK_CLOSE ? v : 0;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct slot *s;
	size_t i;

	(void)id;
	if (vaddr >= KERNEL_BASE) {
		s = lookup(vaddr);
		s->len = n;
	} else {
		s = &user;
		for (i = 0; i < n; i++) {
			struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
			uint32_t m = marker(insn);

			if (m)
				qemu_plugin_register_vcpu_insn_exec_cb(insn, mark, QEMU_PLUGIN_CB_NO_REGS,
								       (void *)(uintptr_t)m);
		}
	}
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &s->count, n);
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	(void)id;
	(void)p;
	fclose(out);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *path = NULL;
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
	if (!path) {
		fprintf(stderr, "icount-plugin: out=FILE is required\n");
		return -1;
	}
	out = fopen(path, "w");
	slots = calloc(SLOTS, sizeof(*slots));
	if (!out || !slots) {
		fprintf(stderr, "icount-plugin: cannot open %s or allocate\n", path);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
