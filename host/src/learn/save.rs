//! Learners that write themselves, with their network, as a core model
//! file (`hinf::model`: versioned, CRC-checked): the g-EHF with its `P`
//! (packed up to [`MAX_SAVED_P`] weights; a window always: an information
//! window by its rows, a structured window by its terms) or Adam with its
//! whole state, so that
//! training can continue (on the host, or on the firmware). A fixed `P`
//! (steepest descent, `P = ε0 I` by definition) is not stored: the network
//! is the whole state, and ε0 is a setting (`train --save` keeps it).
//!
//! And learners that read themselves back ([`LoadState`]): the network,
//! and the learner's own state where the file holds it.

use hinf::model::{Model, save_adam, save_gehf, save_network, saved_gehf_len, saved_len};
use hinf::{Adam, Covariance, GEhf, Real, ResNet};

/// The largest N_w for which `--save` stores the g-EHF's packed `P` (N_w² / 2
/// numbers: 8.4 M, 67 MB in f64, at the limit) with the filter's
/// parameters; for deeper nets the file holds the network only (and
/// `hinf train --save` says so on stderr). A window is always stored: an
/// information window by its rows (at most r·N_L·(N_w + 1) numbers), a
/// structured window by its terms (at most r·(N_w + 1)).
pub const MAX_SAVED_P: usize = 4096;

/// A learner that can write itself, with its network, as a model file.
pub trait SaveState<T: Real> {
    /// The model file's bytes.
    fn model_bytes<S: AsRef<[T]> + AsMut<[T]>>(&self, net: &ResNet<T, S>) -> hinf::Result<Vec<u8>>;
}

fn save_with(
    len: usize,
    write: impl FnOnce(&mut [u8]) -> hinf::Result<usize>,
) -> hinf::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let n = write(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

impl<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>> SaveState<T> for GEhf<T, C, U> {
    fn model_bytes<S: AsRef<[T]> + AsMut<[T]>>(&self, net: &ResNet<T, S>) -> hinf::Result<Vec<u8>> {
        let (spec, cov) = (net.spec(), self.covariance());
        let window = cov.window_state().is_some() || cov.term_state().is_some();
        if window || (spec.n_weights() <= MAX_SAVED_P && !cov.is_fixed()) {
            save_with(saved_gehf_len(spec, cov), |out| save_gehf(net, self, out))
        } else {
            save_with(saved_len::<T>(spec, false, false), |out| {
                save_network(net, out)
            })
        }
    }
}

impl<T: Real, A: AsRef<[T]> + AsMut<[T]>> SaveState<T> for Adam<T, A> {
    fn model_bytes<S: AsRef<[T]> + AsMut<[T]>>(&self, net: &ResNet<T, S>) -> hinf::Result<Vec<u8>> {
        save_with(saved_len::<T>(net.spec(), false, true), |out| {
            save_adam(net, self, out)
        })
    }
}

/// A learner that can start from a saved one.
pub trait LoadState<T: Real> {
    /// Loads the network of `model` into `net` and, where the file holds
    /// it, the learner's own state into `self`: the g-EHF's `P` and
    /// parameters (γ_f, ε0, gain order, regularization), or Adam's moments,
    /// step count and parameters. Without that section (a network-only
    /// file) the learner keeps its fresh state (`P = ε0 I`, zero moments).
    /// A file with the other method's section is refused. All or nothing.
    fn load_state(&mut self, model: &Model<'_>, net: &mut ResNet<T, Vec<T>>) -> hinf::Result<()>;
}

impl<T: Real, C: Covariance<T>, U: AsRef<[T]> + AsMut<[T]>> LoadState<T> for GEhf<T, C, U> {
    fn load_state(&mut self, model: &Model<'_>, net: &mut ResNet<T, Vec<T>>) -> hinf::Result<()> {
        if model.adam_config().is_some() {
            return Err(hinf::Error::Unsupported {
                what: "Adam's state in a g-EHF learner (the model was trained with --method adam)",
            });
        }
        if !model.has_covariance() {
            return model.load_network(net);
        }
        let n = model.covariance_scratch_len();
        let mut scratch = Vec::new();
        scratch
            .try_reserve_exact(n)
            .map_err(|_| hinf::Error::CapacityExceeded {
                what: "memory for the saved covariance",
                needed: n,
                capacity: 0,
            })?;
        scratch.resize(n, T::ZERO);
        model.load_gehf_via(net, self, &mut scratch)
    }
}

impl<T: Real, A: AsRef<[T]> + AsMut<[T]>> LoadState<T> for Adam<T, A> {
    fn load_state(&mut self, model: &Model<'_>, net: &mut ResNet<T, Vec<T>>) -> hinf::Result<()> {
        if model.has_covariance() {
            return Err(hinf::Error::Unsupported {
                what: "a g-EHF's P in an Adam learner (the model was trained with --method hinf or sd)",
            });
        }
        match model.adam_config() {
            Some(_) => model.load_adam(net, self),
            None => model.load_network(net),
        }
    }
}
