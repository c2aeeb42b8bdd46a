# SPDX-License-Identifier: GPL-2.0
#
# dm-crypt-rs. `make help` lists the targets.

# The kernel tree to build the module against (Rust-enabled, built with this rustc). Empty:
# the project's test kernel, built into the cache on first use.
KDIR ?=
export KDIR

SCRIPT ?=
WITH ?=

.PHONY: all module kernel kernel-debug kernel-dataunit kernel-inline check fmt clippy test test-host test-guest test-debug \
	run shell vm-exec clean help provision bench icount fuzz soak

all: module

help:
	@echo 'make            build dm-crypt-rs.ko against KDIR (default: the project test kernel)'
	@echo 'make run        the main job: boot the guest and show dm-crypt-rs at work'
	@echo 'make test       host tests (cargo test) and the guest suite; "N passed, N failed"'
	@echo 'make test-guest TESTS="name ..."  only some guest tests'
	@echo 'make test-debug the guest suite on the debug kernel flavour'
	@echo 'make bench      dm-crypt-rs vs the C target in one guest boot (BENCH_QUICK=1: a few minutes)'
	@echo 'make icount     guest instructions per I/O of both targets, counted by a QEMU plugin (TCG)'
	@echo 'make check      rustfmt (kernel settings) and clippy (CLIPPY=1)'
	@echo 'make soak       fio randrw verify, QD 64, 2 jobs, under live operations (SOAK_SECONDS=600; not CI)'
	@echo 'make fuzz       host-side fuzz targets of the table parser, FUZZ_SECONDS each (default 120)'
	@echo 'make kernel     build the test kernel (make kernel-debug, kernel-dataunit, kernel-inline: the other flavours)'
	@echo 'make vm-exec SCRIPT=path [WITH=dir]  run a host script in the guest'
	@echo 'make shell      a shell in the guest, dm-crypt-rs loaded'
	@echo 'make provision  install packages and fetch the toolchain (done on demand)'

provision:
	scripts/provision.sh

module:
	scripts/module-make.sh modules

kernel:
	scripts/build-kernel.sh base

kernel-debug:
	scripts/build-kernel.sh debug

kernel-dataunit:
	scripts/build-kernel.sh dataunit

kernel-inline:
	scripts/build-kernel.sh inline

fmt:
	scripts/check.sh --fix

check:
	scripts/check.sh

test:
	scripts/run-tests.sh

test-host:
	scripts/run-tests.sh --host-only

test-guest:
	scripts/run-tests.sh --guest-only $(TESTS)

test-debug:
	scripts/run-tests.sh --guest-only --flavour debug

run:
	scripts/run-main.sh

fuzz:
	scripts/fuzz.sh

soak:
	scripts/soak.sh

bench:
	scripts/bench.sh

icount:
	scripts/icount.sh

shell:
	scripts/vm --shell

vm-exec:
	@test -n "$(SCRIPT)" || { echo 'usage: make vm-exec SCRIPT=path/to/script [WITH=dir]' >&2; exit 2; }
	scripts/vm $(if $(WITH),--with $(WITH)) $(SCRIPT)

clean:
	scripts/module-make.sh clean
	rm -f src/bindings/*_generated.rs
	rm -rf target
