// The settings of the service — its resource, challenges, safe methods, caches, clock, DPoP,
// token sources and API keys — are set once on `Config::builder(issuer)`, for every trusted
// issuer. None of them can be written on one issuer's settings: each line is an error.
use std::time::Duration;

use axioms::api_key::ApiKeys;
use axioms::check::Exact;
use axioms::{Algorithm, Issuer, IssuerBuilder, ManualClock, Trust};

fn issuer() -> IssuerBuilder {
    Issuer::builder().issuer("https://partner.example/").audience("api")
}

fn main() {
    let _ = issuer().resource("https://api.example.com");
    let _ = issuer().realm("api");
    let _ = issuer().safe_methods([http::Method::GET]);
    let _ = issuer().clock(ManualClock::new(0));
    let _ = issuer().scope_matcher(Exact);
    let _ = issuer().max_token_bytes(4096);
    let _ = issuer().token_cache(0);
    let _ = issuer().token_cache_bytes(1 << 20);
    let _ = issuer().insecure_allow_http(true);
    let _ = issuer().require_dpop();
    let _ = issuer().dpop_algorithms([Algorithm::ES256]);
    let _ = issuer().dpop_proof_lifetime(Duration::from_secs(30));
    let _ = issuer().dpop_nonce_secret([7; 32]);
    let _ = issuer().dpop_origin("https://api.example.com");
    let _ = issuer().dpop_replay_entries(1000);
    let _ = issuer().dpop_redis_url("redis://127.0.0.1:6379/0");
    let _ = issuer().trust_client_cert_header("Client-Cert");
    let _ = issuer().api_keys(ApiKeys::new());
    let _ = issuer().api_key_header("X-API-Key");
    let _ = issuer().token_header("X-Access-Token");
    let _ = issuer().token_cookie("__Host-access_token");
    let _ = issuer().cookie_origins(["https://app.example.com"]);
    let _ = issuer().trust("partner", issuer(), Trust::partner());
}
