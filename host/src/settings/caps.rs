//! The default epoch caps, one per kind of run, shared by `hinf train`,
//! `hinf reproduce` and `hinf sweep` ([`default_cap`]); `--max-epochs`
//! overrides them ([`cap`]).
//!
//! | run | cap | why |
//! |---|---|---|
//! | H∞ | 100 | the paper's H∞ trials stop after ~20–26 epochs, and an H∞ epoch costs O(k·N_w) with k the updates so far |
//! | H∞ with the trust-region extension | 300 | it needs ~10–25 epochs (`reproduce --beyond`) |
//! | steepest descent | 10 000 | the paper's sd needs ~4 800 epochs at L = 801 |
//! | Adam | 10 000 | the paper's Adam needs ~1 700–2 200 epochs |
//!
//! `reproduce --quick` caps Adam and steepest descent at [`QUICK`].

use super::choices::Method;
use super::trial::TrialSpec;
use super::variant::ExtensionKind;

/// H∞ (the g-EHF as printed).
pub const HINF: u32 = 100;
/// H∞ with the trust-region extension.
pub const TRUST_REGION: u32 = 300;
/// Steepest descent.
pub const SD: u32 = 10_000;
/// Adam.
pub const ADAM: u32 = 10_000;
/// Adam and steepest descent in `reproduce --quick`.
pub const QUICK: u32 = 3000;

/// The default epoch cap of `method` with `extension`.
pub fn default_cap(method: Method, extension: ExtensionKind) -> u32 {
    match (method, extension) {
        (Method::Hinf, ExtensionKind::TrustRegion) => TRUST_REGION,
        (Method::Hinf, ExtensionKind::None) => HINF,
        (Method::Sd, _) => SD,
        (Method::Adam, _) => ADAM,
    }
}

/// `given` (`--max-epochs`) if set, else the default cap of `spec`'s
/// method and extension.
pub fn cap(spec: &TrialSpec, given: Option<u32>) -> u32 {
    given.unwrap_or_else(|| default_cap(spec.method, spec.variant.extension))
}

/// `spec` with its epoch cap set by [`cap`].
pub fn capped(spec: TrialSpec, given: Option<u32>) -> TrialSpec {
    TrialSpec {
        max_epochs: cap(&spec, given),
        ..spec
    }
}

/// The caps as `--help` shows them.
pub fn help() -> String {
    format!(
        "Epoch cap of every trial; ≥ 1 [default: hinf {HINF}, hinf with --extension \
         trust-region {TRUST_REGION}, sd {SD}, adam {ADAM}; `reproduce --quick`: sd and \
         adam {QUICK}]"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_has_its_cap() {
        let s = |method| TrialSpec {
            method,
            ..TrialSpec::default()
        };
        assert_eq!(cap(&s(Method::Hinf), None), 100);
        assert_eq!(cap(&s(Method::Sd), None), 10_000);
        assert_eq!(cap(&s(Method::Adam), None), 10_000);
        let mut tr = s(Method::Hinf);
        tr.variant.extension = ExtensionKind::TrustRegion;
        assert_eq!(cap(&tr, None), 300);
        assert_eq!(cap(&tr, Some(7)), 7);
    }
}
