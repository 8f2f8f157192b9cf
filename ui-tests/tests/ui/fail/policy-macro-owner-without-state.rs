//! A named policy with `owner(…)` but no `state = …`.
#![allow(dead_code)]

struct Article {
    user: String,
}

async fn get_article() -> Option<Article> {
    Some(Article {
        user: "alice".into(),
    })
}

axioms::policy!(pub OwnerOnly: owner(fetch = get_article));

fn main() {}
