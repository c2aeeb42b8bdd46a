// SPDX-License-Identifier: GPL-2.0

//! The I/O path: `map`, reads, writes, and the integrity recheck.
//!
//! - Flushes and discards are remapped to the device and go on without crypto.
//! - Reads go to the device from `map` in the bio dm core handed over, lent for the purpose
//!   (no clone to allocate, as dm-verity does it); with integrity metadata, which needs a
//!   payload of the target's own, in a clone (sharing the caller's pages), from the
//!   `kcryptd_io` queue when a clone cannot be had without blocking. On completion they are
//!   decrypted in place on the `kcryptd` queue.
//! - Writes are encrypted on the `kcryptd` queue into private pages and handed to the sorted
//!   write thread; a write whose pages cannot all be had at once is done in fragments, each
//!   an I/O of its own with its own pages and crypto state, holding a reference on the base
//!   I/O. Completion callbacks never submit I/O.
//! - With integrity metadata, every bio has a tag buffer (kmalloc'ed in `map`, or from the tag
//!   pool on `kcryptd_io`), attached to the bios sent to the device. A read whose AEAD check
//!   failed is read again into a private buffer and decrypted there, so that a caller changing
//!   its buffer during the read cannot cause a false integrity error (upstream's recheck).
//!
//! The sector-by-sector conversion is in [`super::convert`].

use super::{
    buffer::{
        alloc_buffer,
        Wait,
        FIRST_ORDER, //
    },
    config::{
        CryptConfig,
        BIO_MAX_VECS, //
    },
    convert::convert,
    iv_gen::IvGen,
};
use crate::{
    bio::{
        BlkStatus,
        BvecIter,
        OwnedBio, //
    },
    context::Context,
    crypto::request::RequestPool,
    dm::{
        self,
        Io,
        IoOps,
        IoReq,
        MapBio,
        MapResult,
        SectorData,
        SortedSubmit,
        Target, //
    },
    gfp::Gfp,
    integrity::TagBuf,
    params,
};
use kernel::{
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Full,
            Relaxed, //
        },
        SetOnce,
    },
    workqueue::Queue,
};

/// What the I/O's work item does next.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(super) enum Phase {
    /// Being read from the device; run: submit the read clone (`kcryptd_io`, after a failed
    /// non-blocking clone in `map`).
    ReadSubmit = 0,
    /// Decrypt the read data in place (`kcryptd`).
    ReadDecrypt = 1,
    /// Encrypt the write, fragment by fragment (`kcryptd`).
    WriteEncrypt = 2,
    /// Submit the encrypted write (`kcryptd_io`, after asynchronous encryption).
    WriteSubmit = 3,
    /// Take a tag buffer from the pool, waiting for one (`kcryptd_io`), then go on.
    Tags = 4,
    /// Read the data again into a private buffer (`kcryptd_io`; the AEAD recheck).
    RecheckSubmit = 5,
    /// Decrypt the private buffer and copy it to the caller's (`kcryptd`).
    RecheckDecrypt = 6,
}

/// The state of one unit of I/O (`struct dm_crypt_io`): a whole bio, or a write fragment.
pub(crate) struct CryptIo {
    /// Target-relative sector (512 bytes) of the unit's first byte.
    pub(super) sector: u64,
    /// The part of the base bio the unit covers.
    pub(super) iter: BvecIter,
    /// Requests of the current conversion not finished yet (all are counted before the first
    /// is issued), plus one while they are being issued (`cc_pending`).
    pub(super) pending: Atomic<u32>,
    /// The first error (a raw [`BlkStatus`]); kept on the base I/O.
    error: Atomic<u32>,
    phase: Atomic<u32>,
    /// A request failed its AEAD check (`aead_failed`); kept on the base I/O.
    aead_failed: Atomic<u32>,
    /// This is the second read of a bio (`aead_recheck`).
    aead_recheck: Atomic<u32>,
    /// Where the recheck buffer's data starts, to decrypt it after the read consumed its
    /// position (`saved_bi_iter`).
    recheck_iter: SetOnce<BvecIter>,
}

