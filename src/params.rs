// SPDX-License-Identifier: GPL-2.0

//! Module parameters.
//!
//! They are declared in C (`bindings/helpers.c`) because `module!` parameters can be neither
//! strings nor writable at run time; this module gives the driver safe access to them.

use crate::bindings;
use kernel::prelude::*;

/// The name the target registers under (`target_name=`, default `crypt`).
pub(crate) fn target_name() -> &'static CStr {
    // SAFETY: The helper returns the parameter's static, NUL-terminated buffer. The parameter
    // is read-only (0444) after load, so the string never changes while the module lives.
    unsafe { CStr::from_char_ptr(bindings::param_target_name()) }
}
