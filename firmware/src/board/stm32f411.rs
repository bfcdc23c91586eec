//! STM32F411 (feature `stm32f411`): 512 KiB flash at `0x0800_0000`,
//! 128 KiB SRAM at `0x2000_0000` (`boards/stm32f411/memory.x`), core clock
//! 100 MHz on silicon. QEMU has no model of this chip.
//!
//! The LED, by board feature (pins from the boards' documentation; not
//! checked on hardware here):
//! - default, NUCLEO-F411RE: the green user LED LD2 on PA5, active high;
//! - `blackpill-f411`, WeAct Black Pill STM32F411CE: blue LED on PC13,
//!   active low.

use super::stm32f4::Led;
use stm32f4xx_hal::pac::{GPIOA, GPIOC};
use stm32f4xx_hal::prelude::*;
use stm32f4xx_hal::rcc::Rcc;

/// The board's name, for the logs.
#[cfg(not(feature = "blackpill-f411"))]
pub const NAME: &str = "stm32f411 (NUCLEO-F411RE)";
/// The board's name, for the logs.
#[cfg(feature = "blackpill-f411")]
pub const NAME: &str = "stm32f411 (WeAct Black Pill)";

/// The core clock on silicon (HSI → PLL), in Hz: the chip's maximum.
pub(super) const SYSCLK_HZ: u32 = 100_000_000;

/// The board's LED, switched off.
#[cfg(not(feature = "blackpill-f411"))]
pub(super) fn led(gpioa: GPIOA, _gpioc: GPIOC, rcc: &mut Rcc) -> Led {
    let pin = gpioa.split(rcc).pa5.into_push_pull_output();
    Led::new(pin.erase(), false)
}

/// The board's LED, switched off.
#[cfg(feature = "blackpill-f411")]
pub(super) fn led(_gpioa: GPIOA, gpioc: GPIOC, rcc: &mut Rcc) -> Led {
    let pin = gpioc.split(rcc).pc13.into_push_pull_output();
    Led::new(pin.erase(), true)
}
