//! The issuer's X.509 chain for `oid4vci serve`: a demo IACA-style root and a document-signer
//! (DS) certificate for the issuer key (ISO/IEC 18013-5 Annex B profile, as far as `rcgen`
//! goes), created once and kept beside the keys file; or the operator's own key and chain (PEM).
//!
//! The chain is ordered leaf first (the DS certificate), the root last. Credentials carry the
//! chain without the root (HAIP: the trust anchor is not sent).

use p256::ecdsa::SigningKey;
use rcgen::string::PrintableString;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DnType, DnValue, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    PublicKeyData, SerialNumber, SignatureAlgorithm, PKCS_ECDSA_P256_SHA256,
};
use std::path::{Path, PathBuf};

/// ISO/IEC 18013-5 extended key usage of a mobile document signer: 1.0.18013.5.1.2.
const MDL_DS_EKU: [u64; 6] = [1, 0, 18013, 5, 1, 2];
/// id-ce-extKeyUsage (RFC 5280 §4.2.1.12).
const EXT_KEY_USAGE: [u64; 4] = [2, 5, 29, 37];
/// id-ce-subjectKeyIdentifier (RFC 5280 §4.2.1.2).
const SUBJECT_KEY_IDENTIFIER: [u64; 4] = [2, 5, 29, 14];
/// id-ce-issuerAltName (RFC 5280 §4.2.1.7).
const ISSUER_ALT_NAME: [u64; 4] = [2, 5, 29, 18];
/// Where the demo IACA's CRL is served, under the issuer URL (18013-5 Annex B requires a CRL
/// distribution point in both certificates).
pub const CRL_PATH: &str = "/iaca.crl";
/// Largest PEM file accepted for keys and chains.
const MAX_PEM_BYTES: u64 = 256 * 1024;
/// Demo root lifetime (days); ISO 18013-5 allows up to 20 years for an IACA.
const ROOT_DAYS: i64 = 3 * 365;
/// Demo document-signer lifetime (days); ISO 18013-5 Annex B allows at most 457.
const DS_DAYS: i64 = 457;

/// Where the generated chain lives: `<keys file without extension>.chain.pem`.
pub fn chain_path(keys_file: &Path) -> PathBuf {
    keys_file.with_extension("chain.pem")
}

/// Where the demo IACA's (empty) CRL lives, DER: `<keys file without extension>.crl`.
pub fn crl_path(keys_file: &Path) -> PathBuf {
    keys_file.with_extension("crl")
}

/// The issuer key's certificate chain, DER, leaf first.
#[derive(Clone, Debug)]
pub struct IssuerChain {
    /// DER certificates: the document signer first, the root (when known) last.
    pub certificates: Vec<Vec<u8>>,
    /// The demo root's CRL (DER), when the chain was generated here just now.
    pub crl: Option<Vec<u8>>,
}

impl IssuerChain {
    /// The chain wallets and verifiers are sent (`x5c`, `x5chain`): all but a self-signed root.
    pub fn without_trust_anchor(&self) -> Vec<Vec<u8>> {
        let mut certs = self.certificates.clone();
        if certs.len() > 1 && certs.last().is_some_and(|c| is_self_signed(c)) {
            certs.pop();
        }
        certs
    }
}

fn is_self_signed(der: &[u8]) -> bool {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, c)| c.subject() == c.issuer())
        .unwrap_or(false)
}

/// Loads the chain at `path`, or creates (and writes) a new demo root and DS certificate for
/// `key` when the file does not exist. An existing file is never overwritten; its leaf must
/// certify `key`.
pub fn load_or_create(
    path: &Path,
    key: &SigningKey,
    issuer_url: &str,
) -> Result<IssuerChain, String> {
    if path.exists() {
        return load_chain(path, key);
    }
    let chain = generate(key, issuer_url)?;
    // The CRL first: whoever sees the chain file may serve the CRL beside it.
    if let Some(crl) = &chain.crl {
        write_new(&path.with_extension("").with_extension("crl"), crl)?;
    }
    let pem: String = chain.certificates.iter().map(|der| to_pem(der)).collect();
    if !write_new(path, pem.as_bytes())? {
        // Another instance sharing the keys file made it first: use theirs.
        return load_chain(path, key);
    }
    Ok(chain)
}

