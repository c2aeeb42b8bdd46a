// SPDX-License-Identifier: GPL-2.0

//! The per-target configuration (`struct crypt_config`) and its constructor (`crypt_ctr`).

use super::{
    iv::{
        self,
        IvChoice,
        IvError,
        IvMode, //
    },
    scan::hex2bin,
    table::{
        self,
        ErrorKind,
        FeatureArgs,
        KeyArg,
        TableError, //
    },
};
use crate::{
    crypto::skcipher::Tfm,
    dm::{
        self,
        CtrError,
        Device,
        MapBio,
        MapResult,
        Target, //
    },
    keys::SecretBuf,
};
use kernel::prelude::*;

/// `CRYPTO_ALG_ALLOCATES_MEMORY`: dm-crypt refuses implementations that allocate per request.
const CRYPTO_ALG_ALLOCATES_MEMORY: u32 = 0x0001_0000;

/// One `crypt` target instance (`struct crypt_config`).
#[allow(dead_code, reason = "the I/O path (issue 3) will use every field")]
pub(crate) struct CryptConfig {
    /// The cipher argument, verbatim (echoed by `status`).
    cipher_string: KVec<u8>,
    /// The key (`cc->key`).
    key: SecretBuf,
    /// One transform per key part (`tfms_count`).
    tfms: KVec<Tfm>,
    iv: IvChoice,
    iv_offset: u64,
    features: FeatureArgs,
    dev: Device,
    start: u64,
}

fn error(e: TableError) -> CtrError {
    CtrError::new(
        e.msg,
        match e.kind {
            ErrorKind::Inval => EINVAL,
            ErrorKind::NoMem => ENOMEM,
            ErrorKind::NoEnt => ENOENT,
        },
    )
}

/// The cipher part of the constructor (`crypt_ctr_cipher`): transforms, IV mode, key.
struct Cipher {
    cipher_string: KVec<u8>,
    tfms: KVec<Tfm>,
    iv: IvChoice,
}

impl CryptConfig {
    fn ctr_cipher(
        args: &mut dm::Args,
        features: &FeatureArgs,
        key: &mut SecretBuf,
    ) -> Result<Cipher, CtrError> {
        let cipher_arg = args.get(0).unwrap_or_default();
        let mut cipher_string = KVec::new();
        cipher_string
            .extend_from_slice(cipher_arg, GFP_KERNEL)
            .map_err(|_| CtrError::new(c"Cannot allocate cipher strings", ENOMEM))?;

        // AEAD modes come with the integrity options, which are not implemented yet.
        let mut no_aead = |_: Option<&[u8]>| Err(ErrorKind::NoEnt);
        let spec = table::parse_cipher(&cipher_string, features.integrity_aead(), &mut no_aead)
            .map_err(error)?;

        let mut tfms = KVec::with_capacity(spec.tfms_count as usize, GFP_KERNEL)
            .map_err(|_| CtrError::new(c"Error allocating crypto tfm", ENOMEM))?;
        for _ in 0..spec.tfms_count {
            let tfm = Tfm::new(spec.api.as_c_str(), CRYPTO_ALG_ALLOCATES_MEMORY)
                .map_err(|e| CtrError::new(c"Error allocating crypto tfm", e))?;
            tfms.push(tfm, GFP_KERNEL)
                .map_err(|_| CtrError::new(c"Error allocating crypto tfm", ENOMEM))?;
        }
        let any_tfm = &tfms[0];
        pr_debug!(
            "{:?} using implementation {:?}\n",
            spec.api,
            any_tfm.driver_name()
        );

        let key_size = key.as_slice().len() as u32;
        let mut iv = iv::select(spec.ivmode, any_tfm.iv_size(), key_size, spec.tfms_count)
            .map_err(|e| match e {
                IvError::Invalid => CtrError::inval(c"Invalid IV mode"),
                IvError::Unnamed => CtrError::inval(c"Unknown error"),
            })?;
        if iv.ignored_ivmode {
            pr_warn!("Selected cipher does not support IVs\n");
        }

        // `crypt_set_key`: decode, set on every transform, then wipe the argument.
        let set = Self::set_key(args, key, &tfms, &iv, spec.tfms_count);
        let key_len = args.get(1).map_or(0, <[u8]>::len);
        if key_len > 0 {
            args.wipe(1, b'0');
        }
        set.map_err(|e| CtrError::new(c"Error decoding and setting key", e))?;

        // The IV generators' constructors.
        match iv.mode {
            Some(IvMode::Benbi { .. }) => {
                let shift = iv::benbi_shift(any_tfm.block_size())
                    .ok_or(CtrError::inval(c"Error creating IV"))?;
                iv.mode = Some(IvMode::Benbi { shift });
            }
            Some(mode) if !mode.is_supported() => {
                pr_warn!("IV mode {:?} is not implemented yet\n", mode);
                return Err(CtrError::inval(c"Error creating IV"));
            }
            _ => {}
        }
        Ok(Cipher {
            cipher_string,
            tfms,
            iv,
        })
    }

