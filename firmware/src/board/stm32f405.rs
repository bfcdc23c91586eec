//! STM32F405 (feature `stm32f405`): 1 MiB flash at `0x0800_0000`, 128 KiB
//! SRAM at `0x2000_0000` (plus 64 KiB core-coupled RAM at `0x1000_0000`,
//! not used: `boards/stm32f405/memory.x`), core clock 168 MHz on silicon.
//! QEMU's `netduinoplus2` machine models this chip (flash, SRAM, core; not
//! its RCC, GPIO or DWT, see the `stm32f4` module).
//!
//! The LED, by board feature (pins from the boards' documentation; not
//! checked on hardware here):
//! - default, Netduino Plus 2: the blue user LED on PA10, active high;
//! - `feather-f405`, Adafruit Feather STM32F405 Express: red LED on PC1,
//!   active high;
//! - `olimex-h405`, Olimex STM32-H405: green LED on PC12, active low.

use super::stm32f4::Led;
use stm32f4xx_hal::pac::{GPIOA, GPIOC};
use stm32f4xx_hal::prelude::*;
use stm32f4xx_hal::rcc::Rcc;

/// The board's name, for the logs.
#[cfg(not(any(feature = "feather-f405", feature = "olimex-h405")))]
pub const NAME: &str = "stm32f405 (Netduino Plus 2)";
/// The board's name, for the logs.
#[cfg(feature = "feather-f405")]
pub const NAME: &str = "stm32f405 (Adafruit Feather STM32F405)";
/// The board's name, for the logs.
#[cfg(feature = "olimex-h405")]
pub const NAME: &str = "stm32f405 (Olimex STM32-H405)";

#[cfg(all(feature = "feather-f405", feature = "olimex-h405"))]
compile_error!("enable at most one STM32F405 board feature: `feather-f405` or `olimex-h405`");

/// The core clock on silicon (HSI → PLL), in Hz: the chip's maximum.
pub(super) const SYSCLK_HZ: u32 = 168_000_000;

/// The board's LED, switched off.
#[cfg(not(any(feature = "feather-f405", feature = "olimex-h405")))]
pub(super) fn led(gpioa: GPIOA, _gpioc: GPIOC, rcc: &mut Rcc) -> Led {
    let pin = gpioa.split(rcc).pa10.into_push_pull_output();
    Led::new(pin.erase(), false)
}

/// The board's LED, switched off.
#[cfg(feature = "feather-f405")]
pub(super) fn led(_gpioa: GPIOA, gpioc: GPIOC, rcc: &mut Rcc) -> Led {
    let pin = gpioc.split(rcc).pc1.into_push_pull_output();
    Led::new(pin.erase(), false)
}

/// The board's LED, switched off.
#[cfg(feature = "olimex-h405")]
pub(super) fn led(_gpioa: GPIOA, gpioc: GPIOC, rcc: &mut Rcc) -> Led {
    let pin = gpioc.split(rcc).pc12.into_push_pull_output();
    Led::new(pin.erase(), true)
}
