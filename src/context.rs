// SPDX-License-Identifier: GPL-2.0

//! The execution context the caller runs in (`in_hardirq()` and friends are C macros).
//!
//! C header: [`include/linux/preempt.h`](srctree/include/linux/preempt.h)

use crate::bindings;

/// What the context was when [`Context::current`] looked: one helper call answers all three
/// questions, which a completion that may decrypt or encrypt inline asks.
#[derive(Clone, Copy)]
pub(crate) struct Context(u32);

impl Context {
    /// The caller's context now.
    #[inline]
    pub(crate) fn current() -> Self {
        // SAFETY: Reads the preempt count and the CPU's interrupt flag only.
        Self(unsafe { bindings::context() })
    }

    /// Hard interrupt context (`in_hardirq()`).
    pub(crate) fn in_hardirq(self) -> bool {
        self.0 & bindings::DMC_CONTEXT_HARDIRQ != 0
    }

    /// Interrupt context of any kind, hard, soft or NMI, where nothing may sleep
    /// (`in_interrupt()`).
    pub(crate) fn in_interrupt(self) -> bool {
        self.0 & bindings::DMC_CONTEXT_INTERRUPT != 0
    }

    /// Interrupts disabled on this CPU (`irqs_disabled()`).
    pub(crate) fn irqs_disabled(self) -> bool {
        self.0 & bindings::DMC_CONTEXT_IRQS_DISABLED != 0
    }
}
