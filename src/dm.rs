// SPDX-License-Identifier: GPL-2.0

//! Device-mapper target abstractions.
//!
//! A target type is a [`#[vtable]`](kernel::prelude::vtable) implementation of [`Operations`],
//! registered for as long as a pinned [`Registration`] lives. dm core calls `ctr` once per table
//! line; what it returns is the target's private data, which every other callback borrows
//! immutably: `map` runs concurrently on many CPUs, so shared state needs interior mutability.
//!
//! C header: [`include/linux/device-mapper.h`](srctree/include/linux/device-mapper.h)

mod args;
mod audit;
mod device;
mod io;
mod registration;
mod sorted_list;
mod status;
mod target;
mod write_thread;

pub(crate) use args::Args;
pub(crate) use audit::log_bio as audit_bio;
pub(crate) use device::{
    Device,
    DeviceVisitor,
    QueueLimits,
    ReportZones, //
};
pub(crate) use io::{
    Cipher,
    Crypted,
    Io,
    IoOps,
    IoPool,
    IoReq,
    Place,
    RequestSlot,
    SectorData,
    SectorRequest,
    UnitsRequest, //
};
pub(crate) use registration::Registration;
pub(crate) use status::{
    StatusType,
    StatusWriter, //
};
pub(crate) use target::{
    CtrError,
    MapBio,
    MapResult,
    Operations,
    Target, //
};
pub(crate) use write_thread::{
    SortedSubmit,
    WriteThread, //
};

/// Target features (`DM_TARGET_*`) a target type advertises.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Features(u64);

impl Features {
    /// The target can sit on host-managed zoned devices (`DM_TARGET_ZONED_HM`).
    pub(crate) const ZONED_HM: Self = Self(crate::bindings::DM_TARGET_ZONED_HM as u64);
    /// The target passes atomic writes through (`DM_TARGET_ATOMIC_WRITES`).
    pub(crate) const ATOMIC_WRITES: Self = Self(crate::bindings::DM_TARGET_ATOMIC_WRITES as u64);

    /// Returns the union of `self` and `other`.
    pub(crate) const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub(crate) const fn bits(self) -> u64 {
        self.0
    }
}
