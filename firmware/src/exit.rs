//! How a run ends: a semihosting exit status that QEMU (and `probe-rs run`)
//! turn into the process exit code, for success, failure, panic and fault;
//! and the plain-text lines, on semihosting stderr.
//!
//! Semihosting needs a host: QEMU, or a debugger on a chip. On a chip with
//! no debugger attached ([`crate::board::semihosting`] is false) the lines go
//! to the defmt log only and the run stops in a `wfi` loop instead.

use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};

/// Ends the run with exit status 0 (under QEMU or `probe-rs run`).
pub fn success() -> ! {
    finish(true)
}

/// Ends the run with a non-zero exit status.
pub fn failure() -> ! {
    finish(false)
}

/// Ends the run with exit status 0 if `ok`, non-zero otherwise.
pub fn finish(ok: bool) -> ! {
    if crate::board::semihosting() {
        debug::exit(if ok { EXIT_SUCCESS } else { EXIT_FAILURE });
    }
    // Without a debugger or QEMU to catch the exit call, stop here.
    loop {
        cortex_m::asm::wfi();
    }
}

/// Prints one line of plain text where a person or CI sees it without a
/// defmt decoder: semihosting stderr (QEMU, or `probe-rs run` on a board),
/// or the defmt log on a chip without a debugger.
pub fn print_line(args: core::fmt::Arguments<'_>) {
    if crate::board::semihosting() {
        // Format first, then write once, so that lines do not interleave.
        let mut line = Line(heapless::String::new());
        let _ = core::fmt::write(&mut line, args);
        cortex_m_semihosting::export::hstderr_str(&line.0);
    } else {
        defmt::println!("{}", defmt::Display2Format(&args));
    }
}

/// Longest line [`print_line`] prints, in bytes (longer lines are cut).
const LINE_CAP: usize = 256;

/// A line being formatted: what does not fit in [`LINE_CAP`] bytes is cut
/// off (on a char boundary) instead of failing the whole line.
struct Line(heapless::String<LINE_CAP>);

impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if self.0.push_str(s).is_err() {
            // Keep the characters that still fit.
            for c in s.chars() {
                if self.0.push(c).is_err() {
                    break;
                }
            }
        }
        Ok(())
    }
}

/// Prints a formatted line through [`print_line`].
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {
        $crate::exit::print_line(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Reports a HardFault and ends the run with a failure status. Call it from
/// the binary's `#[exception] HardFault` handler.
pub fn hard_fault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    let pc = frame.pc();
    defmt::error!("HardFault at pc = {=u32:#010x}", pc);
    crate::println!("HardFault at pc = {:#010x}", pc);
    failure()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(loc) => {
            defmt::error!("panic at {=str}:{=u32}", loc.file(), loc.line());
            crate::println!("panic at {}:{}", loc.file(), loc.line());
        }
        None => {
            defmt::error!("panic");
            crate::println!("panic");
        }
    }
    failure()
}
