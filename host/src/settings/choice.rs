//! Settings whose value is one of a few names: the [`Choice`] trait, and
//! the `choices!` macro that declares such an enum once (variants, their
//! names as the CLI, CSV and JSON spell them, and one line of help each).

/// A setting whose value is one of a few named choices.
pub trait Choice: Copy + PartialEq + Sized + 'static {
    /// Every value, in the order the help lists them.
    const ALL: &'static [Self];
    /// The name of `self` as flags, CSV and JSON spell it (e.g. `half-sse`).
    fn name(self) -> &'static str;
    /// One line on what `self` means.
    fn help(self) -> &'static str;
}

/// Declares a `Copy` enum with serde names and its [`Choice`] impl:
/// `Variant = "name": "help"`, one per line; `#[default]` may mark one.
macro_rules! choices {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $var:ident = $text:literal : $help:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( #[doc = $help] $(#[$vmeta])* #[serde(rename = $text)] $var ),+
        }
        impl $crate::settings::Choice for $name {
            const ALL: &'static [Self] = &[$($name::$var),+];
            fn name(self) -> &'static str {
                match self { $($name::$var => $text),+ }
            }
            fn help(self) -> &'static str {
                match self { $($name::$var => $help),+ }
            }
        }
    };
}
pub(crate) use choices;
