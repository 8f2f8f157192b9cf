//! RFC 6570 URI templates (levels 1 and 2: `{var}`, `{+var}`, `{#var}`), matched against the
//! URI of a `resources/read`. RFC 6570 defines expansion only; matching inverts it: a
//! `{var}` stands for one or more characters that simple expansion leaves as they are
//! (unreserved characters and percent-encoded octets), a `{+var}` or `{#var}` for one or
//! more characters that reserved expansion leaves (reserved characters too). No maintained
//! crate matches (they expand), hence this small one.

use std::fmt;

/// One part of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(Box<str>),
    /// A variable; `reserved` for `{+var}` and `{#var}` (whose `#` is a literal before it).
    Var {
        name: Box<str>,
        reserved: bool,
    },
}

/// A URI template of a resource policy.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct UriTemplate {
    source: Box<str>,
    parts: Vec<Part>,
}

impl fmt::Debug for UriTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Why a template was refused (a programming error, reported when the policies are built).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TemplateError(pub(crate) &'static str);

/// The longest URI matched: longer ones match no template.
const MAX_URI: usize = 2048;

impl UriTemplate {
    pub(crate) fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find(['{', '}']) {
            let (literal, tail) = rest.split_at(open);
            if tail.starts_with('}') {
                return Err(TemplateError("a `}` closes no expression"));
            }
            push_literal(&mut parts, literal);
            let close = tail
                .find('}')
                .ok_or(TemplateError("an expression is not closed with `}`"))?;
            let expression = &tail[1..close];
            let (operator, name) = match expression.as_bytes().first() {
                Some(b'+') => (Some('+'), &expression[1..]),
                Some(b'#') => (Some('#'), &expression[1..]),
                Some(b'.' | b'/' | b';' | b'?' | b'&' | b'=' | b',' | b'!' | b'@' | b'|') => {
                    return Err(TemplateError(
                        "only `{var}`, `{+var}` and `{#var}` (RFC 6570 levels 1 and 2) can be matched",
                    ));
                }
                _ => (None, expression),
            };
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            {
                return Err(TemplateError(
                    "a variable name is one or more of A-Z, a-z, 0-9, `_` and `.` (no list, no modifier)",
                ));
            }
            if matches!(parts.last(), Some(Part::Var { .. })) && operator != Some('#') {
                return Err(TemplateError(
                    "two variables follow each other: where one ends cannot be told",
                ));
            }
            if parts
                .iter()
                .any(|p| matches!(p, Part::Var { name: n, .. } if &**n == name))
            {
                return Err(TemplateError("a variable appears twice"));
            }
            if operator == Some('#') {
                push_literal(&mut parts, "#");
            }
            parts.push(Part::Var {
                name: Box::from(name),
                reserved: operator.is_some(),
            });
            rest = &tail[close + 1..];
        }
        push_literal(&mut parts, rest);
        Ok(Self {
            source: Box::from(source),
            parts,
        })
    }

    /// The template as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the template has no variable (an exact URI).
    pub(crate) fn is_exact(&self) -> bool {
        !self.parts.iter().any(|p| matches!(p, Part::Var { .. }))
    }

    /// The variables' values if `uri` matches (percent-encoded as in the URI), else `None`.
    pub(crate) fn matches<'u>(&self, uri: &'u str) -> Option<Vec<(&str, &'u str)>> {
        if uri.len() > MAX_URI {
            return None;
        }
        let mut vars = Vec::new();
        matches_from(&self.parts, uri, &mut vars).then_some(vars)
    }
}

fn push_literal(parts: &mut Vec<Part>, literal: &str) {
    if literal.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some(Part::Literal(previous)) => *previous = format!("{previous}{literal}").into(),
        _ => parts.push(Part::Literal(Box::from(literal))),
    }
}

