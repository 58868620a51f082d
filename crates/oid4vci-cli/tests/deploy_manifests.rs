//! The Kubernetes manifests in `deploy/kubernetes/`: every resource passes `kubernetes-validate
//! --strict` (the Kubernetes 1.37 schemas; a broken copy fails, so the check is real), every flag
//! the Deployment passes to `oid4vci serve` is one it has, and the ConfigMap's `issuer.toml`
//! starts a real issuer with the Deployment's own arguments (the store and keys swapped for
//! local ones), whose probes answer.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{python_tools, temp_dir};

fn manifests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kubernetes")
}

/// The Kubernetes resources (the kustomization is kustomize's, not a resource).
fn resources() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(manifests())
        .expect("deploy/kubernetes")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| p.file_name().is_some_and(|n| n != "kustomization.yaml"))
        .collect();
    files.sort();
    files
}

fn validate(bin: &Path, files: &[PathBuf]) -> std::process::Output {
    Command::new(bin.join("kubernetes-validate"))
        .args(["--strict", "--kubernetes-version", "1.37.0"])
        .args(files)
        .output()
        .expect("run kubernetes-validate")
}

#[test]
fn the_manifests_pass_the_kubernetes_schemas() {
    let Some(bin) = python_tools("the_manifests_pass_the_kubernetes_schemas") else {
        return;
    };
    let files = resources();
    assert!(files.len() >= 6, "{files:?}");
    let out = validate(&bin, &files);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let passed = stdout.lines().filter(|l| l.contains(" passed ")).count();
    assert!(passed >= 9, "every resource is checked: {stdout}");

    // A typo the API server would reject is caught.
    let dir = temp_dir();
    let text = std::fs::read_to_string(manifests().join("deployment.yaml")).expect("read");
    let broken = dir.path().join("deployment.yaml");
    std::fs::write(&broken, text.replacen("replicas: 3", "replica: 3", 1)).expect("write");
    assert!(
        !validate(&bin, &[broken]).status.success(),
        "strict mode refuses unknown fields"
    );
}

/// The Deployment's container args, the ConfigMap's issuer.toml, the probes (`path@port`) and
/// the pod's termination grace period (seconds), read with PyYAML.
fn deployment_and_config(bin: &Path) -> (Vec<String>, String, Vec<String>, u64) {
    let script = r#"
import json, sys, yaml
root = sys.argv[1]
deployment = yaml.safe_load(open(f"{root}/deployment.yaml"))
config = yaml.safe_load(open(f"{root}/configmap.yaml"))
container = deployment["spec"]["template"]["spec"]["containers"][0]
probes = [container[p]["httpGet"]["path"] + "@" + container[p]["httpGet"]["port"] for p in ("startupProbe", "livenessProbe", "readinessProbe")]
termination = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
print(json.dumps({"args": container["args"], "toml": config["data"]["issuer.toml"], "probes": probes, "termination": termination}))
"#;
    let out = Command::new(bin.join("python"))
        .args(["-c", script])
        .arg(manifests())
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let args = (v["args"].as_array().expect("args").iter())
        .map(|a| a.as_str().expect("string arg").to_owned())
        .collect();
    let probes = (v["probes"].as_array().expect("probes").iter())
        .map(|p| p.as_str().expect("path").to_owned())
        .collect();
    let termination = v["termination"]
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    (
        args,
        v["toml"].as_str().expect("toml").to_owned(),
        probes,
        termination,
    )
}

#[test]
fn the_deployment_starts_a_real_issuer_with_its_own_arguments() {
    let Some(bin) = python_tools("the_deployment_starts_a_real_issuer_with_its_own_arguments")
    else {
        return;
    };
    let (args, toml, probes, termination) = deployment_and_config(&bin);
    // SIGTERM → not ready, serving on for the delay, then the grace; the kubelet kills the pod
    // at the end of its termination period, so both must fit in it.
    let seconds = |flag: &str| -> u64 {
        (args.iter().position(|a| a == flag))
            .and_then(|i| args.get(i + 1)?.parse().ok())
            .unwrap_or_else(|| panic!("the Deployment sets {flag}"))
    };
    let shutdown = seconds("--shutdown-delay") + seconds("--shutdown-grace");
    assert!(
        shutdown < termination,
        "delay + grace ({shutdown} s) within terminationGracePeriodSeconds ({termination} s)"
    );
    let help = Command::new(env!("CARGO_BIN_EXE_oid4vci"))
        .args(["serve", "--help"])
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        assert!(
            help.contains(&format!("{flag} ")),
            "oid4vci serve has no {flag}"
        );
    }
    assert_eq!(args.first().map(String::as_str), Some("serve"));

    // The Deployment's arguments, with the cluster's paths, store and secrets made local.
    let dir = temp_dir();
    let config = dir.path().join("issuer.toml");
    std::fs::write(&config, toml).expect("write config");
    let mut local = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().cloned().unwrap_or_default();
        let value = match flag.as_str() {
            "--config" => config.display().to_string(),
            "--host" => "127.0.0.1".into(),
            "--port" => continue,  // the test server listens on a free port
            "--store" => continue, // a local SQLite file instead of $(DATABASE_URL)
            "--keys" => dir.path().join("issuer.keys").display().to_string(),
            "--admin-token" => continue, // the test server sets its own
            "--metrics-listen" => "127.0.0.1:0".into(),
            _ => value,
        };
        local.push(flag.clone());
        local.push(value);
    }
    let local: Vec<&str> = local.iter().map(String::as_str).collect();
    let server = support::Server::start(dir.path(), &local);
    let metadata = server.get("/.well-known/openid-credential-issuer");
    assert_eq!(metadata["credential_issuer"], "https://issuer.example.com");
    let configurations = metadata["credential_configurations_supported"]
        .as_object()
        .expect("configurations");
    assert!(configurations.contains_key("eu.europa.ec.av.1"));
    assert!(configurations.contains_key("identity_credential"));
    // The probes the Deployment wires answer 200 on a healthy issuer.
    assert_eq!(
        probes,
        ["/healthz@http", "/healthz@metrics", "/readyz@http"]
    );
    let metrics = (server.banner.iter())
        .find_map(|l| l.strip_prefix("metrics:"))
        .map(|u| u.trim().trim_end_matches("/metrics").to_owned())
        .expect("the metrics listener");
    for probe in &probes {
        let (path, port) = probe.split_once('@').expect("path@port");
        let url = match port {
            "http" => format!("{}{path}", server.url()),
            _ => format!("{metrics}{path}"),
        };
        let status = http_status(&url);
        assert_eq!(status, 200, "{probe}: {url}");
    }
}

/// The status of `GET url` (plain HTTP on loopback).
fn http_status(url: &str) -> u16 {
    let addr = url.trim_start_matches("http://");
    let (host, path) = addr.split_at(addr.find('/').unwrap_or(addr.len()));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::io::Write::write_all(&mut s, request.as_bytes()).expect("write");
    let mut reply = String::new();
    let _ = std::io::Read::read_to_string(&mut s, &mut reply);
    (reply.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}
