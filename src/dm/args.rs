// SPDX-License-Identifier: GPL-2.0

//! The argument vector dm core passes to `ctr` and `message`.

use kernel::prelude::*;

/// The whitespace-split arguments of a table line or a message.
///
/// # Invariants
///
/// `argv` points to `argc` valid, NUL-terminated strings that dm core owns and keeps alive and
/// unaliased for the duration of the callback this value is borrowed in.
pub(crate) struct Args {
    argc: usize,
    argv: *mut *mut c_char,
}

impl Args {
    /// Wraps the argument vector of a dm callback.
    ///
    /// # Safety
    ///
    /// `argv` must point to `argc` valid NUL-terminated strings that stay valid and are not
    /// accessed by anything else while the returned value is alive.
    pub(super) unsafe fn from_raw(argc: c_uint, argv: *mut *mut c_char) -> Self {
        // INVARIANT: Guaranteed by the caller.
        Self {
            argc: argc as usize,
            argv,
        }
    }

    /// Returns the number of arguments.
    pub(crate) fn len(&self) -> usize {
        self.argc
    }

    /// Returns argument `i` as bytes (without the NUL), or `None` past the end.
    pub(crate) fn get(&self, i: usize) -> Option<&[u8]> {
        self.get_c_str(i).map(CStr::to_bytes)
    }

    /// Returns argument `i` as a C string, or `None` past the end.
    pub(crate) fn get_c_str(&self, i: usize) -> Option<&CStr> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: `i < argc`, so by the type invariant `argv[i]` is a valid string pointer.
        let ptr = unsafe { *self.argv.add(i) };
        // SAFETY: By the type invariant the string is valid, NUL-terminated and not mutated
        // while `self` is borrowed.
        Some(unsafe { CStr::from_char_ptr(ptr) })
    }

    /// Overwrites argument `i` in place with `fill` bytes, as dm-crypt does with key material
    /// so that it does not linger in dm core's copy of the table line.
    pub(crate) fn wipe(&mut self, i: usize, fill: u8) {
        if i >= self.argc {
            return;
        }
        // SAFETY: `i < argc`, so by the type invariant `argv[i]` is a valid string pointer.
        let ptr = unsafe { *self.argv.add(i) };
        // SAFETY: By the type invariant the string is valid and NUL-terminated, and `&mut self`
        // guarantees no outstanding borrow of it from `get`.
        let len = unsafe { CStr::from_char_ptr(ptr) }.to_bytes().len();
        // SAFETY: `ptr` is valid for `len` bytes of writes (the string dm core owns).
        unsafe { core::ptr::write_bytes(ptr.cast::<u8>(), fill, len) };
    }
}

#[kunit_tests(dm_crypt_rs_args)]
mod tests {
    use super::*;

    #[test]
    fn get_and_wipe() {
        let mut a = *b"aes-xts-plain64\0";
        let mut b = *b"00112233\0";
        let mut argv = [a.as_mut_ptr(), b.as_mut_ptr()];
        // SAFETY: `argv` holds two valid NUL-terminated strings that outlive `args`.
        let mut args = unsafe { Args::from_raw(2, argv.as_mut_ptr()) };
        assert_eq!(args.len(), 2);
        assert_eq!(args.get(0), Some(&b"aes-xts-plain64"[..]));
        assert_eq!(args.get(2), None);
        args.wipe(1, b'0');
        assert_eq!(args.get(1), Some(&b"00000000"[..]));
        args.wipe(5, b'0');
        assert_eq!(args.get(0), Some(&b"aes-xts-plain64"[..]));
    }
}
