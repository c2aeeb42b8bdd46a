// SPDX-License-Identifier: GPL-2.0

//! The I/O path: `map`, reads, writes and the sector-by-sector conversion (`crypt_convert`).
//!
//! - Flushes and discards are remapped to the device and go on without crypto.
//! - Reads are cloned (sharing the caller's pages) and submitted from `map`, or from the
//!   `kcryptd_io` queue when a clone cannot be had without blocking. On completion they are
//!   decrypted in place on the `kcryptd` queue.
//! - Writes are encrypted on the `kcryptd` queue into pages of the bio set's page pool and
//!   submitted; a write whose pages cannot all be had at once is done in fragments, each an
//!   I/O of its own with its own pages and crypto state, holding a reference on the base I/O.
//!   Encryption completed asynchronously hands submission to `kcryptd_io`: completion
//!   callbacks never submit I/O.

use super::{
    config::{
        CryptConfig,
        BIO_MAX_VECS, //
    },
    iv_gen::IvGen,
};
use crate::{
    bio::{
        BlkStatus,
        BvecIter,
        OwnedBio, //
    },
    context,
    dm::{
        Crypted,
        Io,
        IoOps,
        IoReq,
        MapBio,
        MapResult,
        Place,
        RequestSlot,
        SectorData,
        SortedSubmit,
        Target,
        BH_WORK,
        WORK, //
    },
    gfp::Gfp,
    params,
};
use kernel::{
    page::PAGE_SIZE,
    prelude::*,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Full,
            Relaxed, //
        },
    },
    workqueue::{
        self,
        Queue, //
    },
};

/// What the I/O's work item does next.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Phase {
    /// Submit the read clone (`kcryptd_io`, after a failed non-blocking clone in `map`).
    ReadSubmit = 0,
    /// Decrypt the read data in place (`kcryptd`).
    ReadDecrypt = 1,
    /// Encrypt the write, fragment by fragment (`kcryptd`).
    WriteEncrypt = 2,
    /// Submit the encrypted write (`kcryptd_io`, after asynchronous encryption).
    WriteSubmit = 3,
}

/// The state of one unit of I/O (`struct dm_crypt_io`): a whole bio, or a write fragment.
pub(crate) struct CryptIo {
    /// Target-relative sector (512 bytes) of the unit's first byte.
    sector: u64,
    /// The part of the base bio the unit covers.
    iter: BvecIter,
    /// Requests of the current conversion not finished yet (all are counted before the first
    /// is issued), plus one while they are being issued (`cc_pending`).
    pending: Atomic<u32>,
    /// The first error (a raw [`BlkStatus`]); kept on the base I/O.
    error: Atomic<u32>,
    phase: Atomic<u32>,
}

impl CryptIo {
    fn new(sector: u64, iter: BvecIter, phase: Phase) -> Self {
        Self {
            sector,
            iter,
            pending: Atomic::new(0),
            error: Atomic::new(u32::from(BlkStatus::OK.to_raw())),
            phase: Atomic::new(phase as u32),
        }
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Relaxed) {
            0 => Phase::ReadSubmit,
            1 => Phase::ReadDecrypt,
            2 => Phase::WriteEncrypt,
            _ => Phase::WriteSubmit,
        }
    }

    fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u32, Relaxed);
    }
}

/// Records `status` as the bio's error unless an earlier one is kept.
fn set_error(io: &ARef<Io<CryptIo>>, status: BlkStatus) {
    if status.is_ok() {
        return;
    }
    let base = Io::base(io);
    let ok = u32::from(BlkStatus::OK.to_raw());
    let _ = base
        .data()
        .error
        .cmpxchg(ok, u32::from(status.to_raw()), Full);
}

impl IoOps for CryptIo {
    type Config = CryptConfig;

    fn run(io: ARef<Io<Self>>) {
        match io.data().phase() {
            Phase::ReadSubmit => submit_read(io, Gfp::NOIO),
            Phase::ReadDecrypt => read_decrypt(io),
            Phase::WriteEncrypt => write_encrypt(io),
            Phase::WriteSubmit => submit_write(io),
        }
    }

