//! One's own data: CSV tables, their encodings, the generated sets, `fit`
//! and its model file, XOR model files, predictions, and the `compare`
//! benchmarks.
//!
//! | module | what |
//! |---|---|
//! | [`table`] | a CSV file's header and cells ([`Table`]) |
//! | [`encoding`] | columns → inputs and targets ([`Encoding`], [`Dataset`]), quality |
//! | [`generated`] | two spirals, N-bit parity, a noisy sine |
//! | [`early_stop`] | held-out rows and the patience of regression fits |
//! | [`fit`] | training on a [`Dataset`] ([`fit()`]) |
//! | [`model_file`] | what a `--model` file is, by its magic ([`ModelKind`]) |
//! | [`fitted`] | the model file of `fit --save` ([`FittedNet`]) |
//! | [`xor_model`] | XOR model files of `train --save`, on the truth table |
//! | [`predict`] | a saved model's predictions for a CSV file ([`Predictions`]) |
//! | [`compare`] | the data sets and runs of `hinf compare` |

pub mod compare;
pub mod early_stop;
pub mod encoding;
pub mod error;
pub mod fit;
pub mod fitted;
pub mod generated;
pub mod model_file;
pub mod predict;
pub mod table;
pub mod xor_model;

pub use encoding::{Dataset, Encoding, Quality, Task, quality, split_indices};
pub use error::DataError;
pub use fit::{FitOutcome, Stop, fit, fit_from};
pub use fitted::{Fitted, FittedNet, ModelMeta, evaluate, load, save};
pub use generated::{generated, noisy_sine, parity, two_spirals};
pub use model_file::{ModelKind, kind as model_kind};
pub use predict::Predictions;
pub use table::Table;
