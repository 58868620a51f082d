//! A small HTTPS/1.1 client on rustls that trusts the server's self-signed certificate only.

use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// One answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `error` of an OAuth error body.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

/// A client of one server.
#[derive(Clone)]
pub struct Https {
    config: Arc<rustls::ClientConfig>,
    roots: Arc<rustls::RootCertStore>,
    /// `host:port`.
    addr: String,
}

impl Https {
    /// Trusts the PEM certificate at `cert` for the server at `addr` (`127.0.0.1:port`).
    pub fn new(addr: &str, cert: &std::path::Path) -> Https {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(cert).expect("certificate file") {
            roots.add(c.expect("certificate")).expect("trusted");
        }
        let roots = Arc::new(roots);
        Https {
            config: Arc::new(client_config(&roots, rustls::ALL_VERSIONS)),
            roots,
            addr: addr.to_owned(),
        }
    }

    /// A TLS handshake only (offering `version` alone, or every version): the negotiated
    /// protocol version and cipher suite.
    pub fn handshake(
        &self,
        version: Option<&'static rustls::SupportedProtocolVersion>,
    ) -> Result<(String, String), String> {
        let config = match version {
            Some(v) => Arc::new(client_config(&self.roots, &[v])),
            None => self.config.clone(),
        };
        let host = self
            .addr
            .split(':')
            .next()
            .unwrap_or("127.0.0.1")
            .to_owned();
        let name = ServerName::try_from(host).map_err(|e| e.to_string())?;
        let mut conn = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        let mut tcp = TcpStream::connect(&self.addr).map_err(|e| e.to_string())?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)
                .map_err(|e| format!("handshake: {e}"))?;
        }
        let version = conn.protocol_version().ok_or("no version")?;
        let suite = conn.negotiated_cipher_suite().ok_or("no suite")?;
        Ok((format!("{version:?}"), format!("{:?}", suite.suite())))
    }

    /// `method` of `target` (a path, or an absolute URL on this server) with `headers` and `body`.
    pub fn request(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let path = match target.find("://") {
            Some(i) => {
                let rest = &target[i + 3..];
                rest.find('/').map_or("/", |p| &rest[p..])
            }
            None => target,
        };
        let host = self
            .addr
            .split(':')
            .next()
            .unwrap_or("127.0.0.1")
            .to_owned();
        let name = ServerName::try_from(host).expect("server name");
        let conn = rustls::ClientConnection::new(self.config.clone(), name).expect("TLS client");
        let tcp = TcpStream::connect(&self.addr).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        tls.write_all(head.as_bytes()).expect("send");
        tls.write_all(body).expect("send body");
        let mut raw = Vec::new();
        // A server that closes without close_notify ends the stream with an error; what came
        // before it is the answer.
        let _ = tls.read_to_end(&mut raw);
        parse(&raw)
    }
}

fn client_config(
    roots: &Arc<rustls::RootCertStore>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("TLS versions")
        .with_root_certificates(roots.clone())
        .with_no_client_auth()
}

fn parse(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = std::str::from_utf8(&data[..end])
            .ok()
            .and_then(|s| usize::from_str_radix(s.split(';').next().unwrap_or("").trim(), 16).ok())
            .unwrap_or(0);
        if size == 0 || data.len() < end + 2 + size {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[(end + 4 + size).min(data.len())..];
    }
}
