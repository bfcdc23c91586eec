//! Learners that write themselves, with their network, as a core model
//! file (`hinf::model`: versioned, CRC-checked): the g-EHF with its `P`
//! (up to [`MAX_SAVED_P`] weights) or Adam with its whole state, so that
//! training can continue (on the host, or on the firmware). A fixed `P`
//! (steepest descent, `P = ε0 I` by definition) is not stored: the network
//! is the whole state, and ε0 is a setting (`train --save` keeps it).

use hinf::model::{save_adam, save_gehf, save_network, saved_len};
use hinf::{Adam, Covariance, GEhf, Real, ResNet};

/// The largest N_w for which `--save` stores the g-EHF's `P` (N_w² / 2
/// numbers: 8.4 M, 67 MB in f64, at the limit) with the filter's
/// parameters; for deeper nets the file holds the network only (and
/// `hinf train --save` says so on stderr).
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
        let spec = net.spec();
        if spec.n_weights() <= MAX_SAVED_P && !self.covariance().is_fixed() {
            save_with(saved_len::<T>(spec, true, false), |out| {
                save_gehf(net, self, out)
            })
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
