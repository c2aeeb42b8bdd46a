// SPDX-License-Identifier: GPL-2.0

//! The per-target configuration (`struct crypt_config`): its constructor (`crypt_ctr`),
//! status, limits and devices.

use super::{
    cipher::{
        self,
        error,
        Ciphers,
        Keying, //
    },
    clients::{
        Client,
        PAGES_PER_CLIENT, //
    },
    integrity::IntegrityLayout,
    io::CryptIo,
    iv::IvChoice,
    iv_gen::IvGen,
    key::CryptKey,
    multi_du::{
        Backend,
        Choice,
        Mode, //
    },
    table::{
        self,
        FeatureArgs, //
    },
};
use crate::{
    bio::BioSet,
    crypto::{
        aes_xts::AesXtsKey,
        request::RequestPool,
        skcipher::Tfm, //
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
        ReportZones,
        StatusType,
        StatusWriter,
        Target,
        WriteThread, //
    },
    mempool::{
        self,
        Mempool, //
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
    new_mutex,
    prelude::*,
    str::CString,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Mutex,
    },
};

/// `MIN_IOS`: the reserve of every pool.
const MIN_IOS: u32 = 64;
/// `BIO_MAX_VECS`: the most pages in one bio, and the page pool's reserve.
pub(super) const BIO_MAX_VECS: u32 = 256;

/// Ids that keep the workqueue names of two devices apart, as dm-crypt's `workqueue_ida`.
static WORKQUEUE_ID: Atomic<u32> = Atomic::new(0);

/// What the control path (messages, suspend and resume, status) changes and reads.
pub(super) struct Control {
    /// The key (`cc->key`, `cc->key_string`, `DM_CRYPT_KEY_VALID`).
    pub(super) key: CryptKey,
    /// `DM_CRYPT_SUSPENDED`: keys may change only while it is set.
    pub(super) suspended: bool,
}

/// One `crypt` target instance (`struct crypt_config`).
#[pin_data]
pub(crate) struct CryptConfig {
    /// The cipher argument, verbatim (echoed by `status`).
    cipher_string: KVec<u8>,
    /// The key and the suspend state, behind a mutex: `key set` and `key wipe` change the key
    /// while the device is suspended (no I/O in flight), status reads it.
    #[pin]
    pub(super) control: Mutex<Control>,
    /// The key size in bytes (`cc->key_size`); `key set` cannot change it.
    key_size: usize,
    /// The transforms.
    pub(super) ciphers: Ciphers,
    /// The multi-data-unit path's AES-XTS library key, if the table takes that backend.
    pub(super) xts_lib: Option<AesXtsKey>,
    /// The multi-data-unit path's crypto API backend: the one transform takes the sectors of
    /// a conversion as data units, in one request.
    pub(super) units_api: bool,
    /// `key_mac_size` (the MAC key of an `authenc(...)` AEAD, or `integrity_key_size`).
    key_mac_size: u32,
    /// Whether the cipher may complete asynchronously; only a synchronous one is run inline
    /// (`no_read_workqueue`, `no_write_workqueue`), where one request serves a whole bio.
    pub(super) async_cipher: bool,
    pub(super) iv: IvChoice,
    /// The IV generator (`iv_gen_ops`), `None` without an IV.
    pub(super) iv_gen: Option<IvGen>,
    pub(super) iv_offset: u64,
    pub(super) features: FeatureArgs,
    /// The integrity metadata per sector, if the table keeps any.
    pub(super) integrity: IntegrityLayout,
    /// Writes are encrypted and submitted in the submitter's context, waiting for an
    /// asynchronous cipher (`DM_CRYPT_WRITE_INLINE`, on zoned devices).
    pub(super) write_inline: bool,
    pub(super) dev: Device,
    /// The first sector on the device (`cc->start`).
    pub(super) start: u64,
    /// Cipher requests: one per sector in flight.
    #[pin]
    pub(super) req_pool: RequestPool<IoReq<CryptIo>>,
    /// Clones for reads, bios (with their pages) for encrypted writes; the pages count
    /// against this device's share of memory (`client`).
    #[pin]
    pub(super) bs: BioSet,
    /// This device in the count that shares out memory for write buffers.
    client: Client,
    /// Write fragments beyond the first.
    #[pin]
    pub(super) fragments: IoPool<CryptIo>,
    /// Tag buffers for bios whose metadata kmalloc cannot give at once (`tag_pool`); empty
    /// without integrity metadata.
    #[pin]
    pub(super) tag_pool: Mempool,
    /// Serialises the private buffers of integrity rechecks, so that two of them never wait
    /// for each other's pool pages (upstream's `bio_alloc_lock`).
    #[pin]
    pub(super) recheck_lock: Mutex<()>,
    /// `kcryptd_io`: read submission when `map` could not clone without blocking, and write
    /// submission after asynchronous encryption (never from interrupt context).
    pub(super) io_queue: OwnedQueue,
    /// `kcryptd`: encryption and decryption, in process context.
    pub(super) crypt_queue: OwnedQueue,
    /// `dmcrypt_write`: submits encrypted writes in sector order, batched, unless the table
    /// asks for direct submission (`submit_from_crypt_cpus`, `no_write_workqueue`).
    #[pin]
    pub(super) write_thread: WriteThread<CryptIo>,
}

