//! `#[protected]` and `policy!` at run time, through real axum routers (`oneshot`, and for a
//! subset real HTTP over 127.0.0.1): every clause ([`clauses`]), their composition
//! ([`composition`]), delegated tokens and `actor = …` ([`delegation`]), the guard before every
//! other extractor and `Claims` reusing its verdict ([`extractors`]), named policies on
//! handlers and as a layer ([`named`]), every entry point deciding alike ([`entry_points`]),
//! and the evaluator against a reference model ([`model`]).

mod clauses;
mod composition;
mod delegation;
mod entry_points;
mod extractors;
mod model;
mod named;