/// Creates `path` with `bytes` unless it exists (never overwrites, and never shows a half-written
/// file: the content goes to a temporary file first, then is linked into place). False when the
/// file already existed.
fn write_new(path: &Path, bytes: &[u8]) -> Result<bool, String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let fail = |e: std::io::Error| format!("cannot create {}: {e}", path.display());
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    std::fs::write(tmp.path(), bytes).map_err(fail)?;
    match std::fs::hard_link(tmp.path(), path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(fail(e)),
    }
}

/// The issuer key and chain `serve` uses: the operator's PEM files from the config when given
/// (both or neither), else `generated` (from the keys file) with the demo chain beside it.
pub fn issuer_key_and_chain(
    file: &crate::serve_config::ServeConfig,
    keys_file: &Path,
    generated: SigningKey,
    issuer_url: &str,
) -> Result<(SigningKey, IssuerChain), String> {
    let (key, chain) = match (&file.issuer_key_pem, &file.issuer_chain_pem) {
        (Some(key), Some(chain)) => {
            let key = load_key(key)?;
            let chain = load_chain(chain, &key)?;
            (key, chain)
        }
        (None, None) => {
            let chain = load_or_create(&chain_path(keys_file), &generated, issuer_url)?;
            (generated, chain)
        }
        _ => return Err("issuer_key_pem and issuer_chain_pem must be given together".into()),
    };
    if let Some(warning) = chain.certificates.first().and_then(|c| expiry_warning(c)) {
        eprintln!("warning: {warning}");
    }
    Ok((key, chain))
}

/// A warning when the issuer certificate has expired or expires within 30 days (a persisted demo
/// chain is never replaced; delete the chain file to have a new one made).
fn expiry_warning(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    match cert.validity().time_to_expiration() {
        None => {
            Some("the issuer certificate has expired; wallets will refuse its credentials".into())
        }
        Some(left) if left.whole_days() < 30 => Some(format!(
            "the issuer certificate expires in {} day(s)",
            left.whole_days()
        )),
        Some(_) => None,
    }
}

/// Reads an operator's chain (PEM, leaf first) and checks that its leaf certifies `key`.
pub fn load_chain(path: &Path, key: &SigningKey) -> Result<IssuerChain, String> {
    let point = key.verifying_key().to_encoded_point(false);
    load_chain_for(path, point.as_bytes())
}

/// Reads a chain (PEM, leaf first) and checks that its leaf certifies the P-256 public key
/// `point` (SEC1, uncompressed): for keys held elsewhere (an HSM).
pub fn load_chain_for(path: &Path, point: &[u8]) -> Result<IssuerChain, String> {
    let text = read_pem_file(path)?;
    let certificates =
        pem_blocks(&text, "CERTIFICATE").map_err(|e| format!("{}: {e}", path.display()))?;
    let leaf = certificates
        .first()
        .ok_or_else(|| format!("{}: no PEM CERTIFICATE block found", path.display()))?;
    if !certifies(leaf, point)? {
        return Err(format!(
            "{}: the first certificate is not for the issuer key",
            path.display()
        ));
    }
    Ok(IssuerChain {
        certificates,
        crl: None,
    })
}

/// Reads an operator's ES256 issuer key: PEM `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1).
pub fn load_key(path: &Path) -> Result<SigningKey, String> {
    use p256::pkcs8::DecodePrivateKey;
    let text = read_pem_file(path)?;
    if let Ok(key) = SigningKey::from_pkcs8_pem(&text) {
        return Ok(key);
    }
    p256::SecretKey::from_sec1_pem(&text)
        .map(SigningKey::from)
        .map_err(|_| {
            format!(
                "{}: expected a P-256 private key as PEM (PRIVATE KEY or EC PRIVATE KEY)",
                path.display()
            )
        })
}

