//! The browser proof checker (`/tools/proof-check/` of `oid4vci serve`, WebAssembly):
//!
//! - the committed build (`crates/oid4vci-cli/proof-check/`) is what the sources build to
//!   (`scripts/build-proof-checker.sh --check`, reproducible);
//! - in headless Chromium (`browser/proof_checker.mjs`), every constructed proof vector of
//!   `testdata/constructed_proof_vectors.json`, and tampered copies of the valid ones, get from
//!   the page exactly the report `oid4vci proof check` prints for the same input and options;
//!   the page decodes an offer as `oid4vci offer decode` does; an SD-JWT VC and an mdoc issued
//!   by the demo issuer, pasted with its document-signer certificate or its IACA root, show
//!   their disclosed claims / data elements and "Signature valid", with another certificate
//!   (or a tampered signature) the signature error, and the page's report is exactly what
//!   `oid4vci credential decode` prints; load time and the gzipped WebAssembly size are
//!   printed, the size must stay under 1 MiB.
//!
//! Where Chromium or the wasm tools cannot be had, the tests print `SKIPPED: <name>: <reason>`.

mod support;

use oid4vci_issuer_testkit::TestWallet;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use support::{
    node_report, pem_certificates, repo_root, run_script, skip_or_fail, target_dir, temp_dir,
    Server,
};

#[test]
fn the_committed_checker_is_what_the_sources_build() {
    let out = Command::new("bash")
        .arg(repo_root().join("scripts/build-proof-checker.sh"))
        .arg("--check")
        .output()
        .expect("run scripts/build-proof-checker.sh");
    if skip_or_fail(
        "the_committed_checker_is_what_the_sources_build",
        "build-proof-checker.sh --check",
        &out,
        3,
    ) {
        return;
    }
    let wasm = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("proof-check/pkg/oid4vci_proof_wasm_bg.wasm"),
    )
    .expect("wasm");
    assert!(wasm.starts_with(b"\0asm"), "a WebAssembly module");
}

