#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Schema check of Kubernetes manifests against the typed API models of the
official Python client (Debian package python3-kubernetes): every key must be
a field of its object type, every value of the field's type, and required
fields present. Usage: check-k8s-manifests.py FILE.yaml...  Exit 0 if all pass."""
import re
import sys

import kubernetes.client as k8s
import yaml

KINDS = {
    ("v1", "Service"): "V1Service",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("batch/v1", "Job"): "V1Job",
}
# Fields the API server requires (the client models mark few of them).
REQUIRED = {
    "V1Container": ["name"],
    "V1JobSpec": ["template"],
    "V1ServicePort": ["port"],
    "V1Volume": ["name"],
    "V1VolumeMount": ["name", "mountPath"],
    "V1EnvVar": ["name"],
}


def check(value, type_name, path, errors):
    if type_name in ("str",):
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
        return
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
        return
    if type_name == "bool":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected true/false, got {value!r}")
        return
    if type_name == "object":
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list")
            return
        for i, item in enumerate(value):
            check(item, m.group(1), f"{path}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\((.+), (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a mapping")
            return
        for key, item in value.items():
            check(item, m.group(2), f"{path}.{key}", errors)
        return
    cls = getattr(k8s, type_name)
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a {type_name} mapping")
        return
    by_json = {json: attr for attr, json in cls.attribute_map.items()}
    for key, item in value.items():
        if key not in by_json:
            errors.append(f"{path}.{key}: not a field of {type_name}")
            continue
        check(item, cls.openapi_types[by_json[key]], f"{path}.{key}", errors)
    for key in REQUIRED.get(type_name, []):
        if key not in value:
            errors.append(f"{path}: {type_name} needs '{key}'")


def main(files):
    failed = False
    for f in files:
        with open(f) as fh:
            doc = yaml.safe_load(fh)
        kind = KINDS.get((doc.get("apiVersion"), doc.get("kind")))
        errors = []
        if kind is None:
            errors.append(f"unknown apiVersion/kind {doc.get('apiVersion')}/{doc.get('kind')}")
        else:
            check(doc, kind, doc["kind"], errors)
            if not (doc.get("metadata") or {}).get("name"):
                errors.append(f"{doc['kind']}.metadata: a top-level object needs 'name'")
        for e in errors:
            print(f"{f}: {e}")
        failed = failed or bool(errors)
        if not errors:
            print(f"{f}: ok ({kind})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
