// SPDX-License-Identifier: GPL-2.0

//! Fuzzing harness for the table parser of dm-crypt-rs.
//!
//! The driver's pure-logic files are compiled here exactly as `src/host.rs` compiles them for
//! `cargo test`, from the same sources. Two targets use them (`fuzz_targets/`):
//!
//! - `table`: bytes are the parameter string of a `crypt` table line, split into arguments as
//!   dm core does (`dm_split_args`), and run through every pure stage of the constructor in
//!   its order ([`driver`]); each result is checked against invariants and against a model of
//!   the C target written from `drivers/md/dm-crypt.c` ([`upstream`]).
//! - `scan`: the kernel-`sscanf`-compatible scanners against the kernel's semantics.
//!
//! A panic anywhere is a finding: in a `src/crypt/` function it is a kernel bug (the module
//! must never panic), in the harness an invariant or a difference from the C target.

#![allow(dead_code)]

#[path = "../../src/crypt/authenc.rs"]
mod authenc;
#[path = "../../src/crypt/iv.rs"]
mod iv;
#[path = "../../src/crypt/scan.rs"]
mod scan;
#[path = "../../src/crypt/table.rs"]
mod table;

mod driver;
mod env;
mod split;
mod targets;
mod upstream;

pub use targets::{
    fuzz_scan,
    fuzz_table, //
};