impl CryptIo {
    /// The state of a unit at `sector`, covering `iter`, in `phase`: built where it goes.
    fn new(sector: u64, iter: BvecIter, phase: Phase) -> impl Init<Self> {
        init!(Self {
            sector,
            iter,
            pending: Atomic::new(0),
            error: Atomic::new(u32::from(BlkStatus::OK.to_raw())),
            phase: Atomic::new(phase as u32),
            aead_failed: Atomic::new(0),
            aead_recheck: Atomic::new(0),
            recheck_iter: SetOnce::new(),
        })
    }

    pub(super) fn phase(&self) -> Phase {
        match self.phase.load(Relaxed) {
            0 => Phase::ReadSubmit,
            1 => Phase::ReadDecrypt,
            2 => Phase::WriteEncrypt,
            3 => Phase::WriteSubmit,
            4 => Phase::Tags,
            5 => Phase::RecheckSubmit,
            _ => Phase::RecheckDecrypt,
        }
    }

    fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u32, Relaxed);
    }

    /// Whether this is the second read of a bio.
    pub(super) fn is_recheck(&self) -> bool {
        self.aead_recheck.load(Relaxed) != 0
    }
}

/// Records `status` as the bio's error unless an earlier one is kept.
pub(super) fn set_error(io: &ARef<Io<CryptIo>>, status: BlkStatus) {
    if status.is_ok() {
        return;
    }
    let base = io.base();
    let ok = u32::from(BlkStatus::OK.to_raw());
    let _ = base
        .data()
        .error
        .cmpxchg(ok, u32::from(status.to_raw()), Full);
}

/// A cipher request on the 512-byte sector `sector` (target-relative, without `iv_offset`)
/// failed with `e`: an AEAD check failure is a protection error, marks the bio for the
/// recheck, and is logged on the recheck; anything else is an I/O error.
pub(super) fn request_failed(io: &ARef<Io<CryptIo>>, e: Error, sector: u64) {
    if e != EBADMSG {
        set_error(io, BlkStatus::IOERR);
        return;
    }
    let base = io.base();
    base.data().aead_failed.store(1, Relaxed);
    if base.data().is_recheck() {
        // Only the second read's failure is reported (the first may be the caller changing
        // its buffer during the read).
        let bdev = io.config().dev.bdev();
        pr_err!("{}: INTEGRITY AEAD ERROR, sector {}\n", bdev.name(), sector);
        dm::audit_bio(c"crypt", c"integrity-aead", bdev, sector, false);
    }
    set_error(io, BlkStatus::PROTECTION);
}

impl IoOps for CryptIo {
    type Config = CryptConfig;

    fn run(io: ARef<Io<Self>>) {
        match io.data().phase() {
            Phase::ReadSubmit => submit_read(io, Gfp::NOIO),
            phase @ (Phase::ReadDecrypt | Phase::RecheckDecrypt) => convert(io, phase, Gfp::NOIO),
            Phase::WriteEncrypt => write_encrypt(io),
            Phase::WriteSubmit => submit_write(io),
            Phase::Tags => pool_tags(io),
            Phase::RecheckSubmit => recheck_submit(io),
        }
    }

    fn run_bh(io: ARef<Io<Self>>) {
        // Only decryption is queued there (`queue_crypt`).
        match io.data().phase() {
            phase @ (Phase::ReadDecrypt | Phase::RecheckDecrypt) => convert(io, phase, Gfp::ATOMIC),
            _ => {
                // A bug, not a reason to hang the bio.
                kernel::pr_warn_once!(
                    "dm-crypt-rs: an I/O queued in softirq context to do more than decrypt\n"
                );
                set_error(&io, BlkStatus::IOERR);
            }
        }
    }

    #[inline]
    fn end_io(io: ARef<Io<Self>>, mut bio: OwnedBio) {
        let status = bio.status();
        let phase = io.data().phase();
        if phase == Phase::RecheckSubmit && status.is_ok() {
            // Decrypt the private buffer from its start.
            if let Some(iter) = io.data().recheck_iter.copy() {
                bio.set_iter(iter);
            }
            if io.set_out_bio(bio).is_err() {
                set_error(&io, BlkStatus::IOERR);
                return;
            }
            io.data().set_phase(Phase::RecheckDecrypt);
            return queue_crypt(io, Phase::RecheckDecrypt);
        }
        // Dropping a write's bio gives its pages back to the pool.
        drop(bio);
        device_done(io, status, phase);
    }

