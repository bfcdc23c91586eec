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

/// Checks, before a run, that `dir` is a directory this process can write
/// into: creates it (and its parents) and a probe file, which it removes.
pub fn check_writable_dir(dir: &Path) -> Result<(), IoError> {
    if dir.is_file() {
        return Err(io_err(dir, "is a file, not a directory"));
    }
    fs::create_dir_all(dir).map_err(|e| io_err(dir, format!("cannot create it: {e}")))?;
    let probe = dir.join(format!(".hinf-probe-{}", std::process::id()));
    fs::File::create(&probe).map_err(|e| io_err(dir, format!("cannot write into it: {e}")))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// Checks, before a run, that `file` can be written: its directory
/// exists, it is not a directory, and it opens for writing (a new file is
/// created and removed again; an old one is left as it is).
pub fn check_writable_file(file: &Path) -> Result<(), IoError> {
    if file.is_dir() {
        return Err(io_err(file, "is a directory"));
    }
    if file.exists() {
        return fs::OpenOptions::new()
            .append(true)
            .open(file)
            .map(drop)
            .map_err(|e| io_err(file, format!("cannot write it: {e}")));
    }
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        let why = if dir.exists() {
            format!("'{}' is not a directory", dir.display())
        } else {
            format!("the directory '{}' does not exist", dir.display())
        };
        return Err(io_err(file, why));
    }
    fs::File::create_new(file).map_err(|e| io_err(file, format!("cannot create it: {e}")))?;
    let _ = fs::remove_file(file);
    Ok(())
}

/// Where an earlier run's files are moved, inside its output directory.
pub const PREVIOUS: &str = "previous";

/// Moves `path` (under `out`) to the same place under `out/previous/`;
/// 0 if there is no such file.
pub fn move_aside(out: &Path, path: &Path) -> Result<usize, IoError> {
    if !path.is_file() {
        return Ok(0);
    }
    let rel = path.strip_prefix(out).unwrap_or(path);
    let dest = out.join(PREVIOUS).join(rel);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(|e| io_err(parent, e))?;
    }
    fs::rename(path, &dest).map_err(|e| io_err(path, format!("cannot move it aside: {e}")))?;
    Ok(1)
}
