//! [`DataError`]: why a data set or a model file could not be used. Every
//! message names the file, and for CSV the line and column.

/// Why a data set or a model file could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum DataError {
    /// A file that could not be read or written.
    File {
        /// The file.
        path: String,
        /// `read` or `write`.
        action: &'static str,
        /// What the system said.
        message: String,
    },
    /// CSV text that is not a table: what, where (file, line, column).
    Csv(String),
    /// Columns, classes or targets that cannot be encoded.
    Encoding(String),
    /// Not a usable model file (names the file and why).
    Model(String),
    /// The core refused the network, the data or a step.
    Core(hinf::Error),
}

impl DataError {
    /// A file that could not be `action`ed (`read`, `write`).
    pub fn file(path: &std::path::Path, action: &'static str, e: impl std::fmt::Display) -> Self {
        DataError::File {
            path: path.display().to_string(),
            action,
            message: e.to_string(),
        }
    }
}

impl std::fmt::Display for DataError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataError::File {
                path,
                action,
                message,
            } => write!(f, "{path}: cannot {action}: {message}"),
            DataError::Csv(m) | DataError::Encoding(m) | DataError::Model(m) => f.write_str(m),
            DataError::Core(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DataError {}

impl From<hinf::Error> for DataError {
    fn from(e: hinf::Error) -> Self {
        DataError::Core(e)
    }
}