    #[inline]
    fn lent_end_io(io: ARef<Io<Self>>, status: BlkStatus) {
        // A read without metadata, back from the device.
        device_done(io, status, Phase::ReadSubmit);
    }

    fn status(&self) -> BlkStatus {
        BlkStatus::from_raw(self.error.load(Relaxed) as u8)
    }

    fn request_pool(config: &CryptConfig) -> &RequestPool<IoReq<Self>> {
        &config.req_pool
    }

    #[inline]
    fn generate_iv(
        io: &Io<Self>,
        sector: u64,
        encrypt: bool,
        iv: &mut [u8],
        data: SectorData<'_>,
    ) -> Result {
        let cfg = io.config();
        let iv = &mut iv[..cfg.iv.iv_size as usize];
        // Without metadata, no IV mode (`ecb`, the null cipher) and the modes that need only
        // the sector (`plain64` and its kin) are kept inline: such a sector costs no call
        // (dm-crypt's `crypt_iv_plain64_gen` is a dozen instructions).
        if cfg.integrity.tuple_size == 0 {
            match &cfg.iv_gen {
                None => {
                    // No call to `memset` for a cipher without an IV.
                    if !iv.is_empty() {
                        iv.fill(0);
                    }
                    return Ok(());
                }
                Some(IvGen::Sector(mode)) => {
                    super::iv::generate(*mode, sector, iv);
                    return Ok(());
                }
                Some(_) => {}
            }
        }
        generate_iv(cfg, sector, encrypt, iv, data)
    }

    fn wants_post(io: &Io<Self>) -> bool {
        io.config().iv_gen.as_ref().is_some_and(IvGen::has_post)
    }

    fn post(io: &Io<Self>, sector: u64, encrypt: bool, dst: &mut [u8]) {
        let cfg = io.config();
        if let Some(gen) = &cfg.iv_gen {
            gen.post(cfg, sector, encrypt, dst);
        }
    }

    fn waits(config: &CryptConfig) -> bool {
        // Zoned writes wait for their asynchronous encryption (see `convert`).
        config.write_inline
    }

    fn crypt_done(io: ARef<Io<Self>>, result: Result, sector: u64) {
        if let Err(e) = result {
            request_failed(&io, e, aad_sector(io.config(), sector));
        }
        if io.data().pending.fetch_sub(1, Full) == 1 {
            if write_inline(&io) {
                // The submitter waits for this one (see `convert`).
                io.signal_done();
            } else {
                // The last request: hand the write on (never submit from here).
                let phase = io.data().phase();
                convert_done(io, phase, true);
            }
        }
    }
}

/// The device finished a bio of the unit `io`, in `phase`, with `status`: an error is kept for
/// the base bio; a read goes on to be decrypted.
#[inline]
fn device_done(io: ARef<Io<CryptIo>>, status: BlkStatus, phase: Phase) {
    if !status.is_ok() {
        set_error(&io, status);
        return;
    }
    if phase == Phase::ReadSubmit {
        io.data().set_phase(Phase::ReadDecrypt);
        queue_crypt(io, Phase::ReadDecrypt);
    }
}

/// The IV of a sector, and what the IV mode and the integrity metadata need done on a write
/// ([`IoOps::generate_iv`] of [`CryptIo`] beyond its inline case).
fn generate_iv(
    cfg: &CryptConfig,
    sector: u64,
    encrypt: bool,
    iv: &mut [u8],
    mut data: SectorData<'_>,
) -> Result {
    let md = cfg.integrity;
    let stored = md.tag_size as usize..(md.tag_size + md.iv_size) as usize;
    // Reads of IVs kept in the metadata take them from there.
    if md.iv_size > 0 && !encrypt {
        return data.metadata(|t| iv.copy_from_slice(&t[stored])).ok_or(EIO);
    }
    match &cfg.iv_gen {
        Some(gen) => gen.generate(cfg, sector, encrypt, iv, data.reborrow())?,
        None => iv.fill(0),
    }
    if encrypt && md.tuple_size > 0 {
        // Store the IV, and clear what the tuple does not use.
        data.metadata(|t| {
            if md.iv_size > 0 {
                t[stored.clone()].copy_from_slice(iv);
            }
            t[stored.end..].fill(0);
        });
    }
    Ok(())
}

