// SPDX-License-Identifier: GPL-2.0

//! The sector-by-sector conversion of a unit of I/O (`crypt_convert`).

use super::{
    cipher::Ciphers,
    config::CryptConfig,
    io::{
        aad_sector,
        convert_done,
        queue,
        request_failed,
        set_error,
        write_inline,
        CryptIo,
        Phase, //
    },
    iv::{
        self,
        IvMode, //
    },
};
use crate::{
    bio::{
        BlkStatus,
        BvecIter, //
    },
    crypto::aes_xts::AesXtsKey,
    dm::{
        Cipher,
        Crypted,
        Io,
        Place,
        RequestSlot,
        SectorRequest,
        UnitsRequest, //
    },
    gfp::Gfp,
    params,
};
use kernel::sync::{
    aref::ARef,
    atomic::{
        Full,
        Relaxed, //
    },
};

/// `crypt_convert`: one cipher request per sector of the unit, `gfp` for the requests; the
/// last completion finishes the unit ([`convert_done`]). Writes go from the base bio into the
/// out bio, reads are decrypted in place in the base bio, and the recheck in place in the out
/// bio. `phase` is the I/O's, which the caller knows (as dm-crypt tests `bio_data_dir`).
pub(super) fn convert(io: ARef<Io<CryptIo>>, phase: Phase, gfp: Gfp) {
    let cfg = io.config();
    let data = io.data();
    let ss = cfg.features.sector_size;
    let step = u64::from(ss >> 9);
    let encrypt = phase == Phase::WriteEncrypt;
    // The sector size is a power of two (the table parser checks): a shift, not a division.
    let requests = data.iter.size() >> ss.trailing_zeros();
    let mut slot = RequestSlot::new(&io, requests);
    // Positions in the base bio and in the out bio, for those the conversion uses.
    let mut base_pos = (phase != Phase::RecheckDecrypt).then_some(data.iter);
    let mut out_pos = if encrypt || phase == Phase::RecheckDecrypt {
        let Some(out) = slot.out_iter() else {
            drop(slot);
            set_error(&io, BlkStatus::IOERR);
            return convert_done(io, phase, false);
        };
        Some(out)
    } else {
        None
    };
    // `cc->iv_offset + sector` is a u64 in C: it wraps, and so does every IV after it.
    let mut cc_sector = data.sector.wrapping_add(cfg.iv_offset);
    // The unit's first tuple in the bio's metadata.
    let md = cfg.integrity;
    let first_tuple = if md.tuple_size > 0 {
        (data.sector - io.base().data().sector) >> cfg.features.sector_shift()
    } else {
        0
    };

    if let (Some(key), Some(mode)) = (&cfg.xts_lib, cfg.iv.mode) {
        // The multi-data-unit path (a table without integrity metadata: never a recheck).
        let lib = Lib { key, mode, encrypt };
        lib.convert(&io, &slot, base_pos, out_pos, requests, cc_sector);
        drop(slot);
        return convert_done(io, phase, false);
    }

    if cfg.units_api {
        // The multi-data-unit path's crypto API backend: one request for all the sectors.
        // Without memory for it, this conversion goes sector by sector below, at once: never
        // a requeue that could come back here and fail again while swapping.
        match units_api(&io, &mut slot, &base_pos, &out_pos, cc_sector, gfp) {
            Units::Submitted(finished) => {
                drop(slot);
                return finish(io, finished, 2, phase);
            }
            Units::NoMemory => params::multi_data_unit_fallback(),
            Units::NotHere => {}
        }
    }

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
    for i in 0..u64::from(requests) {
        let iv_sector = iv_sector(cfg, cc_sector);
        let cipher = match &cfg.ciphers {
            Ciphers::Skcipher(tfms) => {
                let mask = tfms.len() as u64 - 1;
                Cipher::Skcipher(&tfms[(cc_sector & mask) as usize])
            }
            Ciphers::Aead(tfm) => Cipher::Aead {
                tfm,
                tag_size: md.tag_size,
                aad_sector: aad_sector(cfg, iv_sector),
            },
        };
        let Some((src, dst)) = places(&base_pos, &out_pos) else {
            set_error(&io, BlkStatus::IOERR);
            finished += 1;
            continue;
        };
        let tuple = md.tuple_size as usize;
        let metadata = (tuple > 0)
            .then(|| Io::metadata_range(&io, (first_tuple + i) as usize * tuple, tuple))
            .flatten();
        let request = SectorRequest {
            cipher,
            src,
            dst,
            len: ss,
            encrypt,
            sector: iv_sector,
            metadata,
        };
        match slot.crypt(gfp, &request) {
            Some(Crypted::Pending) => {}
            Some(Crypted::Done(result)) => {
                if let Err(e) = result {
                    request_failed(&io, e, aad_sector(cfg, iv_sector));
                }
                finished += 1;
            }
            None => {
                set_error(&io, BlkStatus::IOERR);
                finished += 1;
            }
        }
        if i + 1 == u64::from(requests) {
            // No position after the last sector is needed (a one-sector bio walks no bvecs).
            break;
        }
        if let Some(b) = base_pos.as_mut() {
            b.advance(io.base_bio(), ss);
        }
        if let Some(o) = out_pos.as_mut() {
            slot.advance_out(o, ss);
        }
        cc_sector = cc_sector.wrapping_add(step);
    }
    drop(slot);
    finish(io, finished, requests + 1, phase);
}

