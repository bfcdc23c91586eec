//! How a command ends: [`Failure`] (exit 2 or 1), and what it prints on
//! stdout.

use std::io::Write as _;

use super::check::UsageError;

/// Why a command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A bad flag value (exit 2).
    Usage(UsageError),
    /// A run-time failure (exit 1).
    Run(String),
    /// Stopped by Ctrl-C (exit 130): what was kept, one line.
    Interrupted(String),
}

impl From<UsageError> for Failure {
    fn from(u: UsageError) -> Self {
        Failure::Usage(u)
    }
}
impl From<String> for Failure {
    fn from(m: String) -> Self {
        Failure::Run(m)
    }
}
impl From<crate::report::IoError> for Failure {
    fn from(e: crate::report::IoError) -> Self {
        Failure::Run(e.to_string())
    }
}

/// A data set or model that fails while running (exit 1); bad input
/// named on the command line goes through [`UsageError`] instead.
impl From<crate::data::DataError> for Failure {
    fn from(e: crate::data::DataError) -> Self {
        Failure::Run(e.to_string())
    }
}

/// A run-time failure from any error.
pub fn run_err(e: impl std::fmt::Display) -> Failure {
    Failure::Run(e.to_string())
}

/// A usage error from any error.
pub fn usage_err(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(UsageError(e.to_string()))
}

/// Prints `text` on stdout, ignoring a closed pipe.
pub fn print_out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json<V: serde::Serialize + ?Sized>(value: &V) -> Result<(), Failure> {
    let text = serde_json::to_string(value).map_err(run_err)?;
    print_out(&(text + "\n"));
    Ok(())
}

/// Prints one line on stderr.
pub fn print_err(line: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{line}");
}