/// Whether `io` is a write whose encryption and submission stay in the submitter's context
/// (`kcryptd_crypt_write_inline`): plain writes and writes of zeroes on zoned devices.
pub(super) fn write_inline(io: &Io<CryptIo>) -> bool {
    io.config().write_inline && io.base_bio().is_ordered_write()
}

/// The target-relative 512-byte sector of the IV sector `iv_sector` (what AEADs
/// authenticate, and integrity errors name).
pub(super) fn aad_sector(cfg: &CryptConfig, iv_sector: u64) -> u64 {
    let cc_sector = if cfg.features.iv_large_sectors {
        iv_sector << cfg.features.sector_shift()
    } else {
        iv_sector
    };
    cc_sector.wrapping_sub(cfg.iv_offset)
}

/// Queues the I/O's work on `which` of the target's workqueues.
pub(super) fn queue(io: ARef<Io<CryptIo>>, which: fn(&CryptConfig) -> &Queue) {
    if let Err(io) = Io::queue(io, which) {
        // Already queued: a bug, not a reason to hang the bio.
        set_error(&io, BlkStatus::IOERR);
    }
}

/// `kcryptd_queue_crypt`: the I/O's encryption or decryption goes to `kcryptd`, unless the
/// table asks for it inline (`no_write_workqueue`, `no_read_workqueue`) and the cipher is
/// synchronous. Inline work runs here and now, except in hard interrupt context or with
/// interrupts off (a completion run from the idle thread): reads then go to the system BH
/// workqueue, as upstream, and writes to `kcryptd`, since encryption allocates pages.
/// `phase` is the I/O's: [`Phase::WriteEncrypt`], or one of the read phases that decrypt.
#[inline]
fn queue_crypt(io: ARef<Io<CryptIo>>, phase: Phase) {
    let write = phase == Phase::WriteEncrypt;
    let cfg = io.config();
    if write && write_inline(&io) {
        // Zoned: encrypt and submit here, in the issuer's order, whatever the cipher.
        return write_encrypt(io);
    }
    let inline = !cfg.async_cipher
        && if write {
            cfg.features.no_write_workqueue
        } else {
            cfg.features.no_read_workqueue
        };
    if !inline {
        return queue(io, |cfg| cfg.crypt_queue.queue());
    }
    let ctx = Context::current();
    let atomic = ctx.in_hardirq() || ctx.irqs_disabled();
    // An IV generator that waits for a cipher request needs process context: kcryptd.
    let may_sleep = cfg.iv_gen.as_ref().is_some_and(IvGen::may_sleep);
    let defer = atomic || (may_sleep && ctx.in_interrupt());
    if !defer {
        // The phase is the one `run` would dispatch on: reads (and the recheck) decrypt,
        // writes encrypt.
        if write {
            write_encrypt(io);
        } else {
            read_decrypt(io, phase, ctx);
        }
    } else if !write && !may_sleep {
        if let Err(io) = Io::queue_bh(io) {
            // Already queued: a bug, not a reason to hang the bio.
            set_error(&io, BlkStatus::IOERR);
        }
    } else {
        queue(io, |cfg| cfg.crypt_queue.queue());
    }
}

