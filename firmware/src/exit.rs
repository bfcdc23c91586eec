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
    {
        // Format first, then write once, so that lines do not interleave.
        let mut line = LineBuf {
            buf: [0; 256],
            len: 0,
        };
        let _ = core::fmt::write(&mut line, args);
        let text = core::str::from_utf8(&line.buf[..line.len]).unwrap_or("<invalid utf-8>\n");
        cortex_m_semihosting::export::hstderr_str(text);
    }
    #[cfg(not(feature = "qemu"))]
    defmt::println!("{}", defmt::Display2Format(&args));
}

/// A line of at most 256 bytes (longer lines are cut).
#[cfg(feature = "qemu")]
struct LineBuf {
    buf: [u8; 256],
    len: usize,
}

#[cfg(feature = "qemu")]
impl core::fmt::Write for LineBuf {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = self.buf.len() - self.len;
        // Cut on a char boundary.
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
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
