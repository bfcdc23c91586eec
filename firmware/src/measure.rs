//! Stack painting: how deep one learning step goes into the stack.
//!
//! [`paint_stack`] fills the free stack below the caller with a pattern;
//! after the code under test has run, [`painted_stack_used`] finds the
//! lowest word that no longer holds the pattern. The difference to the
//! painting point is the maximum stack depth the code reached (a lower
//! bound if the code wrote the pattern value itself, which is unlikely).

/// The paint value.
const PAINT: u32 = 0xC0DE_5AFE;

/// Bytes right below the caller's stack pointer that are left unpainted:
/// room for the painter's own frame (the compiler may read SP before it
/// pushes its registers).
pub const GUARD: usize = 64;

/// Where painting started and how far it went.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub struct Painted {
    /// The caller's stack pointer, the reference for the depth.
    sp: usize,
    /// Highest painted address + 4.
    top: usize,
    /// Lowest address painted.
    bottom: usize,
}

/// Paints `bytes` of the stack below the current stack pointer. The caller
/// must make sure the stack has that much room (the firmware's stack is the
/// rest of RAM: megabytes under QEMU, ~100 KB on an STM32F411).
#[inline(never)]
pub fn paint_stack(bytes: usize) -> Painted {
    let sp = cortex_m::register::msp::read() as usize;
    let top = (sp & !3).saturating_sub(GUARD);
    let bottom = top.saturating_sub(bytes & !3);
    let mut a = bottom;
    while a < top {
        // SAFETY: [bottom, top) lies more than GUARD bytes below the stack
        // pointer at entry, in the free part of the stack: this function's
        // own frame (two pushed registers) is inside the guard, and it keeps
        // its loop state in registers. Aligned u32 volatile stores; an
        // interrupt would only overwrite the paint.
        unsafe { core::ptr::write_volatile(a as *mut u32, PAINT) };
        a += 4;
    }
    Painted { sp, top, bottom }
}

/// Bytes of stack used since [`paint_stack`], measured from the caller's
/// stack pointer down to the lowest overwritten word (at most [`GUARD`] if
/// no painted word was touched).
#[inline(never)]
pub fn painted_stack_used(p: Painted) -> usize {
    let mut a = p.bottom;
    while a < p.top {
        // SAFETY: reads of the painted region (see `paint_stack`), aligned.
        let v = unsafe { core::ptr::read_volatile(a as *const u32) };
        if v != PAINT {
            return p.sp - a;
        }
        a += 4;
    }
    GUARD
}
