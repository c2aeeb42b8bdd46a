// SPDX-License-Identifier: GPL-2.0

//! The cipher of a table (`crypt_ctr_cipher`): its transforms (`cc->cipher_tfm`), IV mode and
//! generator, and how the key is split over them.

use super::{
    authenc::{
        authenc_key,
        authenc_key_size, //
    },
    iv::{
        self,
        IvChoice,
        IvError, //
    },
    iv_gen::IvGen,
    key::CryptKey,
    multi_du::{
        self,
        ApiSupport,
        Backend,
        Choice, //
    },
    table::{
        self,
        ErrorKind,
        FeatureArgs,
        TableError, //
    },
};
use crate::{
    crypto::{
        aead::{
            digest_size,
            AeadTfm, //
        },
        aes_xts::AesXtsKey,
        request::{
            RequestLayout,
            Transform, //
        },
        skcipher::Tfm,
    },
    dm::{
        self,
        CtrError, //
    },
    keys::SecretBuf,
    params,
};
use kernel::{
    prelude::*,
    str::CString, //
};

/// `CRYPTO_ALG_ALLOCATES_MEMORY`: dm-crypt refuses implementations that allocate per request.
pub(super) const CRYPTO_ALG_ALLOCATES_MEMORY: u32 = 0x0001_0000;

/// `CRYPTO_ALG_ASYNC`: the implementation may complete requests later, from another context.
const CRYPTO_ALG_ASYNC: u32 = 0x0000_0080;

/// The transforms: one symmetric cipher per key part (`tfms_count`, selected by sector), or
/// one AEAD (`integrity:<n>:aead`).
pub(super) enum Ciphers {
    Skcipher(KVec<Tfm>),
    Aead(AeadTfm),
}

impl Ciphers {
    /// `tfms_count`.
    pub(super) fn count(&self) -> u32 {
        match self {
            Self::Skcipher(tfms) => tfms.len() as u32,
            Self::Aead(_) => 1,
        }
    }

    /// The IV size of the transforms.
    pub(super) fn iv_size(&self) -> u32 {
        match self {
            Self::Skcipher(tfms) => tfms[0].iv_size(),
            Self::Aead(tfm) => tfm.iv_size(),
        }
    }

    /// The block size of the transforms.
    pub(super) fn block_size(&self) -> u32 {
        match self {
            Self::Skcipher(tfms) => tfms[0].block_size(),
            Self::Aead(tfm) => tfm.block_size(),
        }
    }

    /// Whether any transform may complete asynchronously.
    pub(super) fn is_async(&self) -> bool {
        match self {
            Self::Skcipher(tfms) => tfms.iter().any(Tfm::is_async),
            Self::Aead(tfm) => tfm.is_async(),
        }
    }

    /// The layout of their requests.
    pub(super) fn request_layout(&self) -> RequestLayout {
        match self {
            Self::Skcipher(tfms) => tfms[0].request_layout(),
            Self::Aead(tfm) => tfm.request_layout(),
        }
    }

    /// The first symmetric cipher transform (`any_tfm`), if the transforms are those.
    pub(super) fn any_skcipher(&self) -> Option<&Tfm> {
        match self {
            Self::Skcipher(tfms) => tfms.first(),
            Self::Aead(_) => None,
        }
    }
}

/// How the key is split over the transforms (`crypt_setkey`).
pub(super) struct Keying<'a> {
    pub(super) ciphers: &'a Ciphers,
    /// The bytes of each part (`crypt_subkey_size`).
    pub(super) subkey_size: usize,
    /// The MAC key size of an `authenc(...)` AEAD (`key_mac_size` when
    /// `crypt_integrity_hmac`), whose key is passed in the authenc format.
    pub(super) authenc_mac_size: Option<usize>,
    /// The multi-data-unit path's AES-XTS library key, keyed as the one transform.
    pub(super) xts_lib: Option<&'a AesXtsKey>,
}