impl CryptConfig {
    /// How the key splits over the transforms.
    pub(super) fn keying(&self) -> Keying<'_> {
        cipher::keying(
            &self.ciphers,
            self.xts_lib.as_ref(),
            &self.iv,
            self.key_size,
            self.key_mac_size,
            &self.features,
        )
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

    /// The size (in bytes) a bio is split to (`get_max_request_sectors`, in bytes); for a
    /// bio that must not be split (`no_split`), the most it may hold.
    pub(super) fn max_request_bytes(&self, write: bool, no_split: bool) -> u32 {
        const DEFAULT: u32 = 128 * 1024;
        let param = if write {
            params::max_write_size()
        } else {
            params::max_read_size()
        };
        let mut val = if no_split {
            u32::MAX
        } else if param == 0 {
            DEFAULT
        } else {
            param.min(DEFAULT)
        };
        // Writes and all I/O with integrity metadata fit one bio of private pages.
        if write || self.features.integrity.is_some() {
            val = val.min(BIO_MAX_VECS * kernel::page::PAGE_SIZE as u32);
        }
        let align = self
            .dev
            .bdev()
            .logical_block_size()
            .max(self.features.sector_size);
        // Block and sector sizes are powers of two.
        let rounded = val & !(align - 1);
        if rounded == 0 {
            align
        } else {
            rounded
        }
    }
}

/// Says which path a new device's I/O takes, and why the other was not taken.
fn multi_du_log(target: &Target, (mode, path): (Mode, Choice), ciphers: &Ciphers, ss: u32) {
    let dev = target.device_name().to_str().unwrap_or("?");
    match path {
        Choice::MultiDataUnit(Backend::Api) => pr_info!(
            "{dev}: multi-data-unit path, crypto API backend ({}, data units of {ss} bytes) \
             (multi_data_unit={})\n",
            ciphers
                .any_skcipher()
                .map_or("?", |t| t.driver_name().to_str().unwrap_or("?")),
            mode.name()
        ),
        Choice::MultiDataUnit(Backend::Lib) => {
            let why_not_api = if !Tfm::kernel_has_data_units() {
                "no data-unit support in the crypto API of this kernel"
            } else if mode == Mode::Lib {
                "the crypto API backend was not asked for"
            } else {
                "the cipher's implementation in the crypto API takes no data units"
            };
            pr_info!(
                "{dev}: multi-data-unit path, AES-XTS library backend (multi_data_unit={}; \
                 {why_not_api})\n",
                mode.name()
            )
        }
        Choice::PerSector(why) => pr_info!(
            "{dev}: per-sector path (multi_data_unit={}): {why}\n",
            mode.name()
        ),
    }
}