fn read_pem_file(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .len();
    if size > MAX_PEM_BYTES {
        return Err(format!(
            "{}: {size} bytes, more than the {MAX_PEM_BYTES} accepted",
            path.display()
        ));
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn pem_blocks(text: &str, label: &str) -> Result<Vec<Vec<u8>>, String> {
    let blocks = pem::parse_many(text).map_err(|e| format!("bad PEM: {e}"))?;
    Ok(blocks
        .into_iter()
        .filter(|b| b.tag() == label)
        .map(pem::Pem::into_contents)
        .collect())
}

fn to_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

/// True when the certificate's subject public key is `point` (SEC1, uncompressed).
fn certifies(der: &[u8], point: &[u8]) -> Result<bool, String> {
    let (_, cert) =
        x509_parser::parse_x509_certificate(der).map_err(|e| format!("bad certificate: {e}"))?;
    Ok(cert.public_key().subject_public_key.data.as_ref() == point)
}

/// The issuer's public key as rcgen needs it to certify it (the private key stays here).
struct IssuerPublicKey(Vec<u8>);

impl PublicKeyData for IssuerPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // and 16 octets long
    SerialNumber::from_slice(&bytes)
}

/// A DER extension value built with `yasna`.
fn der(build: impl FnOnce(yasna::DERWriter)) -> Vec<u8> {
    yasna::construct_der(build)
}

/// `GeneralNames` with one `uniformResourceIdentifier` (RFC 5280 §4.2.1.6).
fn uri_names(uri: &str) -> Vec<u8> {
    der(|w| {
        w.write_sequence(|w| {
            w.next()
                .write_tagged_implicit(yasna::Tag::context(6), |w| w.write_ia5_string(uri));
        })
    })
}

/// The extensions 18013-5 Annex B asks for that `rcgen` does not write as the profile wants:
/// issuerAltName (the issuing authority's URL), and for the document signer a critical
/// extendedKeyUsage and a subjectKeyIdentifier (without a basicConstraints extension, which the
/// profile does not list and which `rcgen` would encode with an explicit `cA FALSE`, not DER).
fn profile_extensions(issuer_url: &str, ds_spki: Option<&[u8]>) -> Vec<CustomExtension> {
    let mut extensions = vec![CustomExtension::from_oid_content(
        &ISSUER_ALT_NAME,
        uri_names(issuer_url),
    )];
    if let Some(spki) = ds_spki {
        // The leftmost 160 bits of the SHA-256 of the subjectPublicKeyInfo (RFC 7093 §2 style).
        let digest = oid4vci_proof::crypto::sha256(spki);
        let id = digest.get(..20).unwrap_or(&digest).to_vec();
        extensions.push(CustomExtension::from_oid_content(
            &SUBJECT_KEY_IDENTIFIER,
            der(|w| w.write_bytes(&id)),
        ));
        let eku = der(|w| {
            w.write_sequence(|w| {
                w.next()
                    .write_oid(&yasna::models::ObjectIdentifier::from_slice(&MDL_DS_EKU));
            })
        });
        let mut eku = CustomExtension::from_oid_content(&EXT_KEY_USAGE, eku);
        eku.set_criticality(true);
        extensions.push(eku);
    }
    extensions
}

fn base_params(common_name: &str, days: i64) -> Result<CertificateParams, String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    // RFC 5280 Appendix A.1 and the 18013-5 IACA profile: countryName is a PrintableString.
    let country = PrintableString::try_from("UT").map_err(|e| e.to_string())?;
    params
        .distinguished_name
        .push(DnType::CountryName, DnValue::PrintableString(country));
    params
        .distinguished_name
        .push(DnType::OrganizationName, "oid4vci-rs demo");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    let now = time::OffsetDateTime::now_utc();
    // A day back: credentials carry times rounded down to the hour (RFC 9901 §10.1), which must
    // fall within the certificate's validity (verifiers check the MSO's signing time).
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(days);
    params.serial_number = Some(random_serial());
    Ok(params)
}