impl Keying<'_> {
    /// `crypt_setkey`: keys every transform with its part of `key`; the last error wins, as
    /// upstream, but every transform is tried.
    pub(super) fn set(&self, key: &[u8]) -> Result {
        let subkey = |i: usize| {
            key.get(i * self.subkey_size..(i + 1) * self.subkey_size)
                .ok_or(EINVAL)
        };
        match self.ciphers {
            Ciphers::Skcipher(tfms) => {
                let mut result = Ok(());
                for (i, tfm) in tfms.iter().enumerate() {
                    if let Err(e) = tfm.set_key(subkey(i)?) {
                        result = Err(e);
                    }
                }
                if let Some(lib) = self.xts_lib {
                    if let Err(e) = lib.set_key(subkey(0)?) {
                        result = Err(e);
                    }
                }
                result
            }
            Ciphers::Aead(tfm) => match self.authenc_mac_size {
                None => tfm.set_key(subkey(0)?),
                Some(mac) => {
                    let part = subkey(0)?;
                    let mut buf = SecretBuf::new(authenc_key_size(part.len()))?;
                    authenc_key(part, mac, buf.as_mut_slice()).ok_or(EINVAL)?;
                    // The buffer is wiped when it goes.
                    tfm.set_key(buf.as_slice())
                }
            },
        }
    }
}

/// What the cipher part of the constructor makes.
pub(super) struct Cipher {
    pub(super) cipher_string: KVec<u8>,
    pub(super) ciphers: Ciphers,
    pub(super) iv: IvChoice,
    pub(super) iv_gen: Option<IvGen>,
    /// `key_mac_size`: the MAC key's size for `authenc(<mac>,...)` (the MAC's digest size
    /// unless `integrity_key_size` says otherwise), or `integrity_key_size` alone.
    pub(super) key_mac_size: u32,
    /// The path the table's I/O takes (per sector, or the multi-data-unit path with this
    /// backend), and the `multi_data_unit` mode that chose it.
    pub(super) path: (multi_du::Mode, Choice),
    /// The AES-XTS library key of the multi-data-unit path's library backend.
    pub(super) xts_lib: Option<AesXtsKey>,
}

/// How a key of `key_size` bytes splits over `ciphers` with the IV mode's layout.
pub(super) fn keying<'a>(
    ciphers: &'a Ciphers,
    xts_lib: Option<&'a AesXtsKey>,
    iv: &IvChoice,
    key_size: usize,
    key_mac_size: u32,
    features: &FeatureArgs,
) -> Keying<'a> {
    let hmac = features.integrity_aead() && key_mac_size > 0;
    Keying {
        ciphers,
        subkey_size: iv::subkey_size(key_size as u32, iv.layout, ciphers.count()) as usize,
        authenc_mac_size: hmac.then_some(key_mac_size as usize),
        xts_lib,
    }
}

/// Whether the AES-XTS library is known to be faster than the crypto API's AES-XTS here: on
/// the architectures whose library has its own XTS code in Linux 7.3 (`lib/crypto/arm64`,
/// `lib/crypto/powerpc`). Elsewhere, x86 included, it goes block by block.
const XTS_LIB_FASTER: bool = cfg!(any(target_arch = "aarch64", target_arch = "powerpc64"));

