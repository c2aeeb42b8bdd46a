// SPDX-License-Identifier: GPL-2.0

//! The per-target configuration (`struct crypt_config`): its constructor (`crypt_ctr`),
//! status, limits and devices.

use super::{
    io::CryptIo,
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
    bio::BioSet,
    crypto::skcipher::{
        RequestPool,
        Tfm, //
    },
    dm::{
        self,
        CtrError,
        Device,
        DeviceVisitor,
        IoPool,
        IoReq,
        MapBio,
        MapResult,
        QueueLimits,
        StatusType,
        StatusWriter,
        Target, //
    },
    keys::{
        read_user_key,
        KeyType,
        SecretBuf, //
    },
    params,
    workqueue::{
        num_online_cpus,
        OwnedQueue,
        WqFlags, //
    },
};
use core::fmt::Write;
use kernel::{
    prelude::*,
    str::CString,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// `CRYPTO_ALG_ALLOCATES_MEMORY`: dm-crypt refuses implementations that allocate per request.
const CRYPTO_ALG_ALLOCATES_MEMORY: u32 = 0x0001_0000;
/// `MIN_IOS`: the reserve of every pool.
const MIN_IOS: u32 = 64;
/// `BIO_MAX_VECS`: the most pages in one bio, and the page pool's reserve.
pub(super) const BIO_MAX_VECS: u32 = 256;

/// Ids that keep the workqueue names of two devices apart, as dm-crypt's `workqueue_ida`.
static WORKQUEUE_ID: Atomic<u32> = Atomic::new(0);

/// One `crypt` target instance (`struct crypt_config`).
#[pin_data]
pub(crate) struct CryptConfig {
    /// The cipher argument, verbatim (echoed by `status`).
    cipher_string: KVec<u8>,
    /// The key (`cc->key`); zeroed when it came from a keyring.
    key: SecretBuf,
    /// `<type>:<description>` of a keyring key (`cc->key_string`).
    key_string: Option<KVec<u8>>,
    /// One transform per key part (`tfms_count`), selected by sector.
    pub(super) tfms: KVec<Tfm>,
    /// Whether the cipher may complete asynchronously; only a synchronous one is run inline
    /// (`no_read_workqueue`, `no_write_workqueue`), where one request serves a whole bio.
    pub(super) async_cipher: bool,
    pub(super) iv: IvChoice,
    pub(super) iv_offset: u64,
    pub(super) features: FeatureArgs,
    pub(super) dev: Device,
    /// The first sector on the device (`cc->start`).
    pub(super) start: u64,
    /// Cipher requests: one per sector in flight.
    #[pin]
    pub(super) req_pool: RequestPool<IoReq<CryptIo>>,
    /// Clones for reads, bios (with their pages) for encrypted writes.
    #[pin]
    pub(super) bs: BioSet,
    /// Write fragments beyond the first.
    #[pin]
    pub(super) fragments: IoPool<CryptIo>,
    /// `kcryptd_io`: read submission when `map` could not clone without blocking, and write
    /// submission after asynchronous encryption (never from interrupt context).
    pub(super) io_queue: OwnedQueue,
    /// `kcryptd`: encryption and decryption, in process context.
    pub(super) crypt_queue: OwnedQueue,
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
    key_string: Option<KVec<u8>>,
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
        let set = set.inspect(|key_string| {
            // A keyring key lives on in the transforms only.
            if key_string.is_some() {
                key.wipe();
            }
        });
        if args.get(1).is_some_and(|k| !k.is_empty()) {
            args.wipe(1, b'0');
        }
        let key_string = set.map_err(|e| CtrError::new(c"Error decoding and setting key", e))?;

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
            key_string,
        })
    }

    /// `crypt_set_key`: the key into `key` and the transforms. Returns the key string of a
    /// keyring key.
    fn set_key(
        args: &dm::Args,
        key: &mut SecretBuf,
        tfms: &[Tfm],
        iv: &IvChoice,
        tfms_count: u32,
    ) -> Result<Option<KVec<u8>>> {
        let arg = args.get(1).unwrap_or_default();
        let (key_size, form) = table::key_size(arg).map_err(|_| EINVAL)?;
        if key_size == 0 && arg != b"-" {
            return Err(EINVAL);
        }
        let mut key_string = None;
        match form {
            KeyArg::Keyring(spec) => {
                // `spec` is `<type>:<description>`, the tail of the NUL-terminated argument.
                let full = args.get_c_str(1).ok_or(EINVAL)?.to_bytes_with_nul();
                let desc_c = &full[full.len() - 1 - spec.len()..];
                key_string = Some(Self::read_keyring_key(spec, desc_c, key.as_mut_slice())?);
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
        result.map(|()| key_string)
    }

    /// `crypt_set_keyring_key`: reads key `<type>:<description>` into `out`. `spec_c` is
    /// `spec` with its NUL.
    fn read_keyring_key(spec: &[u8], spec_c: &[u8], out: &mut [u8]) -> Result<KVec<u8>> {
        if spec.iter().any(|c| c.is_ascii_whitespace() || *c == 0x0b) {
            pr_err!("whitespace chars not allowed in key string\n");
            return Err(EINVAL);
        }
        let colon = spec.iter().position(|&c| c == b':').ok_or(EINVAL)?;
        if colon == 0 || colon + 1 == spec.len() {
            return Err(EINVAL);
        }
        let ty = match &spec[..colon] {
            b"logon" => KeyType::Logon,
            b"user" => KeyType::User,
            _ => {
                pr_warn!("only logon and user keys are implemented yet\n");
                return Err(EINVAL);
            }
        };
        let desc = CStr::from_bytes_with_nul(&spec_c[colon + 1..]).map_err(|_| EINVAL)?;
        let mut key_string = KVec::new();
        key_string.extend_from_slice(spec, GFP_KERNEL)?;
        read_user_key(ty, desc, out)?;
        Ok(key_string)
    }

    /// The workqueues (`kcryptd_io-<dev>-<id>`, `kcryptd-<dev>-<id>`) with dm-crypt's flags.
    fn queues(
        target: &Target,
        features: &FeatureArgs,
    ) -> Result<(OwnedQueue, OwnedQueue), CtrError> {
        let id = WORKQUEUE_ID.fetch_add(1, Relaxed) + 1;
        let mut common = WqFlags::MEM_RECLAIM.with(WqFlags::SYSFS);
        if features.high_priority {
            common = common.with(WqFlags::HIGHPRI);
        }
        let dev = target.device_name();
        let io_err = CtrError::new(c"Couldn't create kcryptd io queue", ENOMEM);
        let name = CString::try_from_fmt(format_args!(
            "kcryptd_io-{}-{}",
            dev.to_str().unwrap_or("?"),
            id
        ))
        .map_err(|_| io_err)?;
        let io_queue =
            OwnedQueue::new(&name, common.with(WqFlags::PERCPU), 1).map_err(|_| io_err)?;

        let crypt_err = CtrError::new(c"Couldn't create kcryptd queue", ENOMEM);
        let name = CString::try_from_fmt(format_args!(
            "kcryptd-{}-{}",
            dev.to_str().unwrap_or("?"),
            id
        ))
        .map_err(|_| crypt_err)?;
        let crypt_queue = if features.same_cpu_crypt {
            OwnedQueue::new(
                &name,
                common.with(WqFlags::CPU_INTENSIVE).with(WqFlags::PERCPU),
                1,
            )
        } else {
            OwnedQueue::new(
                &name,
                common.with(WqFlags::UNBOUND),
                num_online_cpus() as i32,
            )
        }
        .map_err(|_| crypt_err)?;
        Ok((io_queue, crypt_queue))
    }

    /// The size (in bytes) a bio is split to (`get_max_request_sectors`, in bytes).
    pub(super) fn max_request_bytes(&self, write: bool) -> u32 {
        const DEFAULT: u32 = 128 * 1024;
        let param = if write {
            params::max_write_size()
        } else {
            params::max_read_size()
        };
        let mut val = if param == 0 {
            DEFAULT
        } else {
            param.min(DEFAULT)
        };
        if write {
            val = val.min(BIO_MAX_VECS * kernel::page::PAGE_SIZE as u32);
        }
        let align = self
            .dev
            .bdev()
            .logical_block_size()
            .max(self.features.sector_size);
        let rounded = val - val % align;
        if rounded == 0 {
            align
        } else {
            rounded
        }
    }
}

#[vtable]
impl dm::Operations for CryptConfig {
    type Io = CryptIo;

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
        let req_pool = RequestPool::new(MIN_IOS, &cipher.tfms[0])
            .map_err(|e| CtrError::new(c"Cannot allocate crypt request mempool", e))?;

        let iv_offset =
            table::parse_iv_offset(args.get(2).unwrap_or_default(), features.sector_size)
                .map_err(error)?;
        let path = args.get_c_str(3).unwrap_or(c"");
        let dev =
            Device::get(target, path).map_err(|e| CtrError::new(c"Device lookup failed", e))?;
        let start = table::parse_start(args.get(4).unwrap_or_default()).map_err(error)?;
        if dev.bdev().is_zoned() {
            pr_warn!("zoned devices are not supported yet\n");
            return Err(CtrError::inval(c"Device lookup failed"));
        }
        if features.integrity.is_some() || cipher.iv.integrity_iv_size > 0 {
            pr_warn!("integrity options are not implemented yet\n");
            return Err(CtrError::inval(c"Integrity profile not supported."));
        }

        let (io_queue, crypt_queue) = Self::queues(target, &features)?;

        target.set_num_flush_bios(1);
        if features.allow_discards {
            target.set_num_discard_bios(1);
        }
        target.set_limit_swap_bios();
        target.set_accounts_remapped_io();

        KBox::pin_init(
            try_pin_init!(Self {
                cipher_string: cipher.cipher_string,
                key,
                key_string: cipher.key_string,
                async_cipher: cipher.tfms.iter().any(Tfm::is_async),
                tfms: cipher.tfms,
                iv: cipher.iv,
                iv_offset,
                features,
                dev,
                start,
                req_pool <- req_pool,
                bs <- BioSet::new(MIN_IOS, BIO_MAX_VECS),
                fragments <- IoPool::new(MIN_IOS),
                io_queue,
                crypt_queue,
            }),
            GFP_KERNEL,
        )
        .map_err(|e| CtrError::new(c"Cannot allocate crypt bioset", e))
    }

    fn map(&self, target: &Target, bio: MapBio<'_, Self>) -> MapResult {
        super::io::map(self, target, bio)
    }

    fn status(&self, _target: &Target, ty: StatusType, out: &mut StatusWriter) {
        let _ = match ty {
            StatusType::Info => Ok(()),
            StatusType::Table => self.status_table(out),
            StatusType::Ima => self.status_ima(out),
        };
    }

    fn iterate_devices(&self, target: &Target, visitor: &mut DeviceVisitor) -> c_int {
        visitor.visit(&self.dev, self.start, target.len())
    }

    fn io_hints(&self, _target: &Target, limits: &mut QueueLimits<'_>) {
        limits.stack_block_size(self.features.sector_size);
        let lbs = limits.logical_block_size();
        limits.set_dma_alignment(lbs - 1);
        limits.cap_atomic_write(BIO_MAX_VECS * kernel::page::PAGE_SIZE as u32);
    }
}