/// `crypt_map`.
#[inline]
pub(super) fn map(
    cfg: &CryptConfig,
    target: &Target,
    mut bio: MapBio<'_, CryptConfig>,
) -> MapResult {
    let b = bio.bio();
    if b.is_preflush() || b.is_discard() {
        let sectors = b.size() >> 9;
        b.set_dev(cfg.dev.bdev());
        if sectors > 0 {
            let sector = cfg.start + (b.sector() - target.begin());
            b.set_sector(sector);
        }
        return MapResult::Remapped;
    }

    let write = b.is_write();
    if write && b.size() == 0 {
        // Zone management (reset, open, close, finish): no data, nothing to encrypt.
        let sector = cfg.start + (b.sector() - target.begin());
        b.set_dev(cfg.dev.bdev());
        b.set_sector(sector);
        return MapResult::Remapped;
    }
    // Zoned writes and atomic writes are never split (dm core would reissue the rest).
    let no_split = (target.emulates_zone_append() && write) || b.is_atomic();
    let max = cfg.max_request_bytes(write, no_split);
    if b.size() > max {
        if no_split {
            return MapResult::Kill;
        }
        bio.accept_partial(max >> 9);
    }
    let b = bio.bio();
    let ss = cfg.features.sector_size;
    if b.sector() & u64::from((ss >> 9) - 1) != 0 || b.size() & (ss - 1) != 0 {
        return MapResult::Kill;
    }

    // The tag buffer: kmalloc if it has one at once; else the bio is cut to what a pool
    // element holds, and the pool's if one is at hand, or `kcryptd_io` waits for one.
    let md = cfg.integrity;
    let mut tags = None;
    if md.tuple_size > 0 {
        let quick = Gfp::NOWAIT
            .with(Gfp::NORETRY)
            .with(Gfp::NOMEMALLOC)
            .with(Gfp::NOWARN);
        tags = TagBuf::alloc(md.tag_len(bio.bio().size(), ss), quick);
        if tags.is_none() {
            if bio.bio().size() >> 9 > md.pool_max_sectors {
                bio.accept_partial(md.pool_max_sectors);
            }
            tags = TagBuf::from_pool(&cfg.tag_pool, md.pool_bytes(), Gfp::NOWAIT);
        }
    }

    let b = bio.bio();
    let sector = b.sector() - target.begin();
    let iter = b.iter();
    let phase = if write {
        Phase::WriteEncrypt
    } else {
        Phase::ReadSubmit
    };
    if !write && md.tuple_size == 0 {
        // The bio itself goes to the device, and is decrypted in place when it comes back.
        let dev_sector = cfg.start + sector;
        let data = CryptIo::new(sector, iter, phase);
        bio.start_io_lent(cfg, data, cfg.dev.bdev(), dev_sector);
        return MapResult::Submitted;
    }
    let io = bio.start_io(cfg, CryptIo::new(sector, iter, phase));
    if md.tuple_size > 0 {
        let Some(tags) = tags else {
            io.data().set_phase(Phase::Tags);
            queue(io, |cfg| cfg.io_queue.queue());
            return MapResult::Submitted;
        };
        if !io.set_metadata(tags) {
            set_error(&io, BlkStatus::IOERR);
            return MapResult::Submitted;
        }
    }
    if write {
        queue_crypt(io, Phase::WriteEncrypt);
    } else {
        submit_read(io, Gfp::NOWAIT);
    }
    MapResult::Submitted
}

/// The tag buffer from the pool, waiting for one; then the bio goes on as from `map`.
fn pool_tags(io: ARef<Io<CryptIo>>) {
    let cfg = io.config();
    let tags = TagBuf::from_pool(&cfg.tag_pool, cfg.integrity.pool_bytes(), Gfp::NOIO);
    if !tags.is_some_and(|t| io.set_metadata(t)) {
        set_error(&io, BlkStatus::IOERR);
        return;
    }
    if io.base_bio().is_write() {
        io.data().set_phase(Phase::WriteEncrypt);
        queue_crypt(io, Phase::WriteEncrypt);
    } else {
        io.data().set_phase(Phase::ReadSubmit);
        submit_read(io, Gfp::NOIO);
    }
}

/// The metadata span (offset, length in the bio's tag buffer) of the unit `io`, if the table
/// keeps metadata.
#[inline]
fn metadata_span(io: &ARef<Io<CryptIo>>) -> Option<(usize, usize)> {
    let cfg = io.config();
    let md = cfg.integrity;
    if md.tuple_size == 0 {
        return None;
    }
    let ss = cfg.features.sector_size;
    let first = (io.data().sector - io.base().data().sector) << 9;
    Some((
        md.tag_len(first as u32, ss),
        md.tag_len(io.data().iter.size(), ss),
    ))
}