/// What the crypto API offers the table's one transform, for the multi-data-unit path's
/// crypto API backend. For `multi_data_unit=api`, a transform of an implementation that takes
/// data units replaces one that does not, if there is such an implementation.
fn api_support(name: &CStr, ciphers: &mut Ciphers, mode: multi_du::Mode) -> ApiSupport {
    let Ciphers::Skcipher(tfms) = ciphers else {
        return ApiSupport::NoDriver;
    };
    let Some(first) = tfms.first_mut() else {
        return ApiSupport::NoDriver;
    };
    if !Tfm::kernel_has_data_units() {
        return ApiSupport::Missing;
    }
    if first.has_multi_data_unit() {
        return ApiSupport::Default;
    }
    if mode != multi_du::Mode::Api {
        // `auto` takes only the default implementation: no other is looked for.
        return ApiSupport::NoDriver;
    }
    // A synchronous implementation first: the inline flags need one, and an asynchronous
    // one (`cryptd` over the xts template) outranks it once instantiated.
    let mask = CRYPTO_ALG_ALLOCATES_MEMORY;
    match Tfm::new_multi_data_unit(name, mask | CRYPTO_ALG_ASYNC)
        .or_else(|_| Tfm::new_multi_data_unit(name, mask))
    {
        Ok(tfm) => {
            *first = tfm;
            ApiSupport::Other
        }
        Err(_) => ApiSupport::NoDriver,
    }
}

/// The multi-data-unit path for a table (module parameter `multi_data_unit`), and the
/// library key if it takes the library backend. With the crypto API backend the transform is
/// one that takes data units, set to the sector size.
fn choose_path(
    spec_api: &[u8],
    name: &CStr,
    ciphers: &mut Ciphers,
    iv: &IvChoice,
    features: &FeatureArgs,
    key_size: usize,
) -> Result<((multi_du::Mode, Choice), Option<AesXtsKey>), CtrError> {
    let mode = multi_du::Mode::ALL
        .get(params::multi_data_unit() as usize)
        .copied()
        .unwrap_or(multi_du::Mode::Auto);
    let table = multi_du::Table {
        api: spec_api,
        aead: matches!(ciphers, Ciphers::Aead(_)),
        tfms_count: ciphers.count(),
        iv,
        integrity: features.integrity.is_some(),
        key_size: iv::subkey_size(key_size as u32, iv.layout, ciphers.count()) as usize,
        sector_size: features.sector_size,
        iv_large_sectors: features.iv_large_sectors,
    };
    let api = if multi_du::wants_api(mode, &table) {
        api_support(name, ciphers, mode)
    } else {
        ApiSupport::NoDriver
    };
    let mut choice = multi_du::choose(mode, &table, XTS_LIB_FASTER, api);
    if choice == Choice::MultiDataUnit(Backend::Api) {
        let set = ciphers.any_skcipher().map_or(Err(EINVAL), |tfm| {
            tfm.set_data_unit_size(features.sector_size)
        });
        if set.is_err() {
            choice = Choice::PerSector("the crypto API refuses the sector size as data unit");
        }
    }
    let lib = match choice {
        Choice::MultiDataUnit(Backend::Lib) => Some(
            AesXtsKey::new()
                .map_err(|e| CtrError::new(c"Cannot allocate encryption context", e))?,
        ),
        Choice::MultiDataUnit(Backend::Api) | Choice::PerSector(_) => None,
    };
    Ok(((mode, choice), lib))
}

pub(super) fn error(e: TableError) -> CtrError {
    CtrError::new(
        e.msg,
        match e.kind {
            ErrorKind::Inval => EINVAL,
            ErrorKind::NoMem => ENOMEM,
            ErrorKind::NoEnt => ENOENT,
        },
    )
}

/// `crypt_ctr_auth_cipher`: the digest size of the MAC of an `authenc(<mac>,...)` spec.
fn mac_digest_size(mac: Option<&[u8]>) -> Result<u32, ErrorKind> {
    let mac = mac.ok_or(ErrorKind::Inval)?;
    let name = CString::try_from_fmt(format_args!("{}", table::Bytes(mac)))
        .map_err(|_| ErrorKind::NoMem)?;
    digest_size(&name, CRYPTO_ALG_ALLOCATES_MEMORY).map_err(|e| {
        if e == ENOMEM {
            ErrorKind::NoMem
        } else if e == ENOENT {
            ErrorKind::NoEnt
        } else {
            ErrorKind::Inval
        }
    })
}

