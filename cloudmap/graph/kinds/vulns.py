"""Scanned artifacts that match no asset in the graph (a filesystem, a rootfs, a VM disk image).

Scanner reports whose target is not found are kept, not dropped: images as ``ContainerImage``
(declared in common.py) and everything else as an ``Artifact`` with the synthetic id
``artifact:<artifact type>:<artifact name>``, so their vulnerabilities stay visible and a later
load of the missing workload can be matched by id."""

from cloudmap.graph.model import Prop, node_kind

ARTIFACT = node_kind(
    "Artifact", ("Artifact",),
    properties=(
        Prop("id", "str", "artifact:<artifact type>:<artifact name>", True),
        ("artifact_type", "str", "as the scanner names it: filesystem, rootfs, vm, directory, file, ..."),
        ("scanner", "str", "trivy, grype"),
        ("os", "str", "operating system the scanner detected"),
    ),
    description="A scanned host image, disk or directory that matched no asset in the graph.")
