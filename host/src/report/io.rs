//! Writing files, with typed I/O errors ([`IoError`]) that name the path.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A file that could not be read, written or drawn: its path and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoError {
    /// The file or directory.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for IoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for IoError {}

/// An [`IoError`] about `path`.
pub fn io_err(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Creates `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<(), IoError> {
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))
}

/// Writes `text` to `path`.
pub fn write_text(path: &Path, text: &str) -> Result<(), IoError> {
    fs::write(path, text).map_err(|e| io_err(path, e))
}

/// Writes `value` as pretty JSON (with a final newline) to `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), IoError> {
    let mut s = serde_json::to_string_pretty(value).map_err(|e| io_err(path, e))?;
    s.push('\n');
    write_text(path, &s)
}
