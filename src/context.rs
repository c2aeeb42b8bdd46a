// SPDX-License-Identifier: GPL-2.0

//! The execution context the caller runs in (`in_hardirq()` and friends are C macros).
//!
//! C header: [`include/linux/preempt.h`](srctree/include/linux/preempt.h)

use crate::bindings;

/// Whether this is hard interrupt context.
pub(crate) fn in_hardirq() -> bool {
    // SAFETY: Reads the preempt count only.
    unsafe { bindings::in_hardirq() }
}

/// Whether this is interrupt context of any kind (hard, soft or NMI), where nothing may sleep.
pub(crate) fn in_interrupt() -> bool {
    // SAFETY: Reads the preempt count only.
    unsafe { bindings::in_interrupt() }
}

/// Whether interrupts are disabled on this CPU.
pub(crate) fn irqs_disabled() -> bool {
    // SAFETY: Reads the CPU's interrupt flag only.
    unsafe { bindings::irqs_disabled() }
}