/// `kcryptd_io_read`: clones the base bio onto the device and submits the clone, with its
/// integrity metadata (a read without metadata lends the base bio itself, in `map`).
#[inline]
fn submit_read(io: ARef<Io<CryptIo>>, gfp: Gfp) {
    let cfg = io.config();
    let Some(mut clone) = cfg.bs.clone_bio(cfg.dev.bdev(), io.base_bio(), gfp) else {
        return read_retry(io, gfp);
    };
    clone.bio_mut().set_sector(cfg.start + io.data().sector);
    let span = metadata_span(&io);
    if let Err(io) = Io::submit(io, clone, span, gfp) {
        read_retry(io, gfp);
    }
}

/// A read's clone or integrity payload could not be had: `kcryptd_io` tries again, waiting
/// (`kcryptd_queue_read`), unless that was it.
fn read_retry(io: ARef<Io<CryptIo>>, gfp: Gfp) {
    if gfp.may_sleep() {
        set_error(&io, BlkStatus::RESOURCE);
    } else {
        queue(io, |cfg| cfg.io_queue.queue());
    }
}

/// `kcryptd_crypt_write_convert`: encrypts the write into private pages, in fragments of at
/// most the pages at hand (at least one), each submitted on its own.
fn write_encrypt(base: ARef<Io<CryptIo>>) {
    let cfg = base.config();
    let mut max_pages = BIO_MAX_VECS.min(cfg.dev.bdev().max_segments().max(1));
    let knob = params::max_fragment_pages();
    if knob > 0 {
        max_pages = max_pages.min(knob);
    }
    let mut iter = base.data().iter;
    let mut sector = base.data().sector;
    let mut first = true;
    let mut order = FIRST_ORDER;
    while iter.size() > 0 {
        let Some((mut bio, bytes)) = alloc_buffer(
            cfg,
            base.base_bio(),
            iter.size(),
            max_pages,
            Wait::First,
            &mut order,
        ) else {
            set_error(&base, BlkStatus::IOERR);
            return;
        };
        bio.bio_mut().set_sector(cfg.start + sector);
        if first && bytes == iter.size() {
            // The whole write in one go: the base I/O is the unit.
            if base.set_out_bio(bio).is_err() {
                set_error(&base, BlkStatus::IOERR);
                return;
            }
            return convert(base, Phase::WriteEncrypt, Gfp::NOIO);
        }
        let mut part = iter;
        part.truncate(bytes);
        let Some(unit) = Io::new_in(
            &base,
            &cfg.fragments,
            Gfp::NOIO,
            CryptIo::new(sector, part, Phase::WriteEncrypt),
        ) else {
            set_error(&base, BlkStatus::IOERR);
            return;
        };
        if unit.set_out_bio(bio).is_err() {
            set_error(&base, BlkStatus::IOERR);
            return;
        }
        convert(unit, Phase::WriteEncrypt, Gfp::NOIO);
        iter.advance(base.base_bio(), bytes);
        sector += u64::from(bytes >> 9);
        first = false;
    }
}

/// `kcryptd_crypt_read_convert`: decrypts a read in place (or the recheck buffer), the I/O
/// being in `phase`, in context `ctx` (the caller's, inline from `queue_crypt`; a queued read
/// runs `convert` itself, knowing its context); in interrupt context the request must come
/// without sleeping.
fn read_decrypt(io: ARef<Io<CryptIo>>, phase: Phase, ctx: Context) {
    let gfp = if ctx.in_interrupt() {
        Gfp::ATOMIC
    } else {
        Gfp::NOIO
    };
    convert(io, phase, gfp);
}

