// SPDX-License-Identifier: GPL-2.0

//! Raw C bindings that `kernel::bindings` does not cover, generated at build time.
//!
//! `bindings_generated.rs` comes from `bindings/bindings_helper.h` with the allowlist in
//! `bindings/bindgen_parameters`; every type it names but does not define resolves through the
//! glob import of `kernel::bindings`, so `struct bio`, `struct page` and friends are the kernel
//! crate's own types. `helpers_generated.rs` declares the C helpers in `bindings/helpers.c`.
//!
//! Only the abstraction modules (`dm`, and later `bio`, `crypto`, ...) may use this module; the
//! driver in `crypt` goes through them.

#![allow(
    dead_code,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::as_underscore,
    clippy::cast_lossless,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    unnecessary_transmutes
)]

mod raw {
    use kernel::ffi;
    use pin_init::{
        MaybeZeroable,
        Zeroable, //
    };

    pub use kernel::bindings::*;

    // Manual definitions for blocklisted types, as in `rust/bindings/lib.rs`.
    type __kernel_size_t = usize;
    type __kernel_ssize_t = isize;
    type __kernel_ptrdiff_t = isize;

    // SAFETY: `__BindgenBitfieldUnit<Storage>` is a newtype around `Storage`.
    unsafe impl<Storage> Zeroable for __BindgenBitfieldUnit<Storage> where Storage: Zeroable {}

    include!("bindings/bindings_generated.rs");
}

mod helpers {
    #[allow(unused_imports)] // The helpers' signatures may not need every raw type.
    use super::raw::*;
    use kernel::ffi;

    include!("bindings/helpers_generated.rs");
}

pub(crate) use helpers::*;
pub(crate) use raw::*;
