// SPDX-License-Identifier: GPL-2.0

//! dm-crypt-rs: the device-mapper `crypt` target in Rust.
//!
//! A drop-in replacement for `drivers/md/dm-crypt.c` (target `crypt` 1.29.0). The crate has
//! three layers:
//!
//! - [`bindings`]: build-time bindgen output and C helpers for static inlines and macros;
//! - the safe abstractions: [`dm`] (targets), [`bio`], ... — the only users of `bindings`;
//! - the driver, [`crypt`], which uses the abstractions alone and has no `unsafe`.
//!
//! C version of this driver: [`drivers/md/dm-crypt.c`](srctree/drivers/md/dm-crypt.c)

mod bindings;
mod bio;
mod context;
mod crypt;
mod crypto;
mod dm;
mod gfp;
mod integrity;
mod keys;
mod mempool;
mod params;
mod workqueue;

use kernel::prelude::*;

module! {
    type: DmCryptModule,
    name: "dm_crypt_rs",
    authors: ["dm-crypt-rs developers"],
    description: "dm-crypt-rs: device-mapper crypt target in Rust (drop-in for dm-crypt 1.29.0)",
    license: "GPL",
}

/// The module: holds the target type registration.
#[pin_data]
struct DmCryptModule {
    #[pin]
    target: dm::Registration<crypt::CryptConfig>,
}

impl kernel::InPlaceModule for DmCryptModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let name = params::target_name();
        try_pin_init!(Self {
            target <- dm::Registration::register(name, crypt::VERSION, crypt::FEATURES),
        })
    }
}
