//! Helpers shared by the host's integration tests: running the `hinf`
//! binary and scratch directories.
// Each test file uses some of these, not all.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `hinf` with `args` in the test's working directory.
pub fn hinf(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hinf"))
        .args(args)
        .output()
        .expect("run hinf")
}

/// Runs `hinf` with `args` in `dir`.
pub fn hinf_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hinf"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run hinf")
}

/// Bytes of an output stream as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A path in the temporary directory for this test process, removed if
/// it exists (not created).
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hinf-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// [`scratch`], created empty.
pub fn fresh(name: &str) -> PathBuf {
    let d = scratch(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}
