// SPDX-License-Identifier: GPL-2.0

//! Host build of the pure-logic modules of the driver, for `cargo test`.
//!
//! The same files are submodules of `crypt` in the kernel module; they use `core` only, so
//! they compile unchanged here. The tests live in `tests/host/`.

#![allow(dead_code)]

#[path = "crypt/authenc.rs"]
mod authenc;
#[path = "crypt/clients.rs"]
mod clients;
#[path = "crypt/elephant.rs"]
mod elephant;
#[path = "crypt/iv.rs"]
mod iv;
#[path = "crypt/lmk.rs"]
mod lmk;
#[path = "crypt/multi_du.rs"]
mod multi_du;
#[path = "crypt/scan.rs"]
mod scan;
#[path = "dm/sorted_list.rs"]
mod sorted_list;
#[path = "crypt/table.rs"]
mod table;
#[path = "crypt/tcw.rs"]
mod tcw;

#[cfg(test)]
#[path = "../tests/host/clients.rs"]
mod clients_tests;
#[cfg(test)]
#[path = "../tests/host/iv_post.rs"]
mod iv_post_tests;
#[cfg(test)]
#[path = "../tests/host/iv.rs"]
mod iv_tests;
#[cfg(test)]
#[path = "../tests/host/multi_du.rs"]
mod multi_du_tests;
#[cfg(test)]
#[path = "../tests/host/scan.rs"]
mod scan_tests;
#[cfg(test)]
#[path = "../tests/host/sorted_list.rs"]
mod sorted_list_tests;
#[cfg(test)]
#[path = "../tests/host/table.rs"]
mod table_tests;
