"""Kinds shared by every source: the Internet, vulnerabilities, sensitive data, container images."""

from cloudmap.graph.model import Prop, node_kind, rel_kind

INTERNET = node_kind("Internet", ("Internet",), description="The single node that stands for the public internet "
                     "(id `internet`); derived CAN_REACH / CAN_ACCESS edges start here.", shared=True)
INTERNET_ID = "internet"

VULNERABILITY = node_kind(
    "Vulnerability", ("Vulnerability",),
    properties=(
        Prop("id", "str", "CVE or GHSA id (upper case), or the scanner's id", True),
        ("name", "str", "the id again, for Browser captions"),
        ("title", "str"), ("description", "str"),
        ("severity", "str", "critical, high, medium, low, unknown"),
        ("cvss_score", "float", "highest CVSS base score known (v3 preferred)"),
        ("cvss_vector", "str", "the CVSS vector of that score"),
        ("cvss", "float", "effective CVSS that rules compare: cvss_score, else 9.0/7.0/5.0 for a critical/high/"
                          "medium severity, else 0.0 (set by the link pass after every load)"),
        ("epss", "float", "FIRST EPSS probability 0..1"), ("epss_percentile", "float"),
        ("epss_date", "str", "score date of the EPSS file it came from"),
        ("kev", "bool", "in the CISA Known Exploited Vulnerabilities catalog"),
        ("kev_date_added", "str"),
        ("kev_ransomware", "bool", "KEV: known to be used in ransomware campaigns"),
        ("cwes", "list[str]", "CWE ids the scanner reports, e.g. CWE-78"),
        ("rce", "bool", "allows remote code execution: only from explicit signals (code-injection CWEs "
                        "94/78/502/917, or 'remote code execution' in the advisory text)"),
        ("published", "str"), ("references", "list[str]"),
    ),
    description="A known vulnerability; one node per id, linked from every affected asset.", shared=True)

SENSITIVE_INFO_TYPE = node_kind(
    "SensitiveInfoType", ("SensitiveInfoType",),
    properties=(
        Prop("id", "str", "category:name, e.g. pci:credit-card-number", True),
        ("name", "str", "e.g. credit-card-number"),
        ("category", "str", "pci, pii, phi, secrets"),
    ),
    description="A kind of sensitive data a data store holds.", shared=True)

CONTAINER_IMAGE = node_kind(
    "ContainerImage", ("ContainerImage",),
    properties=(
        Prop("id", "str", "image digest (sha256:...) when known, else repository:tag", True),
        ("digest", "str"), ("repository", "str"), ("tags_list", "list[str]", "image tags (repository:tag)"),
        ("registry", "str"), ("os", "str"),
    ),
    description="A container image, matched to workloads by digest or repository:tag.", shared=True)

HAS_VULNERABILITY = rel_kind(
    "HAS_VULNERABILITY", "Asset", VULNERABILITY,
    properties=(("package", "str"), ("installed_version", "str"), ("fixed_version", "str"),
                ("source", "str", "trivy, grype, inspector2, defender, ...")),
    description="An asset (host, image, function) carries a vulnerable package.")

STORES = rel_kind(
    "STORES", "Asset", SENSITIVE_INFO_TYPE,
    properties=(("source", "str", "macie, classification-file, tag, ..."), ("count", "int")),
    description="A data store holds this kind of sensitive data.")

RUNS_IMAGE = rel_kind("RUNS_IMAGE", "Asset", CONTAINER_IMAGE,
                      description="A workload (pod, task, function, VM) runs this image.")
