//! On-target tests (placeholder).
#![no_std]
#![no_main]
use cortex_m_rt::entry;
use hinf_firmware as _;
#[entry]
fn main() -> ! {
    hinf_firmware::exit::success()
}
