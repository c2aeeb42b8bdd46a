// SPDX-License-Identifier: GPL-2.0

//! The target operations trait and the `struct dm_target` wrapper.

use super::{
    audit,
    device::{
        DeviceVisitor,
        QueueLimits,
        ReportZones, //
    },
    io::{
        Io,
        IoOps, //
    },
    Args,
    StatusType,
    StatusWriter, //
};
use crate::{
    bindings,
    bio::Bio, //
};
use core::marker::PhantomData;
use kernel::{
    prelude::*,
    types::{
        ForeignOwnable,
        Opaque, //
    },
};

/// A constructor failure: the message dm core logs (`ti->error`) and the errno it returns.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CtrError {
    /// The message, exactly as the C target words it.
    pub(crate) msg: &'static CStr,
    /// The error code.
    pub(crate) err: Error,
    /// Whether the failure is audited ([`Operations::audit_prefix`]): not for the checks a
    /// target makes before it has any state (dm-crypt: argument count, key size).
    audited: bool,
}

impl CtrError {
    /// A failure with `msg` and `-EINVAL`, the most common combination.
    pub(crate) const fn inval(msg: &'static CStr) -> Self {
        Self::new(msg, EINVAL)
    }

    /// A failure with `msg` and `err`.
    pub(crate) const fn new(msg: &'static CStr, err: Error) -> Self {
        Self {
            msg,
            err,
            audited: true,
        }
    }

    /// The same failure, not audited.
    pub(crate) const fn unaudited(self) -> Self {
        Self {
            audited: false,
            ..self
        }
    }
}

/// What `map` did with a bio (`DM_MAPIO_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MapResult {
    /// The target took the bio and will complete it (`DM_MAPIO_SUBMITTED`).
    Submitted,
    /// The bio was remapped; dm core submits it (`DM_MAPIO_REMAPPED`).
    Remapped,
    /// Fail the bio with an I/O error (`DM_MAPIO_KILL`).
    Kill,
}

impl MapResult {
    fn to_raw(self) -> c_int {
        (match self {
            Self::Submitted => bindings::DM_MAPIO_SUBMITTED,
            Self::Remapped => bindings::DM_MAPIO_REMAPPED,
            Self::Kill => bindings::DM_MAPIO_KILL,
        }) as c_int
    }
}

/// A target instance (`struct dm_target`): one line of a loaded table.
///
/// # Invariants
///
/// The wrapped `dm_target` is valid for the lifetime of the reference to this type; dm core
/// gives mutable access only to `ctr`.
#[repr(transparent)]
pub(crate) struct Target(Opaque<bindings::dm_target>);