    fn end_io(io: ARef<Io<Self>>, bio: OwnedBio) {
        let status = bio.status();
        // Dropping a write's bio gives its pages back to the pool.
        drop(bio);
        if !status.is_ok() {
            set_error(&io, status);
            return;
        }
        if io.data().phase() == Phase::ReadSubmit {
            io.data().set_phase(Phase::ReadDecrypt);
            queue_crypt(io, false);
        }
    }

    fn status(&self) -> BlkStatus {
        BlkStatus::from_raw(self.error.load(Relaxed) as u8)
    }

    fn request_pool(config: &CryptConfig) -> &crate::crypto::skcipher::RequestPool<IoReq<Self>> {
        &config.req_pool
    }

    fn generate_iv(
        io: &Io<Self>,
        sector: u64,
        encrypt: bool,
        iv: &mut [u8],
        data: SectorData<'_>,
    ) -> Result {
        let cfg = io.config();
        let iv = &mut iv[..cfg.iv.iv_size as usize];
        match &cfg.iv_gen {
            Some(gen) => gen.generate(cfg, sector, encrypt, iv, data),
            None => {
                iv.fill(0);
                Ok(())
            }
        }
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

    fn crypt_done(io: ARef<Io<Self>>, result: Result) {
        if result.is_err() {
            set_error(&io, BlkStatus::IOERR);
        }
        if io.data().pending.fetch_sub(1, Full) == 1 {
            // The last request: hand the write to `kcryptd_io` (never submit from here).
            convert_done(io, true);
        }
    }
}

/// Queues the I/O's work on `which` of the target's workqueues (or the system's).
fn queue(io: ARef<Io<CryptIo>>, which: fn(&CryptConfig) -> &Queue) {
    // The extra reference keeps the target (and the queue) alive across the call.
    let keep = io.clone();
    if let Err(io) = which(keep.config()).enqueue::<_, WORK>(io) {
        // Already queued: a bug, not a reason to hang the bio.
        set_error(&io, BlkStatus::IOERR);
    }
}

/// `kcryptd_queue_crypt`: the I/O's encryption or decryption goes to `kcryptd`, unless the
/// table asks for it inline (`no_write_workqueue`, `no_read_workqueue`) and the cipher is
/// synchronous. Inline work runs here and now, except in hard interrupt context or with
/// interrupts off (a completion run from the idle thread): reads then go to the system BH
/// workqueue, as upstream, and writes to `kcryptd`, since encryption allocates pages.
fn queue_crypt(io: ARef<Io<CryptIo>>, write: bool) {
    let cfg = io.config();
    let inline = !cfg.async_cipher
        && if write {
            cfg.features.no_write_workqueue
        } else {
            cfg.features.no_read_workqueue
        };
    let atomic = context::in_hardirq() || context::irqs_disabled();
    // An IV generator that waits for a cipher request needs process context: kcryptd.
    let may_sleep = cfg.iv_gen.as_ref().is_some_and(IvGen::may_sleep);
    if inline && !atomic && !(may_sleep && context::in_interrupt()) {
        CryptIo::run(io);
    } else if inline && !write && !may_sleep {
        if let Err(io) = workqueue::system_bh().enqueue::<_, BH_WORK>(io) {
            // Already queued: a bug, not a reason to hang the bio.
            set_error(&io, BlkStatus::IOERR);
        }
    } else {
        queue(io, |cfg| cfg.crypt_queue.queue());
    }
}

/// `crypt_map`.
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
    let max = cfg.max_request_bytes(write);
    if b.size() > max {
        if b.is_atomic() {
            return MapResult::Kill;
        }
        bio.accept_partial(max >> 9);
    }
    let b = bio.bio();
    let ss = cfg.features.sector_size;
    if b.sector() & u64::from((ss >> 9) - 1) != 0 || b.size() & (ss - 1) != 0 {
        return MapResult::Kill;
    }