    fn set_key(
        args: &dm::Args,
        key: &mut SecretBuf,
        tfms: &[Tfm],
        iv: &IvChoice,
        tfms_count: u32,
    ) -> Result {
        let arg = args.get(1).unwrap_or_default();
        let (key_size, form) = table::key_size(arg).map_err(|_| EINVAL)?;
        if key_size == 0 && arg != b"-" {
            return Err(EINVAL);
        }
        match form {
            KeyArg::Keyring(_) => {
                pr_warn!("keyring keys are not implemented yet\n");
                return Err(EINVAL);
            }
            KeyArg::Hex(hex) => {
                if !hex2bin(key.as_mut_slice(), hex) {
                    return Err(EINVAL);
                }
            }
        }
        let subkey = iv::subkey_size(key_size as u32, iv.layout, tfms_count) as usize;
        let mut result = Ok(());
        for (i, tfm) in tfms.iter().enumerate() {
            let part = key
                .as_slice()
                .get(i * subkey..(i + 1) * subkey)
                .ok_or(EINVAL)?;
            if let Err(e) = tfm.set_key(part) {
                result = Err(e);
            }
        }
        result
    }
}

#[vtable]
impl dm::Operations for CryptConfig {
    type Io = super::io::CryptIo;

    fn ctr(target: &mut Target, args: &mut dm::Args) -> Result<Pin<KBox<Self>>, CtrError> {
        if args.len() < 5 {
            return Err(CtrError::inval(c"Not enough arguments"));
        }
        let (key_size, _) = table::key_size(args.get(1).unwrap_or_default()).map_err(error)?;
        let mut key = SecretBuf::new(key_size)
            .map_err(|_| CtrError::new(c"Cannot allocate encryption context", ENOMEM))?;

        // Optional parameters come first: the cipher depends on them.
        let mut features = FeatureArgs::default();
        if args.len() > 5 {
            let mut opt: KVec<&[u8]> = KVec::with_capacity(args.len() - 5, GFP_KERNEL)
                .map_err(|_| CtrError::new(c"Cannot allocate encryption context", ENOMEM))?;
            for i in 5..args.len() {
                let _ = opt.push(args.get(i).unwrap_or_default(), GFP_KERNEL);
            }
            features = table::parse_features(&opt, target.len()).map_err(error)?;
        }

        let cipher = Self::ctr_cipher(args, &features, &mut key)?;

        let iv_offset =
            table::parse_iv_offset(args.get(2).unwrap_or_default(), features.sector_size)
                .map_err(error)?;
        let path = args.get_c_str(3).unwrap_or(c"");
        let dev =
            Device::get(target, path).map_err(|e| CtrError::new(c"Device lookup failed", e))?;
        let start = table::parse_start(args.get(4).unwrap_or_default()).map_err(error)?;

        let _config = Self {
            cipher_string: cipher.cipher_string,
            key,
            tfms: cipher.tfms,
            iv: cipher.iv,
            iv_offset,
            features,
            dev,
            start,
        };
        // The table is valid; the I/O path is not there yet, so refuse rather than pretend.
        Err(CtrError::new(c"I/O path not implemented", EOPNOTSUPP))
    }

    fn map(&self, _target: &Target, _bio: MapBio<'_, Self>) -> MapResult {
        MapResult::Kill
    }
}