/// A new demo root (its private key is dropped once it has signed the DS certificate and an
/// empty CRL valid as long as the root) and a DS certificate for `key`, both following the
/// 18013-5 Annex B profiles: PrintableString countryName, issuerAltName and a CRL distribution
/// point (`{issuer_url}/iaca.crl`) in both, keyUsage, and for the DS a critical
/// extendedKeyUsage, the key identifiers, and no basicConstraints.
pub fn generate(key: &SigningKey, issuer_url: &str) -> Result<IssuerChain, String> {
    let fail = |e: rcgen::Error| format!("cannot generate the issuer certificates: {e}");
    let crl_url = format!("{}{CRL_PATH}", issuer_url.trim_end_matches('/'));
    let distribution = vec![CrlDistributionPoint {
        uris: vec![crl_url],
    }];
    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(fail)?;
    let mut root = base_params("oid4vci-rs demo IACA", ROOT_DAYS)?;
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.crl_distribution_points = distribution.clone();
    root.custom_extensions = profile_extensions(issuer_url, None);
    let root_not_after = root.not_after;
    let root_cert = root.self_signed(&root_key).map_err(fail)?;

    let public = IssuerPublicKey(
        key.verifying_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec(),
    );
    let mut ds = base_params("oid4vci-rs demo document signer", DS_DAYS)?;
    ds.is_ca = IsCa::NoCa;
    ds.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    ds.use_authority_key_identifier_extension = true;
    ds.crl_distribution_points = distribution;
    ds.custom_extensions = profile_extensions(issuer_url, Some(&public.subject_public_key_info()));
    let issuer = Issuer::new(root, root_key);
    let ds_cert = ds.signed_by(&public, &issuer).map_err(fail)?;
    let crl = CertificateRevocationListParams {
        this_update: time::OffsetDateTime::now_utc() - time::Duration::minutes(5),
        next_update: root_not_after,
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: Vec::new(),
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer)
    .map_err(fail)?;
    Ok(IssuerChain {
        certificates: vec![ds_cert.der().to_vec(), root_cert.der().to_vec()],
        crl: Some(crl.der().to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    const URL: &str = "https://issuer.example.com";

    #[test]
    fn the_generated_ds_certificate_follows_the_18013_5_profile() {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let chain = generate(&key, URL).expect("chain");
        assert_eq!(chain.certificates.len(), 2);
        let (_, ds) = parse_x509_certificate(&chain.certificates[0]).expect("ds parses");
        let (_, root) = parse_x509_certificate(&chain.certificates[1]).expect("root parses");
        assert_eq!(ds.issuer(), root.subject());
        ds.verify_signature(Some(root.public_key()))
            .expect("the root signed the DS certificate");
        let point = key.verifying_key().to_encoded_point(false);
        assert!(certifies(&chain.certificates[0], point.as_bytes()).expect("parses"));
        let ku = ds.key_usage().expect("ok").expect("keyUsage").value;
        assert!(ku.digital_signature() && !ku.key_cert_sign());
        let eku = ds.extended_key_usage().expect("ok").expect("eku").value;
        let oids: Vec<String> = eku.other.iter().map(|o| o.to_id_string()).collect();
        assert_eq!(oids, ["1.0.18013.5.1.2"]);
        assert!(root.is_ca() && !ds.is_ca());
        assert_eq!(
            chain.without_trust_anchor(),
            vec![chain.certificates[0].clone()]
        );
    }

    /// The 18013-5 Annex B details strict mdoc verifiers check (HAIP review defect 3).
    #[test]
    fn both_certificates_follow_the_annex_b_encoding_rules() {
        let key = SigningKey::random(&mut rand_core::OsRng);
        let chain = generate(&key, URL).expect("chain");
        let (_, ds) = parse_x509_certificate(&chain.certificates[0]).expect("ds");
        let (_, root) = parse_x509_certificate(&chain.certificates[1]).expect("root");
        for cert in [&ds, &root] {
            // countryName is a PrintableString (tag 19), not a UTF8String (tag 12).
            let country = cert.subject().iter_country().next().expect("countryName");
            assert_eq!(
                country.attr_value().tag(),
                der_parser::asn1_rs::Tag::PrintableString
            );
            // issuerAltName with the issuer's URL, and a CRL distribution point.
            let mut ian = None;
            let mut crl_dp = None;
            for ext in cert.extensions() {
                match ext.parsed_extension() {
                    ParsedExtension::IssuerAlternativeName(names) => {
                        ian = Some(format!("{:?}", names.general_names))
                    }
                    ParsedExtension::CRLDistributionPoints(points) => {
                        crl_dp = Some(format!("{points:?}"))
                    }
                    _ => {}
                }
            }
            assert!(ian.expect("issuerAltName").contains(URL));
            assert!(crl_dp
                .expect("CRL distribution point")
                .contains("https://issuer.example.com/iaca.crl"));
        }
        // The DS certificate: no basicConstraints at all (an explicit cA FALSE is not DER), a
        // critical extendedKeyUsage, key identifiers (its AKI is the root's SKI).
        assert!(ds.basic_constraints().expect("parses").is_none());
        let eku = ds.extended_key_usage().expect("ok").expect("eku");
        assert!(eku.critical);
        let ski = |c: &X509Certificate| {
            c.extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                    _ => None,
                })
        };
        assert!(
            ski(&ds).is_some_and(|id| id.len() == 20),
            "the DS has a subjectKeyIdentifier"
        );
        let aki = ds
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    aki.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => None,
            })
            .expect("authorityKeyIdentifier");
        assert_eq!(Some(aki), ski(&root));
        // The root's CRL: empty, signed by the root, valid as long as the root.
        let crl = chain.crl.expect("a CRL");
        let (_, crl) = parse_x509_crl(&crl).expect("the CRL parses");
        assert_eq!(crl.issuer(), root.subject());
        assert_eq!(crl.iter_revoked_certificates().count(), 0);
        crl.verify_signature(root.public_key())
            .expect("the root signed the CRL");
        assert_eq!(
            crl.next_update().map(|t| t.timestamp()),
            Some(root.validity().not_after.timestamp())
        );
    }

    #[test]
    fn an_existing_chain_is_loaded_not_replaced_and_must_match_the_key() {
        let dir = tempfile::tempdir().expect("dir");
        let path = chain_path(&dir.path().join("issuer.keys"));
        let key = SigningKey::random(&mut rand_core::OsRng);
        let first = load_or_create(&path, &key, URL).expect("created");
        let again = load_or_create(&path, &key, URL).expect("loaded");
        assert_eq!(first.certificates, again.certificates);
        let other = SigningKey::random(&mut rand_core::OsRng);
        let err = load_or_create(&path, &other, URL).expect_err("wrong key");
        assert!(err.contains("not for the issuer key"), "{err}");
        let after = std::fs::read(&path).expect("still there");
        assert_eq!(
            pem_blocks(&String::from_utf8_lossy(&after), "CERTIFICATE").expect("pem"),
            first.certificates
        );
    }

    #[test]
    fn operator_keys_load_from_pkcs8_and_sec1_pem() {
        use p256::pkcs8::EncodePrivateKey;
        let dir = tempfile::tempdir().expect("dir");
        let key = SigningKey::random(&mut rand_core::OsRng);
        let pkcs8 = dir.path().join("k8.pem");
        let pem = key
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .expect("encode");
        std::fs::write(&pkcs8, pem.as_bytes()).expect("write");
        assert_eq!(load_key(&pkcs8).expect("pkcs8"), key);
        let sec1 = dir.path().join("k1.pem");
        let pem = p256::SecretKey::from(&key)
            .to_sec1_pem(p256::pkcs8::LineEnding::LF)
            .expect("encode");
        std::fs::write(&sec1, pem.as_bytes()).expect("write");
        assert_eq!(load_key(&sec1).expect("sec1"), key);
        std::fs::write(&sec1, "not a key").expect("write");
        assert!(load_key(&sec1)
            .expect_err("bad")
            .contains("P-256 private key"));
    }
}