impl CryptConfig {
    /// `STATUSTYPE_TABLE`: the table line as upstream prints it.
    fn status_table(&self, w: &mut StatusWriter) -> core::fmt::Result {
        write!(w, "{} ", table::Bytes(&self.cipher_string))?;
        if let Some(ks) = &self.key_string {
            write!(w, ":{}:{}", self.key.as_slice().len(), table::Bytes(ks))?;
        } else if self.key.as_slice().is_empty() {
            w.write_char('-')?;
        } else {
            for b in self.key.as_slice() {
                write!(w, "{b:02x}")?;
            }
        }
        write!(
            w,
            " {} {} {}",
            self.iv_offset,
            self.dev.name().to_str().unwrap_or("?"),
            self.start
        )?;
        let f = &self.features;
        let flags = [
            (f.allow_discards, "allow_discards"),
            (f.same_cpu_crypt, "same_cpu_crypt"),
            (f.high_priority, "high_priority"),
            (f.submit_from_crypt_cpus, "submit_from_crypt_cpus"),
            (f.no_read_workqueue, "no_read_workqueue"),
            (f.no_write_workqueue, "no_write_workqueue"),
        ];
        let count = flags.iter().filter(|(on, _)| *on).count()
            + usize::from(f.sector_size != 512)
            + usize::from(f.iv_large_sectors);
        if count > 0 {
            write!(w, " {count}")?;
            for (_, name) in flags.iter().filter(|(on, _)| *on) {
                write!(w, " {name}")?;
            }
            if f.sector_size != 512 {
                write!(w, " sector_size:{}", f.sector_size)?;
            }
            if f.iv_large_sectors {
                w.write_str(" iv_large_sectors")?;
            }
        }
        Ok(())
    }

    /// `STATUSTYPE_IMA`: the measurement string (no key material).
    fn status_ima(&self, w: &mut StatusWriter) -> core::fmt::Result {
        let yn = |b: bool| if b { 'y' } else { 'n' };
        let f = &self.features;
        write!(
            w,
            "target_name={},target_version=1.29.0,allow_discards={},same_cpu_crypt={},\
             high_priority={},submit_from_crypt_cpus={},no_read_workqueue={},\
             no_write_workqueue={},iv_large_sectors={}",
            params::target_name().to_str().unwrap_or("crypt"),
            yn(f.allow_discards),
            yn(f.same_cpu_crypt),
            yn(f.high_priority),
            yn(f.submit_from_crypt_cpus),
            yn(f.no_read_workqueue),
            yn(f.no_write_workqueue),
            yn(f.iv_large_sectors),
        )?;
        if f.sector_size != 512 {
            write!(w, ",sector_size={}", f.sector_size)?;
        }
        write!(
            w,
            ",cipher_string={},key_size={},key_parts={},key_extra_size={},key_mac_size=0;",
            table::Bytes(&self.cipher_string),
            self.key.as_slice().len(),
            self.iv.layout.key_parts,
            self.iv.layout.key_extra_size,
        )
    }
}
