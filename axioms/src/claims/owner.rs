//! Owner values: what an object's owner field may hold, and how it compares with a claim.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::Principal;

/// A value of an object's owner field that can be compared with a token claim.
///
/// The rules, chosen so that nothing compares by accident:
///
/// * **strings** (`String`, `str`, `Box<str>`, `Arc<str>`, `Cow<str>`) equal a string claim
///   exactly (case-sensitive, no trimming);
/// * **integers** equal a numeric claim of the same value, or a string claim that is exactly
///   the integer's decimal form (`"42"`, not `"042"` or `"+42"`): many IdPs put numeric user
///   ids in `sub` as strings;
/// * **`Option<T>`**: `None` is owned by nobody; `Some(v)` compares `v`;
/// * **`uuid::Uuid`** (feature `uuid`) equals a string claim that parses to the same UUID
///   (any case, hyphenated);
/// * a **missing, `null` or empty claim**, or a claim of another JSON type, never matches:
///   [`Claims::owns`](crate::Claims::owns) refuses it before asking the field, so an
///   implementation of this trait only ever sees a non-empty string or a number. An empty
///   owner field (`""`) therefore matches nothing;
/// * **which directory**: a plain value belongs to the primary issuer's user directory
///   (shared by the issuers declared to share it), so only their tokens can own it; a
///   [`Principal`] names its directory (`partner:alice`), so only tokens of that directory
///   can. A partner's `sub: "alice"` never owns our Alice's `"alice"`.
///
/// # Example
///
/// ```
/// use axioms::policy::OwnerValue;
/// use serde_json::json;
///
/// assert!("alice".matches_claim(&json!("alice")));
/// assert!(!"alice".matches_claim(&json!("Alice")));
/// assert!(42u64.matches_claim(&json!("42")));
/// assert!(42u64.matches_claim(&json!(42)));
/// assert!(!42u64.matches_claim(&json!("042")));
/// assert!(!None::<String>.matches_claim(&json!("alice")));
/// assert_eq!("alice".directory(), None); // the primary directory's
/// let partner: axioms::Principal = "partner:alice".parse().unwrap();
/// assert_eq!(OwnerValue::directory(&partner), Some("partner"));
///
/// let claims = axioms::Claims::from_json_unverified(json!({"email": ""})).unwrap();
/// assert!(!claims.owns("", "email")); // empty never owns empty
/// ```
#[diagnostic::on_unimplemented(
    message = "the owner field of type `{Self}` cannot be compared with a token claim",
    label = "this field's type does not implement `axioms::policy::OwnerValue`",
    note = "owner fields may be strings, integers, `axioms::Principal`, `Option` of those, or `uuid::Uuid` (feature `uuid`); implement `axioms::policy::OwnerValue` for other types"
)]
pub trait OwnerValue {
    /// Whether this owner value equals the claim.
    fn matches_claim(&self, claim: &Value) -> bool;

    /// The user directory this owner belongs to: `None` (the default) for the primary
    /// issuer's, or a trusted issuer's name. Only a token of that directory can own it.
    fn directory(&self) -> Option<&str> {
        None
    }
}

impl OwnerValue for str {
    fn matches_claim(&self, claim: &Value) -> bool {
        claim.as_str() == Some(self)
    }
}

macro_rules! deref_owner {
    ($($ty:ty),*) => {$(
        impl OwnerValue for $ty {
            fn matches_claim(&self, claim: &Value) -> bool {
                <str as OwnerValue>::matches_claim(self, claim)
            }
        }
    )*};
}
deref_owner!(String, Box<str>, Arc<str>, Rc<str>, Cow<'_, str>);

impl<T: OwnerValue + ?Sized> OwnerValue for &T {
    fn matches_claim(&self, claim: &Value) -> bool {
        (**self).matches_claim(claim)
    }

    fn directory(&self) -> Option<&str> {
        (**self).directory()
    }
}

impl<T: OwnerValue> OwnerValue for Option<T> {
    fn matches_claim(&self, claim: &Value) -> bool {
        self.as_ref().is_some_and(|v| v.matches_claim(claim))
    }

    fn directory(&self) -> Option<&str> {
        self.as_ref().and_then(OwnerValue::directory)
    }
}

/// A subject of its own directory: matches a string claim equal to its subject, for a token
/// of that directory only.
impl OwnerValue for Principal {
    fn matches_claim(&self, claim: &Value) -> bool {
        claim.as_str() == Some(self.subject())
    }

    fn directory(&self) -> Option<&str> {
        Some(self.directory())
    }
}

macro_rules! int_owner {
    ($($ty:ty),*) => {$(
        impl OwnerValue for $ty {
            fn matches_claim(&self, claim: &Value) -> bool {
                let me = i128::from(*self);
                match claim {
                    Value::Number(n) => n
                        .as_i64()
                        .map(i128::from)
                        .or_else(|| n.as_u64().map(i128::from))
                        .is_some_and(|c| c == me),
                    Value::String(s) => *s == me.to_string(),
                    _ => false,
                }
            }
        }
    )*};
}
int_owner!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! wide_int_owner {
    ($($ty:ty),*) => {$(
        impl OwnerValue for $ty {
            fn matches_claim(&self, claim: &Value) -> bool {
                match claim {
                    Value::Number(n) => n.to_string() == self.to_string(),
                    Value::String(s) => *s == self.to_string(),
                    _ => false,
                }
            }
        }
    )*};
}
wide_int_owner!(i128, u128, isize, usize);

#[cfg(feature = "uuid")]
impl OwnerValue for uuid::Uuid {
    fn matches_claim(&self, claim: &Value) -> bool {
        claim
            .as_str()
            .and_then(|s| uuid::Uuid::try_parse(s).ok())
            .is_some_and(|c| c == *self)
    }
}