/// `crypt_ctr_cipher`: parses the cipher, allocates the transforms, chooses the IV mode, sets
/// the key (argument 1 of `args`, wiped afterwards) and builds the IV generator.
pub(super) fn ctr_cipher(
    args: &mut dm::Args,
    features: &FeatureArgs,
    key: &mut CryptKey,
) -> Result<Cipher, CtrError> {
    let cipher_arg = args.get(0).unwrap_or_default();
    let mut cipher_string = KVec::new();
    cipher_string
        .extend_from_slice(cipher_arg, GFP_KERNEL)
        .map_err(|_| CtrError::new(c"Cannot allocate cipher strings", ENOMEM))?;

    let mut digest = None;
    let mut check_mac = |mac: Option<&[u8]>| {
        digest = Some(mac_digest_size(mac)?);
        Ok(())
    };
    let aead = features.integrity_aead();
    let spec = table::parse_cipher(&cipher_string, aead, &mut check_mac).map_err(error)?;
    let key_mac_size = features.integrity_key_size.or(digest).unwrap_or(0);

    let tfm_err = |e| CtrError::new(c"Error allocating crypto tfm", e);
    let name = spec.api.as_c_str();
    let ciphers = if aead {
        Ciphers::Aead(AeadTfm::new(name, CRYPTO_ALG_ALLOCATES_MEMORY).map_err(tfm_err)?)
    } else {
        let mut tfms = KVec::with_capacity(spec.tfms_count as usize, GFP_KERNEL)
            .map_err(|_| tfm_err(ENOMEM))?;
        for _ in 0..spec.tfms_count {
            let tfm = Tfm::new(name, CRYPTO_ALG_ALLOCATES_MEMORY).map_err(tfm_err)?;
            tfms.push(tfm, GFP_KERNEL).map_err(|_| tfm_err(ENOMEM))?;
        }
        Ciphers::Skcipher(tfms)
    };
    match &ciphers {
        Ciphers::Skcipher(tfms) => {
            pr_debug!(
                "{:?} using implementation {:?}\n",
                spec.api,
                tfms[0].driver_name()
            )
        }
        Ciphers::Aead(tfm) => {
            pr_debug!(
                "{:?} using implementation {:?}\n",
                spec.api,
                tfm.driver_name()
            )
        }
    }

    let key_size = key.size();
    let iv = iv::select(
        spec.ivmode,
        ciphers.iv_size(),
        key_size as u32,
        spec.tfms_count,
    )
    .map_err(|e| match e {
        IvError::Invalid => CtrError::inval(c"Invalid IV mode"),
        IvError::Unnamed => CtrError::inval(c"Unknown error"),
    })?;
    if iv.ignored_ivmode {
        pr_warn!("Selected cipher does not support IVs\n");
    }

    let mut ciphers = ciphers;
    let (path, xts_lib) = choose_path(
        spec.api.as_bytes(),
        name,
        &mut ciphers,
        &iv,
        features,
        key_size,
    )?;

    // `crypt_set_key`: decode, set on every transform, then wipe the argument.
    let keying = keying(
        &ciphers,
        xts_lib.as_ref(),
        &iv,
        key_size,
        key_mac_size,
        features,
    );
    let set = key.set(args.get_c_str(1).unwrap_or(c""), &keying);
    if args.get(1).is_some_and(|k| !k.is_empty()) {
        args.wipe(1, b'0');
    }
    set.map_err(|e| CtrError::new(c"Error decoding and setting key", e))?;

    // The IV generator's constructor, then its key material.
    let iv_gen = IvGen::new(&iv, &ciphers, features, key_size)?;
    if let Some(gen) = &iv_gen {
        gen.init(key.bytes(), &iv, ciphers.count())
            .map_err(|e| CtrError::new(c"Error initialising IV", e))?;
    }
    key.drop_keyring_copy();
    Ok(Cipher {
        cipher_string,
        ciphers,
        iv,
        iv_gen,
        key_mac_size,
        path,
        xts_lib,
    })
}
