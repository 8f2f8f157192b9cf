//! Delegation: the `act` claim of a token obtained by token exchange (RFC 8693 §4.1).

use serde_json::{Map, Value};

use super::model::ClaimTypeError;

use crate::defaults::MAX_ACTORS;

/// A party that acts for the token's subject: one level of the `act` claim (RFC 8693 §4.1),
/// identified by its `sub` (and `iss`, when the actor's identifier is scoped by an issuer).
///
/// [`Claims::actor`](crate::Claims::actor) is the current actor — the only one that counts for
/// access control (§4.1: "prior actors … are informational only") and the one a policy's
/// `actor = …` names; [`Claims::actors`](crate::Claims::actors) is the whole chain.
///
/// ```
/// use axioms::Claims;
/// use serde_json::json;
///
/// let claims = Claims::from_json_unverified(json!({
///     "sub": "alice",
///     "act": {"sub": "https://orders.example.com", "act": {"sub": "https://web.example.com"}},
/// }))
/// .unwrap();
/// let actor = claims.actor().unwrap();
/// assert_eq!(actor.subject(), "https://orders.example.com");
/// assert_eq!(actor.issuer(), None);
/// let chain: Vec<&str> = claims.actors().map(|a| a.subject()).collect();
/// assert_eq!(chain, ["https://orders.example.com", "https://web.example.com"]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    subject: &'a str,
    issuer: Option<&'a str>,
}

impl<'a> Actor<'a> {
    /// The actor's `sub`.
    ///
    /// ```
    /// # let claims = axioms::Claims::from_json_unverified(serde_json::json!({"sub": "a", "act": {"sub": "svc"}})).unwrap();
    /// assert_eq!(claims.actor().unwrap().subject(), "svc");
    /// ```
    pub fn subject(&self) -> &'a str {
        self.subject
    }

    /// The actor's `iss`, if the `act` object has one.
    ///
    /// ```
    /// # let claims = axioms::Claims::from_json_unverified(serde_json::json!({"sub": "a", "act": {"sub": "svc", "iss": "https://idp.example.com"}})).unwrap();
    /// assert_eq!(claims.actor().unwrap().issuer(), Some("https://idp.example.com"));
    /// ```
    pub fn issuer(&self) -> Option<&'a str> {
        self.issuer
    }
}

/// The actor of one `act` object, which [`check`] has accepted.
fn actor_of(act: &Map<String, Value>) -> Option<Actor<'_>> {
    Some(Actor {
        subject: act.get("sub")?.as_str()?,
        issuer: act.get("iss").and_then(Value::as_str),
    })
}

/// The chain of `act`, current actor first. Reads only what [`check`] accepted.
pub(crate) fn chain(claims: &Map<String, Value>) -> impl Iterator<Item = Actor<'_>> {
    let mut next = claims.get("act");
    std::iter::from_fn(move || {
        let act = next?.as_object()?;
        next = act.get("act");
        actor_of(act)
    })
}

/// Accepts an absent `act`, or a chain of at most [`MAX_ACTORS`] objects each with a
/// non-empty string `sub`, a string `iss` if any, and a nested `act` of the same shape if any.
pub(crate) fn check(claims: &Map<String, Value>) -> Result<(), ClaimTypeError> {
    let mut next = claims.get("act");
    let mut depth = 0;
    while let Some(act) = next {
        depth += 1;
        let Value::Object(act) = act else {
            return Err(ClaimTypeError);
        };
        let subject_ok = matches!(act.get("sub"), Some(Value::String(sub)) if !sub.is_empty());
        let issuer_ok = matches!(act.get("iss"), None | Some(Value::String(_)));
        if depth > MAX_ACTORS || !subject_ok || !issuer_ok {
            return Err(ClaimTypeError);
        }
        next = act.get("act");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_chain_is_read_current_actor_first() {
        let claims = map(json!({"act": {"sub": "b", "iss": "i", "act": {"sub": "c"}}}));
        assert_eq!(check(&claims), Ok(()));
        let chain: Vec<Actor<'_>> = chain(&claims).collect();
        assert_eq!(
            chain,
            [
                Actor {
                    subject: "b",
                    issuer: Some("i")
                },
                Actor {
                    subject: "c",
                    issuer: None
                }
            ]
        );
        assert_eq!(chain_len(&map(json!({}))), 0);
    }

    fn chain_len(claims: &Map<String, Value>) -> usize {
        chain(claims).count()
    }

    #[test]
    fn malformed_act_is_refused() {
        for act in [
            json!("svc"),
            json!(["svc"]),
            json!(null),
            json!({}),
            json!({"sub": ""}),
            json!({"sub": 7}),
            json!({"sub": "b", "iss": 1}),
            json!({"sub": "b", "act": "c"}),
            json!({"sub": "b", "act": {"iss": "i"}}),
        ] {
            assert_eq!(
                check(&map(json!({ "act": act }))),
                Err(ClaimTypeError),
                "{act}"
            );
        }
    }

    #[test]
    fn a_chain_deeper_than_the_limit_is_refused() {
        let nested = |depth: usize| {
            let mut act = json!({"sub": "last"});
            for i in 1..depth {
                act = json!({"sub": format!("s{i}"), "act": act});
            }
            map(json!({ "act": act }))
        };
        assert_eq!(check(&nested(MAX_ACTORS)), Ok(()));
        assert_eq!(chain_len(&nested(MAX_ACTORS)), MAX_ACTORS);
        assert_eq!(check(&nested(MAX_ACTORS + 1)), Err(ClaimTypeError));
    }
}
