// SPDX-License-Identifier: GPL-2.0

//! The `crypt` target: transparent encryption of a block device.
//!
//! This is the driver layer: it uses the abstractions in [`crate::dm`] and friends and has no
//! `unsafe` code and no raw bindings.
//!
//! C version of this driver: [`drivers/md/dm-crypt.c`](srctree/drivers/md/dm-crypt.c)

mod buffer;
mod cipher;
mod clients;
mod config;
mod convert;
mod integrity;
mod io;
mod iv_gen;
mod key;
mod message;
// Pure logic, also built and tested on the host (`src/host.rs`).
mod authenc;
mod elephant;
mod iv;
mod lmk;
mod multi_du;
mod scan;
mod table;
mod tcw;

pub(crate) use config::CryptConfig;

use crate::dm;

/// The target version, as dm-crypt in Linux 7.3 reports it.
pub(crate) const VERSION: [u32; 3] = [1, 29, 0];

/// The target features, as dm-crypt in Linux 7.3 sets them.
pub(crate) const FEATURES: dm::Features = dm::Features::ZONED_HM.with(dm::Features::ATOMIC_WRITES);