/// The CLI's report for `jwt` with `options` (the page's option names).
fn cli_report(jwt: &str, options: &Value) -> Value {
    let mut args: Vec<String> = vec!["proof".into(), "check".into()];
    for (name, flag) in [
        ("aud", "--aud"),
        ("nonce", "--nonce"),
        ("client_id", "--client-id"),
    ] {
        if let Some(v) = options[name].as_str() {
            args.extend([flag.to_owned(), v.to_owned()]);
        }
    }
    args.extend(["--now".to_owned(), options["now"].to_string()]);
    if options["anonymous"] == true {
        args.push("--anonymous".into());
    }
    let dir = temp_dir();
    if let Some(jwks) = options["attester_jwks"].as_array() {
        for (i, jwk) in jwks.iter().enumerate() {
            let path = dir.path().join(format!("attester-{i}.jwk"));
            std::fs::write(&path, jwk.to_string()).expect("write jwk");
            args.extend(["--attester-jwk".to_owned(), path.display().to_string()]);
        }
    }
    args.push(jwt.to_owned());
    let out = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(&args)
        .output()
        .expect("run oid4vci proof check");
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// The vectors: every constructed jwt proof and single attestation proof with the default
/// context (and the vector's own client and attester), plus a tampered copy of each valid one.
fn vectors() -> Vec<Value> {
    let path = repo_root().join("testdata/constructed_proof_vectors.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let ctx = &doc["default_context"];
    let base = json!({
        "aud": ctx["credential_issuer"],
        "nonce": ctx["valid_c_nonces"][0],
        "now": ctx["verification_time"],
    });
    let mut out = Vec::new();
    let mut push = |id: String, jwt: &str, overrides: &Value| {
        let mut options = base.clone();
        let anonymous = overrides
            .get("anonymous_pre_auth")
            .unwrap_or(&ctx["anonymous_pre_auth"]);
        match overrides.get("client_id").and_then(Value::as_str) {
            Some(client) if anonymous != true => options["client_id"] = json!(client),
            _ => options["anonymous"] = json!(anonymous == true),
        }
        if let Some(jwk) = overrides.get("trusted_key_attestation_issuer_jwk") {
            options["attester_jwks"] = json!([jwk]);
        }
        out.push(json!({"id": id, "jwt": jwt, "options": options}));
    };
    for v in doc["jwt_proof_vectors"].as_array().expect("jwt vectors") {
        let (id, jwt) = (
            v["id"].as_str().expect("id"),
            v["jwt"].as_str().expect("jwt"),
        );
        let overrides = v.get("context_overrides").cloned().unwrap_or(json!({}));
        push(id.to_owned(), jwt, &overrides);
        if v["expected"] == "accept" {
            // The same proof with one signature byte changed.
            let mut bytes = jwt.as_bytes().to_vec();
            if let Some(last) = bytes.last_mut() {
                *last = if *last == b'A' { b'B' } else { b'A' };
            }
            let tampered = String::from_utf8(bytes).expect("ascii");
            push(format!("{id}/tampered"), &tampered, &overrides);
        }
    }
    for v in doc["attestation_proof_vectors"]
        .as_array()
        .expect("attestation vectors")
    {
        let jwts = v["proofs"]["attestation"].as_array().expect("proofs");
        if let [jwt] = jwts.as_slice() {
            let overrides = v.get("context_overrides").cloned().unwrap_or(json!({}));
            push(
                v["id"].as_str().expect("id").to_owned(),
                jwt.as_str().expect("jwt"),
                &overrides,
            );
        }
    }
    out
}

#[test]
fn the_page_and_the_cli_agree_on_every_vector() {
    let test = "the_page_and_the_cli_agree_on_every_vector";
    let install = run_script("browser/install.sh");
    if skip_or_fail(test, "browser/install.sh", &install, 2) {
        return;
    }
    let dir = temp_dir();
    let server = Server::start(dir.path(), &[]);
    let vectors = vectors();
    let file = dir.path().join("vectors.json");
    std::fs::File::create(&file)
        .and_then(|mut f| f.write_all(Value::Array(vectors.clone()).to_string().as_bytes()))
        .expect("write vectors");
    let offer = "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A%2F%2Fissuer.example.com%22%2C%22credential_configuration_ids%22%3A%5B%22pid%22%5D%2C%22grants%22%3A%7B%22urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code%22%3A%7B%22pre-authorized_code%22%3A%22abc%22%7D%7D%7D";
    let (credentials, credential_cases) = issued_credentials(&server, dir.path());
    let credential_file = dir.path().join("credentials.json");
    std::fs::write(
        &credential_file,
        Value::Array(credentials.clone()).to_string(),
    )
    .expect("write credentials");
    let screenshot = target_dir().join("test-artifacts/proof-checker.png");
    let _ = std::fs::remove_file(&screenshot);
    let output = Command::new("node")
        .arg(repo_root().join("browser/proof_checker.mjs"))
        .args(["--page", &format!("{}/tools/proof-check/", server.url())])
        .arg("--vectors")
        .arg(&file)
        .arg("--screenshot")
        .arg(&screenshot)
        .args(["--offer", offer])
        .arg("--credentials")
        .arg(&credential_file)
        .output()
        .expect("run node browser/proof_checker.mjs");
    let result = node_report(&output, "browser/proof_checker.mjs");

    let mut agreed = 0;
    let mut valid = 0;
    for v in &vectors {
        let id = v["id"].as_str().expect("id");
        let cli = cli_report(v["jwt"].as_str().expect("jwt"), &v["options"]);
        let page = &result["reports"][id];
        assert_eq!(page, &cli, "{id}: the page and the CLI disagree");
        let verdict = &result["verdicts"][id];
        match cli["valid"] == true {
            true => {
                valid += 1;
                assert_eq!(verdict["code"], "valid", "{id}");
            }
            false => assert_eq!(
                verdict["code"], cli["code"],
                "{id}: the verdict shows the code"
            ),
        }
        agreed += 1;
    }
    let did_key = &result["reports"]["valid-es256-kid-didkey-jwk-jcs"];
    assert_eq!(
        did_key["valid"], true,
        "a did:key (jwk_jcs-pub) proof is valid"
    );
    assert_eq!(did_key["key_source"], "did:key");
    let tampered = &result["reports"]["valid-es256-kid-didkey-jwk-jcs/tampered"];
    assert_eq!(tampered["code"], "invalid_signature");

    let cli_offer = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["offer", "decode", offer])
        .output()
        .expect("run oid4vci offer decode");
    let cli_offer: Value = serde_json::from_slice(&cli_offer.stdout).expect("json");
    assert_eq!(
        result["offer"], cli_offer,
        "the page decodes offers as the CLI does"
    );

    for c in &credentials {
        let id = c["id"].as_str().expect("id");
        let page = &result["credentials"][id];
        assert_eq!(
            page["report"],
            cli_credential_report(c, dir.path()),
            "{id}: the page and `oid4vci credential decode` disagree"
        );
        let (valid, code, shown) = &credential_cases[id];
        let verdict = page["verdict"]["text"].as_str().unwrap_or_default();
        match valid {
            true => assert!(verdict.starts_with("Signature valid"), "{id}: {verdict}"),
            false => assert_eq!(page["verdict"]["code"], *code, "{id}: {verdict}"),
        }
        assert_eq!(page["report"]["valid"], *valid, "{id}");
        let rows = page["rows"].to_string();
        for text in shown {
            assert!(rows.contains(text), "{id}: the page shows {text}: {rows}");
        }
    }
    println!(
        "proof checker: {} issued credentials decoded as `oid4vci credential decode` does",
        credentials.len()
    );

    let wasm = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("proof-check/pkg/oid4vci_proof_wasm_bg.wasm"),
    )
    .expect("wasm");
    let gzipped = gzip_len(&wasm);
    println!(
        "proof checker: {agreed} vectors agree with `oid4vci proof check` ({valid} valid); wasm {} bytes, {gzipped} gzipped; page loaded in {} ms (WebAssembly ready {} ms after the module started)",
        wasm.len(),
        result["load_ms"],
        result["wasm_ready_ms"]
    );
    assert!(
        gzipped < 1 << 20,
        "gzipped WebAssembly under 1 MiB: {gzipped}"
    );
    let png = std::fs::read(&screenshot).expect("the screenshot was saved");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 5_000,
        "a real PNG"
    );
}

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = (b64.as_bytes().chunks(64))
        .map(|c| std::str::from_utf8(c).expect("ascii"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// What a credential case expects: valid, the verdict code when not, texts the claims table
/// shows.
type Expected = (bool, &'static str, Vec<&'static str>);

/// An SD-JWT VC and an mdoc obtained from the demo issuer, each with its document-signer
/// certificate, its IACA root and a foreign certificate, and the SD-JWT VC with a tampered
/// signature; the page's inputs (`{id, credential, certificate, now}`) and what each expects.
fn issued_credentials(
    server: &Server,
    dir: &std::path::Path,
) -> (Vec<Value>, std::collections::HashMap<String, Expected>) {
    let wallet = TestWallet::new();
    let credential = |config: &str, claims: Value| {
        let (status, body) = server.obtain(config, &claims, &wallet);
        assert_eq!(status, 200, "{body}");
        body["credentials"][0]["credential"]
            .as_str()
            .expect("credential")
            .to_owned()
    };
    let sd_jwt = credential(
        "identity_credential",
        json!({"given_name": "Erika", "family_name": "Mustermann"}),
    );
    let mdoc = credential(
        "eu.europa.ec.av.1",
        json!({"age_over_18": true, "issuing_country": "UT"}),
    );
    let chain = pem_certificates(&dir.join("issuer.chain.pem"));
    let (ds, root) = (pem(&chain[0]), pem(chain.last().expect("root")));
    let foreign = rcgen::generate_simple_self_signed(vec!["other".into()])
        .expect("cert")
        .cert
        .pem();
    let mut bad_signature = sd_jwt.clone();
    let at = bad_signature.find('~').expect("disclosures") - 2;
    let flipped = if bad_signature.as_bytes()[at] == b'A' {
        "B"
    } else {
        "A"
    };
    bad_signature.replace_range(at..=at, flipped);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let screenshot = target_dir().join("test-artifacts/proof-checker-credential.png");
    let sd_shown = vec!["/given_name", "Erika", "Mustermann"];
    let mdoc_shown = vec!["eu.europa.ec.av.1 / age_over_18", "matches the MSO", "UT"];
    let cases: Vec<(&str, &str, &str, Expected)> = vec![
        ("sd-jwt/ds", &sd_jwt, &ds, (true, "valid", sd_shown.clone())),
        (
            "sd-jwt/root",
            &sd_jwt,
            &root,
            (true, "valid", sd_shown.clone()),
        ),
        (
            "sd-jwt/foreign",
            &sd_jwt,
            &foreign,
            (false, "not_signed_by_certificate", sd_shown),
        ),
        (
            "sd-jwt/bad-signature",
            &bad_signature,
            &ds,
            (false, "invalid_signature", vec![]),
        ),
        (
            "mdoc/root",
            &mdoc,
            &root,
            (true, "valid", mdoc_shown.clone()),
        ),
        (
            "mdoc/foreign",
            &mdoc,
            &foreign,
            (false, "not_signed_by_certificate", mdoc_shown),
        ),
    ];
    let inputs = cases
        .iter()
        .map(|(id, credential, certificate, _)| {
            let mut input =
                json!({"id": id, "credential": credential, "certificate": certificate, "now": now});
            if *id == "mdoc/root" {
                input["screenshot"] = json!(screenshot);
            }
            input
        })
        .collect();
    let expected = cases
        .into_iter()
        .map(|(id, _, _, e)| (id.to_owned(), e))
        .collect();
    (inputs, expected)
}

/// What `oid4vci credential decode` prints for a credential case.
fn cli_credential_report(case: &Value, dir: &std::path::Path) -> Value {
    let cert = dir.join("credential-cert.pem");
    std::fs::write(&cert, case["certificate"].as_str().expect("pem")).expect("write cert");
    let out = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["credential", "decode", "--cert"])
        .arg(&cert)
        .args(["--now", &case["now"].to_string()])
        .arg(case["credential"].as_str().expect("credential"))
        .output()
        .expect("run oid4vci credential decode");
    let valid = out.status.success();
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["valid"] == true, valid, "exit status follows valid");
    report
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut child = Command::new("gzip")
        .arg("-9c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("gzip output");
    writer.join().expect("join").expect("write");
    out.stdout.len()
}
