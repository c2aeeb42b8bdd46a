// SPDX-License-Identifier: GPL-2.0

//! Status output (`DMEMIT`).

use crate::bindings;
use core::fmt;

/// What a `status` call asks for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum StatusType {
    /// `STATUSTYPE_INFO`: runtime information (`dmsetup status`).
    Info,
    /// `STATUSTYPE_TABLE`: the table line as loaded (`dmsetup table`).
    Table,
    /// `STATUSTYPE_IMA`: the measurement string for IMA.
    Ima,
}

impl StatusType {
    pub(super) fn from_raw(raw: bindings::status_type_t) -> Option<Self> {
        match raw {
            bindings::status_type_t_STATUSTYPE_INFO => Some(Self::Info),
            bindings::status_type_t_STATUSTYPE_TABLE => Some(Self::Table),
            bindings::status_type_t_STATUSTYPE_IMA => Some(Self::Ima),
            _ => None,
        }
    }
}

/// Writes into dm core's status buffer with `DMEMIT` semantics: output that does not fit is
/// dropped and the buffer always stays NUL-terminated.
///
/// # Invariants
///
/// `buf` points to `maxlen` writable bytes, `len < maxlen` whenever `maxlen > 0`, and
/// `buf[len]` is NUL.
pub(crate) struct StatusWriter {
    buf: *mut u8,
    maxlen: usize,
    len: usize,
}

impl StatusWriter {
    /// Wraps the `result`/`maxlen` pair of a status callback.
    ///
    /// # Safety
    ///
    /// `buf` must be valid for writes of `maxlen` bytes for the lifetime of the returned value,
    /// and nothing else may access it meanwhile.
    pub(super) unsafe fn from_raw(buf: *mut u8, maxlen: usize) -> Self {
        if maxlen > 0 {
            // SAFETY: `maxlen > 0`, so `buf[0]` is writable by the function's requirements.
            unsafe { *buf = 0 };
        }
        // INVARIANT: `len == 0 < maxlen` (or `maxlen == 0`) and `buf[0]` is NUL.
        Self {
            buf,
            maxlen,
            len: 0,
        }
    }
}

impl fmt::Write for StatusWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.maxlen == 0 {
            return Ok(());
        }
        // Like scnprintf: copy what fits, keep one byte for the NUL.
        let room = self.maxlen - 1 - self.len;
        let n = s.len().min(room);
        // SAFETY: `len + n <= maxlen - 1`, so the range is inside the buffer (type invariant).
        unsafe { core::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.add(self.len), n) };
        self.len += n;
        // SAFETY: `len <= maxlen - 1` is inside the buffer.
        unsafe { *self.buf.add(self.len) = 0 };
        // INVARIANT: `len < maxlen` and `buf[len]` is NUL.
        Ok(())
    }
}

#[kernel::prelude::kunit_tests(dm_crypt_rs_status)]
mod tests {
    use super::*;
    use core::fmt::Write;

    fn emit(maxlen: usize, parts: &[&str]) -> ([u8; 16], usize) {
        let mut buf = [0xffu8; 16];
        // SAFETY: `buf` has 16 >= `maxlen` writable bytes and outlives the writer.
        let mut w = unsafe { StatusWriter::from_raw(buf.as_mut_ptr(), maxlen) };
        for p in parts {
            let _ = w.write_str(p);
        }
        let len = w.len;
        (buf, len)
    }

    #[test]
    fn fits() {
        let (buf, len) = emit(16, &["crypt ", "v1"]);
        assert_eq!(&buf[..len + 1], b"crypt v1\0");
    }

    #[test]
    fn truncates_like_dmemit() {
        // scnprintf keeps maxlen - 1 bytes and the NUL; later output is dropped.
        let (buf, len) = emit(8, &["abcdef", "ghij", "k"]);
        assert_eq!(len, 7);
        assert_eq!(&buf[..8], b"abcdefg\0");
        assert_eq!(buf[8], 0xff);
    }

    #[test]
    fn empty_buffer_is_untouched() {
        let (buf, len) = emit(0, &["x"]);
        assert_eq!((len, buf[0]), (0, 0xff));
    }
}
