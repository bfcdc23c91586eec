//! Predictions of a saved model for the rows of a CSV file (`hinf
//! predict`): one output row per input row, led by `line`, the input
//! row's line in its file (1 = the header).
//!
//! * A `fit` model needs its feature columns (by name, in any order; the
//!   target and other columns are ignored). Classification: the predicted
//!   class in a column named after the target, then every class's sigmoid
//!   output in a column named after the class. Regression: each target's
//!   value in its own units, in a column named after it.
//! * An XOR model (`train --save`) needs two input columns: `x1` and `x2`,
//!   or a file of exactly two columns. They are XOR's truth values, 0 and
//!   1 (any number, mapped linearly onto the model's input coding: x for
//!   binary, 2x − 1 for bipolar); the output row is the network's `output`
//!   and `xor`, 1 if the output is above the targets' midpoint, else 0.

use super::encoding::{Encoding, Task};
use super::error::DataError;
use super::fitted::{Fitted, FittedNet};
use super::table::Table;
use super::xor_model::XorModel;
use crate::settings::Inputs;

/// A table of predictions: a header and one row of cells per input row.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    /// Column names, `line` first.
    pub header: Vec<String>,
    /// One row per input row, as text.
    pub rows: Vec<Vec<String>>,
}

impl Predictions {
    /// As CSV text (fields quoted where they need it).
    pub fn csv(&self) -> String {
        let mut s = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = row.iter().map(|c| csv_field(c)).collect();
            s += &cells.join(",");
            s.push('\n');
        }
        s
    }
}

/// A CSV field: quoted (with `""` for a quote) if it holds a comma, a
/// quote, a line break or surrounding spaces.
fn csv_field(c: &str) -> String {
    let plain = !c.contains([',', '"', '\n', '\r']) && c.trim() == c;
    if plain {
        c.to_string()
    } else {
        format!("\"{}\"", c.replace('"', "\"\""))
    }
}

/// The predictions of a `fit` model for every row of `table`.
pub fn predict_fitted(f: &mut Fitted, table: &Table) -> Result<Predictions, DataError> {
    let enc = &f.meta.encoding;
    let inputs = enc.encode_features(table)?;
    let outs = f.net.outputs(&inputs)?;
    let m = enc.n_outputs().max(1);
    let header = fitted_header(enc);
    let rows = table
        .rows
        .iter()
        .zip(outs.chunks_exact(m))
        .map(|((line, _), o)| {
            let mut row = vec![line.to_string()];
            match enc.task {
                Task::Classification => {
                    let best = (0..m).max_by(|&a, &b| o[a].total_cmp(&o[b])).unwrap_or(0);
                    row.push(enc.classes[best].clone());
                    row.extend(o.iter().map(|v| v.to_string()));
                }
                _ => row.extend((0..m).map(|k| enc.unscale_target(k, o[k]).to_string())),
            }
            row
        })
        .collect();
    Ok(Predictions { header, rows })
}

/// `line`, then the target (classification) and the classes, or the
/// targets; a name already taken gets `_output` appended.
fn fitted_header(enc: &Encoding) -> Vec<String> {
    let names: Vec<&String> = match enc.task {
        Task::Classification => enc.targets.iter().take(1).chain(&enc.classes).collect(),
        _ => enc.targets.iter().collect(),
    };
    let mut header = vec!["line".to_string()];
    for n in names {
        let mut name = n.clone();
        while header.contains(&name) {
            name += "_output";
        }
        header.push(name);
    }
    header
}

/// The predictions of an XOR model for every row of `table`, in the
/// model's input coding (`inputs` for a bare core file, else bipolar).
pub fn predict_xor(
    x: &XorModel,
    inputs: Option<Inputs>,
    table: &Table,
) -> Result<Predictions, DataError> {
    let (coding, targets) = x.coding(inputs);
    let (a, b) = xor_columns(table)?;
    let (ca, cb) = (table.numeric(a)?, table.numeric(b)?);
    let code = |v: f64| match coding {
        Inputs::Binary => v,
        Inputs::Bipolar => 2.0 * v - 1.0,
    };
    let net_inputs: Vec<f64> = ca
        .iter()
        .zip(&cb)
        .flat_map(|(&p, &q)| [code(p), code(q)])
        .collect();
    let mut net = FittedNet::of(&x.model()?)?;
    let outs = net.outputs(&net_inputs)?;
    let (low, high) = targets.values();
    let mid = 0.5 * (low + high);
    let rows = table
        .rows
        .iter()
        .zip(&outs)
        .map(|((line, _), o)| {
            vec![
                line.to_string(),
                o.to_string(),
                u8::from(*o > mid).to_string(),
            ]
        })
        .collect();
    let header = ["line", "output", "xor"].map(String::from).to_vec();
    Ok(Predictions { header, rows })
}

/// The two input columns of an XOR model: `x1` and `x2`, or the only two.
fn xor_columns(table: &Table) -> Result<(usize, usize), DataError> {
    let named = (table.column("x1"), table.column("x2"));
    if let (Ok(a), Ok(b)) = named {
        return Ok((a, b));
    }
    if table.header.len() == 2 {
        return Ok((0, 1));
    }
    Err(DataError::Encoding(format!(
        "{}: an XOR model takes two inputs: columns 'x1' and 'x2', or a file of exactly two columns (columns: {})",
        table.source,
        table.header.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_where_needed_and_names_made_unique() {
        assert_eq!(csv_field("setosa"), "setosa");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field(" x"), "\" x\"");
        let enc = Encoding {
            features: vec!["f".into()],
            mean: vec![0.0],
            scale: vec![1.0],
            targets: vec!["kind".into()],
            task: Task::Classification,
            classes: vec!["line".into(), "kind".into(), "b".into()],
            target_range: Vec::new(),
        };
        assert_eq!(
            fitted_header(&enc),
            ["line", "kind", "line_output", "kind_output", "b"]
        );
        let row: Vec<String> = ["2", "a,b", "0.5", "0.25", "x \"y\""]
            .map(String::from)
            .to_vec();
        let p = Predictions {
            header: fitted_header(&enc),
            rows: vec![row.clone()],
        };
        let back = Table::parse(&p.csv(), "p").unwrap();
        assert_eq!((back.header, back.rows), (p.header, vec![(2, row)]));
    }
}
