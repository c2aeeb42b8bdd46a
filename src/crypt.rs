// SPDX-License-Identifier: GPL-2.0

//! The `crypt` target: transparent encryption of a block device.
//!
//! This is the driver layer: it uses the abstractions in [`crate::dm`] and friends and has no
//! `unsafe` code and no raw bindings.
//!
//! C version of this driver: [`drivers/md/dm-crypt.c`](srctree/drivers/md/dm-crypt.c)

// Pure logic, also built and tested on the host (`src/host.rs`).
#[allow(dead_code)] // The constructor uses more of it as the I/O path lands.
mod scan;
#[allow(dead_code)]
mod table;

use crate::{
    bio::Bio,
    dm::{
        self,
        CtrError,
        MapResult,
        Target, //
    },
};
use kernel::prelude::*;

/// The target version, as dm-crypt in Linux 7.3 reports it.
pub(crate) const VERSION: [u32; 3] = [1, 29, 0];

/// The target features, as dm-crypt in Linux 7.3 sets them.
pub(crate) const FEATURES: dm::Features = dm::Features::ZONED_HM.with(dm::Features::ATOMIC_WRITES);

/// One `crypt` target instance (`struct crypt_config`).
pub(crate) struct CryptConfig {}

#[vtable]
impl dm::Operations for CryptConfig {
    fn ctr(_target: &mut Target, args: &mut dm::Args) -> Result<Pin<KBox<Self>>, CtrError> {
        if args.len() < 5 {
            return Err(CtrError::inval(c"Not enough arguments"));
        }
        // The I/O path is not there yet: refuse every table rather than pretend.
        Err(CtrError::new(c"I/O path not implemented", EOPNOTSUPP))
    }

    fn map(&self, _target: &Target, _bio: &mut Bio) -> MapResult {
        MapResult::Kill
    }
}
