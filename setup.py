"""Package discovery: loaders/ and cypher/ are installed as cloudmap.loaders and cloudmap.cypher.

Data folders (demo data, cypher files) are namespace packages, so setuptools ships their files as
package data. Editable installs of a remapped layout use setuptools' import finder; its
informational notice about that is not a problem for this project (no other top-level name).
"""

import warnings

from setuptools import find_namespace_packages, setup
from setuptools.warnings import InformationOnly

warnings.filterwarnings("ignore", category=InformationOnly, message="Editable installation")

SKIP = ["*__pycache__*"]
packages = find_namespace_packages(include=["cloudmap", "cloudmap.*"], exclude=SKIP)
packages += ["cloudmap.loaders"] + [f"cloudmap.loaders.{p}" for p in find_namespace_packages("loaders", exclude=SKIP)]
packages += ["cloudmap.cypher"] + [f"cloudmap.cypher.{p}" for p in find_namespace_packages("cypher", exclude=SKIP)]

setup(packages=packages)
