// SPDX-License-Identifier: GPL-2.0

//! Registration of a target type with dm core.

use super::{
    target::VTable,
    Features,
    Operations, //
};
use crate::bindings;
use core::marker::PhantomData;
use kernel::{
    error::to_result,
    prelude::*,
    types::Opaque, //
};

/// A registered target type; unregistered on drop.
///
/// # Invariants
///
/// `tt` holds a `target_type` that is registered with dm core for as long as `self` lives.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: Operations> {
    #[pin]
    tt: Opaque<bindings::target_type>,
    _t: PhantomData<T>,
}

// SAFETY: The registration only hands dm core a pointer to `tt`; dm core serialises its own
// access, and `T: Send + Sync`.
unsafe impl<T: Operations> Send for Registration<T> {}
// SAFETY: `&Registration` offers no access to `tt`.
unsafe impl<T: Operations> Sync for Registration<T> {}

impl<T: Operations> Registration<T> {
    /// Registers `T` as target `name` with `version` and `features`.
    ///
    /// Fails with `EBUSY` if a target of that name is already registered.
    pub(crate) fn register(
        name: &'static CStr,
        version: [u32; 3],
        features: Features,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            tt <- Opaque::try_ffi_init(move |slot: *mut bindings::target_type| {
                let mut tt = VTable::<T>::build();
                tt.name = name.as_char_ptr();
                tt.version = version;
                tt.features = features.bits();
                // SAFETY: `slot` is valid for writes (`try_ffi_init`).
                unsafe { slot.write(tt) };
                // SAFETY: `slot` holds a fully initialised `target_type` whose name is static
                // and which stays pinned until `drop` unregisters it.
                // INVARIANT: On success the type is registered.
                let ret = to_result(unsafe { bindings::dm_register_target(slot) });
                match ret {
                    Ok(()) => pr_info!("target {:?} v{}.{}.{} registered\n", name, version[0], version[1], version[2]),
                    Err(e) if e == EBUSY => pr_err!(
                        "target {:?} is already registered by another module (the C dm-crypt?); \
                         unload it, or load this module with target_name=<other name>\n",
                        name
                    ),
                    Err(e) => pr_err!("registering target {:?} failed: {:?}\n", name, e),
                }
                ret
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: Operations> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the target type is registered.
        unsafe { bindings::dm_unregister_target(self.tt.get()) };
    }
}