/// The unit's conversion in `phase` (the I/O's) finished. `from_callback`: in a crypto
/// completion, where no I/O may be submitted.
#[inline]
pub(super) fn convert_done(io: ARef<Io<CryptIo>>, phase: Phase, from_callback: bool) {
    match phase {
        Phase::ReadDecrypt | Phase::ReadSubmit => {
            if needs_recheck(&io) {
                start_recheck(io);
            }
            // Otherwise decrypted in place: dropping the reference completes the bio.
        }
        Phase::RecheckDecrypt => {
            // Only data that passed the check reaches the caller.
            if io.data().status().is_ok() && io.copy_out_to_base().is_err() {
                set_error(&io, BlkStatus::IOERR);
            }
        }
        Phase::WriteEncrypt | Phase::WriteSubmit => write_io_submit(io, from_callback),
        Phase::Tags | Phase::RecheckSubmit => {}
    }
}

/// Whether a read whose AEAD check failed gets its second read (`crypt_dec_pending`).
fn needs_recheck(io: &ARef<Io<CryptIo>>) -> bool {
    let d = io.data();
    io.config().features.integrity.is_some() && d.aead_failed.load(Relaxed) != 0 && !d.is_recheck()
}

/// Starts the second read of a bio whose AEAD check failed, with a clean slate.
fn start_recheck(io: ARef<Io<CryptIo>>) {
    let d = io.data();
    d.aead_failed.store(0, Relaxed);
    d.aead_recheck.store(1, Relaxed);
    d.error.store(u32::from(BlkStatus::OK.to_raw()), Relaxed);
    d.set_phase(Phase::RecheckSubmit);
    // The private buffer needs an allocation that may wait.
    queue(io, |cfg| cfg.io_queue.queue());
}

/// The recheck's read into a private buffer of the bio's size.
fn recheck_submit(io: ARef<Io<CryptIo>>) {
    let cfg = io.config();
    let size = io.data().iter.size();
    let mut order = FIRST_ORDER;
    let buffer = {
        let _serialised = cfg.recheck_lock.lock();
        alloc_buffer(
            cfg,
            io.base_bio(),
            size,
            BIO_MAX_VECS,
            Wait::All,
            &mut order,
        )
    };
    let Some((mut bio, _)) = buffer else {
        set_error(&io, BlkStatus::IOERR);
        return;
    };
    bio.bio_mut().set_sector(cfg.start + io.data().sector);
    io.data().recheck_iter.populate(bio.bio_mut().iter());
    let span = metadata_span(&io);
    if let Err(io) = Io::submit(io, bio, span, Gfp::NOIO) {
        set_error(&io, BlkStatus::IOERR);
    }
}

/// `kcryptd_crypt_write_io_submit`: an encrypted unit goes to the sorted write thread, or is
/// submitted right away where the table asks for that (`submit_from_crypt_cpus` after
/// synchronous encryption, `no_write_workqueue`). A completion callback never submits: with
/// `no_write_workqueue` it hands the unit to `kcryptd_io`.
fn write_io_submit(io: ARef<Io<CryptIo>>, from_callback: bool) {
    let f = &io.config().features;
    if f.no_write_workqueue {
        if from_callback {
            io.data().set_phase(Phase::WriteSubmit);
            queue(io, |cfg| cfg.io_queue.queue());
        } else {
            submit_write(io);
        }
    } else if f.submit_from_crypt_cpus && !from_callback {
        submit_write(io);
    } else {
        let keep = io.clone();
        keep.config().write_thread.push(io);
    }
}

impl SortedSubmit for CryptIo {
    fn sort_key(&self) -> u64 {
        self.sector
    }

    fn submit_sorted(io: ARef<Io<Self>>) {
        submit_write(io);
    }
}

/// `kcryptd_io_write`: submits the encrypted bio of a unit, with its integrity metadata.
fn submit_write(io: ARef<Io<CryptIo>>) {
    let Some(bio) = io.take_out_bio() else {
        set_error(&io, BlkStatus::IOERR);
        return;
    };
    let base_err = !io.base().data().status().is_ok();
    if base_err {
        // Do not write what failed to encrypt; the pages go back with the bio.
        drop(bio);
        return;
    }
    let span = metadata_span(&io);
    if let Err(io) = Io::submit(io, bio, span, Gfp::NOIO) {
        set_error(&io, BlkStatus::IOERR);
    }
}
