"""Package discovery: loaders/ and cypher/ are installed as cloudmap.loaders and cloudmap.cypher."""

from setuptools import find_namespace_packages, find_packages, setup

packages = find_packages(include=["cloudmap", "cloudmap.*"])
packages += ["cloudmap.loaders"] + [f"cloudmap.loaders.{p}" for p in find_packages("loaders")]
packages += ["cloudmap.cypher"] + [f"cloudmap.cypher.{p}" for p in find_namespace_packages("cypher")]

setup(packages=packages)