impl Target {
    /// # Safety
    ///
    /// `ptr` must be a valid `dm_target` for `'a`, and the caller must not create a mutable
    /// reference to it during `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::dm_target) -> &'a Self {
        // CAST: `Target` is `repr(transparent)` over `Opaque<dm_target>`.
        // SAFETY: Guaranteed by the caller.
        unsafe { &*ptr.cast() }
    }

    /// # Safety
    ///
    /// `ptr` must be a valid `dm_target` for `'a`, exclusively accessed through the result.
    unsafe fn from_raw_mut<'a>(ptr: *mut bindings::dm_target) -> &'a mut Self {
        // CAST: `Target` is `repr(transparent)` over `Opaque<dm_target>`.
        // SAFETY: Guaranteed by the caller.
        unsafe { &mut *ptr.cast() }
    }

    pub(super) fn as_raw(&self) -> *mut bindings::dm_target {
        self.0.get()
    }

    /// The first sector of the target in the mapped device (`ti->begin`).
    pub(crate) fn begin(&self) -> u64 {
        // SAFETY: The `dm_target` is valid (type invariant); `begin` is fixed after creation.
        unsafe { (*self.as_raw()).begin }
    }

    /// The length of the target in 512-byte sectors (`ti->len`).
    pub(crate) fn len(&self) -> u64 {
        // SAFETY: The `dm_target` is valid (type invariant); `len` is fixed after creation.
        unsafe { (*self.as_raw()).len }
    }

    /// Sets how many zero-length flush bios `map` receives per flush (`ti->num_flush_bios`).
    pub(crate) fn set_num_flush_bios(&mut self, n: u32) {
        // SAFETY: The `dm_target` is valid and `&mut self` means we are in `ctr`.
        unsafe { (*self.as_raw()).num_flush_bios = n };
    }

    /// Sets how many discard bios `map` receives per discard (`ti->num_discard_bios`).
    pub(crate) fn set_num_discard_bios(&mut self, n: u32) {
        // SAFETY: The `dm_target` is valid and `&mut self` means we are in `ctr`.
        unsafe { (*self.as_raw()).num_discard_bios = n };
    }

    /// Marks the target as limiting in-flight swap bios (`ti->limit_swap_bios`).
    pub(crate) fn set_limit_swap_bios(&mut self) {
        // SAFETY: The `dm_target` is valid and `&mut self` means we are in `ctr`.
        unsafe { (*self.as_raw()).set_limit_swap_bios(true) };
    }

    /// Asks dm core to turn zone appends into regular writes (`ti->emulate_zone_append`).
    pub(crate) fn set_emulate_zone_append(&mut self) {
        // SAFETY: The `dm_target` is valid and `&mut self` means we are in `ctr`.
        unsafe { (*self.as_raw()).set_emulate_zone_append(true) };
    }

    /// Whether dm core emulates zone appends for the target.
    pub(crate) fn emulates_zone_append(&self) -> bool {
        // SAFETY: The `dm_target` is valid; the flag is fixed after `ctr`.
        unsafe { (*self.as_raw()).emulate_zone_append() }
    }

    /// Accounts remapped I/O to the mapped device (`ti->accounts_remapped_io`).
    pub(crate) fn set_accounts_remapped_io(&mut self) {
        // SAFETY: The `dm_target` is valid and `&mut self` means we are in `ctr`.
        unsafe { (*self.as_raw()).set_accounts_remapped_io(true) };
    }

    /// The name of the mapped device the table belongs to (`dm-N`).
    pub(crate) fn device_name(&self) -> &CStr {
        // SAFETY: The target and its table are valid; the name lives as long as the table.
        unsafe { CStr::from_char_ptr(bindings::dm_table_device_name((*self.as_raw()).table)) }
    }
}

/// The bio `map` is handed, with the means to start the target's per-bio I/O on it.
pub(crate) struct MapBio<'a, O: Operations> {
    pub(super) bio: &'a mut Bio,
    _o: PhantomData<O>,
}

impl<'a, O: Operations> MapBio<'a, O> {
    /// The bio.
    pub(crate) fn bio(&mut self) -> &mut Bio {
        self.bio
    }

    /// Accepts only the first `sectors` of the bio; dm core submits the rest again
    /// (`dm_accept_partial_bio`).
    pub(crate) fn accept_partial(&mut self, sectors: u32) {
        // SAFETY: The bio is the one being mapped, the only case the function allows.
        unsafe { bindings::dm_accept_partial_bio(self.bio.as_raw(), sectors) };
    }
}

