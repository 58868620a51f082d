//! The credential and deferred credential endpoints as bodies in, bodies out: encrypted
//! requests are opened and responses sealed with the configured [`MessageEncryption`]
//! (Section 10), and the issuer's `encryption_required` rules are enforced.

use super::*;
use crate::body::CredentialBody;
use crate::encryption::{required, MessageEncryption};
use crate::presented::Presented;
use oid4vci_types::{CredentialResponseEncryption, RequestForm};

/// The answer to a Credential or Deferred Credential Request.
#[derive(Clone, Debug, PartialEq)]
pub enum CredentialReply {
    /// A plain response, sent as `application/json`.
    Json(CredentialResponse),
    /// A response encrypted for the wallet, sent as `application/jwt`.
    Jwe {
        /// The compact JWE.
        jwe: String,
        /// The response inside is a deferral (`transaction_id`, no credentials).
        deferred: bool,
    },
}

impl CredentialReply {
    /// The plain response; `None` when it is encrypted.
    pub fn into_json(self) -> Option<CredentialResponse> {
        match self {
            CredentialReply::Json(response) => Some(response),
            CredentialReply::Jwe { .. } => None,
        }
    }

    /// The response is a deferral (Sections 8.3, 9.2), whether encrypted or not.
    pub fn is_deferred(&self) -> bool {
        match self {
            CredentialReply::Json(response) => response.transaction_id.is_some(),
            CredentialReply::Jwe { deferred, .. } => *deferred,
        }
    }
}

impl<S: SessionStore, M: CredentialMinter> Issuer<S, M> {
    fn encryption(&self) -> Option<&dyn MessageEncryption> {
        self.encryption.as_deref()
    }

    /// The request: parsed from its JSON, decrypted first when it came as a JWE; refused when
    /// it came in the clear (or parsed) although the issuer requires encrypted requests. The
    /// form (1.0 or draft 13) is the parsed JSON's, or `None` for a parsed request.
    fn read<T>(
        &self,
        body: CredentialBody<'_, T>,
        parse: impl FnOnce(&[u8]) -> Result<(T, RequestForm), oid4vci_types::MessageError>,
    ) -> Outcome<(T, Option<RequestForm>)> {
        let in_clear = !matches!(body, CredentialBody::Jwe(_));
        let metadata = &self.config.metadata;
        if in_clear && required(metadata.credential_request_encryption.as_ref()) {
            return Err(Refusal::new(
                Cause::RequestEncryptionRequired,
                "this Credential Issuer requires encrypted requests: send the request as a compact JWE (application/jwt) for a key of credential_request_encryption.jwks (OID4VCI 1.0 Section 10)",
            ));
        }
        let json = match body {
            CredentialBody::Parsed(request) => return Ok((request, None)),
            CredentialBody::Json(json) => json.to_vec(),
            CredentialBody::Jwe(jwe) => self.decrypt(jwe)?,
        };
        let (request, form) = parse(&json).map_err(|e| Refusal::malformed(&e))?;
        Ok((request, Some(form)))
    }

    /// The JSON inside an encrypted request.
    fn decrypt(&self, jwe: &[u8]) -> Outcome<Vec<u8>> {
        let encryption = self
            .encryption()
            .filter(|e| e.request_metadata().is_some())
            .ok_or_else(|| {
                Refusal::new(
                    Cause::RequestEncryptionUnsupported,
                    "this Credential Issuer does not accept encrypted requests; send application/json",
                )
            })?;
        let text = std::str::from_utf8(jwe).map_err(|_| {
            Refusal::new(
                Cause::RequestUndecryptable,
                "the encrypted request is not a compact JWE",
            )
        })?;
        encryption.decrypt_request(text.trim()).map_err(|e| {
            Refusal::new(
                Cause::RequestUndecryptable,
                format!("the encrypted request: {e}"),
            )
        })
    }

