//! Per-board pieces: the convergence LED, the step counter and the names
//! that go into the logs.
//!
//! - `qemu` (QEMU `mps2-an386`): LED0 of the MPS2 FPGA I/O block (FPGAIO
//!   `LED0` register at `0x4002_8000`, bit 0; QEMU's `info mtree` shows the
//!   `mps2-fpgaio` region at 0x40028000). Cost is counted with SysTick on
//!   the core clock; under `qemu-system-arm -icount shift=0` every
//!   instruction advances virtual time by 1 ns, so SysTick counts
//!   instructions (see [`Counter`]).
//! - `stm32f411` (NUCLEO-F411RE): the user LED LD2 on PA5; cost is counted
//!   in core clock cycles with the DWT cycle counter.

use core::convert::Infallible;
use embedded_hal::digital::{ErrorType, OutputPin, StatefulOutputPin};

/// The board's name, for the logs.
#[cfg(feature = "qemu")]
pub const NAME: &str = "qemu-mps2-an386";
/// The board's name, for the logs.
#[cfg(not(feature = "qemu"))]
pub const NAME: &str = "stm32f411";

/// What [`Counter`] counts, for the logs.
#[cfg(feature = "qemu")]
pub const COUNT_UNIT: &str = "SysTick ticks (core clock; instructions under -icount)";
/// What [`Counter`] counts, for the logs.
#[cfg(not(feature = "qemu"))]
pub const COUNT_UNIT: &str = "core clock cycles (DWT CYCCNT)";

/// Address of the MPS2 FPGAIO `LED0` register (bit 0 = LED0, bit 1 = LED1).
#[cfg(feature = "qemu")]
pub const FPGAIO_LED0: usize = 0x4002_8000;

/// The LED that signals convergence, as an `embedded-hal` 1.0 output pin.
///
/// Only one should exist: [`Led::take`] hands it out once.
#[derive(Debug)]
pub struct Led {
    _private: (),
}

impl Led {
    /// The LED, switched off, the first time; `None` afterwards.
    pub fn take() -> Option<Self> {
        static TAKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);
        // `swap` is not available on ARMv6-M, but this crate targets ARMv7E-M.
        if TAKEN.swap(true, core::sync::atomic::Ordering::AcqRel) {
            return None;
        }
        let mut led = Self { _private: () };
        led.init();
        led.write(false);
        Some(led)
    }

    #[cfg(feature = "qemu")]
    fn init(&mut self) {}

    #[cfg(feature = "qemu")]
    fn write(&mut self, on: bool) {
        let reg = FPGAIO_LED0 as *mut u32;
        // SAFETY: 0x4002_8000 is the MPS2 FPGAIO LED0 register, a 32-bit
        // read/write device register that nothing else in this program
        // touches (`Led::take` hands out one `Led`); volatile accesses of an
        // aligned u32 are its documented access size.
        unsafe {
            let v = core::ptr::read_volatile(reg);
            core::ptr::write_volatile(reg, if on { v | 1 } else { v & !1 });
        }
    }

    #[cfg(feature = "qemu")]
    fn read(&self) -> bool {
        // SAFETY: as in `write`; reading LED0 has no side effect.
        unsafe { core::ptr::read_volatile(FPGAIO_LED0 as *const u32) & 1 != 0 }
    }

    #[cfg(not(feature = "qemu"))]
    fn init(&mut self) {
        const RCC_AHB1ENR: *mut u32 = 0x4002_3830 as *mut u32;
        const GPIOA_MODER: *mut u32 = 0x4002_0000 as *mut u32;
        // SAFETY: RCC_AHB1ENR and GPIOA_MODER are STM32F411 device
        // registers (RM0383 §6.3.9, §8.4.1); this program owns them (no HAL
        // is linked) and only sets GPIOA's clock enable (bit 0) and PA5's
        // mode bits (11:10) to general-purpose output (0b01).
        unsafe {
            let en = core::ptr::read_volatile(RCC_AHB1ENR);
            core::ptr::write_volatile(RCC_AHB1ENR, en | 1);
            let _ = core::ptr::read_volatile(RCC_AHB1ENR); // clock settles
            let m = core::ptr::read_volatile(GPIOA_MODER);
            core::ptr::write_volatile(GPIOA_MODER, (m & !(0b11 << 10)) | (0b01 << 10));
        }
    }

    #[cfg(not(feature = "qemu"))]
    fn write(&mut self, on: bool) {
        const GPIOA_BSRR: *mut u32 = 0x4002_0018 as *mut u32;
        // SAFETY: GPIOA_BSRR (RM0383 §8.4.7) is write-only and atomic: bit 5
        // sets PA5, bit 21 resets it; no other pin is affected.
        unsafe { core::ptr::write_volatile(GPIOA_BSRR, if on { 1 << 5 } else { 1 << 21 }) }
    }

    #[cfg(not(feature = "qemu"))]
    fn read(&self) -> bool {
        const GPIOA_ODR: *const u32 = 0x4002_0014 as *const u32;
        // SAFETY: reading GPIOA_ODR (RM0383 §8.4.6) has no side effect.
        unsafe { core::ptr::read_volatile(GPIOA_ODR) & (1 << 5) != 0 }
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

/// A free-running counter for the cost of a learning step.
///
/// Under QEMU: SysTick on the core clock (24-bit, counting down, wrapping);
/// with `-icount shift=0` QEMU advances virtual time 1 ns per instruction,
/// and the MPS2 core clock is 25 MHz, so one tick is 40 instructions (the
/// firmware calibrates this against a loop of known length, see
/// [`Counter::calibrate`]). On a board: DWT CYCCNT, core clock cycles.
/// Spans must stay below 2²⁴ ticks under QEMU.
pub struct Counter {
    #[cfg(feature = "qemu")]
    _syst: cortex_m::peripheral::SYST,
    #[cfg(not(feature = "qemu"))]
    _dwt: cortex_m::peripheral::DWT,
}

impl core::fmt::Debug for Counter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Counter")
    }
}