    let sector = b.sector() - target.begin();
    let iter = b.iter();
    if write {
        let io = bio.start_io(cfg, CryptIo::new(sector, iter, Phase::WriteEncrypt));
        queue_crypt(io, true);
    } else {
        let io = bio.start_io(cfg, CryptIo::new(sector, iter, Phase::ReadSubmit));
        submit_read(io, Gfp::NOWAIT);
    }
    MapResult::Submitted
}

/// `kcryptd_io_read`: clones the base bio onto the device and submits the clone.
fn submit_read(io: ARef<Io<CryptIo>>, gfp: Gfp) {
    let cfg = io.config();
    let Some(mut clone) = cfg.bs.clone_bio(cfg.dev.bdev(), io.base_bio(), gfp) else {
        if gfp.may_sleep() {
            set_error(&io, BlkStatus::RESOURCE);
        } else {
            queue(io, |cfg| cfg.io_queue.queue());
        }
        return;
    };
    clone.bio_mut().set_sector(cfg.start + io.data().sector);
    clone.submit_remap(io.base_bio(), io.clone());
}

/// The largest compound page a write buffer tries (`MAX_PAGE_ORDER` on x86).
const MAX_PAGE_ORDER: u32 = 10;

/// `kcryptd_crypt_write_convert`: encrypts the write into private pages, in fragments of at
/// most the pages at hand (at least one), each submitted on its own. Like `crypt_alloc_buffer`
/// it takes compound pages where the page allocator has them free, and the pool's otherwise.
fn write_encrypt(base: ARef<Io<CryptIo>>) {
    let cfg = base.config();
    let bdev = cfg.dev.bdev();
    let mut max_pages = BIO_MAX_VECS.min(bdev.max_segments().max(1));
    let knob = params::max_fragment_pages();
    if knob > 0 {
        max_pages = max_pages.min(knob);
    }
    let page = PAGE_SIZE as u32;
    let ss = cfg.features.sector_size;
    let mut iter = base.data().iter;
    let mut sector = base.data().sector;
    let mut first = true;

    // The order of compound page to try next; only ever decreases, as in `crypt_alloc_buffer`.
    let mut order = MAX_PAGE_ORDER;
    while iter.size() > 0 {
        let want_bytes = iter.size().min(max_pages * page);
        let Some(mut bio) = cfg.bs.alloc_bio(
            bdev,
            want_bytes.div_ceil(page) as u16,
            base.base_bio(),
            Gfp::NOIO,
        ) else {
            set_error(&base, BlkStatus::IOERR);
            return;
        };
        let mut bytes = 0u32;
        while bytes < want_bytes {
            let remaining = want_bytes - bytes;
            // First a compound page as large as the rest needs, if one is free right now.
            order = order.min(remaining.div_ceil(page).ilog2());
            let mut added = 0;
            while order > 0 {
                added = bio.add_compound(order, remaining);
                if added > 0 {
                    break;
                }
                order -= 1;
            }
            if added == 0 {
                // Then pages of the pool: wait only for the first one, holding nothing else
                // unsubmitted, so that two writers can never wait on each other.
                let gfp = if bytes == 0 {
                    Gfp::NOIO
                } else {
                    Gfp::NOWAIT
                        .with(Gfp::NOWARN)
                        .with(Gfp::NORETRY)
                        .with(Gfp::NOMEMALLOC)
                };
                let Some(p) = cfg.bs.alloc_page(gfp) else {
                    break;
                };
                let len = page.min(remaining);
                if let Err(p) = bio.add_page(p, len) {
                    cfg.bs.free_page(p);
                    break;
                }
                added = len;
            }
            bytes += added;
        }
        // A fragment ends on a sector boundary.
        bytes -= bytes % ss;
        if bytes == 0 {
            set_error(&base, BlkStatus::IOERR);
            return;
        }
        bio.bio_mut().set_sector(cfg.start + sector);
        let mut part = iter;
        part.truncate(bytes);
        let whole = first && bytes == iter.size();
        let unit = if whole {
            base.clone()
        } else {
            let Some(frag) = Io::new_in(
                &base,
                &cfg.fragments,
                Gfp::NOIO,
                CryptIo::new(sector, part, Phase::WriteEncrypt),
            ) else {
                set_error(&base, BlkStatus::IOERR);
                return;
            };
            frag
        };
        // A fragment's bio covers exactly its part.
        bio.set_size(bytes);
        if unit.set_out_bio(bio).is_err() {
            set_error(&base, BlkStatus::IOERR);
            return;
        }
        convert(unit, true, Gfp::NOIO);
        iter.advance(base.base_bio(), bytes);
        sector += u64::from(bytes >> 9);
        first = false;
    }
}

