//! The examples: each example program run as its own process ([`tutorial`], [`programs`]), the
//! axioms-fastapi tutorial's route table in process ([`in_process`]), and the README's quick
//! start as the crate CI builds ([`readme`]).
//!
//! The examples are built once per run of this binary (`cargo build --examples`, with the cargo
//! and profile of the test itself), then started from `target/<profile>/examples/` with
//! `BIND_ADDR=127.0.0.1:0`; the real address is read from the `listening on http://…` line they
//! print.

mod grpc;
mod in_process;
mod programs;
mod readme;
mod tutorial;

/// A working directory for an example process (its `.env`, its database).
fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("axioms-tutorial-")
        .tempdir()
        .unwrap()
}