#[vtable]
impl dm::Operations for CryptConfig {
    type Io = CryptIo;

    fn audit_prefix() -> Option<&'static CStr> {
        // `DM_MSG_PREFIX`, whatever name the target is registered under.
        Some(c"crypt")
    }

    fn ctr(target: &mut Target, args: &mut dm::Args) -> Result<Pin<KBox<Self>>, CtrError> {
        // Failures before the target has any state are not audited (upstream returns before
        // `cc` exists).
        if args.len() < 5 {
            return Err(CtrError::inval(c"Not enough arguments").unaudited());
        }
        let (key_size, _) =
            table::key_size(args.get(1).unwrap_or_default()).map_err(|e| error(e).unaudited())?;
        let mut key = CryptKey::new(key_size).map_err(|_| {
            CtrError::new(c"Cannot allocate encryption context", ENOMEM).unaudited()
        })?;

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

        let cipher = cipher::ctr_cipher(args, &features, &mut key)?;
        let crypto_path = cipher.path;
        let layout = cipher.ciphers.request_layout();
        let request_size = RequestPool::<IoReq<CryptIo>>::element_size(layout);
        let req_pool = RequestPool::new(MIN_IOS, layout)
            .map_err(|e| CtrError::new(c"Cannot allocate crypt request mempool", e))?;

        let iv_offset =
            table::parse_iv_offset(args.get(2).unwrap_or_default(), features.sector_size)
                .map_err(error)?;
        let path = args.get_c_str(3).unwrap_or(c"");
        let dev =
            Device::get(target, path).map_err(|e| CtrError::new(c"Device lookup failed", e))?;
        let start = table::parse_start(args.get(4).unwrap_or_default()).map_err(error)?;
        // Zoned devices need the issuer's write order: no write queue, writes encrypted in
        // the submitter's context (`DM_CRYPT_WRITE_INLINE`). Zone appends all name a zone's
        // start, which would give their sectors the wrong IVs: dm core makes them writes.
        let write_inline = dev.bdev().is_zoned();
        if write_inline {
            features.no_write_workqueue = true;
            pr_debug!("Zone append operations will be emulated\n");
            target.set_emulate_zone_append();
        }
        let integrity = IntegrityLayout::new(&dev, &features, &cipher)?;
        let tag_pool = Mempool::new_kmalloc(
            if integrity.tuple_size > 0 { MIN_IOS } else { 0 },
            integrity.pool_bytes().max(1),
        );

        let (io_queue, crypt_queue) = Self::queues(target, &features)?;

        target.set_num_flush_bios(1);
        if features.allow_discards {
            target.set_num_discard_bios(1);
        }
        target.set_limit_swap_bios();
        target.set_accounts_remapped_io();

        let this = KBox::pin_init(
            try_pin_init!(Self {
                cipher_string: cipher.cipher_string,
                control <- new_mutex!(Control {
                    key,
                    suspended: false,
                }),
                key_size,
                async_cipher: cipher.ciphers.is_async(),
                ciphers: cipher.ciphers,
                xts_lib: cipher.xts_lib,
                units_api: crypto_path.1 == Choice::MultiDataUnit(Backend::Api),
                key_mac_size: cipher.key_mac_size,
                iv: cipher.iv,
                iv_gen: cipher.iv_gen,
                iv_offset,
                features,
                integrity,
                write_inline,
                dev,
                start,
                req_pool <- req_pool,
                client: Client::register(mempool::total_ram_pages()),
                bs <- BioSet::new(MIN_IOS, BIO_MAX_VECS, &PAGES_PER_CLIENT),
                fragments <- IoPool::new(MIN_IOS, request_size),
                tag_pool <- tag_pool,
                recheck_lock <- new_mutex!(()),
                io_queue,
                crypt_queue,
                write_thread <- WriteThread::new(),
            }),
            GFP_KERNEL,
        )
        .map_err(|e| CtrError::new(c"Cannot allocate crypt bioset", e))?;

        let spawn_err = |e| CtrError::new(c"Couldn't spawn write thread", e);
        let name = CString::try_from_fmt(format_args!(
            "dmcrypt_write/{}",
            target.device_name().to_str().unwrap_or("?")
        ))
        .map_err(|_| spawn_err(ENOMEM))?;
        let mut this = this;
        let high_priority = this.features.high_priority;
        this.as_mut()
            .project()
            .write_thread
            .into_ref()
            .start(&name, high_priority)
            .map_err(spawn_err)?;
        multi_du_log(
            target,
            crypto_path,
            &this.ciphers,
            this.features.sector_size,
        );
        Ok(this)
    }

    #[inline]
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

    fn report_zones(&self, target: &Target, args: &mut ReportZones, nr_zones: u32) -> c_int {
        let sector = self.start + (args.next_sector() - target.begin());
        self.dev.report_zones(self.start, sector, args, nr_zones)
    }

    fn io_hints(&self, target: &Target, limits: &mut QueueLimits<'_>) {
        limits.stack_block_size(self.features.sector_size);
        let lbs = limits.logical_block_size();
        limits.set_dma_alignment(lbs - 1);
        // Zoned writes are never split here: dm core must keep them within one bio of
        // private pages.
        if target.emulates_zone_append() {
            limits.cap_max_hw_sectors(BIO_MAX_VECS << (kernel::page::PAGE_SHIFT - 9));
        }
        limits.cap_atomic_write(BIO_MAX_VECS * kernel::page::PAGE_SIZE as u32);
    }

    fn message(&self, _target: &Target, args: &mut dm::Args) -> Result {
        super::message::message(self, args)
    }

    fn postsuspend(&self, _target: &Target) {
        self.control.lock().suspended = true;
    }

    fn preresume(&self, _target: &Target) -> Result {
        if !self.control.lock().key.is_valid() {
            pr_err!("aborting resume - crypt key is not set.\n");
            return Err(EAGAIN);
        }
        Ok(())
    }

    fn resume(&self, _target: &Target) {
        self.control.lock().suspended = false;
    }
}

