//! QEMU `mps2-an386` (ARM MPS2 + AN386 FPGA image, Cortex-M4F, feature
//! `qemu`): LED0 of the MPS2 FPGA I/O block (FPGAIO `LED0` register at
//! `0x4002_8000`, bit 0; QEMU's `info mtree` shows the `mps2-fpgaio` region
//! at 0x40028000). There is no HAL for this emulated board: the LED is a
//! register. Costs are counted with SysTick on the 25 MHz core clock; under
//! `qemu-system-arm -icount shift=0` its ticks count instructions.
//!
//! The same code serves QEMU `mps2-an500` (Cortex-M7, feature
//! `mps2-an500`): QEMU gives that MPS2 image the same FPGAIO block and
//! SysTick.

use super::{Counter, Parts, Platform};
use core::convert::Infallible;
use embedded_hal::digital::{ErrorType, OutputPin, StatefulOutputPin};

/// The board's name, for the logs.
#[cfg(not(feature = "mps2-an500"))]
pub const NAME: &str = "qemu-mps2-an386";
/// The board's name in the logs.
#[cfg(feature = "mps2-an500")]
pub const NAME: &str = "qemu-mps2-an500 (Cortex-M7, RAM capped at 1 MiB)";

/// The MPS2 AN386 core clock (QEMU's `mps2-an386` machine), in Hz.
const SYSCLK_HZ: u32 = 25_000_000;

/// Address of the MPS2 FPGAIO `LED0` register (bit 0 = LED0, bit 1 = LED1).
const FPGAIO_LED0: usize = 0x4002_8000;

/// The parts of the emulated board: always [`Platform::Emulated`].
pub(super) fn take(cp: cortex_m::Peripherals) -> Option<Parts> {
    let mut led = Led { _private: () };
    led.write(false);
    Some(Parts {
        led,
        counter: Counter::systick(cp.SYST),
        platform: Platform::Emulated,
        sysclk_hz: SYSCLK_HZ,
        led_reads_back: true,
    })
}

/// The LED that signals convergence (FPGAIO LED0), as an `embedded-hal`
/// 1.0 output pin. Only [`super::take`] makes one.
#[derive(Debug)]
pub struct Led {
    _private: (),
}

impl Led {
    fn write(&mut self, on: bool) {
        let reg = FPGAIO_LED0 as *mut u32;
        // SAFETY: 0x4002_8000 is the MPS2 FPGAIO LED0 register, a 32-bit
        // read/write device register that nothing else in this program
        // touches (`board::take` makes one `Led`); volatile accesses of an
        // aligned u32 are its documented access size. There is no HAL or
        // PAC for this emulated board.
        unsafe {
            let v = core::ptr::read_volatile(reg);
            core::ptr::write_volatile(reg, if on { v | 1 } else { v & !1 });
        }
    }

    fn read(&self) -> bool {
        // SAFETY: as in `write`; reading LED0 has no side effect.
        unsafe { core::ptr::read_volatile(FPGAIO_LED0 as *const u32) & 1 != 0 }
    }
}

impl ErrorType for Led {
    type Error = Infallible;
}

impl OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.write(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.write(true);
        Ok(())
    }
}

impl StatefulOutputPin for Led {
    fn is_set_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.read())
    }
    fn is_set_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.read())
    }
}