/// Backtracking match; every variable is followed by a literal (or ends the template), so
/// each variable tries at most the positions where its literal occurs.
fn matches_from<'t, 'u>(
    parts: &'t [Part],
    uri: &'u str,
    vars: &mut Vec<(&'t str, &'u str)>,
) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return uri.is_empty();
    };
    match first {
        Part::Literal(literal) => uri
            .strip_prefix(&**literal)
            .is_some_and(|tail| matches_from(rest, tail, vars)),
        Part::Var { name, reserved } => {
            // The longest run of characters the expansion can produce.
            let run = uri
                .char_indices()
                .find(|&(_, c)| !allowed(c, *reserved))
                .map_or(uri.len(), |(i, _)| i);
            let candidates: Vec<usize> = match rest.first() {
                Some(Part::Literal(next)) => uri
                    .match_indices(&**next)
                    .map(|(i, _)| i)
                    .take_while(|&i| i <= run)
                    .collect(),
                _ => vec![run],
            };
            for end in candidates.into_iter().rev() {
                if end == 0 || !well_encoded(&uri[..end]) {
                    continue;
                }
                vars.push((&**name, &uri[..end]));
                if matches_from(rest, &uri[end..], vars) {
                    return true;
                }
                vars.pop();
            }
            false
        }
    }
}

/// Characters an expansion leaves as they are: unreserved and `%` (of a percent-encoded
/// octet), and for reserved expansion the reserved characters too (RFC 6570 §1.5).
fn allowed(c: char, reserved: bool) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '-' | '.' | '_' | '~' | '%')
        || (reserved && ":/?#[]@!$&'()*+,;=".contains(c))
}

/// Every `%` starts a percent-encoded octet.
fn well_encoded(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(template: &str, uri: &str) -> Option<Vec<(String, String)>> {
        UriTemplate::parse(template).unwrap().matches(uri).map(|v| {
            v.into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    }

    fn pairs(list: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        Some(
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn simple_variables_stop_at_reserved_characters() {
        assert_eq!(vars("notes://{id}", "notes://42"), pairs(&[("id", "42")]));
        assert_eq!(
            vars("notes://{id}", "notes://4%2F2"),
            pairs(&[("id", "4%2F2")])
        );
        assert_eq!(vars("notes://{id}", "notes://a/b"), None);
        assert_eq!(
            vars("notes://{id}", "notes://"),
            None,
            "a value is not empty"
        );
        assert_eq!(vars("notes://{id}", "notes://4%2"), None, "a broken escape");
        assert_eq!(vars("notes://{id}", "files://42"), None);
        assert_eq!(
            vars("users/{user}/notes/{id}.md", "users/ann/notes/7.md"),
            pairs(&[("user", "ann"), ("id", "7")])
        );
        assert_eq!(
            vars("users/{user}/notes/{id}.md", "users/ann/notes/7.txt"),
            None
        );
    }

    #[test]
    fn reserved_variables_span_slashes() {
        assert_eq!(
            vars("file:///{+path}", "file:///home/ann/a.txt"),
            pairs(&[("path", "home/ann/a.txt")])
        );
        assert_eq!(
            vars("repo://{owner}/{+path}", "repo://ann/src/lib.rs"),
            pairs(&[("owner", "ann"), ("path", "src/lib.rs")])
        );
        assert_eq!(
            vars("doc://{id}{#section}", "doc://7#intro"),
            pairs(&[("id", "7"), ("section", "intro")])
        );
        assert_eq!(vars("a/{+x}/b", "a/1/2/b"), pairs(&[("x", "1/2")]));
    }

    #[test]
    fn exact_uris_match_only_themselves() {
        let t = UriTemplate::parse("config://app").unwrap();
        assert!(t.is_exact());
        assert_eq!(t.matches("config://app"), Some(vec![]));
        assert_eq!(t.matches("config://app2"), None);
        assert_eq!(t.as_str(), "config://app");
    }

    #[test]
    fn templates_that_cannot_be_matched_are_refused() {
        for bad in [
            "notes://{id",
            "notes://id}",
            "notes://{}",
            "notes://{/id}",
            "notes://{?q}",
            "notes://{a,b}",
            "notes://{id*}",
            "notes://{id:3}",
            "notes://{a}{b}",
            "notes://{a}/{a}",
        ] {
            assert!(UriTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_uris_match_nothing() {
        let t = UriTemplate::parse("x://{+rest}").unwrap();
        let long = format!("x://{}", "a".repeat(MAX_URI));
        assert_eq!(t.matches(&long), None);
    }
}