/// Gives back the loop's count and those of the `finished` requests (included in it), out of
/// the `total` counted up front: the last one finishes the unit, converted in `phase`.
#[inline]
fn finish(io: ARef<Io<CryptIo>>, finished: u32, total: u32, phase: Phase) {
    let encrypt = phase == Phase::WriteEncrypt;
    if finished == total {
        // No request went asynchronous, so nothing else holds a count: the unit is done,
        // without an atomic operation.
        convert_done(io, phase, false);
    } else if io.data().pending.fetch_sub(finished, Full) == finished {
        convert_done(io, phase, false);
    } else if encrypt && write_inline(&io) {
        // Zoned writes keep their order: wait for the last request (which signals instead
        // of handing the write on), then submit from here.
        io.wait_done();
        convert_done(io, phase, false);
    }
}

/// What [`units_api`] did.
enum Units {
    /// Submitted: the count [`finish`] takes (the loop's, and the request's if it finished).
    Submitted(u32),
    /// Nothing submitted: no request or scatterlists to be had at once.
    NoMemory,
    /// Nothing submitted: a unit this backend does not take (its IV wraps, as `plain64`'s
    /// u64 does and the transform's 128-bit counter does not), or no data to convert.
    NotHere,
}

/// The multi-data-unit path's crypto API backend: the unit's sectors in one request, the
/// transform counting the `plain64` IV up per sector.
fn units_api(
    io: &ARef<Io<CryptIo>>,
    slot: &mut RequestSlot<'_, CryptIo>,
    base_pos: &Option<BvecIter>,
    out_pos: &Option<BvecIter>,
    cc_sector: u64,
    gfp: Gfp,
) -> Units {
    let cfg = io.config();
    let data = io.data();
    let Ciphers::Skcipher(tfms) = &cfg.ciphers else {
        return Units::NotHere;
    };
    let (Some(tfm), Some((src, dst))) = (tfms.first(), places(base_pos, out_pos)) else {
        return Units::NotHere;
    };
    let ss = cfg.features.sector_size;
    let last = u64::from((data.iter.size() / ss).saturating_sub(1)) * u64::from(ss >> 9);
    if cc_sector.checked_add(last).is_none() {
        return Units::NotHere;
    }
    let iv_sector = iv_sector(cfg, cc_sector);
    let mut iv = [0u8; 16];
    iv::generate(IvMode::Plain64, iv_sector, &mut iv);
    let request = UnitsRequest {
        tfm,
        src,
        dst,
        len: data.iter.size(),
        encrypt: data.phase() == Phase::WriteEncrypt,
        iv,
        sector: iv_sector,
    };
    // Counted up front, as in the per-sector loop: the loop's and the request's.
    data.pending.store(2, Relaxed);
    match slot.crypt_units(gfp, &request) {
        None => Units::NoMemory,
        Some(Crypted::Pending) => Units::Submitted(1),
        Some(Crypted::Done(result)) => {
            if let Err(e) = result {
                request_failed(io, e, aad_sector(cfg, iv_sector));
            }
            Units::Submitted(2)
        }
    }
}

/// The IV sector of the sector at `cc_sector` (the 512-byte sector plus `iv_offset`): in
/// units of the sector size with `iv_large_sectors`. [`aad_sector`] goes back.
fn iv_sector(cfg: &CryptConfig, cc_sector: u64) -> u64 {
    if cfg.features.iv_large_sectors {
        cc_sector >> cfg.features.sector_shift()
    } else {
        cc_sector
    }
}

/// Where a sector's request reads and writes: from the base bio into the out bio, or in
/// place in either. `None` without a position, which every phase that converts has.
fn places<'p>(
    base: &'p Option<BvecIter>,
    out: &'p Option<BvecIter>,
) -> Option<(Place<'p>, Place<'p>)> {
    match (base, out) {
        (Some(b), Some(o)) => Some((Place::Base(b), Place::Out(o))),
        (Some(b), None) => Some((Place::Base(b), Place::Base(b))),
        (None, Some(o)) => Some((Place::Out(o), Place::Out(o))),
        (None, None) => None,
    }
}

/// The multi-data-unit path's library backend: each data unit encrypted or decrypted with
/// the AES-XTS library, its IV the XTS tweak, synchronously and with no request, so it
/// never fails for lack of memory.
struct Lib<'a> {
    key: &'a AesXtsKey,
    /// `plain` or `plain64`.
    mode: IvMode,
    encrypt: bool,
}

impl Lib<'_> {
    /// Converts `units` data units from the positions given, the first at `cc_sector`.
    fn convert(
        &self,
        io: &ARef<Io<CryptIo>>,
        slot: &RequestSlot<'_, CryptIo>,
        mut base_pos: Option<BvecIter>,
        mut out_pos: Option<BvecIter>,
        units: u32,
        mut cc_sector: u64,
    ) {
        let cfg = io.config();
        let ss = cfg.features.sector_size;
        for i in 0..units {
            let iv_sector = iv_sector(cfg, cc_sector);
            let mut tweak = [0u8; 16];
            iv::generate(self.mode, iv_sector, &mut tweak);
            let done = places(&base_pos, &out_pos).map(|(src, dst)| {
                slot.crypt_direct(src, dst, ss, |data| {
                    self.key.crypt(self.encrypt, data, &tweak)
                })
            });
            if !matches!(done, Some(Ok(()))) {
                set_error(io, BlkStatus::IOERR);
            }
            if i + 1 == units {
                break;
            }
            if let Some(b) = base_pos.as_mut() {
                b.advance(io.base_bio(), ss);
            }
            if let Some(o) = out_pos.as_mut() {
                slot.advance_out(o, ss);
            }
            cc_sector = cc_sector.wrapping_add(u64::from(ss >> 9));
        }
    }
}
