//! What the STM32F4 boards share, through `stm32f4xx-hal`: finding out
//! whether the firmware runs on silicon or under QEMU, the clock setup, the
//! LED on a HAL GPIO pin, and the choice of step counter. The chip modules
//! (`stm32f405`, `stm32f411`) add the board's name, core clock and LED pin.
//!
//! **Silicon or QEMU.** Before the clocks are touched, `RCC_CR` is read: on
//! a chip it can never be 0, since the oscillator the core runs on has its
//! ON and RDY bits set (HSI after reset: `RCC_CR` resets to `0x0000_XX83`);
//! QEMU's `netduinoplus2` does not model the RCC and reads it as 0. Then:
//!
//! | | silicon | QEMU `netduinoplus2` |
//! |---|---|---|
//! | clocks (HAL `freeze`) | HSI → PLL at the chip's full speed (168 MHz F405, 100 MHz F411) | HSI 16 MHz, no PLL (nothing to wait for: QEMU never sets a ready bit) |
//! | counter | DWT CYCCNT (cycles), SysTick if the DWT has none | SysTick (instructions under `-icount`) |
//! | LED | HAL push-pull output, read back from ODR | written; not read back (GPIO not modelled) |
//! | semihosting (plain-text lines, exit status) | only with a debugger attached (DHCSR.C_DEBUGEN) | always |
//!
//! The PLL runs from the HSI, not from a crystal, so one ELF fits every
//! board of a chip whatever its HSE (25 MHz Netduino Plus 2 and Black Pill,
//! 8 MHz Olimex H405, 12 MHz Feather, none on a NUCLEO).

use super::{Counter, Parts, Platform};
use core::convert::Infallible;
use embedded_hal::digital::{ErrorType, OutputPin, StatefulOutputPin};
use stm32f4xx_hal::gpio::{AnyPin, Output, PushPull};
use stm32f4xx_hal::pac;
use stm32f4xx_hal::prelude::*;
use stm32f4xx_hal::rcc::Config;

#[cfg(feature = "stm32f405")]
use super::stm32f405 as chip;
#[cfg(feature = "stm32f411")]
use super::stm32f411 as chip;

pub use chip::NAME;

/// Sets the clocks up with the HAL, makes the LED and starts the counter;
/// `None` if the device peripherals were taken already.
pub(super) fn take(cp: cortex_m::Peripherals) -> Option<Parts> {
    let dp = pac::Peripherals::take()?;
    let platform = if dp.RCC.cr().read().bits() == 0 {
        Platform::Emulated
    } else {
        Platform::Silicon {
            debugger: cortex_m::peripheral::DCB::is_debugger_attached(),
        }
    };
    let config = match platform {
        Platform::Emulated => Config::hsi(),
        Platform::Silicon { .. } => Config::hsi().sysclk(chip::SYSCLK_HZ.Hz()),
    };
    let mut rcc = dp.RCC.freeze(config);
    let led = chip::led(dp.GPIOA, dp.GPIOC, &mut rcc);
    let counter = match platform {
        Platform::Silicon { .. } if cortex_m::peripheral::DWT::has_cycle_counter() => {
            Counter::dwt(cp.DCB, cp.DWT)
        }
        _ => Counter::systick(cp.SYST),
    };
    Some(Parts {
        led,
        counter,
        platform,
        sysclk_hz: rcc.clocks.sysclk().raw(),
        led_reads_back: platform != Platform::Emulated,
    })
}

/// The board's LED on a HAL GPIO pin (push-pull output), as an
/// `embedded-hal` 1.0 output pin where `set_high` means *on*, also on boards
/// whose LED is wired active low.
pub struct Led {
    pin: AnyPin<Output<PushPull>>,
    active_low: bool,
}

impl core::fmt::Debug for Led {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Led")
            .field("active_low", &self.active_low)
            .finish_non_exhaustive()
    }
}

impl Led {
    /// The LED on `pin`, switched off.
    pub(super) fn new(pin: AnyPin<Output<PushPull>>, active_low: bool) -> Self {
        let mut led = Self { pin, active_low };
        led.switch(false);
        led
    }

    fn switch(&mut self, on: bool) {
        if on != self.active_low {
            self.pin.set_high();
        } else {
            self.pin.set_low();
        }
    }

    fn is_on(&self) -> bool {
        self.pin.is_set_high() != self.active_low
    }
}

impl ErrorType for Led {
    type Error = Infallible;
}

impl OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.switch(false);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.switch(true);
        Ok(())
    }
}

impl StatefulOutputPin for Led {
    fn is_set_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.is_on())
    }
    fn is_set_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.is_on())
    }
}
