// SPDX-License-Identifier: GPL-2.0

//! Per-bio I/O state (`struct dm_crypt_io`).

use super::CryptConfig;
use crate::{
    bio::{
        BlkStatus,
        OwnedBio, //
    },
    dm::{
        Io,
        IoOps, //
    },
};
use kernel::sync::aref::ARef;

/// The state of one bio's I/O.
pub(crate) struct CryptIo {}

impl IoOps for CryptIo {
    type Config = CryptConfig;

    fn run(_io: ARef<Io<Self>>) {}

    fn end_io(_io: ARef<Io<Self>>, _bio: OwnedBio) {}

    fn status(&self) -> BlkStatus {
        BlkStatus::IOERR
    }
}
