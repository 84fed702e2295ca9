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

# Fields newer than the client's models (python3-kubernetes 22.6 predates the
# Job pod failure policy, batch/v1 since Kubernetes 1.26, GA in 1.31): their
# types as the API reference defines them, used only where the installed
# client lacks the field.
NEWER_FIELDS = {"V1JobSpec": {"podFailurePolicy": "V1PodFailurePolicy"}}
NEWER_TYPES = {
    "V1PodFailurePolicy": {"rules": "list[V1PodFailurePolicyRule]"},
    "V1PodFailurePolicyRule": {
        "action": "str",
        "onExitCodes": "V1PodFailurePolicyOnExitCodesRequirement",
        "onPodConditions": "list[V1PodFailurePolicyOnPodConditionsPattern]",
    },
    "V1PodFailurePolicyOnExitCodesRequirement": {"containerName": "str", "operator": "str", "values": "list[int]"},
    "V1PodFailurePolicyOnPodConditionsPattern": {"type": "str", "status": "str"},
}
REQUIRED.update({
    "V1PodFailurePolicy": ["rules"],
    "V1PodFailurePolicyRule": ["action"],
    "V1PodFailurePolicyOnExitCodesRequirement": ["operator", "values"],
    "V1PodFailurePolicyOnPodConditionsPattern": ["type", "status"],
})
# Enumerations the API server enforces.
ENUMS = {
    ("V1PodFailurePolicyRule", "action"): {"FailJob", "FailIndex", "Ignore", "Count"},
    ("V1PodFailurePolicyOnExitCodesRequirement", "operator"): {"In", "NotIn"},
    ("V1PodFailurePolicyOnPodConditionsPattern", "status"): {"True", "False", "Unknown"},
    ("V1PodSpec", "restartPolicy"): {"Always", "OnFailure", "Never"},
    ("V1EmptyDirVolumeSource", "medium"): {"", "Memory"},
}


def fields_of(type_name):
    """JSON field name -> type name of an object type."""
    if type_name in NEWER_TYPES:
        return dict(NEWER_TYPES[type_name])
    cls = getattr(k8s, type_name)
    fields = {json: cls.openapi_types[attr] for attr, json in cls.attribute_map.items()}
    for key, field_type in NEWER_FIELDS.get(type_name, {}).items():
        fields.setdefault(key, field_type)
    return fields


def check_job_rules(doc, errors):
    """Cross-field rules of a Job that the API server validates."""
    spec = doc.get("spec") or {}
    policy = spec.get("podFailurePolicy")
    if policy is None:
        return
    restart = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart != "Never":
        errors.append(f"Job.spec.podFailurePolicy: needs template.spec.restartPolicy Never, got {restart!r}")
    for i, rule in enumerate(policy.get("rules") or []):
        if ("onExitCodes" in rule) == ("onPodConditions" in rule):
            errors.append(f"Job.spec.podFailurePolicy.rules[{i}]: needs exactly one of onExitCodes, onPodConditions")
        codes = (rule.get("onExitCodes") or {}).get("values") or []
        if (rule.get("onExitCodes") or {}).get("operator") == "In" and 0 in codes:
            errors.append(f"Job.spec.podFailurePolicy.rules[{i}].onExitCodes: 0 is not allowed with operator In")


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
    if not isinstance(value, dict):
        errors.append(f"{path}: expected a {type_name} mapping")
        return
    fields = fields_of(type_name)
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: not a field of {type_name}")
            continue
        check(item, fields[key], f"{path}.{key}", errors)
        allowed = ENUMS.get((type_name, key))
        if allowed is not None and item not in allowed:
            errors.append(f"{path}.{key}: {item!r} is not one of {sorted(allowed)}")
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
            if kind == "V1Job":
                check_job_rules(doc, errors)
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
