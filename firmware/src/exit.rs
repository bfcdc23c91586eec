//! How a run ends: a semihosting exit status that QEMU (and `probe-rs run`)
//! turn into the process exit code, for success, failure, panic and fault.

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
    debug::exit(if ok { EXIT_SUCCESS } else { EXIT_FAILURE });
    // Without a debugger or QEMU to catch the exit call, stop here.
    loop {
        cortex_m::asm::wfi();
    }
}

/// Prints one line of plain text where a person or CI sees it without a
/// defmt decoder: semihosting stderr under QEMU, the defmt log on a board.
pub fn print_line(args: core::fmt::Arguments<'_>) {
    #[cfg(feature = "qemu")]
    cortex_m_semihosting::export::hstderr_fmt(args);
    #[cfg(not(feature = "qemu"))]
    defmt::println!("{}", defmt::Display2Format(&args));
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
