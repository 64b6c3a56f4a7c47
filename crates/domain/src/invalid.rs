//! The one error a domain constructor or rule returns: which field, a stable code, and a
//! sentence a caller can act on. Adapters map it to a 4xx response.

use crate::ErrorCode;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The input field at fault, e.g. `"email"`, or `None` when the request as a whole is wrong.
    pub field: Option<&'static str>,
    /// A stable, machine-readable code such as `invalid_email`.
    pub code: ErrorCode,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            code,
            message: message.into(),
        }
    }

    pub fn whole(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: None,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Invalid {}

/// Implements `as_str`, `FromStr` (with a field-naming error), `Display` and serde as
/// the snake_case name for a fieldless enum, so each name is written exactly once.
#[macro_export]
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal, $code:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::Invalid;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::Invalid::new(
                        $field,
                        $crate::ErrorCode::$code,
                        format!(
                            "`{}` is not one of: {}",
                            s.chars().take(40).collect::<String>(),
                            [$($text),+].join(", ")
                        ),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(|e: $crate::Invalid| serde::de::Error::custom(e.message))
            }
        }
    };
}
