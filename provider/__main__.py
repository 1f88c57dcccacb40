"""Serve SesEventLogPipeline to Pulumi programs in any language (TypeScript, Go, C#, Java, YAML).

`pulumi package add` runs this directory (PulumiPlugin.yaml); the component provider host builds
the package schema from the component's args TypedDict, docstrings and type hints.
"""

import sys
from pathlib import Path

# The components live at the repository root, beside this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi.provider.experimental import component_provider_host

from components.pipeline import SesEventLogPipeline

PACKAGE = "ses-event-log"
"""The package name: the first part of every hosted component's type token."""
COMPONENTS = [SesEventLogPipeline]

if __name__ == "__main__":
    component_provider_host(COMPONENTS, name=PACKAGE)
