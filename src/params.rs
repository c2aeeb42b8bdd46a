// SPDX-License-Identifier: GPL-2.0

//! Module parameters.
//!
//! They are declared in C (`bindings/helpers.c`) because `module!` parameters can be neither
//! strings nor writable at run time; this module gives the driver safe access to them.

use crate::bindings;
use kernel::{
    ffi::c_uint,
    prelude::*, //
};

/// The name the target registers under (`target_name=`, default `crypt`).
pub(crate) fn target_name() -> &'static CStr {
    // SAFETY: The helper returns the parameter's static, NUL-terminated buffer. The parameter
    // is read-only (0444) after load, so the string never changes while the module lives.
    unsafe { CStr::from_char_ptr(bindings::param_target_name()) }
}

/// `max_read_size` (bytes; 0: the default).
#[inline]
pub(crate) fn max_read_size() -> u32 {
    // SAFETY: The parameter is a static of this module; see `read_once`.
    unsafe { read_once(&raw const bindings::dmc_param_max_read_size) }
}

/// `max_write_size` (bytes; 0: the default).
#[inline]
pub(crate) fn max_write_size() -> u32 {
    // SAFETY: The parameter is a static of this module; see `read_once`.
    unsafe { read_once(&raw const bindings::dmc_param_max_write_size) }
}

/// `max_fragment_pages` (0: no extra limit), a test knob that forces small write fragments.
#[inline]
pub(crate) fn max_fragment_pages() -> u32 {
    // SAFETY: The parameter is a static of this module; see `read_once`.
    unsafe { read_once(&raw const bindings::dmc_param_max_fragment_pages) }
}

/// `READ_ONCE` of a `uint` parameter: sysfs may store a new value at any time, whole (as
/// `param_set_uint` does), and each read takes one value.
///
/// # Safety
///
/// `param` points to a `uint` module parameter of this module.
#[inline]
unsafe fn read_once(param: *const c_uint) -> u32 {
    // SAFETY: The parameter lives as long as the module (caller); a volatile read of an
    // aligned `unsigned int` is what `READ_ONCE` compiles to.
    unsafe { core::ptr::read_volatile(param) }
}

/// `multi_data_unit`: the index of its value in `bindings/helpers.c`'s names (0 to 3).
pub(crate) fn multi_data_unit() -> u32 {
    // SAFETY: The helper only reads the parameter.
    unsafe { bindings::param_multi_data_unit() }
}

/// Counts one conversion that the multi-data-unit path handed to the per-sector path for lack
/// of memory (read-only parameter `multi_data_unit_fallbacks`).
pub(crate) fn multi_data_unit_fallback() {
    // SAFETY: The helper only increments an atomic counter.
    unsafe { bindings::multi_data_unit_fallback() }
}