/// `kcryptd_crypt_read_convert`: decrypts a read in place; inline in interrupt context the
/// request must come without sleeping.
fn read_decrypt(io: ARef<Io<CryptIo>>) {
    let gfp = if context::in_interrupt() {
        Gfp::ATOMIC
    } else {
        Gfp::NOIO
    };
    convert(io, false, gfp);
}

/// `crypt_convert`: one cipher request per sector of the unit, `gfp` for the requests; the
/// last completion finishes the unit (see [`convert_done`]).
fn convert(io: ARef<Io<CryptIo>>, encrypt: bool, gfp: Gfp) {
    let cfg = io.config();
    let data = io.data();
    let ss = cfg.features.sector_size;
    let step = u64::from(ss >> 9);
    let mut input = data.iter;
    let requests = data.iter.size() / ss;
    let mut slot = RequestSlot::new(&io, requests);
    let mut output = encrypt.then(|| slot.out_iter()).flatten();
    let mut cc_sector = data.sector + cfg.iv_offset;
    let tfm_mask = cfg.tfms.len() as u64 - 1;

    if !slot.fill(gfp) {
        // Inline in interrupt context, and no request to be had without sleeping: `kcryptd`
        // does the work (a synchronous cipher needs no further request).
        drop(slot);
        return queue(io, |cfg| cfg.crypt_queue.queue());
    }
    // Counted up front for the loop and every request; the loop gives back at the end, in one
    // go, its own count and those of the requests that finished in it.
    data.pending.store(requests + 1, Relaxed);
    let mut finished = 1;
    while input.size() > 0 {
        let mut iv_sector = cc_sector;
        if cfg.features.iv_large_sectors {
            iv_sector >>= cfg.features.sector_shift();
        }
        let tfm = &cfg.tfms[(cc_sector & tfm_mask) as usize];
        let src = Place::Base(&input);
        let dst = output.as_ref().map_or(src, Place::Out);
        match slot.crypt(tfm, gfp, src, dst, ss, encrypt, iv_sector) {
            Some(Crypted::Pending) => {}
            Some(Crypted::Done(result)) => {
                if result.is_err() {
                    set_error(&io, BlkStatus::IOERR);
                }
                finished += 1;
            }
            None => {
                set_error(&io, BlkStatus::IOERR);
                finished += 1;
            }
        }
        input.advance(io.base_bio(), ss);
        if let Some(out) = output.as_mut() {
            slot.advance_out(out, ss);
        }
        cc_sector += step;
    }
    drop(slot);
    if data.pending.fetch_sub(finished, Full) == finished {
        convert_done(io, false);
    }
}

/// The unit's conversion finished. `from_callback`: in a crypto completion, where no I/O may
/// be submitted.
fn convert_done(io: ARef<Io<CryptIo>>, from_callback: bool) {
    match io.data().phase() {
        // Decrypted in place: dropping the reference completes the bio.
        Phase::ReadDecrypt | Phase::ReadSubmit => drop(io),
        Phase::WriteEncrypt | Phase::WriteSubmit => write_io_submit(io, from_callback),
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

/// `kcryptd_io_write`: submits the encrypted bio of a unit.
fn submit_write(io: ARef<Io<CryptIo>>) {
    let Some(bio) = io.take_out_bio() else {
        set_error(&io, BlkStatus::IOERR);
        return;
    };
    let base_err = !Io::base(&io).data().status().is_ok();
    if base_err {
        // Do not write what failed to encrypt; the pages go back with the bio.
        drop(bio);
        return;
    }
    let base = io.base_bio();
    bio.submit_remap(base, io.clone());
}
