//! Puts the selected board's `memory.x` where the linker finds it.
//!
//! `cortex-m-rt`'s `link.x` includes `memory.x`; the board features
//! (`qemu`, `stm32f411`) choose which one under `boards/`.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let qemu = env::var_os("CARGO_FEATURE_QEMU").is_some();
    let f411 = env::var_os("CARGO_FEATURE_STM32F411").is_some();
    let board = match (qemu, f411) {
        (true, false) => "qemu-mps2-an386",
        (false, true) => "stm32f411",
        _ => {
            // The crate's compile_error! explains; link with the QEMU map
            // so that the error message is the only one.
            "qemu-mps2-an386"
        }
    };
    let src = PathBuf::from("boards").join(board).join("memory.x");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy(&src, out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=boards");
    println!("cargo:rerun-if-changed=build.rs");
}
