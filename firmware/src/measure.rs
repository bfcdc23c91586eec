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

/// Paints `bytes` of the stack below the current stack pointer, or less:
/// never below the end of the statics (`__sheap`).
#[inline(never)]
pub fn paint_stack(bytes: usize) -> Painted {
    let sp = cortex_m::register::msp::read() as usize;
    let top = (sp & !3).saturating_sub(GUARD);
    // Never below the statics, whatever `bytes` asks for.
    let floor = (&raw const __sheap) as usize;
    let bottom = top.saturating_sub(bytes & !3).max(floor).min(top);
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

unsafe extern "C" {
    /// The first byte after the statics (cortex-m-rt's `link.x`): the
    /// lowest address the stack may reach.
    safe static __sheap: u32;
    /// The start of RAM (`link.x`).
    safe static _ram_start: u32;
}

/// Bytes of RAM the statics take: from the start of RAM to `__sheap`
/// (`.data`, `.bss`, `.uninit` and alignment).
pub fn statics_end_offset() -> usize {
    ((&raw const __sheap) as usize).saturating_sub((&raw const _ram_start) as usize)
}

/// Paints all of the free stack, from the end of the statics (`__sheap`)
/// to [`GUARD`] bytes below the caller's stack pointer: for the whole
/// run's high-water mark, read with [`painted_stack_used`].
#[inline(never)]
pub fn paint_free_stack() -> Painted {
    paint_stack(usize::MAX)
}

/// Bytes between the end of the statics and the caller's stack pointer.
pub fn free_stack() -> usize {
    let sp = cortex_m::register::msp::read() as usize;
    sp.saturating_sub((&raw const __sheap) as usize)
}
