//! Features' state handles: a cheap-to-clone `Arc` around a struct of the
//! parts a feature needs, built once by the composition root and handed to
//! handlers through axum's `FromRef`.

/// Declares `$name`, a cheap-to-clone handle to `$parts` (an `Arc`), with
/// `$name::new(parts)` and `Deref` to the parts.
#[macro_export]
macro_rules! handle {
    ($(#[$meta:meta])* $name:ident => $parts:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(::std::sync::Arc<$parts>);

        impl $name {
            /// A handle to these parts.
            pub fn new(parts: $parts) -> Self {
                $name(::std::sync::Arc::new(parts))
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $parts;
            fn deref(&self) -> &$parts {
                &self.0
            }
        }
    };
}
