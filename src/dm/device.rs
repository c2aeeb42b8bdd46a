// SPDX-License-Identifier: GPL-2.0

//! Underlying devices of a target (`struct dm_dev`) and the queue limits it stacks on them.

use super::Target;
use crate::{
    bindings,
    bio::BlockDevice, //
};
use core::ptr::NonNull;
use kernel::prelude::*;

/// A device a target maps onto, opened with the table's mode; put again on drop.
///
/// # Invariants
///
/// `dev` was obtained by `dm_get_device` for the target `ti` and is put in `drop`; `ti`
/// outlives `self` (the device belongs to the target's private data, dropped in `dtr`).
pub(crate) struct Device {
    ti: NonNull<bindings::dm_target>,
    dev: NonNull<bindings::dm_dev>,
}

// SAFETY: `dm_put_device` may be called from any thread.
unsafe impl Send for Device {}
// SAFETY: `&Device` only reads immutable fields of the `dm_dev`.
unsafe impl Sync for Device {}

impl Device {
    /// Opens `path` (a path or `major:minor`) for the target (`dm_get_device`).
    pub(crate) fn get(target: &mut Target, path: &CStr) -> Result<Self> {
        let ti = target.as_raw();
        let mut dev = core::ptr::null_mut();
        // SAFETY: `ti` is valid and under construction; `path` is a C string; `dev` is
        // written on success.
        kernel::error::to_result(unsafe {
            bindings::dm_get_device(
                ti,
                path.as_char_ptr(),
                bindings::dm_table_get_mode((*ti).table),
                &mut dev,
            )
        })?;
        // INVARIANT: `dm_get_device` succeeded for `ti`.
        Ok(Self {
            // SAFETY: `ti` comes from a reference.
            ti: unsafe { NonNull::new_unchecked(ti) },
            // SAFETY: On success `dev` is set.
            dev: unsafe { NonNull::new_unchecked(dev) },
        })
    }

    /// The block device.
    pub(crate) fn bdev(&self) -> &BlockDevice {
        // SAFETY: The `dm_dev` holds the device open while `self` lives.
        unsafe { BlockDevice::from_raw((*self.dev.as_ptr()).bdev) }
    }

    /// The device's name as dm prints it in tables: `major:minor`.
    pub(crate) fn name(&self) -> &CStr {
        // SAFETY: `name` is a NUL-terminated array in the `dm_dev`, immutable after open.
        unsafe { CStr::from_char_ptr((*self.dev.as_ptr()).name.as_ptr()) }
    }

    pub(super) fn as_raw(&self) -> *mut bindings::dm_dev {
        self.dev.as_ptr()
    }
}

impl Device {
    /// Reports the zones of the device from `sector` on, for a target whose data starts at
    /// `start` on it (`dm_report_zones`); returns what dm core's callback returned.
    pub(crate) fn report_zones(
        &self,
        start: u64,
        sector: u64,
        args: &mut ReportZones,
        nr_zones: u32,
    ) -> c_int {
        // SAFETY: The device is open; `args` is dm core's, for this call.
        unsafe {
            bindings::dm_report_zones(self.bdev().as_raw(), start, sector, args.raw, nr_zones)
        }
    }
}

/// The arguments of `report_zones` (`struct dm_report_zones_args`).
///
/// # Invariants
///
/// `raw` is dm core's argument structure, valid for the callback.
pub(crate) struct ReportZones {
    raw: *mut bindings::dm_report_zones_args,
}

impl ReportZones {
    /// # Safety
    ///
    /// `raw` must be valid for the lifetime of the value.
    pub(super) unsafe fn from_raw(raw: *mut bindings::dm_report_zones_args) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self { raw }
    }

    /// The sector of the mapped device the report continues from.
    pub(crate) fn next_sector(&self) -> u64 {
        // SAFETY: Valid by the type invariant.
        unsafe { (*self.raw).next_sector }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `dev` was got for `ti`, which is still alive.
        unsafe { bindings::dm_put_device(self.ti.as_ptr(), self.dev.as_ptr()) };
    }
}

/// The queue limits of a mapped device being stacked (`struct queue_limits`).
///
/// # Invariants
///
/// `limits` is valid and exclusively ours for the lifetime of the reference.
pub(crate) struct QueueLimits<'a> {
    limits: &'a mut bindings::queue_limits,
}

impl<'a> QueueLimits<'a> {
    /// # Safety
    ///
    /// `ptr` must be valid and exclusively accessible for `'a`.
    pub(super) unsafe fn from_raw(ptr: *mut bindings::queue_limits) -> Self {
        // SAFETY: Guaranteed by the caller.
        let limits = unsafe { &mut *ptr };
        Self { limits }
    }

    /// Raises the logical and physical block size and the minimal I/O size to at least
    /// `bs` (`dm_stack_bs_limits`).
    pub(crate) fn stack_block_size(&mut self, bs: u32) {
        // SAFETY: `limits` is valid (type invariant).
        unsafe { bindings::dm_stack_bs_limits(self.limits, bs) };
    }

    /// The logical block size.
    pub(crate) fn logical_block_size(&self) -> u32 {
        self.limits.logical_block_size
    }

    /// Sets the DMA alignment mask of data buffers.
    pub(crate) fn set_dma_alignment(&mut self, mask: u32) {
        self.limits.dma_alignment = mask;
    }

    /// Caps the largest request the device takes at `sectors` (512-byte sectors).
    pub(crate) fn cap_max_hw_sectors(&mut self, sectors: u32) {
        self.limits.max_hw_sectors = self.limits.max_hw_sectors.min(sectors);
    }

    /// Caps the largest atomic write unit and size at `bytes`.
    pub(crate) fn cap_atomic_write(&mut self, bytes: u32) {
        self.limits.atomic_write_hw_unit_max = self.limits.atomic_write_hw_unit_max.min(bytes);
        self.limits.atomic_write_hw_max = self.limits.atomic_write_hw_max.min(bytes);
    }
}

/// The callback of `iterate_devices`.
pub(crate) struct DeviceVisitor {
    ti: *mut bindings::dm_target,
    f: bindings::iterate_devices_callout_fn,
    data: *mut c_void,
}

impl DeviceVisitor {
    /// # Safety
    ///
    /// The arguments must be those of an `iterate_devices` call, valid for its duration.
    pub(super) unsafe fn new(
        ti: *mut bindings::dm_target,
        f: bindings::iterate_devices_callout_fn,
        data: *mut c_void,
    ) -> Self {
        Self { ti, f, data }
    }

    /// Reports `len` sectors of `dev` from `start` as used by the target.
    pub(crate) fn visit(&mut self, dev: &Device, start: u64, len: u64) -> c_int {
        match self.f {
            // SAFETY: The callback and its data come from dm core for this call (`new`).
            Some(f) => unsafe { f(self.ti, dev.as_raw(), start, len, self.data) },
            None => 0,
        }
    }
}
