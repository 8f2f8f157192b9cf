//! The gRPC code of examples/grpc/notes.proto for the `grpc` bench (protox: no `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "../examples/grpc/notes.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["../examples/grpc"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
