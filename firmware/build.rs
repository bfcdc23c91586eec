//! Puts the selected board's `memory.x` where the linker finds it.
//!
//! `cortex-m-rt`'s `link.x` includes `memory.x`; the board features
//! (`qemu`, `mps2-an500`, `stm32f405`, `stm32f411`) choose which one under
//! `boards/`.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let feature = |name: &str| env::var_os(format!("CARGO_FEATURE_{name}")).is_some();
    let board = match (feature("QEMU"), feature("STM32F405"), feature("STM32F411")) {
        (true, false, false) if feature("MPS2_AN500") => "qemu-mps2-an500",
        (false, true, false) => "stm32f405",
        (false, false, true) => "stm32f411",
        // `qemu`, or a wrong combination: the crate's compile_error!
        // explains the latter; link with the QEMU map so that the error
        // message is the only one.
        _ => "qemu-mps2-an386",
    };
    let src = PathBuf::from("boards").join(board).join("memory.x");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::copy(&src, out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-changed=boards");
    println!("cargo:rerun-if-changed=build.rs");
}
