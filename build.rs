//! Generates the gRPC code of examples/grpc/notes.proto for the example and the tests, with
//! protox (a protobuf compiler in Rust: no `protoc` to install).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "examples/grpc/notes.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["examples/grpc"])?;
    tonic_prost_build::configure().compile_fds(descriptors)?;
    Ok(())
}
