#!/usr/bin/env python3
"""Extracts the operations otp uses from Telnyx's OpenAPI description.

  git -C TELNYX_OPENAPI show 4f3a6bd8c1ce374fc0c82f838a7a8c5146dc336e:openapi/spec3.yml > spec3.yml
  python3 subset.py spec3.yml > telnyx_spec3_subset.yml

It keeps the four operations below and every component they reference, unchanged.
"""
import sys, yaml

OPS = {
    "/messages": ["post"],
    "/messages/{id}": ["get"],
    "/texml/Accounts/{account_sid}/Calls": ["post"],
    "/texml/Accounts/{account_sid}/Calls/{call_sid}": ["get"],
}

spec = yaml.safe_load(open(sys.argv[1]))
paths = {}
for p, methods in OPS.items():
    item = spec["paths"][p]
    paths[p] = {k: v for k, v in item.items() if k in methods or k == "parameters"}

need, seen = [], set()
def walk(node):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/") and ref not in seen:
            seen.add(ref)
            need.append(ref)
        for v in node.values():
            walk(v)
    elif isinstance(node, list):
        for v in node:
            walk(v)
walk(paths)
components = {}
while need:
    ref = need.pop()
    _, _, kind, name = ref.split("/", 3)
    obj = spec["components"][kind][name]
    components.setdefault(kind, {})[name] = obj
    walk(obj)
for op in (m for item in paths.values() for k, m in item.items() if k != "parameters"):
    for req in op.get("security", []):
        for scheme in req:
            components.setdefault("securitySchemes", {})[scheme] = spec["components"]["securitySchemes"][scheme]
if "security" in spec:
    for req in spec["security"]:
        for scheme in req:
            components.setdefault("securitySchemes", {})[scheme] = spec["components"]["securitySchemes"][scheme]

out = {
    "openapi": spec["openapi"],
    "info": spec["info"],
    "servers": spec.get("servers", []),
    "paths": paths,
    "components": components,
}
if "security" in spec:
    out["security"] = spec["security"]
print("# The operations otp uses, extracted with subset.py from Telnyx's OpenAPI description,")
print("# team-telnyx/openapi openapi/spec3.yml at commit 4f3a6bd8c1ce374fc0c82f838a7a8c5146dc336e")
print("# (2026-07-16), unchanged. Used only to check otp's requests and its fake's answers.")
yaml.safe_dump(out, sys.stdout, sort_keys=True, allow_unicode=True, width=120)
