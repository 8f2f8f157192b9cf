//! A gRPC method's policy is enforced by a layer, before the message is decoded: a policy
//! with `owner(…)` cannot be one.
use axioms::grpc::GrpcMethods;
use axioms_ui_tests::AppState;

axioms::policy!(pub OwnerOnly: owner(fetch = axioms_ui_tests::get_article), state = AppState);

fn main() {
    let _ = GrpcMethods::new().method::<OwnerOnly>("/notes.v1.Notes/GetNote");
}
