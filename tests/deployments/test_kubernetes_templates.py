"""The cluster templates parse, and every chartsift setting they set is one the settings object
knows (a misspelt CHARTSIFT_ variable would be ignored silently by a pod)."""

import json

import yaml

from flows.settings import Settings
from tests.support import ROOT

K8S = ROOT / "deployments" / "kubernetes"


def test_when_the_cluster_deployment_sets_chartsift_variables_then_settings_accept_them(monkeypatch):
    deployment = yaml.safe_load((K8S / "prefect-cluster.yaml").read_text())["deployments"][0]
    env = deployment["work_pool"]["job_variables"]["env"]
    for name, value in env.items():
        if name.startswith("CHARTSIFT_"):
            monkeypatch.setenv(name, value)
    s = Settings()
    assert s.cluster.address == env["CHARTSIFT_CLUSTER__ADDRESS"]
    assert s.cluster.extract_resources == json.loads(env["CHARTSIFT_CLUSTER__EXTRACT_RESOURCES"])
    assert s.cluster.deid_resources == json.loads(env["CHARTSIFT_CLUSTER__DEID_RESOURCES"])


def test_when_the_cluster_manifests_are_read_then_pools_offer_the_resources_the_deployment_asks():
    docs = list(yaml.safe_load_all((K8S / "dask-cluster.yaml").read_text()))
    args = {d["metadata"]["name"]: d["spec"]["template"]["spec"]["containers"][0]["args"]
            for d in docs if d["kind"] == "Deployment"}  # fmt: skip
    env = yaml.safe_load((K8S / "prefect-cluster.yaml").read_text())["deployments"][0]["work_pool"]["job_variables"]["env"]
    offered = {a.split("=")[0] for cmd in args.values() for a in cmd if "=" in a}
    asked = set(json.loads(env["CHARTSIFT_CLUSTER__DEID_RESOURCES"])) | set(json.loads(env["CHARTSIFT_CLUSTER__EXTRACT_RESOURCES"]))
    assert asked <= offered
    gpu = next(d for d in docs if d["metadata"]["name"] == "chartsift-gpu")
    assert gpu["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
