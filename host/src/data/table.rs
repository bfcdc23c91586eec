//! CSV files with a header row, as text cells ([`Table`]). Every error
//! names the file, the line (1 = the header) and the column.

use std::path::Path;

use super::error::DataError;

/// A CSV file's header and cells, as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Where it came from (for messages).
    pub source: String,
    /// Column names.
    pub header: Vec<String>,
    /// Data rows, each as long as the header, with their line numbers.
    pub rows: Vec<(usize, Vec<String>)>,
}

/// Splits one CSV line into fields: commas separate, a field may be
/// double-quoted (`""` is a quote inside it), surrounding spaces are
/// trimmed.
fn split_line(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut was_quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                out.push(finish(&field, was_quoted));
                field.clear();
                was_quoted = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    out.push(finish(&field, was_quoted));
    Ok(out)
}

fn finish(field: &str, was_quoted: bool) -> String {
    if was_quoted {
        field.to_string()
    } else {
        field.trim().to_string()
    }
}

impl Table {
    /// Parses CSV text. Blank lines are skipped; every other line must
    /// have as many fields as the header.
    pub fn parse(text: &str, source: &str) -> Result<Self, DataError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((hline, h)) = lines.next() else {
            return Err(DataError::Csv(format!(
                "{source}: empty file (expected a header row)"
            )));
        };
        let header =
            split_line(h).map_err(|e| DataError::Csv(format!("{source}: line {hline}: {e}")))?;
        for (j, name) in header.iter().enumerate() {
            if name.is_empty() {
                return Err(DataError::Csv(format!(
                    "{source}: line {hline}: column {} has an empty name",
                    j + 1
                )));
            }
            if header[..j].contains(name) {
                return Err(DataError::Csv(format!(
                    "{source}: line {hline}: column name '{name}' appears twice"
                )));
            }
        }
        let mut rows = Vec::new();
        for (line, l) in lines {
            let cells =
                split_line(l).map_err(|e| DataError::Csv(format!("{source}: line {line}: {e}")))?;
            if cells.len() != header.len() {
                return Err(DataError::Csv(format!(
                    "{source}: line {line}: {} fields, but the header has {} ({})",
                    cells.len(),
                    header.len(),
                    if cells.len() < header.len() {
                        format!("column '{}' is missing", header[cells.len()])
                    } else {
                        "extra fields".to_string()
                    }
                )));
            }
            rows.push((line, cells));
        }
        if rows.is_empty() {
            return Err(DataError::Csv(format!(
                "{source}: no data rows after the header"
            )));
        }
        Ok(Self {
            source: source.to_string(),
            header,
            rows,
        })
    }

    /// Reads and parses a CSV file (a model file given as data is named
    /// as such).
    pub fn read(path: &Path) -> Result<Self, DataError> {
        let bytes = std::fs::read(path).map_err(|e| DataError::file(path, "read", e))?;
        if bytes.starts_with(b"HINF") {
            return Err(DataError::Csv(format!(
                "{}: a hinf model, not a CSV file (models go with --model)",
                path.display()
            )));
        }
        let text = String::from_utf8(bytes).map_err(|e| DataError::file(path, "read", e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Result<usize, DataError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            DataError::Encoding(format!(
                "{}: no column '{name}' (columns: {})",
                self.source,
                self.header.join(", ")
            ))
        })
    }

    /// Column `j` as numbers; the first non-numeric cell is an error
    /// naming its line and column.
    pub fn numeric(&self, j: usize) -> Result<Vec<f64>, DataError> {
        self.rows
            .iter()
            .map(|(line, cells)| {
                let s = &cells[j];
                match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(DataError::Csv(format!(
                        "{}: line {line}, column '{}' ({}): '{s}' is not a finite number",
                        self.source,
                        self.header[j],
                        j + 1
                    ))),
                }
            })
            .collect()
    }
}
