// SPDX-License-Identifier: GPL-2.0

//! Audit records of targets (`dm-audit.h`): construction, destruction, and events on bios.
//! They are emitted only with `CONFIG_DM_AUDIT` and auditing enabled (`audit=1`).
//!
//! C header: [`drivers/md/dm-audit.h`](srctree/drivers/md/dm-audit.h)

use super::Target;
use crate::{
    bindings,
    bio::BlockDevice, //
};
use kernel::prelude::*;

/// `dm_audit_log_ctr`: a target `prefix` (dm-crypt: `crypt`) was constructed, or not.
pub(super) fn log_ctr(prefix: &CStr, target: &Target, ok: bool) {
    // SAFETY: The target is valid; its `error` is set when `ok` is false.
    unsafe { bindings::dm_audit_log_ctr(prefix.as_char_ptr(), target.as_raw(), ok.into()) };
}

/// `dm_audit_log_dtr`: a target `prefix` was destroyed.
pub(super) fn log_dtr(prefix: &CStr, target: &Target) {
    // SAFETY: The target is valid.
    unsafe { bindings::dm_audit_log_dtr(prefix.as_char_ptr(), target.as_raw(), 1) };
}

/// `dm_audit_log_bio`: event `op` of target `prefix` on `sector` of an I/O to `bdev`.
pub(crate) fn log_bio(prefix: &CStr, op: &CStr, bdev: &BlockDevice, sector: u64, ok: bool) {
    // The record names the bio's device and nothing else of it.
    let mut bio: bindings::bio = pin_init::zeroed();
    bio.bi_bdev = bdev.as_raw();
    // SAFETY: The strings are valid; `bio` is a valid (zeroed) bio whose device is set, read
    // during the call only.
    unsafe {
        bindings::dm_audit_log_bio(
            prefix.as_char_ptr(),
            op.as_char_ptr(),
            &raw mut bio,
            sector,
            ok.into(),
        )
    };
}
