// The proof checker page: reads the form, calls the WebAssembly checker (the same code as
// `oid4vci proof check`, `oid4vci offer decode` and `oid4vci credential decode`), and shows
// the verdict. Nothing is sent anywhere; input is shown with textContent only.
import init, { check_proof, decode_offer, decode_credential } from "./pkg/oid4vci_proof_wasm.js";

const $ = (id) => document.getElementById(id);

function b64urlJson(part) {
  try {
    const text = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

function options() {
  const value = (id) => $(id).value.trim();
  let jwks = [];
  const jwkText = value("attester_jwks");
  if (jwkText) {
    const parsed = JSON.parse(jwkText);
    jwks = Array.isArray(parsed) ? parsed : [parsed];
  }
  return {
    aud: value("aud"),
    nonce: value("nonce"),
    client_id: value("client_id"),
    anonymous: $("anonymous").checked,
    now: value("now") || String(Math.floor(Date.now() / 1000)),
    max_age: value("max_age"),
    max_skew: value("max_skew"),
    allow_self_signed: $("allow_self_signed").checked,
    trust_anchors: value("trust_anchors"),
    attester_trust_anchors: value("attester_trust_anchors"),
    attester_jwks: jwks,
  };
}

function showVerdict(element, report, validText) {
  element.hidden = false;
  element.className = "verdict " + (report.valid ? "valid" : "invalid");
  element.textContent = report.valid
    ? validText(report)
    : `Invalid: ${report.code || report.error}` + (report.reason ? ` — ${report.reason}` : "");
  element.dataset.code = report.valid ? "valid" : report.code || report.error || "";
}

function showDiagnostic(report) {
  const body = $("diagnostic").querySelector("tbody");
  body.replaceChildren();
  const rows = report.valid
    ? [["proof type", report.proof_type], ["alg", report.alg], ["key source", report.key_source],
       ["holder keys", (report.holder_key_thumbprints || []).join("\n")], ["skipped", (report.skipped || []).join(", ")]]
    : [["code", report.code], ["error", report.error], ["reason", report.reason], ["help", report.help],
       ["expected", report.expected], ["found", report.found], ["spec section", report.spec_ref],
       ["skipped", (report.skipped || []).join(", ")]];
  for (const [name, value] of rows) {
    if (value === undefined || value === "") continue;
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = name;
    const td = document.createElement("td");
    td.textContent = value;
    td.dataset.field = name;
    tr.append(th, td);
    body.append(tr);
  }
  $("diagnostic").hidden = false;
}

function check(event) {
  event.preventDefault();
  const jwt = $("jwt").value.trim();
  let report;
  try {
    report = JSON.parse(check_proof(jwt, JSON.stringify(options())));
  } catch (e) {
    report = { valid: false, error: "invalid_options", reason: String(e.message || e) };
  }
  $("report").textContent = JSON.stringify(report, null, 2);
  showVerdict($("verdict"), report, (r) => `Valid ${r.proof_type} proof (${r.alg}, key from ${r.key_source})`);
  showDiagnostic(report);
  const [h, c] = jwt.split(".");
  const header = report.header || b64urlJson(h || "");
  const claims = report.claims || b64urlJson(c || "");
  $("proof-header").textContent = header ? JSON.stringify(header, null, 2) : "(not a JWT)";
  $("proof-claims").textContent = claims ? JSON.stringify(claims, null, 2) : "(not a JWT)";
  $("decoded").hidden = false;
}

function decode(event) {
  event.preventDefault();
  const report = JSON.parse(decode_offer($("offer").value));
  showVerdict($("offer-verdict"), { ...report, code: report.error }, (r) =>
    r.by === "value" ? `Valid offer from ${r.credential_issuer}` : "Valid offer by reference");
  $("offer-report").hidden = false;
  $("offer-report").textContent = JSON.stringify(report, null, 2);
}

const VERIFIED_WITH = {
  certificate: "the pasted certificate's key",
  chain_to_certificate: "the credential's certificate, issued by the pasted certificate",
  credential_certificate: "the credential's own certificate (no certificate pasted: not trusted)",
};

function row(cells, classes = []) {
  const tr = document.createElement("tr");
  cells.forEach((text, i) => {
    const td = document.createElement(i === 0 ? "th" : "td");
    if (i === 0) td.scope = "row";
    td.textContent = text;
    if (classes[i]) td.className = classes[i];
    tr.append(td);
  });
  return tr;
}

const show = (value) => (typeof value === "string" ? value : JSON.stringify(value));

function credentialItems(report) {
  if (report.format === "mso_mdoc") {
    const rows = [];
    for (const [ns, elements] of Object.entries(report.namespaces || {})) {
      for (const e of elements) {
        rows.push([`${ns} / ${e.element_identifier}`, show(e.element_value), e.random,
          e.digest_valid ? `digestID ${e.digest_id}: matches the MSO` : `digestID ${e.digest_id}: MISMATCH`, e.digest_valid]);
      }
    }
    return rows;
  }
  return (report.disclosures || []).map((d) => [d.path || d.name, show(d.value), d.salt,
    `${d.digest} (in ${d.digest_at || "/"})`, true]);
}

function credentialVerdict(report) {
  const signature = report.signature || {};
  if (report.valid) {
    return { valid: true, text: `Signature valid: ${report.format} signed by ${VERIFIED_WITH[signature.verified_with] || signature.verified_with}` };
  }
  if (report.error) return { valid: false, code: report.error, text: `Invalid: ${report.error} — ${report.reason}` };
  if (!signature.valid) return { valid: false, code: signature.error, text: `Signature invalid: ${signature.error} — ${signature.reason}` };
  if (report.digests_valid === false) return { valid: false, code: "digest_mismatch", text: `Invalid: digest_mismatch — ${report.digest_error}` };
  return { valid: false, code: "untrusted", text: `Not verified: paste the issuer's certificate (the signature verifies with ${VERIFIED_WITH[signature.verified_with]})` };
}

function decodeCredential(event) {
  event.preventDefault();
  const now = $("credential_now").value.trim() || String(Math.floor(Date.now() / 1000));
  let report;
  try {
    report = JSON.parse(decode_credential($("credential").value, $("issuer_certificate").value,
      $("credential_format").value, BigInt(now)));
  } catch (e) {
    report = { valid: false, error: "invalid_options", reason: String(e.message || e) };
  }
  $("credential-report").textContent = JSON.stringify(report, null, 2);
  const verdict = credentialVerdict(report);
  const element = $("credential-verdict");
  element.hidden = false;
  element.className = "verdict " + (verdict.valid ? "valid" : "invalid");
  element.textContent = verdict.text;
  element.dataset.code = verdict.valid ? "valid" : verdict.code || "";

  const signature = report.signature;
  const sigBody = $("credential-signature").querySelector("tbody");
  sigBody.replaceChildren();
  if (signature) {
    const cert = (c) => (c ? (c.error ? c.error : `${c.subject} (issued by ${c.issuer}, serial ${c.serial})`) : "none");
    const rows = [["issuer signature", signature.valid ? `valid, with ${VERIFIED_WITH[signature.verified_with]}` : `${signature.error}: ${signature.reason}`],
      ["pasted certificate", cert(signature.certificate)],
      ["credential's certificate", cert(signature.credential_certificate)],
      ["match", [signature.certificate_match, signature.certificate_match_reason].filter(Boolean).join(": ") || "—"]];
    for (const [name, value] of rows) sigBody.append(row([name, value]));
  }
  $("credential-signature").hidden = !signature;

  const decoded = report.format && !report.error;
  $("credential-decoded").hidden = !decoded;
  if (!decoded) return;
  const mdoc = report.format === "mso_mdoc";
  const items = $("credential-items").querySelector("tbody");
  items.replaceChildren();
  for (const [name, value, salt, digest, ok] of credentialItems(report)) {
    items.append(row([name, value, salt, digest], ["", "", "", ok ? "ok" : "bad"]));
  }
  $("credential-items-title").textContent = mdoc ? "Namespaces and data elements" : "Disclosures";
  $("credential-header-title").textContent = mdoc ? "issuerAuth" : "Issuer JWT header";
  $("credential-payload-title").textContent = mdoc ? "Mobile security object (MSO)" : "Issuer JWT payload";
  const header = mdoc ? { alg: report.alg, digest_algorithm: report.digest_algorithm, device_key: report.device_key } : report.header;
  $("credential-header").textContent = JSON.stringify(header, null, 2);
  $("credential-payload").textContent = JSON.stringify(mdoc ? report.mso : report.payload, null, 2);
  const kb = report.key_binding_jwt;
  $("credential-kb").hidden = !kb;
  $("credential-kb-jwt").textContent = kb ? JSON.stringify(kb, null, 2) : "";
}

const started = performance.now();
init().then(() => {
  $("proof-form").addEventListener("submit", check);
  $("offer-form").addEventListener("submit", decode);
  $("credential-form").addEventListener("submit", decodeCredential);
  $("check").disabled = false;
  $("decode").disabled = false;
  $("decode-credential").disabled = false;
  const ms = Math.round(performance.now() - started);
  $("status").textContent = `Checker ready (${ms} ms).`;
  document.body.dataset.ready = String(ms);
}, (e) => {
  $("status").textContent = `The checker could not load: ${e}`;
});
