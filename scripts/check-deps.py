#!/usr/bin/env python3
"""Offline dependency policy check (licences and duplicate versions) over `cargo metadata`.

Reads the policy from deny.toml (cargo-deny's format: [graph] targets, [licenses] allow,
[bans] multiple-versions / skip) and fails, naming each offender, when a package in the
resolved graph has a licence expression the allow-list cannot satisfy, or when a crate appears
in more than one version that is not skipped.
"""
import json
import re
import subprocess
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tokens(expression):
    # Legacy "MIT/Apache-2.0" means OR.
    text = expression.replace("/", " OR ").replace("(", " ( ").replace(")", " ) ")
    return text.split()


def satisfiable(expression, allowed):
    """Evaluates an SPDX expression: a licence id is true when allowed; WITH binds tightest,
    then AND, then OR."""
    items = tokens(expression)
    pos = 0

    def atom():
        nonlocal pos
        if pos >= len(items):
            raise ValueError(f"unexpected end of {expression!r}")
        tok = items[pos]
        pos += 1
        if tok == "(":
            value = disjunction()
            if pos >= len(items) or items[pos] != ")":
                raise ValueError(f"unbalanced parentheses in {expression!r}")
            pos += 1
            return value
        name = tok.rstrip("+")
        if pos + 1 < len(items) and items[pos] == "WITH":
            name = f"{name} WITH {items[pos + 1]}"
            pos += 2
        return name in allowed

    def conjunction():
        nonlocal pos
        value = atom()
        while pos < len(items) and items[pos] == "AND":
            pos += 1
            value = atom() and value
        return value

    def disjunction():
        nonlocal pos
        value = conjunction()
        while pos < len(items) and items[pos] == "OR":
            pos += 1
            value = conjunction() or value
        return value

    result = disjunction()
    if pos != len(items):
        raise ValueError(f"trailing tokens in {expression!r}")
    return result


def main():
    policy = tomllib.loads((ROOT / "deny.toml").read_text())
    allowed = set(policy["licenses"]["allow"])
    targets = policy.get("graph", {}).get("targets", [])
    cmd = ["cargo", "metadata", "--format-version", "1", "--locked"]
    for target in targets:
        cmd += ["--filter-platform", target]
    meta = json.loads(subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True).stdout)
    in_graph = {node["id"] for node in meta["resolve"]["nodes"]}
    packages = [p for p in meta["packages"] if p["id"] in in_graph]
    problems = []
    for p in packages:
        expression = p.get("license")
        if not expression:
            problems.append(f"{p['name']} {p['version']}: no SPDX licence expression")
            continue
        try:
            if not satisfiable(expression, allowed):
                problems.append(f"{p['name']} {p['version']}: licence {expression!r} is not allowed")
        except ValueError as e:
            problems.append(f"{p['name']} {p['version']}: {e}")
    bans = policy.get("bans", {})
    if bans.get("multiple-versions", "warn") == "deny":
        skipped = set()
        for entry in bans.get("skip", []):
            spec = entry["crate"] if isinstance(entry, dict) else entry
            skipped.add(spec)
        versions = defaultdict(set)
        for p in packages:
            versions[p["name"]].add(p["version"])
        for name, found in sorted(versions.items()):
            kept = sorted(v for v in found if f"{name}@{v}" not in skipped)
            if len(kept) > 1:
                lines = ", ".join(f'{{ crate = "{name}@{v}", reason = "..." }}' for v in kept[:-1])
                problems.append(f"{name}: versions {', '.join(kept)} (allow with: {lines})")
        for spec in sorted(skipped):
            name, _, version = spec.partition("@")
            if version not in versions.get(name, set()):
                problems.append(f"deny.toml skips {spec}, which is no longer in the graph; remove it")
    for problem in problems:
        print(f"check-deps: {problem}")
    print(f"check-deps: {len(packages)} packages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