impl CryptConfig {
    /// `STATUSTYPE_TABLE`: the table line as upstream prints it.
    fn status_table(&self, w: &mut StatusWriter) -> core::fmt::Result {
        write!(w, "{} ", table::Bytes(&self.cipher_string))?;
        self.control.lock().key.status(w)?;
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
            + usize::from(f.integrity.is_some())
            + usize::from(f.sector_size != 512)
            + usize::from(f.iv_large_sectors)
            + usize::from(f.integrity_key_size.is_some());
        if count > 0 {
            write!(w, " {count}")?;
            for (_, name) in flags.iter().filter(|(on, _)| *on) {
                write!(w, " {name}")?;
            }
            if let Some(i) = &f.integrity {
                write!(
                    w,
                    " integrity:{}:{}",
                    i.tag_size,
                    table::Bytes(&i.type_as_given)
                )?;
            }
            if f.sector_size != 512 {
                write!(w, " sector_size:{}", f.sector_size)?;
            }
            if f.iv_large_sectors {
                w.write_str(" iv_large_sectors")?;
            }
            if let Some(n) = f.integrity_key_size {
                write!(w, " integrity_key_size:{n}")?;
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
        if let Some(i) = &f.integrity {
            write!(
                w,
                ",integrity_tag_size={},cipher_auth={}",
                i.tag_size,
                table::Bytes(&i.type_as_given)
            )?;
        }
        if f.sector_size != 512 {
            write!(w, ",sector_size={}", f.sector_size)?;
        }
        write!(
            w,
            ",cipher_string={},key_size={},key_parts={},key_extra_size={},key_mac_size={};",
            table::Bytes(&self.cipher_string),
            self.key_size,
            self.iv.layout.key_parts,
            self.iv.layout.key_extra_size,
            self.key_mac_size,
        )
    }
}