    /// Checks the wallet's `credential_response_encryption` (or its absence) before issuing.
    fn check_sealing(&self, parameters: Option<&CredentialResponseEncryption>) -> Outcome<()> {
        let metadata = &self.config.metadata;
        match (parameters, self.encryption()) {
            (None, _) if required(metadata.credential_response_encryption.as_ref()) => {
                Err(Refusal::new(
                    Cause::ResponseEncryptionRequired,
                    "this Credential Issuer requires encrypted responses: add credential_response_encryption {jwk, enc} to the request (OID4VCI 1.0 Section 8.2)",
                ))
            }
            (None, _) => Ok(()),
            (Some(_), None) => Err(Refusal::new(
                Cause::ResponseEncryptionUnsupported,
                "this Credential Issuer does not encrypt responses; remove credential_response_encryption",
            )),
            (Some(p), Some(encryption)) => encryption
                .check_response_parameters(p)
                .map_err(|e| {
                    Refusal::new(
                        Cause::ResponseEncryptionInvalid,
                        format!("credential_response_encryption: {e}"),
                    )
                }),
        }
    }

    /// Encrypts a successful response when the wallet asked for it (errors never are).
    fn seal(
        &self,
        response: CredentialResponse,
        parameters: Option<&CredentialResponseEncryption>,
    ) -> Outcome<CredentialReply> {
        let (Some(parameters), Some(encryption)) = (parameters, self.encryption()) else {
            return Ok(CredentialReply::Json(response));
        };
        let deferred = response.transaction_id.is_some();
        let plaintext = serde_json::to_vec(&response)
            .map_err(|e| Refusal::new(Cause::Internal, format!("response encoding: {e}")))?;
        let jwe = encryption
            .encrypt_response(&plaintext, parameters)
            .map_err(|e| Refusal::new(Cause::Internal, format!("response encryption: {e}")))?;
        Ok(CredentialReply::Jwe { jwe, deferred })
    }

    /// `POST /credential` (Section 8): the body as it arrived (JSON, or a JWE when the issuer
    /// has [`with_encryption`](Self::with_encryption)) or a parsed request. The response is
    /// encrypted when the request asks for it.
    pub async fn credential<'a>(
        &self,
        body: impl Into<CredentialBody<'a>>,
        presented: Presented,
    ) -> Outcome<CredentialReply> {
        // The access token first (RFC 6750 §3.1): nothing is decrypted or parsed for a request
        // that could not be served anyway.
        let now = self.clock.now();
        let url = &self.config.metadata.credential_endpoint;
        let authorized = self
            .session_for_token(&presented, url, credential::TokenUse::Issuance, now)
            .await?;
        let (request, form) = self.read(body.into(), CredentialRequest::from_json_with_form)?;
        self.check_sealing(request.credential_response_encryption.as_ref())?;
        let parameters = request.credential_response_encryption.clone();
        let presented = Presented {
            request_form: form.unwrap_or(presented.request_form),
            ..presented
        };
        let response = self.issue(request, presented, authorized, now).await?;
        self.seal(response, parameters.as_ref())
    }

    /// `POST /deferred_credential` (Section 9): the body as it arrived or a parsed request; the
    /// response is encrypted when the deferred request carries `credential_response_encryption`
    /// and only then (Section 9.1: "If it is not included encryption will not be performed"); an
    /// issuer that requires encrypted responses refuses a deferred request without it.
    pub async fn deferred_credential<'a>(
        &self,
        body: impl Into<CredentialBody<'a, DeferredCredentialRequest>>,
        presented: Presented,
    ) -> Outcome<CredentialReply> {
        let parse = |json: &[u8]| {
            DeferredCredentialRequest::from_json(json).map(|r| (r, RequestForm::default()))
        };
        let now = self.clock.now();
        let url = self
            .config
            .metadata
            .deferred_credential_endpoint
            .clone()
            .unwrap_or_default();
        let authorized = self
            .session_for_token(&presented, &url, credential::TokenUse::FollowUp, now)
            .await?;
        let (request, _) = self.read(body.into(), parse)?;
        self.check_sealing(request.credential_response_encryption.as_ref())?;
        let parameters = request.credential_response_encryption.clone();
        let response = self.collect_deferred(request, authorized, now).await?;
        self.seal(response, parameters.as_ref())
    }
}