/// The callbacks of a target type.
///
/// The implementing type is the per-target private data: `ctr` builds it, every other callback
/// borrows it, and dropping it is the destructor (`dtr`). Because dm core calls `map` on many
/// CPUs at once, all callbacks take `&self`.
#[vtable]
pub(crate) trait Operations: Sized + Send + Sync + 'static {
    /// The per-bio I/O state (see [`Io`]).
    type Io: IoOps<Config = Self>;

    /// Builds a target from the arguments of a table line (`ctr`). On failure the returned
    /// message becomes `ti->error`.
    fn ctr(target: &mut Target, args: &mut Args) -> Result<Pin<KBox<Self>>, CtrError>;

    /// The module name of the target's audit records (`DM_MSG_PREFIX`), if it audits its
    /// construction and destruction (`dm_audit_log_ctr`, `dm_audit_log_dtr`): after a
    /// failed construction, as after a destruction, a destruction record follows.
    fn audit_prefix() -> Option<&'static CStr> {
        None
    }

    /// Maps a bio (`map`). Called on many CPUs at once. Must not sleep.
    fn map(&self, target: &Target, bio: MapBio<'_, Self>) -> MapResult;

    /// Writes the status line (`status`).
    fn status(&self, _target: &Target, _ty: StatusType, _out: &mut StatusWriter) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Reports the underlying devices (`iterate_devices`).
    fn iterate_devices(&self, _target: &Target, _visitor: &mut DeviceVisitor) -> c_int {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Adjusts the stacked queue limits (`io_hints`).
    fn io_hints(&self, _target: &Target, _limits: &mut QueueLimits<'_>) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Handles a message (`dmsetup message`; `message`). The arguments may be overwritten
    /// (key material is wiped there).
    fn message(&self, _target: &Target, _args: &mut Args) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Reports the zones of the target's zoned device (`report_zones`).
    fn report_zones(&self, _target: &Target, _args: &mut ReportZones, _nr_zones: u32) -> c_int {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The device was suspended: no bio of the target is in flight (`postsuspend`).
    fn postsuspend(&self, _target: &Target) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The device is about to resume; an error aborts the resume (`preresume`).
    fn preresume(&self, _target: &Target) -> Result {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The device resumed (`resume`).
    fn resume(&self, _target: &Target) {
        build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// The C `target_type` table for an [`Operations`] implementation.
pub(super) struct VTable<T: Operations>(PhantomData<T>);

impl<T: Operations> VTable<T> {
    /// Builds the `target_type` for `T` (without name, version and features).
    pub(super) const fn build() -> bindings::target_type {
        bindings::target_type {
            module: kernel::module::this_module::<T::OwnerModule>().as_ptr(),
            ctr: Some(Self::ctr_callback),
            dtr: Some(Self::dtr_callback),
            map: Some(Self::map_callback),
            status: if T::HAS_STATUS {
                Some(Self::status_callback)
            } else {
                None
            },
            iterate_devices: if T::HAS_ITERATE_DEVICES {
                Some(Self::iterate_devices_callback)
            } else {
                None
            },
            io_hints: if T::HAS_IO_HINTS {
                Some(Self::io_hints_callback)
            } else {
                None
            },
            report_zones: if T::HAS_REPORT_ZONES {
                Some(Self::report_zones_callback)
            } else {
                None
            },
            message: if T::HAS_MESSAGE {
                Some(Self::message_callback)
            } else {
                None
            },
            postsuspend: if T::HAS_POSTSUSPEND {
                Some(Self::postsuspend_callback)
            } else {
                None
            },
            preresume: if T::HAS_PRERESUME {
                Some(Self::preresume_callback)
            } else {
                None
            },
            resume: if T::HAS_RESUME {
                Some(Self::resume_callback)
            } else {
                None
            },
            ..pin_init::zeroed()
        }
    }

    /// # Safety
    ///
    /// Called by dm core with a valid, exclusively owned `ti` under construction and `argc`
    /// valid strings in `argv`.
    unsafe extern "C" fn ctr_callback(
        ti: *mut bindings::dm_target,
        argc: c_uint,
        argv: *mut *mut c_char,
    ) -> c_int {
        // SAFETY: dm core hands `ctr` exclusive access to the target under construction.
        let target = unsafe { Target::from_raw_mut(ti) };
        // SAFETY: `argv` holds `argc` strings that dm core keeps alive during `ctr`.
        let mut args = unsafe { Args::from_raw(argc, argv) };
        let result = T::ctr(target, &mut args);
        if let Err(e) = &result {
            // SAFETY: `ti` is valid; `error` takes a static string, never freed.
            unsafe { (*ti).error = e.msg.as_char_ptr().cast_mut() };
        }
        if let Some(prefix) = T::audit_prefix() {
            let audited = result.as_ref().err().is_none_or(|e| e.audited);
            if audited {
                audit::log_ctr(prefix, target, result.is_ok());
            }
            if result.as_ref().is_err_and(|e| e.audited) {
                audit::log_dtr(prefix, target);
            }
        }
        match result {
            Ok(this) => {
                let per_bio_size = Io::<T::Io>::per_bio_size(&this) as c_uint;
                // SAFETY: `ti` is valid; `private` and `per_io_data_size` are ours to set in
                // `ctr`. The per-bio data holds the target's `Io` (see `MapBio::start_io`).
                unsafe {
                    (*ti).private = this.into_foreign();
                    (*ti).per_io_data_size = per_bio_size;
                }
                0
            }
            Err(e) => e.err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by dm core once, after a successful `ctr`, when no other callback is running.
    unsafe extern "C" fn dtr_callback(ti: *mut bindings::dm_target) {
        // SAFETY: `ti` is valid; `private` was set by `ctr_callback` from `into_foreign`, and
        // this is the last use of it.
        let this = unsafe { <Pin<KBox<T>>>::from_foreign((*ti).private) };
        drop(this);
        if let Some(prefix) = T::audit_prefix() {
            // SAFETY: `ti` is valid for the call; dm core hands `dtr` exclusive access.
            audit::log_dtr(prefix, unsafe { Target::from_raw(ti) });
        }
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded and a valid bio it owns.
    unsafe extern "C" fn map_callback(
        ti: *mut bindings::dm_target,
        bio: *mut bindings::bio,
    ) -> c_int {
        // SAFETY: `ti` is valid for the call; `map` gets shared access only.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        // SAFETY: dm core passes ownership of the bio to `map` for the call.
        let bio = unsafe { Bio::from_raw_mut(bio) };
        let bio = MapBio {
            bio,
            _o: PhantomData,
        };
        this.map(target, bio).to_raw()
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded, and its callback.
    unsafe extern "C" fn iterate_devices_callback(
        ti: *mut bindings::dm_target,
        f: bindings::iterate_devices_callout_fn,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        // SAFETY: The arguments are dm core's for this call.
        let mut visitor = unsafe { DeviceVisitor::new(ti, f, data) };
        this.iterate_devices(target, &mut visitor)
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded and limits it owns.
    unsafe extern "C" fn io_hints_callback(
        ti: *mut bindings::dm_target,
        limits: *mut bindings::queue_limits,
    ) {
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        // SAFETY: dm core gives us the limits for the call.
        let mut limits = unsafe { QueueLimits::from_raw(limits) };
        this.io_hints(target, &mut limits);
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded, and `argc` valid strings in
    /// `argv` that are the callback's for the call.
    unsafe extern "C" fn message_callback(
        ti: *mut bindings::dm_target,
        argc: c_uint,
        argv: *mut *mut c_char,
        _result: *mut c_char,
        _maxlen: c_uint,
    ) -> c_int {
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        // SAFETY: `argv` holds `argc` strings that dm core keeps alive during the call.
        let mut args = unsafe { Args::from_raw(argc, argv) };
        match this.message(target, &mut args) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded and its valid arguments.
    unsafe extern "C" fn report_zones_callback(
        ti: *mut bindings::dm_target,
        args: *mut bindings::dm_report_zones_args,
        nr_zones: c_uint,
    ) -> c_int {
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        // SAFETY: dm core's arguments, valid for the call.
        let mut args = unsafe { ReportZones::from_raw(args) };
        this.report_zones(target, &mut args, nr_zones)
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded.
    unsafe extern "C" fn postsuspend_callback(ti: *mut bindings::dm_target) {
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        this.postsuspend(target);
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded.
    unsafe extern "C" fn preresume_callback(ti: *mut bindings::dm_target) -> c_int {
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        match this.preresume(target) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded.
    unsafe extern "C" fn resume_callback(ti: *mut bindings::dm_target) {
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        this.resume(target);
    }

    /// # Safety
    ///
    /// Called by dm core with a valid `ti` whose `ctr` succeeded and `result` valid for
    /// `maxlen` bytes.
    unsafe extern "C" fn status_callback(
        ti: *mut bindings::dm_target,
        ty: bindings::status_type_t,
        _status_flags: c_uint,
        result: *mut c_char,
        maxlen: c_uint,
    ) {
        let Some(ty) = StatusType::from_raw(ty) else {
            return;
        };
        // SAFETY: `ti` is valid for the call.
        let target = unsafe { Target::from_raw(ti) };
        // SAFETY: `private` came from `into_foreign` in `ctr` and lives until `dtr`.
        let this = unsafe { <Pin<KBox<T>>>::borrow((*ti).private) };
        // SAFETY: dm core gives us `maxlen` writable bytes at `result` for the call.
        let mut out = unsafe { StatusWriter::from_raw(result.cast(), maxlen as usize) };
        this.status(target, ty, &mut out);
    }
}
