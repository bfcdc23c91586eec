//! Per-board pieces: the convergence LED, the step counter, the clocks and
//! where the firmware runs ([`Platform`]), handed out once by [`take`].
//!
//! One module per board, selected by the board feature:
//!
//! | feature | module | LED | counter |
//! |---|---|---|---|
//! | `qemu` (default) | `mps2_an386`: QEMU `mps2-an386` | FPGAIO LED0 (`0x4002_8000`, bit 0) | SysTick (instructions under `-icount`) |
//! | `stm32f405` | `stm32f405` + `stm32f4` (HAL) | Netduino Plus 2 PA10; `feather-f405` PC1, `olimex-h405` PC12 | DWT on silicon, SysTick under QEMU `netduinoplus2` |
//! | `stm32f411` | `stm32f411` + `stm32f4` (HAL) | NUCLEO-F411RE PA5; `blackpill-f411` PC13 | DWT on silicon, SysTick under QEMU |
//!
//! The STM32 builds go through `stm32f4xx-hal` (clocks, GPIO) and find out
//! at start-up whether they run on silicon or under QEMU (see
//! [`Platform`]), so that the ELF that `probe-rs run` flashes also runs to
//! its verdict under `qemu-system-arm -machine netduinoplus2`.

mod counter;
#[cfg(feature = "qemu")]
mod mps2_an386;
#[cfg(feature = "_stm32f4")]
mod stm32f4;
#[cfg(feature = "stm32f405")]
mod stm32f405;
#[cfg(feature = "stm32f411")]
mod stm32f411;

pub use counter::{Cost, Counter, instructions};
#[cfg(feature = "qemu")]
use mps2_an386 as selected;
pub use selected::{Led, NAME};
#[cfg(feature = "_stm32f4")]
use stm32f4 as selected;

use core::sync::atomic::{AtomicU8, Ordering};

/// Where the firmware runs, found out by [`take`] (under QEMU `mps2-an386`
/// always [`Platform::Emulated`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum Platform {
    /// QEMU. On `netduinoplus2` the RCC and GPIO blocks are not modelled
    /// (reads return 0, writes are dropped) and the DWT is unassigned: the
    /// clocks stay on the 16 MHz HSI without PLL, the LED cannot be read
    /// back, and costs are counted with SysTick (instructions under
    /// `-icount`). Semihosting always works.
    Emulated,
    /// A real chip. `debugger` tells whether a debugger (probe-rs) is
    /// attached (DHCSR.C_DEBUGEN): semihosting output and the exit status
    /// need one; without it the firmware logs over RTT only and stops.
    Silicon {
        /// A debugger is attached.
        debugger: bool,
    },
}

impl Platform {
    /// A few words for the plain-text log.
    pub fn describe(self) -> &'static str {
        match self {
            Platform::Emulated => "emulated (QEMU)",
            Platform::Silicon { debugger: true } => "silicon, debugger attached",
            Platform::Silicon { debugger: false } => "silicon, no debugger",
        }
    }

    /// Whether semihosting calls reach a host (QEMU or a debugger); on a
    /// chip without a debugger the `bkpt` of a semihosting call would fault.
    pub fn semihosting(self) -> bool {
        match self {
            Platform::Emulated => true,
            Platform::Silicon { debugger } => debugger,
        }
    }
}

/// The board's parts, as [`take`] hands them out.
pub struct Parts {
    /// The convergence LED, an `embedded-hal` 1.0 output pin (`set_high`
    /// switches it on, also where the LED is active low).
    pub led: Led,
    /// The step counter (SysTick or DWT CYCCNT).
    pub counter: Counter,
    /// Where the firmware runs.
    pub platform: Platform,
    /// The core clock the board set up, in Hz (as the HAL computed it; under
    /// QEMU `netduinoplus2` the emulated SysTick runs at QEMU's fixed
    /// 168 MHz whatever the RCC was told).
    pub sysclk_hz: u32,
    /// Whether the LED's state reads back from the hardware (`false` under
    /// QEMU `netduinoplus2`, which drops GPIO writes).
    pub led_reads_back: bool,
}

impl core::fmt::Debug for Parts {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Parts")
            .field("platform", &self.platform)
            .field("sysclk_hz", &self.sysclk_hz)
            .finish_non_exhaustive()
    }
}

/// Sets the board up (clocks, LED switched off, counter started) the first
/// time; `None` afterwards (the core and device peripherals are taken).
pub fn take() -> Option<Parts> {
    let cp = cortex_m::Peripherals::take()?;
    let parts = selected::take(cp)?;
    PLATFORM.store(
        match parts.platform {
            Platform::Emulated => HOST_EMULATED,
            Platform::Silicon { debugger: true } => HOST_DEBUGGER,
            Platform::Silicon { debugger: false } => HOST_NONE,
        },
        Ordering::Release,
    );
    Some(parts)
}

/// [`take`] has not run yet: assume a host (QEMU or probe-rs), as before
/// the board code existed.
const HOST_UNKNOWN: u8 = 0;
const HOST_EMULATED: u8 = 1;
const HOST_DEBUGGER: u8 = 2;
const HOST_NONE: u8 = 3;
static PLATFORM: AtomicU8 = AtomicU8::new(HOST_UNKNOWN);

/// Whether semihosting calls reach a host: QEMU, or a chip with a debugger
/// attached ([`Platform::semihosting`]); `true` before [`take`] ran.
pub fn semihosting() -> bool {
    PLATFORM.load(Ordering::Acquire) != HOST_NONE
}