impl Counter {
    /// Takes the core peripherals and starts the counter on them; `None`
    /// if they were taken already (the counter is the only user of them).
    pub fn take() -> Option<Self> {
        let cp = cortex_m::Peripherals::take()?;
        #[cfg(feature = "qemu")]
        let counter = Self::new(cp.SYST);
        #[cfg(not(feature = "qemu"))]
        let counter = Self::new(cp.DCB, cp.DWT);
        Some(counter)
    }

    /// Starts the counter (SysTick, or the DWT cycle counter).
    #[cfg(feature = "qemu")]
    pub fn new(mut syst: cortex_m::peripheral::SYST) -> Self {
        use cortex_m::peripheral::syst::SystClkSource;
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0x00FF_FFFF);
        syst.clear_current();
        syst.enable_counter();
        Self { _syst: syst }
    }

    /// Starts the counter (SysTick, or the DWT cycle counter).
    #[cfg(not(feature = "qemu"))]
    pub fn new(mut dcb: cortex_m::peripheral::DCB, mut dwt: cortex_m::peripheral::DWT) -> Self {
        dcb.enable_trace();
        dwt.enable_cycle_counter();
        Self { _dwt: dwt }
    }

    /// The current count, increasing, wrapping at 2²⁴ (QEMU) or 2³².
    #[inline]
    pub fn now(&self) -> u32 {
        #[cfg(feature = "qemu")]
        {
            0x00FF_FFFF - cortex_m::peripheral::SYST::get_current()
        }
        #[cfg(not(feature = "qemu"))]
        {
            cortex_m::peripheral::DWT::cycle_count()
        }
    }

    /// Counts elapsed since `start` (a value of [`Counter::now`]).
    #[inline]
    pub fn since(&self, start: u32) -> u32 {
        #[cfg(feature = "qemu")]
        {
            self.now().wrapping_sub(start) & 0x00FF_FFFF
        }
        #[cfg(not(feature = "qemu"))]
        {
            self.now().wrapping_sub(start)
        }
    }

    /// The counts taken by `n` ≥ 1 iterations of the two-instruction loop
    /// (`subs; bne`) of `cortex_m::asm::delay` (which runs `cycles + 1`
    /// iterations), i.e. by 2n instructions: turns counts into
    /// instructions.
    pub fn calibrate(&self, n: u32) -> u32 {
        let t0 = self.now();
        cortex_m::asm::delay(n.saturating_sub(1));
        self.since(t0)
    }
}

/// Instructions in `counts` counter counts, given `per_2m`, the counts of
/// 2 000 000 instructions (`Counter::calibrate(1_000_000)`).
pub fn instructions(counts: u64, per_2m: u32) -> u64 {
    counts * 2_000_000 / u64::from(per_2m.max(1))
}
