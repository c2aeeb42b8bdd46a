// SPDX-License-Identifier: GPL-2.0

//! Target messages (`crypt_message`): `key set <key>` and `key wipe`, only while the device
//! is suspended (cryptsetup's luksSuspend and luksResume).

use super::{
    config::CryptConfig,
    scan::eq_ignore_case,
    table, //
};
use crate::dm::Args;
use kernel::prelude::*;

/// Handles `dmsetup message <dev> 0 <args>`.
pub(super) fn message(cfg: &CryptConfig, args: &mut Args) -> Result {
    if args.len() >= 2 && eq_ignore_case(args.get(0).unwrap_or_default(), b"key") {
        let mut control = cfg.control.lock();
        if !control.suspended {
            pr_warn!("not suspended during key manipulation.\n");
            return Err(EINVAL);
        }
        let verb = args.get(1).unwrap_or_default();
        if args.len() == 3 && eq_ignore_case(verb, b"set") {
            // The key size may not change.
            let arg = args.get(2).unwrap_or_default();
            let same_size = table::key_size(arg).is_ok_and(|(n, _)| n == control.key.size());
            if !same_size {
                args.wipe(2, b'0');
                return Err(EINVAL);
            }
            let set = control
                .key
                .set(args.get_c_str(2).unwrap_or(c""), &cfg.keying());
            args.wipe(2, b'0');
            set?;
            let init = match &cfg.iv_gen {
                Some(gen) => gen.init(control.key.bytes(), &cfg.iv, cfg.ciphers.count()),
                None => Ok(()),
            };
            control.key.drop_keyring_copy();
            return init;
        }
        if args.len() == 2 && eq_ignore_case(verb, b"wipe") {
            // `crypt_wipe_key`.
            if let Some(gen) = &cfg.iv_gen {
                gen.wipe();
            }
            return control.key.wipe(&cfg.keying());
        }
    }
    pr_warn!("unrecognised message received.\n");
    Err(EINVAL)
}
